"""Cash at a Montréal bakery's till (CAD, fr-CA, cash rounded to 0.05): amounts typed with a
comma or a dot mean the same, the change is what a drawer without cents can give, a typing
slip far beyond the sale is questioned before it is taken, and the quick-cash buttons follow
what is still due. The store is as shipped (a CAD store speaks fr-CA), so the till speaks
French; messages the API sends stay in its English. Debian's Chromium, headless, against the
real app on loopback.

Screenshots land in test-artifacts/screens/ (names start with `till-cash-`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in_at_till, scan, staff_api
from tests.e2e.seed import CASHIER, SUPERVISOR, catalogue

pytestmark = pytest.mark.slow

CROISSANTS = "4006381333931"  # 6.51, exempt: the sale
CAKE = "5901234123457"  # 9.15, exempt
CATALOG = catalogue(f"CRO-6,Six croissants,6.51,exempt,{CROISSANTS},50", f"GAT-1,Gâteau,9.15,exempt,{CAKE},50")


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    # The store's locale as shipped: fr-CA.
    return shop(CATALOG, {CASHIER: "cashier", SUPERVISOR: "supervisor"}, locale=None)


def pay_dialog(page: Any) -> Any:
    expect(page.locator("#pay-button")).to_be_enabled()  # the scan is on the sale
    page.keyboard.press("F2")
    dialog = page.get_by_role("dialog", name="Comptant")
    expect(dialog).to_be_visible()
    return dialog


def next_sale(page: Any) -> None:
    # The till is busy until the receipt is on screen; keys pressed before then wait.
    expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")
    page.keyboard.press("F9")
    expect(page.locator("#lines-empty")).to_be_visible()


def test_the_store_reads_fr_ca_and_rounds_cash_to_five_cents(app: LiveApp) -> None:
    with staff_api(app.url, CASHIER) as till:
        rules = till.get("/settings/rules").json()
        assert rules["cash_rounding"] == "0.05" and rules["locale"] == "fr-CA"
        settings = till.get("/settings").json()
        assert settings["locale"] == "fr-CA" and settings["cash_increment"] == 5


@pytest.mark.parametrize("typed", ["20,00", "20.00"])
def test_cash_typed_either_way_on_a_6_51_sale_gives_13_50_back_and_a_rounding_line(
    app: LiveApp, page: Any, screenshot: Any, typed: str
) -> None:
    log_in_at_till(page, app.url, CASHIER)
    scan(page, CROISSANTS)
    expect(page.locator("#t-total")).to_have_text("6,51")
    cash = pay_dialog(page)
    expect(cash.locator("#pay-due")).to_have_text("6,51 CAD (comptant 6,50)")
    exact = cash.locator("#quick-cash button").first
    expect(exact).to_contain_text("6,50")
    cash.get_by_label("Montant reçu").fill(typed)
    cash.get_by_role("button", name="Encaisser").click()

    expect(page.locator("#change-box")).to_be_visible()
    expect(page.locator("#change-amount")).to_have_text("13,50")
    expect(page.locator("#change-note")).to_have_text("Montant reçu 20,00 · Total 6,51 · Arrondi -0,01")
    receipt = page.locator("#receipt-text")
    expect(receipt).to_contain_text("Arrondi")  # the receipt speaks the store's fr-CA
    text = receipt.inner_text()
    assert "-0,01 $" in text and "6,50 $" in text and "13,50 $" in text
    if typed == "20,00":
        screenshot(page, "till-cash-01-rounded-change")
    next_sale(page)


def test_cash_far_beyond_the_sale_is_questioned_before_it_is_taken(app: LiveApp, page: Any, screenshot: Any) -> None:
    log_in_at_till(page, app.url, CASHIER)
    scan(page, CROISSANTS)
    cash = pay_dialog(page)
    field = cash.get_by_label("Montant reçu")
    field.fill("2000")  # 20,00 without its comma
    cash.get_by_role("button", name="Encaisser").click()
    alert = cash.get_by_role("alert")
    expect(alert).to_contain_text("est-ce exact?")
    expect(alert).to_contain_text("2 000,00 CAD")
    screenshot(page, "till-cash-02-are-you-sure")
    expect(page.locator("#change-box")).to_be_hidden()  # nothing was taken

    # An ambiguous amount is refused with a reason, never read as another amount.
    field.fill("1,234")
    cash.get_by_role("button", name="Encaisser").click()
    expect(alert).to_contain_text("est ambigu ici")
    expect(page.locator("#change-box")).to_be_hidden()

    field.fill("10,00")
    cash.get_by_role("button", name="Encaisser").click()
    expect(page.locator("#change-amount")).to_have_text("3,50")
    next_sale(page)

    # A real 1 000,00 note bundle, confirmed by pressing again, is taken.
    scan(page, CROISSANTS)
    cash = pay_dialog(page)
    cash.get_by_label("Montant reçu").fill("1 000,00")
    cash.get_by_role("button", name="Encaisser").click()
    expect(cash.get_by_role("alert")).to_contain_text("est-ce exact?")
    cash.get_by_role("button", name="Encaisser").click()
    expect(page.locator("#change-amount")).to_have_text("993,50")
    next_sale(page)


def test_quick_cash_follows_what_is_still_due_after_a_partial_payment(app: LiveApp, page: Any, screenshot: Any) -> None:
    log_in_at_till(page, app.url, CASHIER)
    scan(page, CAKE)
    cash = pay_dialog(page)
    quick = cash.locator("#quick-cash button")
    expect(quick.first).to_contain_text("9,15")
    cash.get_by_label("Montant reçu").fill("5")
    cash.get_by_role("button", name="Encaisser").click()
    expect(cash.get_by_role("alert")).to_contain_text("reste 4,15 CAD à payer")
    expect(cash.locator("#pay-due")).to_have_text("4,15 CAD")
    expect(quick.first).to_contain_text("Exact")
    expect(quick.first).to_contain_text("4,15")
    expect(cash.get_by_role("button", name="5,00 CAD", exact=True)).to_be_visible()
    screenshot(page, "till-cash-03-quick-after-partial")
    quick.first.click()
    expect(page.locator("#change-amount")).to_have_text("0,00")
    expect(page.locator("#change-note")).to_have_text("Montant reçu 9,15 · Total 9,15")
    next_sale(page)


def test_a_cash_refund_says_what_leaves_the_drawer(app: LiveApp, page: Any, screenshot: Any) -> None:
    log_in_at_till(page, app.url, SUPERVISOR)
    scan(page, CROISSANTS)
    cash = pay_dialog(page)
    cash.locator("#quick-cash button").first.click()  # Exact: 6,50
    expect(page.locator("#change-amount")).to_have_text("0,00")
    receipt = page.locator("#receipt-number").inner_text()
    next_sale(page)
    scan(page, receipt)  # the receipt's barcode opens the return
    dialog = page.get_by_role("dialog", name="Retour d'articles")
    expect(dialog.locator("#refund-sale")).to_contain_text(f"Reçu {receipt}")
    dialog.get_by_label("Quantité de Six croissants à retourner").fill("1")
    dialog.get_by_label("Raison").fill("Burnt")
    dialog.get_by_role("button", name="Rembourser").click()
    expect(dialog.get_by_role("status")).to_have_text("Remboursé 6,51 CAD : 6,50 en argent comptant (6,51 arrondi).")
    screenshot(page, "till-cash-04-refund-rounded")
