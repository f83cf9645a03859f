"""The till in the store's language and in the cashier's own: a Montréal bakery (CAD, fr-CA)
whose till speaks French, writes its amounts the fr-CA way and prints in French; a cashier
who switches to English, then Ukrainian, in the middle of a sale without losing it, and finds
their language again at the next login; axe clean in French and in Ukrainian; the customer
display in the store's French whatever the cashier reads. Debian's
Chromium, headless, against the real app on loopback.

Screenshots land in test-artifacts/screens/ (names start with `till-words-`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import Axe
from tests.e2e.conftest import VIEWPORT, LiveApp
from tests.e2e.screens import leave_the_till_empty, log_in_at_till, scan, staff_api
from tests.e2e.seed import catalogue

pytestmark = pytest.mark.slow

PASSWORD = "Till-pass-2024"
CROISSANTS = "4006381333931"  # 6.51, exempt: cash rounds it to 6.50
CATALOG = catalogue(f"CRO-6,Six croissants,6.51,exempt,{CROISSANTS},50")
CASHIERS = ("lea", "olena", "axel", "yulia")


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    return shop(CATALOG, {(name, PASSWORD): "cashier" for name in CASHIERS}, locale="fr-CA")


def test_a_quebec_till_speaks_french_and_writes_amounts_the_fr_ca_way(app: LiveApp, page: Any, screenshot: Any) -> None:
    log_in_at_till(page, app.url, ("lea", PASSWORD))
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_label("Code-barres, UGS, PLU ou nom")).to_be_focused()
    expect(page.get_by_role("button", name="FR", exact=True)).to_have_attribute("aria-pressed", "true")
    scan(page, CROISSANTS)
    expect(page.locator("#t-total")).to_have_text("6,51")
    expect(page.locator("#sale-status")).to_have_text("Six croissants, quantité 1. Total 6,51.")

    page.keyboard.press("F2")
    cash = page.get_by_role("dialog", name="Comptant")
    expect(cash.locator("#pay-due")).to_have_text("6,51 CAD (comptant 6,50)")
    expect(cash.locator("#quick-cash button").first).to_have_text("Exact 6,50 CAD")
    cash.get_by_label("Montant reçu").fill("20,00")
    cash.get_by_role("button", name="Encaisser").click()

    expect(page.locator("#change-amount")).to_have_text("13,50")
    expect(page.locator("#change-note")).to_have_text("Montant reçu 20,00 · Total 6,51 · Arrondi -0,01")
    expect(page.locator("#sale-status")).to_have_text("Vente conclue. Monnaie 13,50 CAD.")
    receipt = page.locator("#receipt-text")
    expect(receipt).to_contain_text("Arrondi")  # the paper speaks the store's fr-CA too
    text = receipt.inner_text()
    assert "13,50 $" in text and "-0,01 $" in text, text
    expect(page.get_by_role("button", name="Nouvelle vente F9")).to_be_visible()
    screenshot(page, "till-words-01-french-change")


def test_a_cashier_switches_language_mid_sale_and_keeps_it_at_the_next_login(
    app: LiveApp, page: Any, browser: Any, screenshot: Any
) -> None:
    log_in_at_till(page, app.url, ("olena", PASSWORD))
    scan(page, CROISSANTS)
    expect(page.locator("#t-total")).to_have_text("6,51")
    sale = page.evaluate("() => sessionStorage.getItem('comptoir.sale')")
    assert sale

    english = page.get_by_role("button", name="EN", exact=True)
    english.focus()  # the menu is reached by the keyboard like any button
    page.keyboard.press("Enter")
    expect(english).to_have_attribute("aria-pressed", "true")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Pay cash F2")).to_be_enabled()
    expect(page.locator("#t-total")).to_have_text("6.51")  # English here writes en-CA amounts
    expect(page.locator("#lines-body")).to_contain_text("Six croissants")

    page.get_by_role("button", name="УКР", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("button", name="Готівка F2")).to_be_enabled()
    expect(page.get_by_role("button", name="УКР", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#lines-body")).to_contain_text("Six croissants")
    expect(page.locator("#t-total")).to_have_text("6,51")
    assert page.evaluate("() => sessionStorage.getItem('comptoir.sale')") == sale, "the same sale"
    scan(page, CROISSANTS)  # the sale goes on, in Ukrainian
    expect(page.locator("#sale-status")).to_have_text("Six croissants, кількість 2. Разом 13,02.")
    screenshot(page, "till-words-02-ukrainian-mid-sale")

    with staff_api(app.url, ("olena", PASSWORD)) as api:
        assert api.get("/auth/me").json()["language"] == "uk"

    # Another day, another browser: the login screen is the store's, the till is hers.
    context = browser.new_context(viewport=VIEWPORT, locale="en-CA")
    try:
        again = context.new_page()
        log_in_at_till(again, app.url, ("olena", PASSWORD))
        expect(again.locator("html")).to_have_attribute("lang", "uk")
        expect(again.get_by_role("button", name="Готівка F2")).to_be_visible()
        expect(again.locator("#lines-body")).to_contain_text("Six croissants")  # the open sale came back
    finally:
        context.close()
    leave_the_till_empty(app.url, ("olena", PASSWORD))


def test_the_french_and_the_ukrainian_till_are_clean_under_axe(app: LiveApp, axe_page: Any) -> None:
    page = axe_page
    axe = Axe()
    log_in_at_till(page, app.url, ("axel", PASSWORD))
    scan(page, CROISSANTS)
    expect(page.locator("#t-total")).to_have_text("6,51")
    axe.check(page, "till-words-fr-sale")
    page.keyboard.press("F2")
    expect(page.get_by_role("dialog", name="Comptant")).to_be_visible()
    axe.check(page, "till-words-fr-pay")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="УКР", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    axe.check(page, "till-words-uk-sale")
    page.keyboard.press("F2")
    expect(page.get_by_role("dialog", name="Готівка")).to_be_visible()
    axe.check(page, "till-words-uk-pay")
    axe.assert_clean()
    page.keyboard.press("Escape")
    leave_the_till_empty(app.url, ("axel", PASSWORD))


def test_the_customer_display_speaks_the_stores_language_not_the_cashiers(
    app: LiveApp, page: Any, browser: Any, screenshot: Any
) -> None:
    log_in_at_till(page, app.url, ("yulia", PASSWORD))
    page.get_by_role("button", name="УКР", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    page.get_by_role("button", name="Під'єднати дисплей").click()
    dialog = page.get_by_role("dialog", name="Дисплей покупця")
    expect(dialog.locator("#display-code")).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    code = dialog.locator("#display-code").inner_text().replace(" ", "")

    context = browser.new_context(viewport=VIEWPORT, locale="en-CA")
    try:
        display = context.new_page()
        display.goto(f"{app.url}/display?code={code}")
        expect(display.locator("html")).to_have_attribute("lang", "fr")
        expect(display.locator("#welcome")).to_contain_text("Bienvenue")
        expect(dialog.locator("#display-done")).to_have_text("Дисплей покупця під'єднано.")
        dialog.get_by_role("button", name="Назад").click()
        scan(page, CROISSANTS)
        expect(display.locator("#lines li")).to_contain_text("Six croissants")
        expect(display.locator("#sale")).to_contain_text("Total")
        expect(display.get_by_role("list", name="Vos articles")).to_be_visible()
        screenshot(display, "till-words-03-display-in-french")
    finally:
        context.close()
    leave_the_till_empty(app.url, ("yulia", PASSWORD))
