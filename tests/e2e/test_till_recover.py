"""A sale is never lost by the screen: a part-paid sale comes back after a reload of the
till and in a new browser (a crash), logging out parks it for the next login to resume,
and several sales left open are offered as a list to pick from. Debian's Chromium,
headless, against the real app on loopback.

Screenshots land in test-artifacts/screens/ (names start with `till-recover-`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import Axe
from tests.e2e.conftest import VIEWPORT, LiveApp
from tests.e2e.screens import log_in, log_in_at_till, part_paid_coffee_and_bread, pay_exact_cash, staff_api
from tests.e2e.seed import BREAD, CASHIER, COFFEE, COFFEE_BEANS, NEXT_CASHIER, catalogue

pytestmark = pytest.mark.slow

CATALOG = catalogue(COFFEE_BEANS, f"BRD-LOAF,Bread loaf,3.50,exempt,{BREAD},40")


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    return shop(CATALOG, {CASHIER: "cashier", NEXT_CASHIER: "cashier"})


def lines(page: Any) -> Any:
    return page.locator("#lines-body tr")


def part_paid_sale(page: Any) -> None:
    """Coffee and bread (25.33), 10.00 in cash: the sale stays open with 15.33 due."""
    cash = part_paid_coffee_and_bread(page, "10", "15.33")
    cash.get_by_role("button", name=re.compile("^Back")).click()
    expect(cash).to_be_hidden()
    expect(page.locator("#t-paid")).to_have_text("10.00")


def expect_part_paid_on_screen(page: Any) -> None:
    expect(lines(page)).to_have_count(2)
    expect(page.locator("#t-total")).to_have_text("25.33")
    expect(page.locator("#t-paid")).to_have_text("10.00")
    expect(page.locator("#t-due")).to_have_text("15.33")


def test_a_reload_mid_sale_brings_the_sale_back_with_its_payment(
    app: LiveApp, page: Any, browser: Any, screenshot: Any
) -> None:
    log_in_at_till(page, app.url, CASHIER)
    part_paid_sale(page)

    page.reload()
    expect(page.locator("#scan-input")).to_be_focused()
    expect_part_paid_on_screen(page)
    expect(page.locator("#sale-status")).to_contain_text("back on screen")
    screenshot(page, "till-recover-1-reloaded")

    # The browser crashed: a new one, a new login, the same sale on its till's screen.
    context = browser.new_context(viewport=VIEWPORT, locale="en-CA")
    try:
        other = context.new_page()
        log_in_at_till(other, app.url, CASHIER)
        expect_part_paid_on_screen(other)
        expect(other.locator("#parked-count")).to_be_hidden()  # the sale on screen is no other's
    finally:
        context.close()

    # The customer pays the rest: the sale completes with both cash payments on the receipt.
    pay_exact_cash(page)
    receipt = page.locator("#receipt-text")
    # In the store's language, en-CA here (the e2e stores' own).
    expect(receipt).to_contain_text("$25.33")
    expect(receipt).to_contain_text("$10.00")
    # The rest, 15.33, settles in cash at the coin: 15.35 with a rounding line.
    expect(receipt).to_contain_text("$15.35")
    expect(receipt).to_contain_text("Rounding")
    page.keyboard.press("F9")
    expect(page.locator("#lines-empty")).to_be_visible()
    page.reload()
    expect(page.locator("#scan-input")).to_be_focused()
    expect(page.locator("#lines-empty")).to_be_visible()  # nothing is open any more


def test_logging_out_mid_sale_parks_it_for_the_next_login(app: LiveApp, page: Any, screenshot: Any) -> None:
    log_in_at_till(page, app.url, CASHIER)
    part_paid_sale(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.locator("#login-form")).to_be_visible()

    log_in_at_till(page, app.url, NEXT_CASHIER)
    expect(page.locator("#lines-empty")).to_be_visible()  # parked, not on screen
    expect(page.locator("#parked-count")).to_have_text("1")
    page.keyboard.press("Alt+l")
    dialog = page.get_by_role("dialog", name="Parked sales")
    row = dialog.locator("#parked-body tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("lea")
    expect(row).to_contain_text("10.00")  # what it holds
    screenshot(page, "till-recover-2-parked-on-logout")
    row.get_by_role("button", name=re.compile("^Resume sale")).click()
    expect(dialog).to_be_hidden()
    expect_part_paid_on_screen(page)
    expect(page.locator("#parked-count")).to_be_hidden()

    pay_exact_cash(page)
    expect(page.locator("#receipt-text")).to_contain_text("$15.35")  # 15.33 at the coin
    page.keyboard.press("F9")


def test_several_sales_left_open_are_a_list_to_pick_from(app: LiveApp, axe_page: Any, screenshot: Any) -> None:
    page = axe_page  # the list is checked by axe too
    axe = Axe()
    # Two sales left open on this till (an integrator's, or tabs long gone), one part-paid.
    with staff_api(app.url, CASHIER) as api:
        first = api.post("/sales", json={}).json()["id"]
        api.post(f"/sales/{first}/items", json={"barcode": BREAD})
        second = api.post("/sales", json={}).json()["id"]
        api.post(f"/sales/{second}/items", json={"barcode": COFFEE})
        api.post(f"/sales/{second}/payments", json={"method": "cash", "amount": 500})
        empty = api.post("/sales", json={}).json()["id"]  # holds nothing: not offered

        log_in(page, app.url, CASHIER)  # the list of sales left open opens by itself
        dialog = page.get_by_role("dialog", name="Parked sales")
        expect(dialog).to_be_visible()
        expect(dialog.locator("#parked-intro")).to_be_visible()
        rows = dialog.locator("#open-body tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(1)).to_contain_text("5.00")
        expect(rows.nth(1)).to_contain_text("16.83")  # still due
        screenshot(page, "till-recover-3-left-open")
        axe.check(page, "till-left-open")
        dialog.get_by_role("button", name=f"Take up sale {second}").click()
        expect(dialog).to_be_hidden()
        expect(lines(page)).to_have_count(1)
        expect(page.locator("#t-paid")).to_have_text("5.00")
        expect(page.locator("#parked-count")).to_have_text("1")  # the other one is still listed

        pay_exact_cash(page)
        page.keyboard.press("F9")
        page.keyboard.press("Alt+l")
        expect(dialog.locator("#open-body tr")).to_have_count(1)
        dialog.get_by_role("button", name=f"Take up sale {first}").click()
        expect(lines(page)).to_have_count(1)
        expect(page.locator("#t-total")).to_have_text("3.50")
        pay_exact_cash(page)
        assert api.post(f"/sales/{empty}/cancel", json={}).status_code == 200
    axe.assert_clean()
