"""Card present at the till: with a payment terminal set up, the Card tender sends the amount
to the terminal, the screen follows what the terminal says until it answers, a decline is
shown with another tender offered, a refund goes back to the same card through the return
screen, and a payment still waiting for the card is cancelled from the till. Each simulator
(`comptoir terminal-sim serve`, nexo and Caisse-AP) is a real process on loopback; Debian's
Chromium, headless, against the real app.

Screenshots land in test-artifacts/screens/ (names start with `till-terminal-`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from appliance.app.services.shop import Shop
from appliance.drivers.nexo_protocol import CA_FILE, PASSPHRASE_FILE
from appliance.drivers.nexo_sim_answers import POIID
from appliance.drivers.terminal_sim_nexo import KEY_ID
from tests.e2e.axe import Axe
from tests.e2e.conftest import LiveApp, free_port
from tests.e2e.screens import leave_the_till_empty, log_in_at_till, scan, staff_api
from tests.e2e.seed import BREAD, CASHIER, GROCERY, SUPERVISOR

pytestmark = pytest.mark.slow

COMPTOIR = (sys.executable, "-m", "appliance")
STARTS_WITHIN = 20.0


@dataclass(frozen=True)
class Terminal:
    protocol: str
    state: Path
    display_port: int = 0  # the till's port for the nexo terminal's display notifications

    def tell(self, *behaviours: str) -> None:
        subprocess.run(
            [*COMPTOIR, "terminal-sim", "tell", "--protocol", self.protocol, "--state", str(self.state), *behaviours],
            check=True,
            capture_output=True,
        )

    def records(self) -> list[dict[str, Any]]:
        done = subprocess.run(
            [*COMPTOIR, "terminal-sim", "records", "--protocol", self.protocol, "--state", str(self.state)],
            check=True,
            capture_output=True,
            text=True,
        )
        found: list[dict[str, Any]] = json.loads(done.stdout)
        return found


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module", params=["nexo", "caisse-ap"])
def terminal(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Terminal, int]]:
    protocol: str = request.param
    state = tmp_path_factory.mktemp(f"terminal-{protocol}") / "state.json"
    port = free_port()
    proc = subprocess.Popen(
        [*COMPTOIR, "terminal-sim", "serve", "--protocol", protocol, "--port", str(port), "--state", str(state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + STARTS_WITHIN
        while not listening(port):
            assert proc.poll() is None, f"the {protocol} simulator ended ({proc.returncode})"
            assert time.monotonic() < deadline, f"the {protocol} simulator did not listen on {port}"
            time.sleep(0.1)
        sim = Terminal(protocol, state, free_port() if protocol == "nexo" else 0)
        if protocol == "nexo":  # its Display URL, as the shop sets it up: the till's live state
            sim.tell(f"display=http://127.0.0.1:{sim.display_port}/")
        yield sim, port
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp], terminal: tuple[Terminal, int]) -> LiveApp:
    sim, port = terminal
    if sim.protocol == "nexo":
        url = f"nexo://127.0.0.1:{port}?poi={POIID}&key_id={KEY_ID}&display=127.0.0.1:{sim.display_port}"
    else:
        url = f"caisse-ap://127.0.0.1:{port}?lookup=journal&currency=CAD"

    def keys(store: Shop) -> None:
        # What the shop's owner does for a nexo terminal: its passphrase and CA in the key dir.
        if sim.protocol == "nexo":
            key_dir = store.config.key_dir
            assert key_dir is not None
            for name in (PASSPHRASE_FILE, CA_FILE):
                shutil.copy(sim.state.parent / name, key_dir / name)
                (key_dir / name).chmod(0o600)

    return shop(GROCERY, {CASHIER: "cashier", SUPERVISOR: "supervisor"}, then=keys, config={"terminal_url": url})


@pytest.fixture(autouse=True)
def empty_till(app: LiveApp) -> Iterator[None]:
    yield
    for who in (CASHIER, SUPERVISOR):
        leave_the_till_empty(app.url, who)


def on_terminal(page: Any) -> Any:
    """Card (F6) once the sale is on screen: the terminal's dialog."""
    expect(page.locator("#terminal-status")).to_be_visible()  # the till knows it has a terminal
    expect(page.locator("#card-button")).to_be_enabled()
    expect(page.locator("#card-button")).not_to_have_attribute("title", re.compile(".+"))  # nothing to explain
    page.keyboard.press("F6")
    dialog = page.get_by_role("dialog", name="Present card on the terminal")
    expect(dialog).to_be_visible()
    return dialog


