"""The self-service screen in a real browser (Debian's Chromium through Playwright) against
the real app on loopback in self-service mode, paying on the simulated Caisse-AP payment
terminal run as a real subprocess (`comptoir terminal-sim serve`, tests/e2e/terminal_sims.py;
both terminals and a till without one: test_selfservice_terminal.py).

Screenshots land in test-artifacts/screens/selfservice-*.png.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from appliance.app.services.setup import NewStore
from tests.e2e.conftest import LiveApp
from tests.e2e.seed import ADMIN, BREAD, COFFEE, catalogue
from tests.e2e.terminal_sims import Sim, simulator

pytestmark = pytest.mark.slow

SUPERVISOR = ("sam", "approve2024pass")  # lower case and digits: typed on the on-screen keyboard
# ADMIN: store settings and the audit log are the admin's.
WINE = "3761042500213"  # 14.00, age-restricted
CATALOG = catalogue(
    f"COF-1KG,Coffee beans 1 kg,18.99,standard,{COFFEE},40,Grocery,no",
    f"BRD-LOAF,Bread loaf,3.50,exempt,{BREAD},12,Bakery,no",
    f"WIN-RED,Red wine 750 ml,14.00,standard,{WINE},12,Wine,yes",
    "CRO-1,Croissant,1.85,exempt,,50,Bakery,no",
    "BAG-1,Baguette,2.95,exempt,,50,Bakery,no",
    "APL-1,Apple (each),0.60,exempt,,200,Fruit,no",
    columns="sku,name,price,tax_class,barcodes,stock,category,age_restricted",
)


@pytest.fixture(scope="module")
def terminal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    with simulator("caisse-ap", tmp_path_factory.mktemp("caisse-ap")) as sim:
        yield sim


@pytest.fixture(scope="module")
def kiosk(shop: Callable[..., LiveApp], terminal: Sim) -> str:
    """A self-service till of a store as shipped: cash needs an open shift, and it speaks
    the store's language (fr-CA). Cards are taken on its payment terminal."""
    store = NewStore(store_name="Marché Libre")
    staff = {SUPERVISOR: "supervisor", ADMIN: "admin"}
    config = {"mode": "self_service", "terminal_url": terminal.url}
    app = shop(CATALOG, staff, new=store, config=config, cash_needs_shift=True, locale=None)
    return app.url


