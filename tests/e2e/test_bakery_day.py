"""A bakery's day, in French and in English, through the screens a shop uses: the manager
fixes a price typed wrong (with a comma) in the back office, in the store's language; the
cashier logs in with a PIN and opens the drawer with a counted float, sells an unlabelled
croissant from the item buttons and a barcoded baguette, reloads the page mid-sale and finds
it whole, takes 20,00 cash on 6,51 and gives 13,50 back with a rounding line, returns the
baguette with a supervisor's PIN, and closes the shift on a count that matches to the cent.
Debian's Chromium, headless, against the real app on loopback, a store as a Québec shop
would run it (cash needs an open shift).

Screenshots land in test-artifacts/screens/ (names start with `bakery-fr-` and `bakery-en-`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import VIEWPORT, LiveApp
from tests.e2e.screens import leave_the_till_empty, log_in, log_in_at_till, scan, staff_api
from tests.e2e.seed import CASHIER, MANAGER, SUPERVISOR, catalogue

pytestmark = pytest.mark.slow

CASHIER_PIN, SUPERVISOR_PIN = "2580", "4826"
BAGUETTE = "4006381333931"
# The croissant was keyed in at 27.50 instead of 2,75; it has no barcode of its own.
CATALOG = catalogue(
    "CRO,Croissant,27.50,exempt,,40,Bakery",
    f"BAG,Baguette,3.76,exempt,{BAGUETTE},40,Bakery",
    columns="sku,name,price,tax_class,barcodes,stock,category",
)
STAFF = {MANAGER: "manager", CASHIER: "cashier", SUPERVISOR: "supervisor"}


@dataclass(frozen=True)
class Shop_:
    """What the day looks like in one language: the store's locale and the till's words."""

    lang: str
    locale: str
    cash: str  # the cash typed by the cashier
    change_note: str
    total: str
    change: str
    drawer: str  # what the drawer holds at closing: float + cash sale − cash refund


FRENCH = Shop_("fr", "fr-CA", "20,00", "Montant reçu 20,00 · Total 6,51 · Arrondi -0,01", "6,51", "13,50", "42,75")
ENGLISH = Shop_("en", "en-CA", "20.00", "Cash received 20.00 · Total 6.51 · Rounding -0.01", "6.51", "13.50", "42.75")


# The back office speaks the store's language to a manager who has not chosen another.
OFFICE = {
    "fr": {
        "change": "Modifier Croissant",
        "form": "Modifier CRO — Croissant",
        "price": "Prix (CAD, avant taxes)",
        "save": "Enregistrer les modifications",
        "saved": "CRO — Croissant enregistré",
    },
    "en": {
        "change": "Change Croissant",
        "form": "Change CRO — Croissant",
        "price": "Price (CAD, before tax)",
        "save": "Save changes",
        "saved": "Saved CRO — Croissant",
    },
}


@pytest.fixture(scope="module", params=[FRENCH, ENGLISH], ids=lambda s: s.lang)
def day(request: pytest.FixtureRequest, shop: Callable[..., LiveApp]) -> Iterator[tuple[Shop_, LiveApp]]:
    language: Shop_ = request.param
    pins = {CASHIER: CASHIER_PIN, SUPERVISOR: SUPERVISOR_PIN}
    app = shop(CATALOG, STAFF, pins=pins, cash_needs_shift=True, locale=language.locale)
    with staff_api(app.url, MANAGER) as api:
        arranged = api.put("/item-grid", json={"tabs": [{"category": "Bakery", "products": ["CRO", "BAG"]}]})
        assert arranged.status_code == 200, arranged.text
    yield language, app
    leave_the_till_empty(app.url, SUPERVISOR)


def test_a_bakery_day(day: tuple[Shop_, LiveApp], page: Any, browser: Any, screenshot: Any) -> None:
    shop, app = day
    shot = f"bakery-{shop.lang}"

    # Before opening: the manager fixes the croissant's price, typed the shop's way.
    office = browser.new_context(viewport=VIEWPORT, locale="en-CA")
    try:
        desk = office.new_page()
        log_in(desk, app.url + "/backoffice#products", MANAGER)
        words = OFFICE[shop.lang]
        desk.get_by_role("button", name=words["change"]).click()
        form = desk.get_by_role("form", name=words["form"])
        form.get_by_label(words["price"]).fill("2,75")
        form.get_by_role("button", name=words["save"]).click()
        expect(desk.locator("#edit-done")).to_contain_text(words["saved"])
        screenshot(desk, f"{shot}-01-price-fixed")
    finally:
        office.close()
    with staff_api(app.url, MANAGER) as api:
        assert api.get("/products/CRO").json()["price"] == 275

    # The cashier logs in with a PIN; the till speaks the store's language.
    log_in_at_till(page, app.url, (CASHIER[0], CASHIER_PIN))
    expect(page.locator("html")).to_have_attribute("lang", shop.lang)
    screenshot(page, f"{shot}-02-logged-in-by-pin")

    # Cash needs an open shift: a float of two twenties.
    page.keyboard.press("Alt+s")
    page.locator("#count-2000").fill("2")
    page.locator("#count-submit").click()
    expect(page.locator("#shift-done")).to_contain_text("40")
    screenshot(page, f"{shot}-03-shift-open")
    page.keyboard.press("Escape")
    expect(page.locator("#scan-input")).to_be_focused()

    # The unlabelled croissant from the item buttons, the baguette by its barcode.
    page.keyboard.press("Alt+e")
    items = page.locator("#items-dialog")
    items.locator('.item-button[data-sku="CRO"]').click()
    expect(items.locator("#items-done")).to_contain_text("Croissant")
    screenshot(page, f"{shot}-04-item-buttons")
    page.keyboard.press("Escape")
    expect(page.locator("#scan-input")).to_be_focused()
    scan(page, BAGUETTE)
    expect(page.locator("#t-total")).to_have_text(shop.total)

    # A reload in the middle of the sale: the till shows it again, whole.
    page.reload()
    expect(page.locator("#scan-input")).to_be_focused()
    expect(page.locator("#lines-body")).to_contain_text("Croissant")
    expect(page.locator("#lines-body")).to_contain_text("Baguette")
    expect(page.locator("#t-total")).to_have_text(shop.total)
    screenshot(page, f"{shot}-05-after-reload")

    # 20 in cash on 6,51: 6,50 at the coin, 13,50 back, and a rounding line.
    page.keyboard.press("F2")
    page.locator("#pay-input").fill(shop.cash)
    page.locator("#pay-submit").click()
    expect(page.locator("#change-amount")).to_have_text(shop.change)
    expect(page.locator("#change-note")).to_have_text(shop.change_note)
    expect(page.locator("#receipt-text")).to_contain_text(shop.change)  # the receipt, in the store's words
    receipt = page.locator("#receipt-number").inner_text()
    screenshot(page, f"{shot}-06-change-and-rounding")
    page.keyboard.press("F9")

    # The baguette comes back; the cashier's role stops at refunds, a supervisor's PIN lifts it.
    page.keyboard.press("Alt+r")
    refund = page.locator("#refund-dialog")
    refund.locator("#refund-receipt").fill(receipt)
    refund.locator("#refund-receipt").press("Enter")
    expect(refund.locator("#refund-sale")).to_contain_text(receipt)
    refund.locator("#refund-qty-1").fill("0")  # the croissant was eaten
    refund.locator("#refund-reason").fill("Stale")
    refund.locator("#refund-submit").click()
    expect(refund.locator("#refund-approval")).to_be_visible()
    refund.locator("#refund-approval-username").fill(SUPERVISOR[0])
    refund.locator("#refund-approval-password").fill(SUPERVISOR_PIN)
    refund.locator("#refund-submit").click()
    expect(refund.locator("#refund-slip")).to_be_visible()
    expect(refund.locator("#refund-slip")).to_contain_text("Baguette")
    expect(refund.locator("#refund-slip")).not_to_contain_text("Croissant")
    screenshot(page, f"{shot}-07-return")
    page.keyboard.press("Escape")

    # Closing: the drawer holds 40,00 + 6,50 − 3,75 (the refund at the coin) = 42,75, counted
    # blind; the count matches, so no manager is asked and the Z report shows no variance.
    page.keyboard.press("Alt+s")
    page.locator("#shift-close").click()
    for denomination, pieces in (("2000", "2"), ("200", "1"), ("25", "3")):
        page.locator(f"#count-{denomination}").fill(pieces)
    page.locator("#count-submit").click()
    expect(page.locator("#report-view")).to_contain_text(shop.drawer)
    expect(page.locator("#count-approval")).to_be_hidden()
    screenshot(page, f"{shot}-08-shift-closed")
    with staff_api(app.url, MANAGER) as api:
        assert api.get("/shifts/current").status_code == 404
        closed = api.get("/shifts/z-reports").json()["rows"]
        assert [(z["counted"], z["expected"], z["variance"]) for z in closed] == [(4275, 4275, 0)], closed
