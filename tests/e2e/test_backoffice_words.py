"""The back office in the store's language and in the manager's own: a Montréal bakery (CAD,
fr-CA) whose back office speaks French (its menu, the products and the new-product form, what
the screen says of a product made there); a manager who switches to Ukrainian, then English,
without leaving the product they are changing, and finds their language again at the next
login; axe clean in French and in Ukrainian. Debian's Chromium, headless, against the
real app on loopback.

Screenshots land in test-artifacts/screens/ (names start with `office-words-`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import Axe
from tests.e2e.conftest import VIEWPORT, LiveApp
from tests.e2e.screens import log_in, staff_api
from tests.e2e.seed import catalogue

pytestmark = pytest.mark.slow

PASSWORD = "Office-pass-2024"
CATALOG = catalogue("CRO-6,Six croissants,6.51,exempt,4006381333931,50")
MANAGERS = ("chloe", "mykola", "ines")


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    return shop(CATALOG, {(name, PASSWORD): "manager" for name in MANAGERS}, locale="fr-CA")


def log_in_at_office(page: Any, url: str, name: str) -> None:
    """A browser that has never been here shows the login in English: it learns the store's
    language at the first login (the next login screen speaks it)."""
    log_in(page, url + "/backoffice", (name, PASSWORD))


def test_a_quebec_back_office_speaks_french(app: LiveApp, page: Any, screenshot: Any) -> None:
    log_in_at_office(page, app.url, "chloe")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="FR", exact=True)).to_have_attribute("aria-pressed", "true")
    menu = page.get_by_role("navigation", name="Arrière-boutique")
    expect(menu.get_by_role("link", name="Fournisseurs")).to_be_visible()
    expect(menu.get_by_text("Ventes et rapports")).to_be_visible()
    menu.get_by_role("link", name="Produits", exact=True).click()
    expect(page.get_by_role("heading", name="Produits", level=1)).to_be_focused()
    expect(page.locator("#product-caption")).to_have_text(re.compile(r"^Produits en vente \(\d+\)$"))
    expect(page.locator("#product-body")).to_contain_text("En vente")
    form = page.get_by_role("form", name="Nouveau produit")
    form.get_by_label("UGS").fill("BAG")
    form.get_by_label("Nom").fill("Baguette")
    form.get_by_label("Prix (CAD, avant taxes)").fill("3,25")
    form.get_by_label("Catégorie de taxe").select_option(label="Exonéré")
    expect(form.get_by_label("Vendu", exact=True)).to_have_value("unit")
    form.get_by_role("button", name="Créer le produit").click()
    expect(page.locator("#product-done")).to_have_text("BAG — Baguette créé à 3.25 CAD.")
    expect(page.locator("#product-caption")).to_have_text("Produits en vente correspondant à « BAG » (1)")
    screenshot(page, "office-words-01-french-products")

    menu.get_by_role("link", name="Rapport des ventes").click()
    page.get_by_role("button", name="Afficher le rapport").click()
    report = page.locator("#sales-out")
    expect(report.get_by_role("heading", level=2)).to_have_text(re.compile(r"^Ventes du \d{4}-\d\d-\d\d$"))
    expect(report).to_contain_text("Ventes nettes (CAD)")
    page.get_by_role("button", name="УКР", exact=True).click()
    expect(report.get_by_role("heading", level=2)).to_have_text(re.compile(r"^Продажі за \d{4}-\d\d-\d\d$"))
    page.get_by_role("button", name="FR", exact=True).click()
    expect(report.get_by_role("heading", level=2)).to_have_text(re.compile(r"^Ventes du "))

    page.get_by_role("button", name="Déconnexion").click()
    expect(page.get_by_role("heading", name="Connexion à l'arrière-boutique")).to_be_visible()
    form = page.locator("#login-form")
    form.get_by_label("Nom d'utilisateur").fill("chloe")
    form.get_by_label("Mot de passe").fill(PASSWORD)
    form.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("navigation", name="Arrière-boutique")).to_be_visible()


def test_a_manager_switches_language_and_keeps_it_at_the_next_login(
    app: LiveApp, page: Any, browser: Any, screenshot: Any
) -> None:
    log_in_at_office(page, app.url, "mykola")
    page.get_by_role("navigation", name="Arrière-boutique").get_by_role("link", name="Produits", exact=True).click()
    expect(page.get_by_role("heading", name="Produits", level=1)).to_be_focused()
    page.get_by_role("button", name="Modifier Six croissants").click()
    expect(page.get_by_role("heading", name="Modifier CRO-6 — Six croissants")).to_be_visible()

    ukrainian = page.get_by_role("button", name="УКР", exact=True)
    ukrainian.focus()  # the menu is reached by the keyboard like any button
    page.keyboard.press("Enter")
    expect(ukrainian).to_have_attribute("aria-pressed", "true")
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("heading", name="Товари", level=1)).to_be_visible()  # the same section
    expect(page.get_by_role("navigation", name="Бек-офіс").get_by_role("link", name="Постачальники")).to_be_visible()
    expect(page.locator("#product-caption")).to_have_text(re.compile(r"^Товари в продажу \(\d+\)$"))  # written again
    expect(page.get_by_role("heading", name="Змінити CRO-6 — Six croissants")).to_be_visible()  # still open
    expect(page.get_by_role("form", name="Новий товар").get_by_label("Артикул")).to_be_visible()
    screenshot(page, "office-words-02-ukrainian-products")
    page.get_by_role("navigation", name="Бек-офіс").get_by_role("link", name="Запаси", exact=True).click()
    expect(page.locator("#stock-caption")).to_have_text("Запаси")
    expect(page.get_by_role("button", name="Правила для CRO-6")).to_be_visible()
    page.get_by_role("navigation", name="Бек-офіс").get_by_role("link", name="Товари", exact=True).click()

    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Products", level=1)).to_be_visible()
    expect(page.locator("#product-caption")).to_have_text(re.compile(r"^Products on sale \(\d+\)$"))
    expect(page.get_by_role("heading", name="Change CRO-6 — Six croissants")).to_be_visible()
    expect(page.get_by_role("navigation", name="Back office").get_by_role("link", name="Suppliers")).to_be_visible()
    page.get_by_role("button", name="УКР", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "uk")

    with staff_api(app.url, ("mykola", PASSWORD)) as api:
        assert api.get("/auth/me").json()["language"] == "uk"

    # Another day, another browser: the login screen is the store's, the back office is his.
    context = browser.new_context(viewport=VIEWPORT, locale="en-CA")
    try:
        again = context.new_page()
        log_in_at_office(again, app.url, "mykola")
        expect(again.locator("html")).to_have_attribute("lang", "uk")
        expect(again.get_by_role("button", name="УКР", exact=True)).to_have_attribute("aria-pressed", "true")
        expect(again.get_by_role("button", name="Вийти")).to_be_visible()
        expect(again.get_by_role("navigation", name="Бек-офіс").get_by_role("link", name="Товари")).to_be_visible()
    finally:
        context.close()


def test_the_french_and_the_ukrainian_back_office_are_clean_under_axe(app: LiveApp, axe_page: Any) -> None:
    page = axe_page
    axe = Axe()
    log_in_at_office(page, app.url, "ines")
    page.get_by_role("navigation", name="Arrière-boutique").get_by_role("link", name="Produits", exact=True).click()
    expect(page.get_by_role("heading", name="Produits", level=1)).to_be_visible()
    axe.check(page, "office-words-fr-products")
    page.get_by_role("button", name="УКР", exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", "uk")
    expect(page.get_by_role("heading", name="Товари", level=1)).to_be_visible()
    axe.check(page, "office-words-uk-products")
    axe.assert_clean()
