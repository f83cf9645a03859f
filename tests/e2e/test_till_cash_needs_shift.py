"""Cash needs an open shift (the store rule as shipped): at a till with no shift open, the
cash a cashier tries to take is refused with the till's words saying how to open one; once
the shift is open (Alt+S, a counted float), the same sale takes the same cash.

Debian's Chromium, headless, against the real app on loopback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in_at_till, scan
from tests.e2e.seed import BREAD, BREAD_LOAF, CASHIER, catalogue

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    return shop(catalogue(BREAD_LOAF), {CASHIER: "cashier"}, cash_needs_shift=True)


def test_cash_at_a_till_with_no_shift_says_to_open_one(app: LiveApp, page: Any, screenshot: Any) -> None:
    log_in_at_till(page, app.url, CASHIER)
    expect(page.locator("#shift-text")).to_have_text("Shift: none open")
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")

    page.keyboard.press("F2")
    pay = page.get_by_role("dialog", name="Pay cash")
    pay.locator("#quick-cash button").first.click()
    refused = pay.locator("#pay-error")
    expect(refused).to_contain_text("No shift is open on this drawer")
    expect(refused).to_contain_text("open one (Shift, Alt+S)")
    expect(page.locator("#t-total")).to_have_text("3.50")  # the sale is still there, unpaid
    screenshot(page, "cash-needs-shift-refused")

    # What the message says: Shift, Alt+S, a counted float.
    page.keyboard.press("Escape")
    page.keyboard.press("Alt+s")
    dialog = page.get_by_role("dialog", name="Open a shift")
    expect(dialog).to_be_visible()
    dialog.get_by_label("20.00 ×").fill("2")
    dialog.get_by_role("button", name="Open shift").click()
    expect(page.locator("#shift-text")).to_have_text("Shift: open (lea)")
    page.keyboard.press("Escape")

    page.keyboard.press("F2")
    page.get_by_role("dialog", name="Pay cash").locator("#quick-cash button").first.click()
    expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")
