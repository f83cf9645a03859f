"""Returns without friction, through the till's screen: the return dialog offers every line's
whole rest (not 0), says what will be refunded as the quantities change, has "Return all",
and after the refund shows the refund's own slip. Debian's Chromium, headless, against the
real app.

Screenshots land in test-artifacts/screens/ (names start with `till-return-`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in_at_till, pay_exact_cash, scan, till_left_empty
from tests.e2e.seed import BREAD, COFFEE, GROCERY, SUPERVISOR

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    return shop(GROCERY, {SUPERVISOR: "supervisor"})


empty_till = till_left_empty(SUPERVISOR)


def sold(page: Any, *scans: tuple[str, str]) -> str:
    """A sale of the (code, total after it) scans, paid in exact cash; its receipt number, the
    till back to a new sale. Each scan is waited for: keys typed while the till is busy adding
    an item are dropped."""
    for code, total in scans:
        scan(page, code)
        expect(page.locator("#t-total")).to_have_text(total)
    pay_exact_cash(page)
    receipt: str = page.locator("#receipt-number").inner_text()
    page.keyboard.press("F9")
    return receipt


def open_return(page: Any, receipt: str) -> Any:
    page.keyboard.press("Alt+r")
    dialog = page.get_by_role("dialog", name="Return items")
    dialog.get_by_label("Receipt number").fill(receipt)
    dialog.get_by_role("button", name="Find sale").click()
    expect(dialog.locator("#refund-sale")).to_contain_text(f"Receipt {receipt}")
    return dialog


def test_a_line_returned_with_its_default_quantity_then_the_rest_with_return_all(
    app: LiveApp, page: Any, screenshot: Any
) -> None:
    log_in_at_till(page, app.url, SUPERVISOR)
    receipt = sold(page, (COFFEE, "21.83"), (BREAD, "25.33"), (BREAD, "28.83"))
    dialog = open_return(page, receipt)
    coffee = dialog.get_by_label("Quantity of Coffee beans 1 kg to return")
    bread = dialog.get_by_label("Quantity of Bread loaf to return")
    # Every line offers all that is left, and the figure is the whole sale.
    expect(coffee).to_have_value("1")
    expect(bread).to_have_value("2")
    amount = dialog.locator("#refund-amount-value")
    expect(amount).to_have_text("28.83 CAD")
    # The customer keeps the bread: the figure follows, with the coffee's taxes.
    bread.fill("0")
    expect(amount).to_have_text("21.83 CAD")
    bread.fill("1")
    expect(amount).to_have_text("25.33 CAD")
    bread.fill("0")
    expect(amount).to_have_text("21.83 CAD")
    dialog.get_by_label("Reason").fill("Wrong roast")
    screenshot(page, "till-return-01-default-quantity")
    dialog.get_by_role("button", name="Refund", exact=True).click()
    # Cash goes back in whole nickels (the store's CAD rounding).
    expect(dialog.get_by_role("status")).to_have_text("Refunded 21.83 CAD: 21.85 to cash (21.83 rounded).")
    slip = dialog.get_by_label("Refund slip")
    expect(slip).to_be_visible()
    expect(slip).to_contain_text("REFUND")  # the slip speaks the store's language (en-CA here)
    expect(slip).to_contain_text(f"Original receipt {receipt}")
    expect(slip).to_contain_text("Coffee beans 1 kg")
    expect(slip).not_to_contain_text("Bread loaf")
    expect(slip).to_contain_text("REFUNDED CAD")
    expect(slip).to_contain_text("Refunded by: sam")
    text = slip.inner_text()
    assert next(ln for ln in text.splitlines() if ln.startswith("Cash")).endswith("$21.83")
    assert next(ln for ln in text.splitlines() if ln.startswith("  Rounding")).endswith("$0.02")
    assert next(ln for ln in text.splitlines() if ln.startswith("  Cash handed back")).endswith("$21.85")
    screenshot(page, "till-return-02-slip")

    # The rest of the sale: "Return all" takes every line's whole rest.
    page.keyboard.press("Escape")
    dialog = open_return(page, receipt)
    expect(dialog.get_by_label("Quantity of Coffee beans 1 kg to return")).to_be_disabled()
    bread = dialog.get_by_label("Quantity of Bread loaf to return")
    bread.fill("0")
    expect(dialog.locator("#refund-amount-value")).to_have_text("0.00 CAD")
    dialog.get_by_role("button", name="Return all").click()
    expect(bread).to_have_value("2")
    expect(dialog.locator("#refund-amount-value")).to_have_text("7.00 CAD")
    expect(dialog.get_by_label("Reason")).to_be_focused()
    page.keyboard.type("Stale")
    screenshot(page, "till-return-03-return-all")
    dialog.get_by_role("button", name="Refund", exact=True).click()
    expect(dialog.get_by_role("status")).to_have_text("Refunded 7.00 CAD: 7.00 to cash.")
    slip = dialog.get_by_label("Refund slip")
    expect(slip).to_contain_text("Bread loaf")
    expect(slip).to_contain_text("2 returned")
    screenshot(page, "till-return-04-return-all-slip")
