"""Self-service pays by tap or insert on the payment terminal, in a real browser against the
real app in self-service mode, with each simulated terminal run as a real process
(`comptoir terminal-sim serve`, tests/e2e/terminal_sims.py): a sale paid, a decline then a
retry, a payment cancelled while the terminal waits for the card, and never a card number
typed on our screen. A till without a terminal offers no card payment at all.

Screenshots land in test-artifacts/screens/selfservice-terminal-*.png.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveApp
from tests.e2e.seed import BREAD, COFFEE, GROCERY
from tests.e2e.terminal_sims import Sim, simulator

pytestmark = pytest.mark.slow

PROTOCOLS = ("nexo", "caisse-ap")
PROMPT = "Tap, insert or swipe your card on the terminal."
LIVE_WAITING = {
    "nexo": "Waiting for your card.",
    "caisse-ap": "Your payment is in progress on the terminal: follow its screen.",
}
# Where a card number could be typed: the keyed fields self-service had, or any card autofill.
CARD_FIELDS = "#card-number, #card-month, #card-year, #card-keypad, input[autocomplete^='cc-']"


@pytest.fixture(scope="module")
def sims(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Sim]]:
    with simulator("nexo", tmp_path_factory.mktemp("nexo")) as nexo:
        with simulator("caisse-ap", tmp_path_factory.mktemp("caisse-ap")) as caisse_ap:
            yield {"nexo": nexo, "caisse-ap": caisse_ap}


@pytest.fixture(scope="module")
def kiosks(shop: Callable[..., LiveApp], sims: dict[str, Sim]) -> dict[str, str]:
    """A self-service till per terminal: its URL."""
    found = {}
    for protocol, sim in sims.items():
        config = {"mode": "self_service", "terminal_url": sim.url}
        found[protocol] = shop(GROCERY, {}, config=config, then=sim.install).url
    return found


def open_kiosk(page: Any, url: str) -> None:
    page.goto(url + "/selfservice")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def scan(page: Any, code: str) -> None:
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_sale_paid_by_tap_on_the_terminal(
    protocol: str, kiosks: dict[str, str], sims: dict[str, Sim], page: Any, screenshot: Any
) -> None:
    sim = sims[protocol]
    sim.tell("wait:2")  # the customer takes a moment to find their card
    open_kiosk(page, kiosks[protocol])
    scan(page, BREAD)
    expect(page.locator("#t-due")).to_have_text("3.50\u00a0CAD")
    expect(page.locator("#no-card-notice")).to_be_hidden()
    assert page.locator(CARD_FIELDS).count() == 0

    page.get_by_role("button", name="Pay by card").click()
    dialog = page.locator("#pay-dialog")
    expect(dialog.get_by_text(PROMPT)).to_be_visible()
    # What the terminal tells: nexo says it asks for the card; Caisse-AP only that it is on it.
    expect(page.locator("#terminal-state")).to_have_text(LIVE_WAITING[protocol])
    expect(dialog.get_by_role("button", name="Cancel")).to_be_visible()
    assert dialog.locator("input").count() == 0, "nothing to type: the terminal reads the card"
    screenshot(page, f"selfservice-terminal-waiting-{protocol}")

    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible(timeout=20_000)
    expect(page.locator("#receipt-text")).to_contain_text("Bread")
    paid = [r for r in sim.records() if r.get("state") == "approved"]
    assert [r["amount"] for r in paid][-1:] == [350]
    screenshot(page, f"selfservice-terminal-receipt-{protocol}")
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_decline_is_shown_then_a_retry_is_approved(
    protocol: str, kiosks: dict[str, str], sims: dict[str, Sim], page: Any, screenshot: Any
) -> None:
    sims[protocol].tell("decline", "approve")
    open_kiosk(page, kiosks[protocol])
    scan(page, COFFEE)
    page.get_by_role("button", name="Pay by card").click()
    dialog = page.locator("#pay-dialog")
    expect(page.locator("#pay-error")).to_contain_text("Your card was declined", timeout=20_000)
    expect(dialog.get_by_text("You can try again, or call staff for help.")).to_be_visible()
    expect(dialog.get_by_role("button", name="Call staff")).to_be_visible()
    expect(dialog.get_by_role("button", name="Cancel")).to_be_hidden()
    retry = dialog.get_by_role("button", name="Try again")
    expect(retry).to_be_focused()
    screenshot(page, f"selfservice-terminal-declined-{protocol}")

    retry.click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible(timeout=20_000)
    expect(page.locator("#receipt-text")).to_contain_text("Coffee beans")


def test_a_payment_waiting_for_the_card_is_cancelled(
    kiosks: dict[str, str], sims: dict[str, Sim], page: Any, screenshot: Any
) -> None:
    sim = sims["nexo"]
    sim.tell("wait:30")
    open_kiosk(page, kiosks["nexo"])
    scan(page, BREAD)
    page.get_by_role("button", name="Pay by card").click()
    dialog = page.locator("#pay-dialog")
    expect(page.locator("#terminal-state")).to_have_text("Waiting for your card.")
    page.keyboard.press("Escape")  # a payment under way is not walked away from
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.locator("#pay-error")).to_have_text("The payment was cancelled. Nothing was charged.", timeout=20_000)
    screenshot(page, "selfservice-terminal-cancelled")
    assert [r.get("state") for r in sim.records()][-1] == "cancelled"

    dialog.get_by_role("button", name="Back").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#lines-body tr")).to_have_count(1)  # the sale is still there, unpaid
    expect(page.get_by_role("button", name="Pay by card")).to_be_enabled()

    # Stuck at the terminal, the customer calls for help from the payment itself.
    sim.tell("decline")
    page.get_by_role("button", name="Pay by card").click()
    dialog.get_by_role("button", name="Call staff").click()
    expect(page.get_by_role("heading", name="An attendant is on the way.")).to_be_visible()


def test_the_customer_sees_enter_pin_then_the_payment_approved(
    kiosks: dict[str, str], sims: dict[str, Sim], page: Any, screenshot: Any
) -> None:
    """The nexo terminal asks for the PIN and tells the till so (a display notification):
    the customer's screen says so until the PIN is typed, then the payment ends approved."""
    sim = sims["nexo"]
    sim.tell("pin:60")
    open_kiosk(page, kiosks["nexo"])
    scan(page, COFFEE)
    page.get_by_role("button", name="Pay by card").click()
    expect(page.locator("#terminal-state")).to_have_text("Enter your PIN on the terminal.", timeout=20_000)
    expect(page.locator("#pay-dialog").get_by_role("button", name="Cancel")).to_be_visible()
    screenshot(page, "selfservice-terminal-pin")
    sim.tell("pin-entered")
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible(timeout=20_000)
    assert [r.get("state") for r in sim.records()][-1] == "approved"
    page.get_by_role("button", name="Finish").click()


def test_a_till_without_a_terminal_takes_no_card_at_self_service(
    shop: Callable[..., LiveApp], acquirer: str, page: Any, screenshot: Any
) -> None:
    # Even with a card gateway configured: a customer never types a card number on our screen.
    app = shop(GROCERY, {}, config={"mode": "self_service"}, gateway_url=acquirer)
    open_kiosk(page, app.url)
    scan(page, BREAD)
    expect(page.locator("#lines-body tr")).to_have_count(1)
    expect(page.locator("#no-card-notice")).to_have_text(
        "Card payment is not available at this checkout. Please pay at a staffed till."
    )
    expect(page.locator("#pay-button")).to_be_hidden()
    assert page.locator(CARD_FIELDS).count() == 0
    screenshot(page, "selfservice-terminal-none")
    page.get_by_role("button", name="Français").click()
    expect(page.locator("#no-card-notice")).to_contain_text("Veuillez payer à une caisse avec caissier")
