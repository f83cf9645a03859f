"""WCAG 2.2 AA as axe-core measures it, on every state of every screen: zero violations.

axe-core comes from npm (tests/e2e/package.json, `npm ci --prefix tests/e2e`), never from a
download at test time. It is injected into the page with Playwright's add_script_tag, which
the app's CSP refuses: so these runs, and only these, use a context with the CSP bypassed.
Every other e2e test runs under the real CSP.

Screenshots of each state land in test-artifacts/screens/ (names start with `a11y-`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import Axe
from tests.e2e.conftest import VIEWPORT, LiveApp
from tests.e2e.screens import find_customer, scan, till_left_empty, void_approved_by
from tests.e2e.screens import log_in as login
from tests.e2e.seed import ADMIN, BREAD, CASHIER, COFFEE, GROCERY, MANAGER, SUPERVISOR
from tests.e2e.terminal_sims import simulator

pytestmark = pytest.mark.slow

TEMPLATES = Path(__file__).resolve().parents[2] / "appliance" / "app" / "web" / "templates"

STAFF = {CASHIER: "cashier", SUPERVISOR: "supervisor", MANAGER: "manager", ADMIN: "admin"}


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp], acquirer: str) -> LiveApp:
    # A card keyed in (card not present) is a manager's, where the store allows it.
    return shop(GROCERY, STAFF, gateway_url=acquirer, keyed_cards=True)


empty_till = till_left_empty(CASHIER)  # each test starts on a till with no sale left open


def test_every_till_state_has_no_violations(app: LiveApp, axe_page: Any) -> None:
    page, axe = axe_page, Axe()

    # Login, empty and refused; the forced password change.
    page.goto(app.url)
    page.locator("#login-form").wait_for()
    axe.check(page, "till-login")
    login(page, app.url, (CASHIER[0], "not-the-password-1"))
    expect(page.locator("#login-error")).to_be_visible()
    axe.check(page, "till-login-error")
    login(page, app.url, ("admin", app.admin_password))
    page.get_by_role("heading", name="Choose a new password").wait_for()
    axe.check(page, "till-password-change")
    page.locator("#password-logout").click()
    page.locator("#login-form").wait_for()

    login(page, app.url, CASHIER)
    expect(page.locator("#scan-input")).to_be_focused()
    expect(page.locator("#net-status")).to_have_attribute("data-state", "ok")
    axe.check(page, "till-empty")
    scan(page, COFFEE)
    scan(page, BREAD)
    scan(page, "999")
    expect(page.locator("#sale-error")).to_be_visible()
    lines = page.locator("#lines-body tr")
    expect(lines).to_have_count(2)

    # A discount within the limit (the line shows its notes), then the sale-wide one over it.
    lines.first.click()
    page.keyboard.press("F7")
    dialog = page.get_by_role("dialog", name="Discount this line")
    axe.check(page, "till-discount")
    dialog.get_by_label("Discount", exact=True).fill("10")
    dialog.get_by_role("button", name="Apply discount").click()
    expect(dialog).to_be_hidden()
    axe.check(page, "till-sale-with-lines")
    page.keyboard.press("Alt+d")
    dialog = page.get_by_role("dialog", name="Discount the whole sale")
    dialog.get_by_label("Discount", exact=True).fill("30")
    dialog.get_by_role("button", name="Apply discount").click()
    expect(dialog.get_by_role("group", name="Supervisor approval")).to_be_visible()
    axe.check(page, "till-discount-approval")
    page.keyboard.press("Escape")

    page.keyboard.press("F3")
    page.get_by_role("dialog", name="Quantity").wait_for()
    axe.check(page, "till-quantity")
    page.keyboard.press("Escape")
    void = void_approved_by(page, SUPERVISOR[0], "wrong-password-9")
    expect(void.get_by_role("alert")).to_be_visible()
    axe.check(page, "till-void-approval")
    page.keyboard.press("Escape")
    page.keyboard.press("Alt+p")
    page.get_by_role("dialog", name="Override the price").wait_for()
    axe.check(page, "till-price-override")
    page.keyboard.press("Escape")
    page.keyboard.press("F8")
    page.get_by_role("dialog", name="Cancel this sale?").wait_for()
    axe.check(page, "till-cancel")
    page.keyboard.press("Escape")
    page.keyboard.press("Alt+k")
    page.get_by_role("dialog", name="Keyboard shortcuts").wait_for()
    axe.check(page, "till-shortcuts")
    page.keyboard.press("Escape")

    # Park it; the parked list.
    page.keyboard.press("F10")
    expect(page.locator("#parked-count")).to_have_text("1")
    page.keyboard.press("Alt+l")
    page.get_by_role("dialog", name="Parked sales").locator("#parked-body tr").wait_for()
    axe.check(page, "till-parked")
    page.keyboard.press("Escape")

    # Tenders: cash (part), then the rest in cash (a card keyed in: the manager's test below), the receipt.
    scan(page, COFFEE)
    expect(page.locator("#t-total")).to_have_text("21.83")
    page.keyboard.press("F2")
    cash = page.get_by_role("dialog", name="Pay cash")
    axe.check(page, "till-tender-cash")
    cash.get_by_label("Cash received").fill("10")
    cash.get_by_role("button", name="Take cash").click()
    expect(cash.get_by_role("alert")).to_contain_text("still due")
    axe.check(page, "till-tender-cash-part")
    expect(cash.get_by_role("button", name="Rest by card")).to_be_hidden()  # no terminal, no keying for a cashier
    cash.get_by_label("Cash received").fill("20")
    cash.get_by_role("button", name="Take cash").click()
    expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")
    axe.check(page, "till-receipt")
    receipt = page.locator("#receipt-number").inner_text()

    # A return, found by the receipt number, with the supervisor's fields.
    page.keyboard.press("Alt+r")
    refund = page.get_by_role("dialog", name="Return items")
    axe.check(page, "till-refund-find")
    refund.get_by_label("Receipt number").fill(receipt)
    refund.get_by_role("button", name="Find sale").click()
    refund.get_by_label(re.compile("^Quantity of Coffee")).fill("1")
    refund.get_by_label("Reason").fill("Wrong grind")
    refund.get_by_label("Supervisor user name").fill(SUPERVISOR[0])
    refund.get_by_label("Supervisor password").fill(SUPERVISOR[1])
    axe.check(page, "till-refund")
    refund.get_by_role("button", name="Refund").click()
    expect(refund.get_by_role("status")).to_contain_text("Refunded")
    axe.check(page, "till-refund-done")
    page.keyboard.press("Escape")

    # The same screen at 800×600 (a small panel).
    page.set_viewport_size({"width": 800, "height": 600})
    page.keyboard.press("F9")
    scan(page, BREAD)
    expect(page.locator("#lines-body tr")).to_have_count(1)
    axe.check(page, "till-small-screen")
    page.set_viewport_size(VIEWPORT)
    axe.assert_clean()


def test_a_card_keyed_in_by_a_manager_has_no_violations(app: LiveApp, axe_page: Any) -> None:
    """Card not present: cash (part), the rest keyed in (declined, then approved), the receipt."""
    page, axe = axe_page, Axe()
    login(page, app.url, MANAGER)
    expect(page.locator("#scan-input")).to_be_focused()
    scan(page, COFFEE)
    expect(page.locator("#t-total")).to_have_text("21.83")
    page.keyboard.press("F2")
    cash = page.get_by_role("dialog", name="Pay cash")
    cash.get_by_label("Cash received").fill("10")
    cash.get_by_role("button", name="Take cash").click()
    expect(cash.get_by_role("alert")).to_contain_text("still due")
    cash.get_by_role("button", name="Rest by card").click()
    card = page.get_by_role("dialog", name="Card not present (keyed)")
    card.get_by_label("Card number").fill("4000000000000002")
    card.get_by_label("Expiry month").fill("12")
    card.get_by_label("Expiry year").fill("30")
    axe.check(page, "till-tender-card")
    card.get_by_role("button", name="Charge card").click()
    expect(card.get_by_role("alert")).to_contain_text("declined")
    axe.check(page, "till-tender-card-declined")
    card.get_by_label("Card number").fill("4111111111111111")
    card.get_by_role("button", name="Charge card").click()
    expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")
    axe.check(page, "till-receipt-card")
    axe.assert_clean()


def test_the_back_office_forms_and_errors_have_no_violations(app: LiveApp, axe_page: Any) -> None:
    page, axe = axe_page, Axe()
    login(page, app.url + "/backoffice#products", ADMIN)
    page.get_by_role("heading", name="Products", exact=True).wait_for()
    page.locator("#product-body tr").first.wait_for()
    axe.check(page, "manager-products")
    page.locator("#product-form").get_by_role("button", name="Create product").click()
    expect(page.locator("#product-error")).to_be_visible()
    axe.check(page, "manager-product-error")

    page.get_by_role("link", name="Import CSV").click()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": b"sku,name,price\nB-1,,1.00\n"}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-error li")).to_have_count(1)
    axe.check(page, "manager-import-error")

    page.get_by_role("link", name="Staff").click()
    page.locator("#staff-body tr").first.wait_for()
    form = page.locator("#user-form")
    form.get_by_label("User name").fill("noor")
    form.get_by_role("button", name="Create account").click()
    expect(page.locator("#secret-password")).to_be_visible()
    axe.check(page, "manager-staff")

    page.get_by_role("link", name="Sales report").click()
    page.get_by_role("button", name="Show report").click()
    page.get_by_role("heading", name=re.compile("^Sales on ")).wait_for()
    axe.check(page, "manager-report")

    page.get_by_role("link", name="Audit log").click()
    page.locator("#audit-body tr").first.wait_for()
    axe.check(page, "manager-audit")

    for link, heading in (("Promotions", "Promotions"), ("Store rules", "Store rules")):
        page.get_by_role("link", name=link).click()
        page.get_by_role("heading", name=heading, exact=True).wait_for()
        page.wait_for_load_state("networkidle")
        axe.check(page, f"manager-{link.lower().replace(' ', '-')}")

    page.get_by_role("button", name="Log out").click()
    login(page, app.url + "/backoffice", CASHIER)
    menu = page.get_by_role("navigation", name="Back office")
    # A cashier's menu: their customers, gift cards and time clock, nothing of the manager's.
    expect(menu.get_by_role("link")).to_have_text(["Customers", "Gift cards", "Time clock"])
    axe.check(page, "backoffice-cashier")
    axe.assert_clean()


def test_the_back_office_has_no_violations(app: LiveApp, axe_page: Any) -> None:
    """Each section the admin's navigation offers, as it first shows."""
    page, axe = axe_page, Axe()
    login(page, app.url + "/backoffice", ADMIN)
    page.locator("#app-view").wait_for()
    page.wait_for_load_state("networkidle")
    axe.check(page, "backoffice")
    links = page.locator("nav a[href^='#']")
    for i in range(links.count()):
        link = links.nth(i)
        if not link.is_visible():
            continue
        target = (link.get_attribute("href") or "#x")[1:]
        link.click()
        if i:  # the first is the section already on screen: the focus stays on its link
            # A screen reader lands on the title of what the menu opened.
            expect(page.locator(f"#{target} h1")).to_be_focused()
        page.wait_for_load_state("networkidle")
        axe.check(page, f"backoffice-{target}")
    axe.assert_clean()

    # By keyboard: a menu link is reached with Tab and followed with Enter; each section
    # has its own address.
    menu = page.get_by_role("navigation", name="Back office")
    menu.get_by_role("link", name="Store rules").focus()
    page.keyboard.press("Shift+Tab")
    expect(menu.get_by_role("link", name="Time clock")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Time clock")).to_be_focused()
    assert page.url.endswith("/backoffice#clock")


@pytest.mark.skipif(not (TEMPLATES / "selfservice.html").exists(), reason="no /selfservice screen in this build yet")
def test_the_self_service_screen_has_no_violations(
    shop: Callable[..., LiveApp], tmp_path_factory: pytest.TempPathFactory, axe_page: Any
) -> None:
    """A self-service till's states: attract, a sale with a line, the touch menu, the card
    payment on the terminal (declined: its words and buttons), and French. (Its own e2e tests
    drive the rest of the flow.)"""
    with simulator("caisse-ap", tmp_path_factory.mktemp("caisse-ap")) as terminal:
        terminal.tell("decline")
        app = shop(GROCERY, STAFF, config={"mode": "self_service", "terminal_url": terminal.url})
        _check_self_service(app, axe_page)


def _check_self_service(app: LiveApp, axe_page: Any) -> None:
    page, axe = axe_page, Axe()
    page.goto(app.url + "/selfservice")
    page.locator("#start-button").wait_for()
    page.wait_for_load_state("networkidle")
    axe.check(page, "selfservice-attract")
    page.locator("#start-button").click()
    page.keyboard.type(BREAD, delay=2)
    page.keyboard.press("Enter")
    expect(page.locator("#pay-button")).to_be_enabled()
    axe.check(page, "selfservice-sale")
    page.locator("#menu-button").click()
    expect(page.locator("#menu-dialog")).to_be_visible()
    axe.check(page, "selfservice-menu")
    page.keyboard.press("Escape")
    page.locator("#pay-button").click()
    expect(page.locator("#terminal-retry")).to_be_visible(timeout=20_000)
    axe.check(page, "selfservice-pay")
    page.keyboard.press("Escape")
    page.locator(".ss-lang[data-lang=fr]").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    axe.check(page, "selfservice-french")
    axe.assert_clean()


def test_the_till_drawer_and_time_states_have_no_violations(app: LiveApp, axe_page: Any) -> None:
    """The shift (float count, tasks, paid out, X report, the close's manager approval, the Z
    report), no sale and reprint with a supervisor's fields, and the time clock."""
    page, axe = axe_page, Axe()
    login(page, app.url, CASHIER)
    expect(page.locator("#scan-input")).to_be_focused()
    expect(page.locator("#shift-text")).to_have_text("Shift: none open")

    page.keyboard.press("Alt+s")
    shift = page.locator("#shift-dialog")
    shift.get_by_label("20.00 ×").fill("2")
    axe.check(page, "till-shift-open")
    shift.get_by_role("button", name="Open shift").click()
    expect(shift.get_by_role("status")).to_contain_text("Shift open")
    axe.check(page, "till-shift-menu")
    shift.get_by_role("button", name="Paid out").click()
    shift.get_by_label("Amount").fill("x")
    shift.get_by_role("button", name="Record paid out").click()
    expect(shift.get_by_role("alert")).to_be_visible()
    axe.check(page, "till-shift-paid-out")
    shift.get_by_role("button", name="Back", exact=True).click()
    shift.get_by_role("button", name="X report").click()
    expect(shift.locator("#report-caption")).to_contain_text("X report")
    axe.check(page, "till-shift-x-report")
    shift.get_by_role("button", name="Back", exact=True).click()
    shift.get_by_role("button", name="Close shift").click()
    shift.get_by_label("5.00 ×").fill("1")
    shift.get_by_role("button", name="Count and close").click()
    expect(shift.get_by_role("group", name="Manager approval")).to_be_visible()
    axe.check(page, "till-shift-close-approval")
    shift.get_by_label("Manager user name").fill(MANAGER[0])
    shift.get_by_label("Manager password").fill(MANAGER[1])
    shift.get_by_role("button", name="Approve and close").click()
    expect(shift.locator("#report-caption")).to_contain_text("Z report")
    axe.check(page, "till-shift-z-report")
    page.keyboard.press("Escape")

    page.keyboard.press("Alt+n")
    nosale = page.get_by_role("dialog", name="No sale: open the drawer")
    nosale.get_by_role("group", name="Supervisor approval").wait_for()
    axe.check(page, "till-no-sale")
    page.keyboard.press("Escape")

    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    page.keyboard.press("F2")
    page.get_by_role("dialog", name="Pay cash").locator("#quick-cash button").first.click()
    expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")
    page.keyboard.press("Alt+c")
    page.get_by_role("dialog", name="Reprint the last receipt").get_by_role(
        "group", name="Supervisor approval"
    ).wait_for()
    axe.check(page, "till-reprint")
    page.keyboard.press("Escape")

    page.keyboard.press("Alt+t")
    clock = page.get_by_role("dialog", name="Time clock")
    clock.get_by_role("button", name="Clock in").click()
    expect(clock.locator("#clock-state")).to_contain_text("working")
    axe.check(page, "till-time-clock")
    clock.get_by_role("button", name="Clock out").click()
    expect(clock.locator("#clock-state")).to_contain_text("not clocked in")
    page.keyboard.press("Escape")
    axe.check(page, "till-drawer-tools")

    page.set_viewport_size({"width": 800, "height": 600})
    axe.check(page, "till-drawer-tools-small")
    page.set_viewport_size(VIEWPORT)
    axe.assert_clean()


def test_the_till_customer_gift_card_and_return_states_have_no_violations(app: LiveApp, axe_page: Any) -> None:
    """The customer dialog (found, enrolled), the customer on the sale, the gift card sale,
    the gift card and points tenders with their refusals, the gift cards and points on the
    receipt screen, a return found by day, and a return without a receipt."""
    page, axe = axe_page, Axe()
    login(page, app.url, CASHIER)
    expect(page.locator("#scan-input")).to_be_focused()
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")

    customer = find_customer(page, "Axel")
    expect(customer.locator("#customer-none")).to_be_visible()
    customer.get_by_role("button", name="Enrol a new customer").click()
    customer.get_by_label("Name", exact=True).fill("Axel Access")
    customer.get_by_label("Phone (optional)").fill("514 555 0142")
    customer.get_by_label(re.compile("^Loyalty card")).fill("2900000000093")  # handed over: his points are his to spend
    axe.check(page, "till-customer-enrol")
    customer.get_by_role("button", name="Enrol and name on the sale").click()
    expect(customer).to_be_hidden()
    expect(page.locator("#customer-box")).to_contain_text("Axel Access")
    axe.check(page, "till-sale-with-customer")
    find_customer(page, "514 555 0142")
    customer.get_by_role("button", name="Name Axel Access on the sale").wait_for()
    axe.check(page, "till-customer-found")
    page.keyboard.press("Escape")

    page.keyboard.press("Alt+o")
    points = page.get_by_role("dialog", name="Pay with points")
    points.get_by_label(re.compile("^Amount paid with points")).fill("1")
    points.get_by_role("button", name="Redeem points").click()
    expect(points.get_by_role("alert")).to_contain_text("needs 100 points")
    axe.check(page, "till-tender-points-refused")
    page.keyboard.press("Escape")

    page.keyboard.press("Alt+i")
    sell = page.locator("#giftsell-dialog")  # "Sell a gift card", or "Top up a gift card"
    sell.get_by_label("Top up a card").check()
    expect(page.get_by_role("dialog", name="Top up a gift card")).to_be_visible()
    sell.get_by_label("Gift card number").fill("0000-0000-0000-0000")
    sell.get_by_label(re.compile("^Amount to load")).fill("10")
    sell.get_by_role("button", name="Add to sale").click()
    expect(sell.get_by_role("alert")).to_be_visible()
    axe.check(page, "till-gift-card-top-up-refused")
    sell.get_by_label("New card").check()
    sell.get_by_role("button", name="Add to sale").click()
    expect(page.locator("#t-total")).to_have_text("13.50")
    page.keyboard.press("F2")
    page.get_by_role("dialog", name="Pay cash").locator("#quick-cash button").first.click()
    expect(page.locator("#cards-issued")).to_be_visible()
    expect(page.locator("#loyalty-note")).to_contain_text("earned 3 points")
    axe.check(page, "till-receipt-gift-card-points")
    code = page.locator("#cards-issued .card-code").inner_text()
    page.keyboard.press("F9")

    scan(page, COFFEE)
    expect(page.locator("#t-total")).to_have_text("21.83")
    page.keyboard.press("Alt+g")
    gift = page.get_by_role("dialog", name="Pay by gift card")
    gift.get_by_label("Gift card number").fill(code)
    gift.get_by_role("button", name="Check balance").click()
    expect(gift.get_by_role("status")).to_contain_text("balance 10.00")
    gift.get_by_label("Amount from the card").fill("20")
    gift.get_by_role("button", name="Take from the card").click()
    expect(gift.get_by_role("alert")).to_contain_text("holds only")
    axe.check(page, "till-tender-gift-card")
    page.keyboard.press("Escape")
    page.keyboard.press("F8")
    page.get_by_role("dialog", name="Cancel this sale?").get_by_role("button", name="Cancel sale").click()
    expect(page.locator("#lines-empty")).to_be_visible()

    page.keyboard.press("Alt+r")
    refund = page.get_by_role("dialog", name="Return items")
    refund.get_by_role("button", name="List that day's sales").click()
    refund.locator("#refund-day-body button").first.wait_for()
    axe.check(page, "till-refund-day-list")
    refund.locator("#refund-day-body button").last.click()
    expect(refund.locator("#refund-to-hint")).to_be_visible()
    axe.check(page, "till-refund-money-back")
    refund.get_by_role("button", name="No receipt").click()
    noreceipt = page.get_by_role("dialog", name="Return without a receipt")
    noreceipt.get_by_label("Barcode or SKU").fill(BREAD)
    noreceipt.get_by_role("button", name="Add item").click()
    expect(noreceipt.locator("#noreceipt-body tr")).to_have_count(1)
    noreceipt.get_by_label("Reason").fill("No receipt")
    axe.check(page, "till-return-no-receipt")
    noreceipt.get_by_label("Supervisor user name").fill(SUPERVISOR[0])
    noreceipt.get_by_label("Supervisor password").fill(SUPERVISOR[1])
    noreceipt.get_by_role("button", name="Refund").click()
    expect(noreceipt.get_by_role("status")).to_contain_text("Refunded 3.50 CAD in cash")
    axe.check(page, "till-return-no-receipt-done")
    page.keyboard.press("Escape")

    page.set_viewport_size({"width": 800, "height": 600})
    scan(page, BREAD)
    find_customer(page, "Axel")
    customer.get_by_role("button", name="Name Axel Access on the sale").click()
    expect(page.locator("#customer-box")).to_be_visible()
    axe.check(page, "till-customer-small-screen")
    page.set_viewport_size(VIEWPORT)
    axe.assert_clean()
