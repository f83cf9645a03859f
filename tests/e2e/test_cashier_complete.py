"""The cashier screen, complete: split cash + card tenders through the simulated acquirer,
discounts (within the role's limit and over it, with a supervisor's approval), a price
override, park and resume, a return found by the receipt number, and a sale done with the
keyboard only. Debian's Chromium, headless, against the real app on loopback.

Screenshots land in test-artifacts/screens/ (names start with `till-`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in_at_till, part_paid_coffee_and_bread, scan, till_left_empty
from tests.e2e.seed import BREAD, CASHIER, COFFEE, GROCERY, MANAGER, SUPERVISOR

pytestmark = pytest.mark.slow

VISA_OK = "4111111111111111"  # docs/acquirer-protocol.md: approved
VISA_DECLINED = "4000000000000002"  # declined do_not_honor


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp], acquirer: str) -> LiveApp:
    # The card is keyed in (card not present): a manager, on a store that allows it.
    people = {CASHIER: "cashier", SUPERVISOR: "supervisor", MANAGER: "manager"}
    return shop(GROCERY, people, gateway_url=acquirer, keyed_cards=True)


empty_till = till_left_empty(SUPERVISOR)  # each test starts on a till with no sale left open


def login(page: Any, url: str, who: tuple[str, str] = CASHIER) -> None:
    log_in_at_till(page, url, who)


def lines(page: Any) -> Any:
    return page.locator("#lines-body tr")


def approve(dialog: Any, who: tuple[str, str] = SUPERVISOR) -> None:
    dialog.get_by_label("Supervisor user name").fill(who[0])
    dialog.get_by_label("Supervisor password").fill(who[1])


def test_a_sale_from_login_to_receipt_split_cash_and_card(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url, MANAGER)
    expect(page.locator("#net-status")).to_have_attribute("data-state", "ok")

    # 20.00 in cash first: the sale stays open with 5.33 due.
    cash = part_paid_coffee_and_bread(page, "20", "5.33")
    cash.get_by_role("button", name="Rest by card").click()

    card = page.get_by_role("dialog", name="Card not present (keyed)")
    expect(card.get_by_label("Amount on the card")).to_have_value("5.33")
    card.get_by_label("Card number").fill(VISA_DECLINED)
    card.get_by_label("Expiry month").fill("12")
    card.get_by_label("Expiry year").fill("2030")
    screenshot(page, "till-04-pay-card")
    card.get_by_role("button", name="Charge card").click()
    alert = card.get_by_role("alert")
    expect(alert).to_contain_text("Card declined")
    expect(alert).to_contain_text("do not honour")
    screenshot(page, "till-05-card-declined")
    assert page.locator("#t-due").inner_text() == "5.33"  # nothing was charged

    card.get_by_label("Card number").fill(VISA_OK)
    card.get_by_role("button", name="Charge card").click()
    expect(page.locator("#change-box")).to_be_visible()
    expect(page.locator("#change-note")).to_have_text("Cash received 20.00 · Card 5.33 · Total 25.33")
    receipt = page.locator("#receipt-text")
    expect(receipt).to_contain_text("TOTAL CAD")
    text = receipt.inner_text()
    assert VISA_OK not in text and "1111" in text  # the last four only
    assert re.search(r"T01-\d{6}", page.locator("#receipt-number").inner_text())
    expect(page.locator("#scan-input")).to_be_focused()  # the next scan starts the next sale
    screenshot(page, "till-06-receipt-split")


def test_discounts_within_the_limit_and_over_it(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url)
    scan(page, COFFEE)
    scan(page, BREAD)
    expect(lines(page)).to_have_count(2)

    # 10 % off the coffee: within a cashier's own limit.
    lines(page).filter(has_text="Coffee beans").click()
    page.keyboard.press("F7")
    dialog = page.get_by_role("dialog", name="Discount this line")
    dialog.get_by_label("Discount", exact=True).fill("10")
    dialog.get_by_label("Reason").fill("Dented bag")
    screenshot(page, "till-07-discount")
    dialog.get_by_role("button", name="Apply discount").click()
    expect(dialog).to_be_hidden()
    coffee = lines(page).filter(has_text="Coffee beans")
    expect(coffee).to_contain_text("Discount 10 % (Dented bag)")
    expect(coffee.locator(".amount")).to_contain_text("17.09")  # 18.99 − 1.90
    expect(page.locator("#t-discount")).to_have_text("−1.90")

    # 25 % off the whole sale: over the cashier's 10 %, a supervisor approves.
    page.keyboard.press("Alt+d")
    dialog = page.get_by_role("dialog", name="Discount the whole sale")
    dialog.get_by_label("Discount", exact=True).fill("25")
    dialog.get_by_label("Reason").fill("Loyal customer")
    dialog.get_by_role("button", name="Apply discount").click()
    expect(dialog.get_by_role("group", name="Supervisor approval")).to_be_visible()
    expect(dialog.locator("#discount-approval-why")).to_contain_text("over the cashier's limit")
    approve(dialog)
    screenshot(page, "till-08-discount-approval")
    dialog.get_by_role("button", name="Apply discount").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#t-discount-label")).to_have_text("Discounts (incl. sale)")
    # (17.09 + 3.50) × 0.75 = 15.44 before tax, the coffee's part taxed
    assert page.locator("#t-discount").inner_text() != "−1.90"

    # The discount comes off again.
    page.keyboard.press("Alt+d")
    dialog = page.get_by_role("dialog", name="Discount the whole sale")
    expect(dialog.get_by_label("Discount", exact=True)).to_have_value("25")
    dialog.get_by_role("button", name="Remove discount").click()
    expect(page.locator("#t-discount")).to_have_text("−1.90")


def test_a_price_override_needs_a_supervisor_for_a_cashier(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url)
    scan(page, BREAD)
    expect(lines(page)).to_have_count(1)
    page.keyboard.press("Alt+p")
    dialog = page.get_by_role("dialog", name="Override the price")
    expect(dialog.get_by_role("group", name="Supervisor approval")).to_be_visible()
    dialog.get_by_label("New unit price (CAD)").fill("2.75")
    dialog.get_by_label("Reason").fill("Day-old bread")
    approve(dialog, (SUPERVISOR[0], "not-the-password"))
    dialog.get_by_role("button", name="Set price").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Wrong user name or password")
    approve(dialog)
    screenshot(page, "till-09-price-override")
    dialog.get_by_role("button", name="Set price").click()
    expect(dialog).to_be_hidden()
    bread = lines(page).filter(has_text="Bread loaf")
    expect(bread).to_contain_text("Price changed from 3.50")
    expect(page.locator("#t-total")).to_have_text("2.75")


def test_park_serve_another_and_resume(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url)
    scan(page, COFFEE)
    scan(page, "2*" + BREAD)
    expect(page.locator("#t-total")).to_have_text("28.83")
    page.keyboard.press("F10")
    expect(page.locator("#lines-empty")).to_be_visible()
    expect(page.locator("#parked-count")).to_have_text("1")

    # The next customer: one loaf, exact cash.
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    page.keyboard.press("F2")
    page.get_by_role("dialog", name="Pay cash").locator("#quick-cash button").first.click()
    expect(page.locator("#change-box")).to_be_visible()
    expect(page.locator("#change-amount")).to_have_text("0.00")
    # The till is busy until the receipt is on screen; keys pressed before then are dropped.
    expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")
    page.keyboard.press("F9")
    expect(page.locator("#lines-empty")).to_be_visible()

    page.keyboard.press("Alt+l")
    dialog = page.get_by_role("dialog", name="Parked sales")
    expect(dialog).to_be_visible()
    row = dialog.locator("#parked-body tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("lea")
    screenshot(page, "till-10-parked")
    row.get_by_role("button", name=re.compile("^Resume sale")).click()
    expect(dialog).to_be_hidden()
    expect(lines(page)).to_have_count(2)
    expect(page.locator("#t-total")).to_have_text("28.83")
    expect(page.locator("#parked-count")).to_be_hidden()


def test_a_return_of_one_line_found_by_the_receipt_number(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url)
    scan(page, COFFEE)
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("25.33")
    page.keyboard.press("F2")
    page.get_by_role("dialog", name="Pay cash").get_by_role("button", name="30.00 CAD", exact=True).click()
    number = page.locator("#receipt-number")
    expect(number).to_have_text(re.compile(r"^T01-\d{6}$"))
    receipt = number.inner_text()
    # The till is busy until the receipt is on screen; keys pressed before then are dropped.
    expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")
    page.keyboard.press("F9")

    # The receipt's barcode scanned at the till opens the return with the sale found.
    scan(page, receipt)
    dialog = page.get_by_role("dialog", name="Return items")
    expect(dialog.locator("#refund-sale")).to_contain_text(f"Receipt {receipt}")
    # Every line offers its whole rest: the coffee stays with the customer.
    expect(dialog.get_by_label("Quantity of Bread loaf to return")).to_have_value("1")
    dialog.get_by_label("Quantity of Coffee beans 1 kg to return").fill("0")
    expect(dialog.locator("#refund-amount-value")).to_have_text("3.50 CAD")
    dialog.get_by_label("Reason").fill("Stale")
    expect(dialog.get_by_role("group", name="Supervisor approval")).to_be_visible()  # a cashier may not refund
    approve(dialog)
    screenshot(page, "till-11-refund")
    dialog.get_by_role("button", name="Refund").click()
    done = dialog.get_by_role("status")
    expect(done).to_have_text("Refunded 3.50 CAD: 3.50 to cash.")
    expect(dialog.locator("#refund-body tr").filter(has_text="Bread loaf").locator("td").nth(3)).to_have_text("0")
    screenshot(page, "till-12-refund-done")

    # The same receipt typed by hand: the loaf cannot come back twice.
    dialog.get_by_label("Receipt number").fill(receipt.lower())
    dialog.get_by_role("button", name="Find sale").click()
    expect(dialog.get_by_label("Quantity of Bread loaf to return")).to_be_disabled()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#scan-input")).to_be_focused()


def test_a_sale_with_the_keyboard_only(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url)
    kb = page.keyboard
    scan(page, COFFEE)
    scan(page, BREAD)
    expect(lines(page)).to_have_count(2)
    kb.press("ArrowUp")  # the coffee line
    expect(lines(page).filter(has_text="Coffee beans")).to_have_class(re.compile("selected"))
    kb.press("F3")
    expect(page.get_by_role("dialog", name="Quantity")).to_be_visible()
    kb.type("2")
    kb.press("Enter")
    expect(page.locator("#t-total")).to_have_text("47.17")
    kb.press("Alt+k")
    keys = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(keys).to_be_visible()
    screenshot(page, "till-13-shortcuts")
    kb.press("Escape")
    expect(keys).to_be_hidden()
    kb.press("F2")
    expect(page.locator("#pay-input")).to_be_focused()
    kb.type("50")
    kb.press("Enter")
    expect(page.locator("#change-amount")).to_have_text("2.85")  # 47.17 is 47.15 in cash
    expect(page.locator("#scan-input")).to_be_focused()  # the next scan starts the next sale
    kb.press("F9")
    expect(page.locator("#lines-empty")).to_be_visible()
    expect(page.locator("#scan-input")).to_be_focused()


def test_the_next_sale_key_pressed_as_the_payment_goes_through_is_not_lost(app: LiveApp, page: Any) -> None:
    login(page, app.url)
    scan(page, BREAD)
    expect(lines(page)).to_have_count(1)

    def slow_payment(route: Any) -> None:
        time.sleep(1.0)  # a busy box, or a card terminal thinking: the till waits on this
        route.continue_()

    page.route(re.compile(r".*/api/v1/sales/\d+/payments$"), slow_payment)
    page.keyboard.press("F2")
    page.get_by_role("dialog", name="Pay cash").locator("#quick-cash button").first.click()
    # F9 at once, the payment still under way: kept, and played once the sale is paid.
    page.keyboard.press("F9")
    expect(page.locator("#done-view")).to_be_hidden()
    expect(lines(page)).to_have_count(0)
    expect(page.locator("#scan-input")).to_be_focused()
    page.unroute(re.compile(r".*/api/v1/sales/\d+/payments$"))
    scan(page, BREAD)
    expect(lines(page)).to_have_count(1)
