"""Products that can be fixed, in a real browser: a wrong price changed on the manager screen
(by keyboard) is the price the till sells at next; a product withdrawn on screen is refused at
the till, and put back; the API's reasons show by the field they are about; axe finds nothing
on the new states.

Screenshots land in test-artifacts/screens/ (names start with `products-` and `a11y-products-`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import Axe
from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in, log_in_at_till, pay_exact_cash, scan, staff_api
from tests.e2e.seed import BREAD, CASHIER, COFFEE, MANAGER, TEA, catalogue

pytestmark = pytest.mark.slow

CATALOG = catalogue(
    f"BRD,Bread loaf,35.00,exempt,{BREAD},20,bakery",
    f"COF,Coffee beans 1 kg,18.99,standard,{COFFEE},40,coffee",
    f"TEA,Green tea,4.25,exempt,{TEA},10,",
    columns="sku,name,price,tax_class,barcodes,stock,category",
)


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    return shop(CATALOG, {CASHIER: "cashier", MANAGER: "manager"})


def open_products(page: Any, app: LiveApp) -> None:
    log_in(page, app.url + "/backoffice#products", MANAGER)
    page.get_by_role("heading", name="Products", exact=True).wait_for()
    expect(page.locator("#product-body")).to_contain_text("Bread loaf")


def test_a_wrong_price_fixed_on_screen_is_the_price_the_till_sells_at(app: LiveApp, page: Any, screenshot: Any) -> None:
    open_products(page, app)
    row = page.locator("#product-body tr").filter(has_text="BRD")
    expect(row).to_contain_text("35.00")
    expect(row).to_contain_text("bakery")

    # By keyboard: the product's name is a button; the form opens with the focus in it.
    page.get_by_role("button", name="Change Bread loaf").focus()
    page.keyboard.press("Enter")
    form = page.get_by_role("form", name="Change BRD — Bread loaf")
    expect(form.get_by_label("Name")).to_be_focused()
    price = form.get_by_label("Price (CAD, before tax)")
    expect(price).to_have_value("35.00")
    expect(form.get_by_label("Category")).to_have_value("bakery")

    # A price the shop would not write is refused on the screen, by the field.
    price.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("3.5x")
    page.keyboard.press("Enter")
    # The shop's amount reader says why, in its words (tests/js/money.test.mjs holds them).
    expect(page.locator("#edit-error")).to_contain_text("The price")
    expect(page.locator("#edit-error")).to_contain_text("“3.5x”")
    expect(price).to_have_attribute("aria-invalid", "true")
    expect(price).to_be_focused()

    # A barcode of another product: the API names it, the screen marks the field.
    form.get_by_label("Barcodes").fill(f"{BREAD} {COFFEE}")
    price.fill("3.50")
    form.get_by_role("button", name="Save changes").click()
    expect(page.locator("#edit-error")).to_contain_text(f"Barcode {COFFEE} already belongs to COF (Coffee beans 1 kg)")
    expect(form.get_by_label("Barcodes")).to_have_attribute("aria-invalid", "true")
    screenshot(page, "products-barcode-taken")

    form.get_by_label("Barcodes").fill(BREAD)
    price.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#edit-done")).to_contain_text("Saved BRD — Bread loaf at 3.50 CAD")
    expect(page.locator("#edit-error")).to_be_hidden()
    expect(row).to_contain_text("3.50")
    screenshot(page, "products-price-fixed")
    with staff_api(app.url, MANAGER) as api:
        changed = api.get("/products/BRD").json()
        assert (changed["price"], changed["barcodes"], changed["category"]) == (350, [BREAD], "bakery")

    # Closing the form gives the focus back to the product's button.
    form.get_by_role("button", name="Close").click()
    expect(page.get_by_role("button", name="Change Bread loaf")).to_be_focused()

    # The till sells it at the new price.
    page.get_by_role("button", name="Log out").click()
    log_in_at_till(page, app.url + "/", CASHIER)
    scan(page, BREAD)
    expect(page.locator("#lines-body tr")).to_have_count(1)
    expect(page.locator("#t-total")).to_have_text("3.50")
    pay_exact_cash(page)
    receipt = page.locator("#receipt-text")
    expect(receipt).to_contain_text("$3.50")  # the receipt speaks the store's en-CA
    expect(receipt).not_to_contain_text("$35.00")
    screenshot(page, "products-sold-at-new-price")


def test_a_product_withdrawn_on_screen_is_refused_at_the_till_until_put_back(
    app: LiveApp, page: Any, browser: Any
) -> None:
    open_products(page, app)
    page.get_by_role("button", name="Change Green tea").click()
    form = page.get_by_role("form", name="Change TEA — Green tea")
    expect(form).to_contain_text("On sale.")
    # A category made on the screen is offered at once.
    page.get_by_label("New category").fill("drinks")
    page.get_by_role("button", name="Add category").click()
    expect(page.locator("#category-done")).to_contain_text("Category “drinks” added")
    form.get_by_label("Category").select_option("drinks")
    form.get_by_role("button", name="Save changes").click()
    expect(page.locator("#edit-done")).to_contain_text("Saved TEA")

    form.get_by_role("button", name="Withdraw from sale").click()
    expect(page.locator("#edit-done")).to_contain_text("Green tea is withdrawn")
    expect(form.get_by_role("button", name="Put back on sale")).to_be_focused()
    expect(page.locator("#product-body")).not_to_contain_text("Green tea")  # on sale only
    page.get_by_label("Withdrawn too").check()
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#product-body tr").filter(has_text="TEA")).to_contain_text("Withdrawn")

    till_context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-CA")
    try:
        till = till_context.new_page()
        log_in_at_till(till, app.url + "/", CASHIER)
        scan(till, TEA)
        expect(till.locator("#sale-error")).to_contain_text("Product withdrawn: Green tea (TEA) is no longer sold")
        expect(till.locator("#lines-body tr")).to_have_count(0)

        form.get_by_role("button", name="Put back on sale").click()
        expect(page.locator("#edit-done")).to_contain_text("Green tea is back on sale")
        till.locator("#scan-input").focus()
        scan(till, TEA)
        expect(till.locator("#lines-body tr")).to_have_count(1)
        expect(till.locator("#t-total")).to_have_text("4.25")
    finally:
        till_context.close()
    with staff_api(app.url, MANAGER) as api:
        tea = api.get("/products/TEA").json()
        assert (tea["active"], tea["category"]) == (True, "drinks")


def test_the_product_states_have_no_violations(app: LiveApp, axe_page: Any) -> None:
    page, axe = axe_page, Axe()
    open_products(page, app)
    page.get_by_label("Withdrawn too").check()
    page.get_by_role("button", name="Search").click()
    axe.check(page, "products-list")
    page.get_by_role("button", name="Change Coffee beans 1 kg").click()
    form = page.get_by_role("form", name="Change COF — Coffee beans 1 kg")
    expect(form.get_by_label("Name")).to_be_focused()
    axe.check(page, "products-edit")
    form.get_by_label("Cost (CAD, each)").fill("-1")
    form.get_by_role("button", name="Save changes").click()
    expect(page.locator("#edit-error")).to_be_visible()
    axe.check(page, "products-edit-error")
    form.get_by_label("Cost (CAD, each)").fill("9.10")
    form.get_by_role("button", name="Withdraw from sale").click()
    expect(form.get_by_role("button", name="Put back on sale")).to_be_visible()
    axe.check(page, "products-withdrawn")
    form.get_by_role("button", name="Put back on sale").click()
    expect(form.get_by_role("button", name="Withdraw from sale")).to_be_visible()
    page.get_by_role("button", name="Add category").click()
    expect(page.locator("#category-error")).to_be_visible()
    axe.check(page, "products-category-error")
    axe.assert_clean()
