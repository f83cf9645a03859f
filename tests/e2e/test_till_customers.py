"""The till's customers, gift cards, loyalty points and returns, through the screen: a
customer enrolled and named on a sale that earns them points, points as a tender (split with
cash, and refused above the balance), a gift card sold then spent (and refused for more than
it holds), a return to store credit on a new gift card, and a return without a receipt that
a cashier needs a supervisor for. Debian's Chromium, headless, against the real app.

Screenshots land in test-artifacts/screens/ (names start with `till-cust-`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from appliance.app.services import customers
from appliance.app.services.shop import Actor, Shop
from tests.e2e.conftest import LiveApp
from tests.e2e.screens import find_customer, log_in_at_till, pay_exact_cash, scan, till_left_empty
from tests.e2e.seed import BREAD, CASHIER, COFFEE, GROCERY, MANAGER, SUPERVISOR

pytestmark = pytest.mark.slow

MARIE_CARD = "2900000000017"  # Marie's loyalty card; Paul has none with him
GIFT_CODE = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


def customers_with_points(shop: Shop) -> None:
    manager_id = shop.db.conn.execute("SELECT id FROM users WHERE username = ?", (MANAGER[0],)).fetchone()[0]
    desk = Actor(user_id=manager_id, username=MANAGER[0], role="manager", origin="cli")
    # Points are worth one cent each (the store's default rule): 500 points pay 5.00.
    marie = customers.create(shop, desk, "Marie Gagnon", "marie@example.com", "514 555 0100", True, MARIE_CARD)
    customers.adjust_points(shop, desk, marie["id"], 500, "welcome bonus")
    paul = customers.create(shop, desk, "Paul Roy", None, "514 555 0111", False)
    customers.adjust_points(shop, desk, paul["id"], 100, "welcome bonus")


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    staff = {CASHIER: "cashier", SUPERVISOR: "supervisor", MANAGER: "manager"}
    return shop(GROCERY, staff, then=customers_with_points)


empty_till = till_left_empty(SUPERVISOR)  # each test starts on a till with no sale left open


def login(page: Any, url: str, who: tuple[str, str] = CASHIER) -> None:
    log_in_at_till(page, url, who)


def scan_loyalty_card(page: Any, card: str, name: str) -> None:
    """The card scanned into the customer search names its holder at once."""
    dialog = find_customer(page, card)
    expect(dialog).to_be_hidden()
    expect(page.locator("#customer-name")).to_have_text(name)


def name_customer(page: Any, query: str, name: str) -> None:
    dialog = find_customer(page, query)
    dialog.get_by_role("button", name=f"Name {name} on the sale").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#customer-name")).to_have_text(name)


def test_a_customer_enrolled_on_the_sale_earns_points(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url)
    scan(page, COFFEE)
    expect(page.locator("#t-total")).to_have_text("21.83")

    dialog = find_customer(page, "514 555 0199")
    expect(dialog.get_by_text("No customer found.")).to_be_visible()
    dialog.get_by_role("button", name="Enrol a new customer").click()
    expect(dialog.get_by_label("Phone (optional)")).to_have_value("514 555 0199")  # what was searched
    dialog.get_by_label("Name", exact=True).fill("Jean Tremblay")
    dialog.get_by_label("The customer agrees to be contacted").check()
    screenshot(page, "till-cust-01-enrol")
    dialog.get_by_role("button", name="Enrol and name on the sale").click()
    expect(dialog).to_be_hidden()
    box = page.locator("#customer-box")
    expect(box).to_contain_text("Jean Tremblay")
    expect(box).to_contain_text("0 points, worth 0.00 CAD")
    expect(page.locator("#scan-input")).to_be_focused()

    pay_exact_cash(page)
    note = page.locator("#loyalty-note")
    expect(note).to_have_text("Jean Tremblay earned 21 points; balance 21 points, worth 0.21 CAD.")
    screenshot(page, "till-cust-02-points-earned")

    # The same customer is found again by name on the next sale, with the points.
    page.keyboard.press("F9")
    scan(page, BREAD)
    name_customer(page, "trem", "Jean Tremblay")
    expect(box).to_contain_text("21 points")
    # ...and taken off again.
    page.keyboard.press("Alt+u")
    dialog.get_by_role("button", name="Take off the sale").click()
    expect(dialog).to_be_hidden()
    expect(box).to_be_hidden()
    expect(page.get_by_role("button", name=re.compile("^Points"))).to_be_disabled()


def test_part_points_part_cash_and_points_above_the_balance(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url)
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    page.keyboard.press("Alt+o")  # no customer yet: the points are nobody's
    expect(page.locator("#sale-error")).to_contain_text("Name the customer")
    scan_loyalty_card(page, MARIE_CARD, "Marie Gagnon")
    expect(page.locator("#customer-points")).to_have_text("500 points, worth 5.00 CAD")

    page.keyboard.press("Alt+o")
    dialog = page.get_by_role("dialog", name="Pay with points")
    expect(dialog.get_by_label("The customer's loyalty card")).to_be_hidden()  # she showed it
    expect(dialog.locator("#points-balance")).to_have_text("Marie Gagnon: 500 points, worth 5.00 CAD.")
    amount = dialog.get_by_label("Amount paid with points (CAD)")
    expect(amount).to_have_value("3.50")  # all that is due, the points cover it
    amount.fill("2")
    screenshot(page, "till-cust-03-points")
    dialog.get_by_role("button", name="Redeem points").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#t-due")).to_have_text("1.50")
    expect(page.locator("#customer-points")).to_have_text("300 points, worth 3.00 CAD")

    pay_exact_cash(page)
    expect(page.locator("#change-note")).to_have_text("Points 2.00 · Cash received 1.50 · Total 3.50")
    expect(page.locator("#loyalty-note")).to_contain_text("Marie Gagnon earned 1 point;")  # on the 1.50 paid

    # Paul, found by name, has no card with him: his points are spent with a supervisor's
    # approval. He has 100 points (1.00): 5.00 with points is refused with the API's reason.
    page.keyboard.press("F9")
    scan(page, COFFEE)
    name_customer(page, "Paul", "Paul Roy")
    page.keyboard.press("Alt+o")
    dialog = page.get_by_role("dialog", name="Pay with points")
    expect(dialog.get_by_label("The customer's loyalty card")).to_be_visible()
    dialog.get_by_label("Amount paid with points (CAD)").fill("5")
    dialog.get_by_role("button", name="Redeem points").click()
    approval = dialog.get_by_role("group", name="Supervisor approval")
    expect(approval).to_contain_text("Scan the customer's loyalty card, or a supervisor approves")
    approval.get_by_label("Supervisor user name or badge").fill(SUPERVISOR[0])
    approval.get_by_label("Supervisor password or PIN").fill(SUPERVISOR[1])
    dialog.get_by_role("button", name="Redeem points").click()
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("5.00 CAD needs 500 points; the customer has 100 (worth 1.00 CAD)")
    screenshot(page, "till-cust-04-points-refused")
    page.keyboard.press("Escape")
    expect(page.locator("#t-due")).to_have_text("21.83")  # nothing was taken; the sale is whole
    expect(page.locator("#customer-points")).to_have_text("100 points, worth 1.00 CAD")


def test_a_gift_card_sold_then_spent(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url)
    page.keyboard.press("Alt+i")
    dialog = page.get_by_role("dialog", name="Sell a gift card")
    dialog.get_by_label("Amount to load (CAD)").fill("25")
    dialog.get_by_role("button", name="Add to sale").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#lines-body tr")).to_contain_text("Gift card ****-****-****-")
    expect(page.locator("#t-total")).to_have_text("25.00")  # no tax on a card
    expect(page.get_by_role("button", name=re.compile("^Quantity"))).to_be_disabled()  # its value is the card's

    pay_exact_cash(page)
    issued = page.locator("#cards-issued")
    expect(issued).to_contain_text("New card")
    expect(issued).to_contain_text("25.00 CAD loaded")
    screenshot(page, "till-cust-05-card-sold")
    code = issued.locator(".card-code").inner_text()
    assert GIFT_CODE.fullmatch(code), code

    # A later sale: 43.67, the card pays what it holds, cash the rest.
    page.keyboard.press("F9")
    scan(page, "2*" + COFFEE)
    expect(page.locator("#t-total")).to_have_text("43.67")
    page.keyboard.press("Alt+g")
    dialog = page.get_by_role("dialog", name="Pay by gift card")
    dialog.get_by_label("Gift card number").fill(code.lower().replace("-", " "))
    dialog.get_by_role("button", name="Check balance").click()
    expect(dialog.get_by_role("status")).to_contain_text("balance 25.00 CAD")
    amount = dialog.get_by_label("Amount from the card")
    expect(amount).to_have_value("25.00")
    amount.fill("30")
    dialog.get_by_role("button", name="Take from the card").click()
    expect(dialog.get_by_role("alert")).to_contain_text("The gift card holds only 25.00 CAD")
    screenshot(page, "till-cust-06-card-short")
    expect(page.locator("#t-due")).to_have_text("43.67")
    amount.fill("25")
    dialog.get_by_role("button", name="Take from the card").click()
    expect(dialog.get_by_role("status")).to_contain_text("25.00 taken from the card; 18.67 CAD still due.")
    expect(page.locator("#t-due")).to_have_text("18.67")
    page.keyboard.press("Escape")
    pay_exact_cash(page)
    expect(page.locator("#change-note")).to_have_text(
        "Gift card 25.00 · Cash received 18.65 · Total 43.67 · Rounding -0.02"  # 18.67 is 18.65 in cash
    )

    # The spent card topped up again: the same number, 10.00 more on it.
    page.keyboard.press("F9")
    page.keyboard.press("Alt+i")
    page.get_by_role("dialog", name="Sell a gift card").get_by_label("Top up a card").check()
    dialog = page.get_by_role("dialog", name="Top up a gift card")
    dialog.get_by_label("Gift card number").fill(code)
    dialog.get_by_label("Amount to load (CAD)").fill("10")
    dialog.get_by_role("button", name="Add to sale").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#lines-body tr")).to_contain_text("Gift card top-up ****-****-****-" + code[-4:])
    pay_exact_cash(page)
    expect(issued).to_contain_text(f"Topped up {code}: 10.00 CAD loaded")


def test_a_return_to_store_credit_found_by_day(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url, MANAGER)
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    pay_exact_cash(page)
    receipt = page.locator("#receipt-number").inner_text()
    page.keyboard.press("F9")

    page.keyboard.press("Alt+r")
    dialog = page.get_by_role("dialog", name="Return items")
    dialog.get_by_role("button", name="List that day's sales").click()  # today, by default
    dialog.get_by_role("button", name=f"Open receipt {receipt}").click()
    expect(dialog.locator("#refund-sale")).to_contain_text(f"Receipt {receipt}")
    dialog.get_by_label("Quantity of Bread loaf to return").fill("1")
    dialog.get_by_label("Reason").fill("Changed mind")
    dialog.get_by_label("Store credit on a gift card").check()
    screenshot(page, "till-cust-07-store-credit")
    dialog.get_by_role("button", name="Refund").click()
    done = dialog.get_by_role("status")
    expect(done).to_contain_text("Store credit of 3.50 CAD on gift card ")
    assert GIFT_CODE.search(done.inner_text())
    screenshot(page, "till-cust-08-store-credit-done")


def test_a_cashier_s_store_credit_takes_a_manager_s_approval(app: LiveApp, page: Any) -> None:
    login(page, app.url)
    page.keyboard.press("Alt+w")
    dialog = page.get_by_role("dialog", name="Return without a receipt")
    dialog.get_by_label("Barcode or SKU").fill(BREAD)
    dialog.get_by_role("button", name="Add item").click()
    expect(dialog.locator("#noreceipt-body tr")).to_contain_text("Bread loaf")
    dialog.get_by_label("Reason").fill("Gift, no receipt")
    dialog.get_by_label("Store credit on a gift card").check()
    expect(dialog.locator("#noreceipt-to-hint")).to_contain_text("needs a manager's approval")
    # A supervisor may take goods back without a receipt, not give store credit for them.
    dialog.get_by_label("Supervisor user name").fill(SUPERVISOR[0])
    dialog.get_by_label("Supervisor password").fill(SUPERVISOR[1])
    dialog.get_by_role("button", name="Refund").click()
    expect(dialog.get_by_role("alert")).to_be_visible()
    dialog.get_by_label("Supervisor user name").fill(MANAGER[0])
    dialog.get_by_label("Supervisor password").fill(MANAGER[1])
    dialog.get_by_role("button", name="Refund").click()
    done = dialog.get_by_role("status")
    expect(done).to_contain_text("3.50 CAD")
    assert GIFT_CODE.search(done.inner_text()), done.inner_text()


def test_a_return_without_a_receipt_needs_a_supervisor_for_a_cashier(app: LiveApp, page: Any, screenshot: Any) -> None:
    login(page, app.url)
    page.keyboard.press("Alt+w")
    dialog = page.get_by_role("dialog", name="Return without a receipt")
    expect(dialog.get_by_role("group", name="Supervisor approval")).to_be_visible()
    dialog.get_by_label("Barcode or SKU").fill(BREAD)
    dialog.get_by_label("Quantity").fill("2")
    dialog.get_by_role("button", name="Add item").click()
    expect(dialog.locator("#noreceipt-body tr")).to_contain_text("Bread loaf")
    dialog.get_by_label("Refund price of Bread loaf (CAD)").fill("2.99")
    dialog.get_by_label("Reason").fill("Gift, no receipt")
    dialog.get_by_role("button", name="Refund").click()
    expect(dialog.get_by_role("alert")).to_contain_text("A supervisor must type their user name and password")
    dialog.get_by_label("Supervisor user name").fill(SUPERVISOR[0])
    dialog.get_by_label("Supervisor password").fill(SUPERVISOR[1])
    screenshot(page, "till-cust-09-no-receipt")
    dialog.get_by_role("button", name="Refund").click()
    # 2 x 2.99 is 5.98: the drawer hands back whole nickels, and the cashier reads how much.
    expect(dialog.get_by_role("status")).to_have_text("6.00 CAD to cash (5.98 CAD rounded)")
    expect(dialog.get_by_role("group", name="Supervisor approval")).to_be_hidden()
    screenshot(page, "till-cust-10-no-receipt-done")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#scan-input")).to_be_focused()


def test_the_customer_and_points_with_the_keyboard_only(app: LiveApp, page: Any) -> None:
    login(page, app.url)
    kb = page.keyboard
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    kb.press("Alt+u")
    expect(page.get_by_label("Phone, email or name")).to_be_focused()
    kb.type("Paul", delay=80)  # a person typing, not a scanner
    kb.press("Enter")
    expect(page.get_by_role("button", name="Name Paul Roy on the sale")).to_be_focused()
    kb.press("Enter")
    expect(page.locator("#customer-name")).to_have_text("Paul Roy")
    expect(page.locator("#scan-input")).to_be_focused()

    kb.press("Alt+o")
    amount = page.get_by_label("Amount paid with points (CAD)")
    expect(amount).to_be_focused()
    expect(amount).to_have_value("1.00")  # all the 100 points are worth
    kb.press("Enter")
    # No card shown: the supervisor approves from the keyboard too.
    expect(page.locator("#points-approval-username")).to_be_focused()
    kb.type(SUPERVISOR[0], delay=40)
    kb.press("Tab")
    kb.type(SUPERVISOR[1], delay=40)
    kb.press("Enter")
    expect(page.locator("#t-due")).to_have_text("2.50")
    expect(page.locator("#customer-points")).to_have_text("0 points, worth 0.00 CAD")
    expect(page.locator("#scan-input")).to_be_focused()
    kb.press("F2")
    expect(page.locator("#pay-input")).to_be_focused()
    kb.type("2.50", delay=80)
    kb.press("Enter")
    expect(page.locator("#loyalty-note")).to_have_text("Paul Roy earned 2 points; balance 2 points, worth 0.02 CAD.")