def card_sale(page: Any) -> str:
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    dialog = on_terminal(page)
    expect(dialog.locator("#terminal-amount")).to_contain_text("3.50")
    expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")
    expect(dialog).to_be_hidden()
    receipt: str = page.locator("#receipt-number").inner_text()
    return receipt


def test_a_card_sale_goes_through_the_terminal(
    app: LiveApp, terminal: tuple[Terminal, int], page: Any, screenshot: Any
) -> None:
    sim, _ = terminal
    log_in_at_till(page, app.url, CASHIER)
    expect(page.locator("#terminal-text")).to_have_text("Card terminal: ready")
    sim.tell("pin")  # the dialog follows the terminal through the PIN
    receipt = card_sale(page)
    screenshot(page, f"till-terminal-01-{sim.protocol}-approved")
    with staff_api(app.url, CASHIER) as api:
        sale = api.get("/sales", params={"receipt": receipt}).json()["sales"][0]
        assert sale["status"] == "completed"
    charges = [r for r in sim.records() if r.get("amount") in (350, "3.50", 3.5)]
    assert charges, f"the terminal recorded no 3.50 charge: {sim.records()}"


def test_a_decline_is_shown_and_another_tender_offered(
    app: LiveApp, terminal: tuple[Terminal, int], page: Any, screenshot: Any
) -> None:
    sim, _ = terminal
    log_in_at_till(page, app.url, CASHIER)
    sim.tell("decline")
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    dialog = on_terminal(page)
    expect(dialog.get_by_role("alert")).to_contain_text("Card declined:")
    expect(dialog.get_by_role("alert")).to_contain_text("Nothing was charged.")
    expect(dialog.get_by_role("button", name="Send to the terminal again")).to_be_visible()
    other = dialog.get_by_role("button", name="Another tender")
    expect(other).to_be_visible()
    screenshot(page, f"till-terminal-02-{sim.protocol}-declined")
    other.click()
    expect(dialog).to_be_hidden()
    # Another tender: cash takes the sale.
    page.keyboard.press("F2")
    page.get_by_role("dialog", name="Pay cash").locator("#quick-cash button").first.click()
    expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")


def test_a_refund_goes_back_to_the_same_card_through_the_return_screen(
    app: LiveApp, terminal: tuple[Terminal, int], page: Any
) -> None:
    sim, _ = terminal
    log_in_at_till(page, app.url, SUPERVISOR)
    receipt = card_sale(page)
    page.keyboard.press("F9")
    page.keyboard.press("Alt+r")
    dialog = page.get_by_role("dialog", name="Return items")
    dialog.get_by_label("Receipt number").fill(receipt)
    dialog.get_by_role("button", name="Find sale").click()
    expect(dialog.locator("#refund-sale")).to_contain_text(f"Receipt {receipt}")
    dialog.get_by_label("Reason").fill("Stale")
    dialog.get_by_role("button", name="Refund", exact=True).click()
    expect(dialog.get_by_role("status")).to_have_text("Refunded 3.50 CAD: 3.50 to card.")
    kinds = [json.dumps(r) for r in sim.records()]
    assert any("refund" in k.lower() or "credit" in k.lower() for k in kinds), f"no refund on the terminal: {kinds}"


