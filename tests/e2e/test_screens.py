"""The cashier and manager screens in a real browser (Debian's Chromium, headless, through
Playwright) against the real app served by uvicorn on loopback.

Screenshots land in test-artifacts/screens/.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in as login
from tests.e2e.screens import scan, void_approved_by
from tests.e2e.seed import BREAD, BREAD_LOAF, CASHIER, COFFEE, COFFEE_BEANS, MANAGER, SUPERVISOR, TEA_BAGS, catalogue

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    staff = {CASHIER: "cashier", SUPERVISOR: "supervisor", MANAGER: "manager"}
    return shop(catalogue(COFFEE_BEANS, BREAD_LOAF, TEA_BAGS), staff)


def test_admin_first_login_forces_a_password_change(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url, ("admin", app.admin_password))
    heading = page.get_by_role("heading", name="Choose a new password")
    heading.wait_for()
    screenshot(page, "01-password-change")
    page.get_by_label("Current (one-time) password").fill(app.admin_password)
    page.get_by_label("New password", exact=True).fill("Admin-pass-2024x")
    page.get_by_label("New password again").fill("Admin-pass-2024y")
    page.get_by_role("button", name="Save password").click()
    assert page.get_by_role("alert").filter(has_text="not the same").is_visible()
    page.get_by_label("New password again").fill("Admin-pass-2024x")
    page.get_by_role("button", name="Save password").click()
    page.get_by_role("alert").filter(has_text="must not contain the user name").wait_for()  # the API's words
    page.get_by_label("New password", exact=True).fill("Store-keys-2024x")
    page.get_by_label("New password again").fill("Store-keys-2024x")
    page.get_by_role("button", name="Save password").click()
    page.locator("#scan-input").wait_for()
    # The till focuses the scan field once its start-up look-ups (open and parked sales) answer.
    expect(page.locator("#scan-input")).to_be_focused()
    assert "admin" in page.locator("#user-name").inner_text()

    # The admin reaches the back office from the till, and reads the audit log there.
    page.get_by_role("link", name="Back office").click()
    page.get_by_role("link", name="Audit log").click()
    page.locator("#audit-body tr", has_text="password_change").first.wait_for()
    screenshot(page, "12-manager-audit")
    page.get_by_role("link", name="Till").click()
    page.locator("#scan-input").wait_for()


def test_a_bad_password_is_refused_in_words(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url, (CASHIER[0], "not-the-password-1"))
    alert = page.locator("#login-error")
    alert.wait_for()
    assert alert.get_attribute("role") == "alert"
    assert "wrong user name or password" in alert.inner_text().lower()
    screenshot(page, "02-login-error")


def test_a_cashier_sells_for_cash_and_sees_change_and_receipt(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url, CASHIER)
    page.locator("#scan-input").wait_for()
    # The till focuses the scan field once its start-up look-ups (open and parked sales) answer.
    expect(page.locator("#scan-input")).to_be_focused()

    scan(page, COFFEE)
    page.locator("#lines-body tr").nth(0).wait_for()
    scan(page, BREAD)
    page.locator("#lines-body tr").nth(1).wait_for()
    total = page.locator("#t-total")
    # 18.99 + 3.50; GST 5% and QST 9.975% on the coffee only: 0.95 + 1.89
    expect(page.locator("#t-total")).to_have_text("25.33")
    assert page.locator("#t-subtotal").inner_text() == "22.49"

    # Three bags of coffee: select its line, F3, keypad 3, set.
    page.locator("#lines-body tr", has_text="Coffee beans").click()
    page.keyboard.press("F3")
    page.get_by_role("dialog", name="Quantity").wait_for()
    page.locator("#qty-keypad").get_by_role("button", name="3", exact=True).click()
    page.get_by_role("button", name="Set quantity").click()
    expect(page.locator("#t-total")).to_have_text("69.00")
    assert page.locator("#lines-body tr", has_text="Coffee beans").locator(".qty").inner_text() == "3"
    assert page.locator("#t-subtotal").inner_text() == "60.47"
    assert page.locator("#totals").get_by_text("GST 5%").is_visible()
    # The till focuses the scan field once its start-up look-ups (open and parked sales) answer.
    expect(page.locator("#scan-input")).to_be_focused()
    screenshot(page, "03-sale")

    page.keyboard.press("F2")
    pay = page.get_by_role("dialog", name="Pay cash")
    pay.wait_for()
    quick = pay.locator("#quick-cash button")
    assert quick.nth(0).inner_text().replace("\n", " ").startswith("EXACT")
    screenshot(page, "04-pay-cash")
    pay.get_by_role("button", name="80.00 CAD", exact=True).dblclick()  # a double tap pays once

    change = page.locator("#change-amount")
    change.wait_for()
    assert change.inner_text() == "11.00"  # en-CA, the e2e stores' locale
    assert page.locator("#change-box").inner_text().startswith("Change CAD")
    receipt = page.locator("#receipt-text")
    expect(receipt).to_contain_text("TOTAL CAD")
    text = receipt.inner_text()
    # The receipt speaks the store's locale, en-CA here.
    assert "Coffee beans 1 kg" in text and "$69.00" in text and re.search(r"Change\s+\$11\.00", text)
    assert "$80.00" in text
    screenshot(page, "05-sale-done")
    assert total.inner_text() == "69.00"

    page.get_by_role("button", name="New sale").click()
    assert page.locator("#lines-empty").is_visible()
    assert page.locator("#t-total").inner_text() == "0.00"


def test_a_cashier_void_needs_a_supervisor(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url, CASHIER)
    page.locator("#scan-input").wait_for()
    scan(page, COFFEE)
    page.locator("#lines-body tr").nth(0).wait_for()
    dialog = void_approved_by(page, SUPERVISOR[0], "wrong-password-9")
    dialog.get_by_role("alert").filter(has_text="Wrong user name or password").wait_for()
    dialog.get_by_label("Supervisor password").fill(SUPERVISOR[1])
    screenshot(page, "06-void-approval")
    dialog.get_by_role("button", name="Approve and void").click()
    page.locator("#lines-body tr.voided").wait_for()
    assert "voided" in page.locator("#lines-body tr").nth(0).inner_text().lower()
    assert page.locator("#t-total").inner_text() == "0.00"
    assert not dialog.is_visible()
    screenshot(page, "07-voided")


def test_a_manager_creates_a_product_and_imports_a_catalogue(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url + "/backoffice#products", MANAGER)
    page.get_by_role("heading", name="Products", exact=True).wait_for()
    page.locator("#product-body tr", has_text="Coffee beans").wait_for()

    form = page.locator("#product-form")
    form.get_by_label("SKU", exact=True).fill("JAM-STRAW")
    form.get_by_label("Name", exact=True).fill("Strawberry jam 250 g")
    form.get_by_label("Price (CAD, before tax)").fill("4.25")
    form.get_by_label("Tax class").select_option("exempt")
    form.get_by_label("Barcodes").fill("9780201379624")
    form.get_by_label("Stock on hand").fill("24")
    page.get_by_role("button", name="Create product").click()
    page.get_by_role("status").filter(has_text="Created JAM-STRAW").wait_for()
    row = page.locator("#product-body tr", has_text="JAM-STRAW")
    row.wait_for()
    assert "4.25" in row.inner_text() and "exempt" in row.inner_text()
    screenshot(page, "08-manager-products")

    page.get_by_role("link", name="Import CSV").click()
    bad = "sku,name,price\nOK-1,Fine row,1.00\nBAD-2,,2.00\nBAD-3,Too precise,1.005\n"
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": bad.encode()}]
    )
    page.get_by_role("button", name="Import").click()
    errors = page.locator("#import-error li")
    errors.nth(1).wait_for()
    items = errors.all_inner_texts()
    assert items[0].startswith("line 3:") and items[1].startswith("line 4:")
    assert "Nothing imported" in page.locator("#import-error").inner_text()
    screenshot(page, "09-manager-import-error")

    good = "sku,name,price,barcodes\nOK-1,Fine row,1.00,2000000000022\nOK-2,Another fine row,2.00,\n"
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": good.encode()}]
    )
    page.get_by_role("button", name="Import").click()
    page.get_by_role("status").filter(has_text="Imported 2 products").wait_for()
    assert not page.locator("#import-error").is_visible()

    page.get_by_role("link", name="Products").click()
    page.get_by_label("Search products by name or SKU").fill("OK-")
    page.get_by_role("button", name="Search").click()
    page.locator("#product-body tr", has_text="OK-2").wait_for()
    assert page.locator("#product-body tr").count() == 2  # the bad file's OK-1 never landed twice


def test_a_manager_adds_staff_and_reads_the_report(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url + "/backoffice#staff", MANAGER)
    page.get_by_role("heading", name="Staff", exact=True).wait_for()
    page.locator("#staff-body tr", has_text=CASHIER[0]).wait_for()
    form = page.locator("#user-form")
    form.get_by_label("User name").fill("noor")
    form.get_by_label("Role").select_option("cashier")
    form.get_by_role("button", name="Create account").click()
    secret = page.locator("#secret-password")
    secret.wait_for()
    assert len(secret.inner_text()) >= 12
    page.locator("#staff-body tr", has_text="noor").wait_for()
    assert "must change password" in page.locator("#staff-body tr", has_text="noor").inner_text()
    screenshot(page, "10-manager-staff")
    page.get_by_role("button", name="I have noted it").click()
    assert not secret.is_visible()

    page.get_by_role("link", name="Sales report").click()
    page.get_by_role("button", name="Show report").click()
    page.get_by_role("heading", name=re.compile("^Sales on ")).wait_for()
    screenshot(page, "11-manager-report")
    assert not page.get_by_role("link", name="Audit log").is_visible()  # managers do not read the audit log


def test_an_ended_session_goes_back_to_login_and_logout_works(app: LiveApp, page: Any) -> None:
    login(page, app.url, CASHIER)
    page.locator("#scan-input").wait_for()
    page.context.clear_cookies()  # the session is gone, as after an idle timeout
    scan(page, COFFEE)
    page.locator("#login-form").wait_for()
    assert page.locator("#login-error").inner_text()  # says why, in the API's words
    assert not page.locator("#app-view").is_visible()

    login(page, app.url, CASHIER)
    page.locator("#scan-input").wait_for()
    page.get_by_role("button", name="Log out").click()
    page.locator("#login-form").wait_for()
    page.reload()
    page.locator("#login-form").wait_for()  # the session stays ended after a reload


def test_a_cashier_finds_only_their_own_part_of_the_back_office(app: LiveApp, page: Any) -> None:
    login(page, app.url + "/manager", CASHIER)  # the old manager screen's address leads there too
    menu = page.get_by_role("navigation", name="Back office")
    expect(menu.get_by_role("link")).to_have_text(["Customers", "Gift cards", "Time clock"])
    assert page.url == app.url + "/backoffice"
    # What the cashier may not open, typed by hand, shows the first section they may.
    page.goto(app.url + "/backoffice#staff")
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Staff", exact=True)).to_be_hidden()
    page.get_by_role("link", name="Till", exact=True).click()
    page.locator("#scan-input").wait_for()
    # The till links to the one back office, the cashier's part of it included.
    expect(page.get_by_role("link", name="Back office")).to_be_visible()