def staff_api(url: str, method: str, path: str, body: Any = None, who: tuple[str, str] = ADMIN) -> Any:
    """The API as a staff member with a bearer token (no browser, no CSRF)."""

    def send(method: str, path: str, body: Any, token: str | None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url + "/api/v1" + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", "Bearer " + token)
        with urllib.request.urlopen(req, timeout=10) as answer:
            return json.loads(answer.read())

    token = send("POST", "/auth/login", {"username": who[0], "password": who[1]}, None)["token"]
    return send(method, path, body, token)


def open_kiosk(page: Any, url: str) -> None:
    page.goto(url + "/selfservice")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def scan(page: Any, code: str) -> None:
    """A keyboard-wedge scanner: digits typed fast then Enter, into whatever has the focus."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def osk(page: Any, text: str) -> None:
    board = page.locator("#osk")
    for ch in text:
        board.get_by_role("button", name=ch, exact=True).click()


def test_card_sale_declined_then_approved(kiosk: str, terminal: Sim, page: Any, screenshot: Any) -> None:
    terminal.tell("decline", "approve")
    open_kiosk(page, kiosk)
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    expect(page.locator("#scan-input")).to_be_focused()
    screenshot(page, "selfservice-attract")

    scan(page, COFFEE)  # the first scan starts the sale from the attract screen
    expect(page.locator("#lines-body tr")).to_have_count(1)
    page.get_by_role("button", name="Items without barcode").click()
    menu = page.locator("#menu-dialog")
    expect(menu.get_by_role("heading", name="Bakery")).to_be_visible()
    screenshot(page, "selfservice-menu")
    menu.get_by_role("button", name="Croissant").click()
    expect(page.locator("#lines-body tr")).to_have_count(2)
    expect(page.locator("#scan-input")).to_be_focused()
    # 18.99 + 5 % + 9.975 % = 21.83, plus the croissant (exempt) 1.85
    expect(page.locator("#t-due")).to_have_text("23.68\u00a0CAD")
    screenshot(page, "selfservice-sale")

    page.get_by_role("button", name="Pay by card").click()  # the card is tapped on the terminal
    expect(page.locator("#pay-error")).to_have_text("Your card was declined.", timeout=20_000)
    screenshot(page, "selfservice-declined")

    page.get_by_role("button", name="Try again").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible(timeout=20_000)
    receipt = page.locator("#receipt-text")
    expect(receipt).to_contain_text("23,68 $")  # the receipt speaks the store's locale, fr-CA
    paid = [r for r in terminal.records() if r["state"] == "approved"]
    expect(receipt).to_contain_text(paid[-1]["last_four"])
    screenshot(page, "selfservice-receipt")

    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()


def test_restricted_item_needs_an_attendant(kiosk: str, page: Any, screenshot: Any) -> None:
    open_kiosk(page, kiosk)
    scan(page, WINE)
    expect(page.locator("#restricted-box")).to_be_visible()
    expect(page.locator(".ss-tag-wait")).to_have_text("Age check")

    page.get_by_role("button", name="Pay by card").click()  # not yet: the approval opens instead
    dialog = page.locator("#approve-dialog")
    expect(dialog.get_by_role("heading", name="Attendant approval")).to_be_visible()
    expect(page.locator("#approve-username")).to_be_focused()
    osk(page, SUPERVISOR[0])
    dialog.get_by_role("button", name="Next").click()
    osk(page, "wrong1")
    dialog.get_by_role("button", name="Approve").click()
    expect(page.locator("#approve-error")).to_be_visible()
    expect(page.locator("#approve-password")).to_have_value("")
    osk(page, SUPERVISOR[1])
    screenshot(page, "selfservice-approval")
    dialog.get_by_role("button", name="Approve").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#restricted-box")).to_be_hidden()
    expect(page.locator(".ss-tag-wait")).to_have_count(0)

    page.get_by_role("button", name="Pay by card").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible(timeout=20_000)
    expect(page.locator("#receipt-text")).to_contain_text("Red wine")


def test_idle_warning_then_the_sale_is_cancelled(kiosk: str, page: Any, screenshot: Any) -> None:
    staff_api(kiosk, "PUT", "/selfservice/config", {"idle_seconds": 2, "countdown_seconds": 3})
    try:
        open_kiosk(page, kiosk)
        scan(page, BREAD)
        expect(page.locator("#lines-body tr")).to_have_count(1)
        idle = page.locator("#idle-dialog")
        expect(idle.get_by_role("heading", name="Are you still there?")).to_be_visible(timeout=5000)
        screenshot(page, "selfservice-idle")
        idle.get_by_role("button", name="I'm still here").click()  # a touch keeps the sale
        expect(idle).to_be_hidden()
        expect(page.locator("#lines-body tr")).to_have_count(1)
        expect(idle).to_be_visible(timeout=5000)
        expect(page.get_by_role("heading", name="Welcome")).to_be_visible(timeout=6000)
        expect(page.locator("#lines-body tr")).to_have_count(0)
    finally:
        staff_api(kiosk, "PUT", "/selfservice/config", {"idle_seconds": 45, "countdown_seconds": 20})
    entries = staff_api(kiosk, "GET", "/audit?after=0")["entries"]
    assert any(e["action"] == "sale_cancel" and e["actor"].startswith("kiosk-") for e in entries)


def test_language_switch_and_calling_an_attendant(kiosk: str, page: Any, screenshot: Any) -> None:
    open_kiosk(page, kiosk)
    page.get_by_role("button", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Bienvenue")).to_be_visible()
    expect(page.get_by_role("button", name="Français")).to_have_attribute("aria-pressed", "true")
    scan(page, BREAD)
    expect(page.get_by_role("button", name="Payer par carte")).to_be_visible()
    expect(page.locator("#t-due")).to_have_text("3,50\u00a0CAD")
    screenshot(page, "selfservice-sale-fr")

    page.get_by_role("button", name="Українська").click()
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("heading", name="Ваші товари")).to_be_visible()
    expect(page.get_by_role("button", name="Оплатити карткою")).to_be_visible()
    page.get_by_role("button", name="Покликати працівника").click()
    expect(page.get_by_role("heading", name="Працівник уже йде.")).to_be_visible()
    screenshot(page, "selfservice-attendant-uk")
    calls = staff_api(kiosk, "GET", "/selfservice/attendant", who=SUPERVISOR)["calls"]
    assert calls and calls[0]["reason"] == "help"
    page.get_by_role("button", name="Гаразд").click()

    page.get_by_role("button", name="Скасувати й почати знову").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the next customer starts in English
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    expect(page.locator("#scan-input")).to_be_focused()


def test_a_staffed_till_says_what_to_set_for_self_service(live_app: LiveApp, page: Any, screenshot: Any) -> None:
    page.goto(live_app.url + "/selfservice")
    message = page.locator("#attract-error")
    expect(message).to_be_visible()
    expect(message).to_contain_text('mode = "self_service"')
    expect(message).not_to_contain_text("Something went wrong")
    screenshot(page, "selfservice-on-a-staffed-till")


def test_the_words_come_from_the_shops_catalogue_and_their_absence_shows_no_key(kiosk: str, page: Any) -> None:
    # The French on screen is the catalogue's, fetched from the one source the receipts read.
    served = json.loads(urllib.request.urlopen(kiosk + "/words/fr.json", timeout=5).read())["selfservice"]
    open_kiosk(page, kiosk)
    page.get_by_role("button", name="Français").click()
    expect(page.get_by_role("heading", name=served["welcome"])).to_be_visible()
    expect(page.get_by_role("button", name=served["call_attendant"])).to_be_visible()

    # Without the catalogue the screen does not open to customers, keeps the English of its
    # page and says why in words, never a raw key; it opens once the words can be had.
    blocked = {"on": True}

    def words(route: Any) -> None:
        if blocked["on"]:
            route.abort()
        else:
            route.continue_()

    page.route("**/words/*.json", words)
    page.goto(kiosk + "/selfservice")
    message = page.locator("#attract-error")
    expect(message).to_have_text("The till is not answering. Please wait.")
    expect(page.get_by_role("heading", name="Welcome")).to_be_visible()
    assert page.locator("body").get_attribute("data-ready") is None
    blocked["on"] = False
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=10_000)
    page.get_by_role("button", name="Українська").click()
    expect(page.get_by_role("heading", name="Ласкаво просимо")).to_be_visible()
