"""Staff the way shops work, in a real browser: a manager resets a cashier's PIN and gives
them a badge on the staff screen; the cashier logs in at the till with the one-time PIN,
chooses their own (an obvious one is refused), sells, and logs in again by scanning the
badge into the user-name field; a disabled account is refused at the till. axe finds
nothing on the new states.

Screenshots land in test-artifacts/screens/ (names start with `staff-` and `a11y-staff-`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import Axe
from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in, pay_exact_cash, scan
from tests.e2e.seed import BREAD, CASHIER, MANAGER, SUPERVISOR, TEA, catalogue
from tests.e2e.seed import NEXT_CASHIER as OTHER

pytestmark = pytest.mark.slow

SUPERVISOR_PIN = "4826"
SUPERVISOR_BADGE = "BADGE-00007-SAM"
BADGE = "BADGE-00042-LEA"
CATALOG = catalogue(
    f"BRD,Bread loaf,3.50,exempt,{BREAD},20,bakery",
    f"TEA,Green tea,4.25,exempt,{TEA},10,",
    columns="sku,name,price,tax_class,barcodes,stock,category",
)
STAFF = {CASHIER: "cashier", OTHER: "cashier", MANAGER: "manager", SUPERVISOR: "supervisor"}


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    # A supervisor with a badge and a PIN of their own (set with their password).
    return shop(CATALOG, STAFF, badges={SUPERVISOR: SUPERVISOR_BADGE}, pins={SUPERVISOR: SUPERVISOR_PIN})


def open_staff(page: Any, app: LiveApp) -> None:
    log_in(page, app.url + "/manager#staff", MANAGER)  # the old address: the back office's Staff
    page.get_by_role("heading", name="Staff", exact=True).wait_for()
    assert page.url == app.url + "/backoffice#staff"
    expect(page.locator("#staff-body")).to_contain_text(CASHIER[0])


def reset_pin(page: Any, username: str) -> str:
    page.get_by_role("button", name=f"Manage {username}").click()
    expect(page.get_by_role("heading", name=f"Manage {username}")).to_be_focused()
    page.get_by_role("button", name="Reset PIN").click()
    secret = page.locator("#manage-secret-value")
    expect(secret).to_have_text(re.compile(r"^[0-9]{6}$"))
    pin: str = secret.inner_text()
    return pin


def test_a_cashier_starts_with_a_one_time_pin_chooses_their_own_and_sells(
    app: LiveApp, page: Any, screenshot: Any
) -> None:
    open_staff(page, app)
    pin = reset_pin(page, CASHIER[0])
    expect(page.locator("#manage-secret")).to_contain_text(f"One-time PIN for {CASHIER[0]}")
    screenshot(page, "staff-01-one-time-pin")
    page.get_by_role("button", name="I have noted it").click()
    expect(page.locator("#manage-secret-value")).to_have_text("")
    row = page.locator("#staff-body tr").filter(has_text=CASHIER[0])
    expect(row).to_contain_text("one-time PIN")

    # The badge, scanned into its field (a reader types it like a keyboard).
    page.get_by_label("Badge", exact=True).fill(BADGE)
    page.get_by_role("button", name="Set badge").click()
    expect(page.locator("#manage-done")).to_have_text(f"{CASHIER[0]}'s badge is set.")
    expect(row).to_contain_text("badge")
    screenshot(page, "staff-02-badge-set")
    page.locator("#logout").click()

    # At the till, the one-time PIN opens only the PIN change.
    log_in(page, app.url + "/", (CASHIER[0], pin))
    expect(page.get_by_role("heading", name="Choose your PIN")).to_be_visible()
    expect(page.get_by_label("One-time PIN")).to_be_focused()
    page.get_by_label("One-time PIN").fill(pin)
    page.get_by_label("New PIN", exact=True).fill("1234")
    page.get_by_label("New PIN again").fill("1234")
    page.get_by_role("button", name="Save PIN").click()
    expect(page.locator("#pin-error")).to_contain_text("straight run")
    page.get_by_label("New PIN", exact=True).fill("2580")
    page.get_by_label("New PIN again").fill("2580")
    screenshot(page, "staff-03-choose-pin")
    page.get_by_role("button", name="Save PIN").click()
    expect(page.locator("#scan-input")).to_be_focused()
    scan(page, BREAD)
    expect(page.locator("#lines")).to_contain_text("Bread loaf")
    pay_exact_cash(page)
    page.locator("#logout").click()

    # Their own PIN now, then the badge scanned into the user-name field with no secret.
    log_in(page, app.url + "/", (CASHIER[0], "2580"))
    expect(page.locator("#scan-input")).to_be_focused()
    page.locator("#logout").click()
    name = page.locator("#login-form").get_by_label("User name")
    expect(name).to_have_value("")
    expect(name).to_be_focused()
    scan(page, BADGE)
    expect(page.locator("#scan-input")).to_be_focused()
    expect(page.locator("#user-name")).to_have_text(f"{CASHIER[0]} (cashier)")
    screenshot(page, "staff-04-badge-login")


def test_a_supervisor_approves_at_the_till_by_badge_and_by_pin(app: LiveApp, page: Any, screenshot: Any) -> None:
    log_in(page, app.url + "/", OTHER)
    expect(page.locator("#scan-input")).to_be_focused()
    scan(page, BREAD)
    expect(page.locator("#lines-body tr")).to_have_count(1)

    # The price dialog with the supervisor's PIN typed as the password.
    page.keyboard.press("Alt+p")
    dialog = page.get_by_role("dialog", name="Override the price")
    expect(dialog.get_by_role("group", name="Supervisor approval")).to_be_visible()
    dialog.get_by_label("New unit price (CAD)").fill("2.75")
    dialog.get_by_label("Reason").fill("Day-old bread")
    dialog.get_by_label("Supervisor user name or badge").fill(SUPERVISOR[0])
    dialog.get_by_label("Supervisor password or PIN").fill(SUPERVISOR_PIN)
    dialog.get_by_role("button", name="Set price").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#t-total")).to_have_text("2.75")

    # The badge scanned into the approval's user-name field stays there: it is no item.
    scan(page, TEA)
    expect(page.locator("#lines-body tr")).to_have_count(2)
    page.keyboard.press("F4")
    void = page.get_by_role("dialog")
    void.get_by_role("heading", name="Supervisor approval needed").wait_for()
    expect(void.get_by_label("Supervisor user name or badge")).to_be_focused()
    scan(page, SUPERVISOR_BADGE)
    expect(void.get_by_label("Supervisor user name or badge")).to_have_value(SUPERVISOR_BADGE)
    screenshot(page, "staff-05-void-by-badge")
    void.get_by_role("button", name="Approve and void").click()
    expect(void).to_be_hidden()
    expect(page.locator("#t-total")).to_have_text("2.75")
    expect(page.locator("#approval-username")).to_have_value("")
    pay_exact_cash(page)


def test_a_disabled_cashier_is_refused_at_the_till_until_enabled(app: LiveApp, page: Any) -> None:
    open_staff(page, app)
    page.get_by_role("button", name=f"Manage {OTHER[0]}").click()
    page.get_by_role("button", name="Disable account").click()
    expect(page.locator("#manage-done")).to_have_text(f"{OTHER[0]} is disabled; their sessions ended.")
    expect(page.locator("#staff-body tr").filter(has_text=OTHER[0])).to_contain_text("disabled")
    expect(page.get_by_role("button", name=f"Manage {MANAGER[0]}")).to_have_count(0)
    page.locator("#logout").click()
    log_in(page, app.url + "/", OTHER)
    expect(page.locator("#login-error")).to_contain_text("disabled")

    open_staff(page, app)
    page.get_by_role("button", name=f"Manage {OTHER[0]}").click()
    page.get_by_role("button", name="Enable account").click()
    expect(page.locator("#manage-done")).to_have_text(f"{OTHER[0]} is enabled.")
    # A manager offers only the roles a manager may give.
    expect(page.locator("#manage-role option")).to_have_text(["Cashier", "Supervisor"])


def test_the_staff_states_have_no_violations(app: LiveApp, axe_page: Any) -> None:
    page, axe = axe_page, Axe()
    open_staff(page, app)
    axe.check(page, "staff-list")
    pin = reset_pin(page, OTHER[0])
    axe.check(page, "staff-one-time-pin")
    page.get_by_role("button", name="I have noted it").click()
    page.get_by_role("button", name="Set badge").click()
    expect(page.locator("#manage-error")).to_be_visible()
    axe.check(page, "staff-manage-error")
    page.locator("#logout").click()
    log_in(page, app.url + "/", (OTHER[0], pin))
    expect(page.get_by_role("heading", name="Choose your PIN")).to_be_visible()
    axe.check(page, "staff-till-pin-change")
    page.get_by_role("button", name="Save PIN").click()
    expect(page.locator("#pin-error")).to_be_visible()
    axe.check(page, "staff-till-pin-error")
    page.locator("#pin-logout").click()
    expect(page.get_by_role("heading", name="Log in to the till")).to_be_visible()
    axe.check(page, "staff-till-login")
    axe.assert_clean()