def test_cancel_while_the_terminal_waits_for_the_card(
    app: LiveApp, terminal: tuple[Terminal, int], page: Any, screenshot: Any
) -> None:
    sim, _ = terminal
    if sim.protocol == "caisse-ap":
        pytest.skip("Caisse-AP has no cancel from the till: the customer or the cashier cancels on the terminal")
    log_in_at_till(page, app.url, CASHIER)
    sim.tell("wait:30")
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    dialog = on_terminal(page)
    expect(dialog.get_by_role("status")).to_have_text("Waiting for the card…")
    screenshot(page, "till-terminal-03-waiting-for-card")
    page.keyboard.press("Escape")  # Esc does not walk away from a payment in progress
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel on the terminal").click()
    expect(dialog).to_be_hidden()  # once the terminal confirms
    expect(page.locator("#t-total")).to_have_text("3.50")  # nothing taken: the sale still waits
    with staff_api(app.url, CASHIER) as api:
        sale = api.get("/sales", params={"status": "open"}).json()["sales"][0]
        assert sale["paid"] == 0


def test_the_dialog_says_the_pin_then_the_sale_is_approved(
    app: LiveApp, terminal: tuple[Terminal, int], page: Any, screenshot: Any
) -> None:
    sim, _ = terminal
    if sim.protocol == "caisse-ap":
        pytest.skip("Caisse-AP does not tell the till of the PIN: its dialog says 'in progress' (driver tests)")
    log_in_at_till(page, app.url, CASHIER)
    sim.tell("pin:60")  # the terminal asks for the PIN and waits for it
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    dialog = on_terminal(page)
    expect(dialog.get_by_role("status")).to_have_text("The customer is typing the PIN…")
    expect(dialog.get_by_role("button", name="Cancel on the terminal")).to_be_visible()
    screenshot(page, "till-terminal-04-pin")
    sim.tell("pin-entered")
    expect(dialog).to_be_hidden()
    expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")
    assert [r["state"] for r in sim.records()][-1] == "approved"


def test_a_reload_reopens_the_dialog_on_the_card_payment_still_on_the_terminal(
    app: LiveApp, terminal: tuple[Terminal, int], page: Any, screenshot: Any
) -> None:
    """The page reloaded while the customer types the PIN: the till finds the payment and
    follows it again, Cancel at hand, rather than offering a second card tender."""
    sim, _ = terminal
    if sim.protocol == "caisse-ap":
        pytest.skip("the simulated Caisse-AP terminal cannot hold a payment open and then finish it")
    log_in_at_till(page, app.url, CASHIER)
    before = len(sim.records())
    sim.tell("pin:60")
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    dialog = on_terminal(page)
    expect(dialog.get_by_role("status")).to_have_text("The customer is typing the PIN…")
    page.reload()
    dialog = page.get_by_role("dialog", name="Present card on the terminal")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#terminal-amount")).to_contain_text("3.50")
    expect(dialog.get_by_role("status")).to_have_text("The customer is typing the PIN…")
    expect(dialog.get_by_role("button", name="Cancel on the terminal")).to_be_visible()
    screenshot(page, "till-terminal-05-reloaded")
    sim.tell("pin-entered")
    expect(dialog).to_be_hidden()
    expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")
    # One transaction on the terminal for the sale, approved: the reload sent nothing again.
    assert [(r["amount"], r["state"]) for r in sim.records()[before:]] == [(350, "approved")]
    with staff_api(app.url, CASHIER) as api:
        assert api.get("/sales", params={"status": "open"}).json()["sales"] == []


def test_the_terminal_dialog_and_header_are_clean_under_axe(
    app: LiveApp, terminal: tuple[Terminal, int], axe_page: Any
) -> None:
    sim, _ = terminal
    if sim.protocol == "caisse-ap":
        pytest.skip("the screen is the same for both protocols: one axe run")
    page, axe = axe_page, Axe()
    log_in_at_till(page, app.url, CASHIER)
    sim.tell("wait:30", "decline")
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    dialog = on_terminal(page)
    expect(dialog.get_by_role("status")).to_have_text("Waiting for the card…")
    axe.check(page, "till-terminal-waiting")
    dialog.get_by_role("button", name="Cancel on the terminal").click()
    expect(dialog).to_be_hidden()
    dialog = on_terminal(page)
    expect(dialog.get_by_role("alert")).to_contain_text("Card declined:")
    axe.check(page, "till-terminal-declined")
    axe.assert_clean()
