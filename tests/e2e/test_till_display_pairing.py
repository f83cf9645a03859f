"""The customer display pairs with its till by a code, with no second login: the till shows a
6-digit code, the display (a browser where nobody is logged in) takes it, and from then on
shows the sale the till rings up — after a reload too — until the till unpairs it. Debian's
Chromium, headless, against the real app on loopback; a run under axe covers the new states.

Screenshots land in test-artifacts/screens/ (names start with `display-pairing-`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.axe import Axe
from tests.e2e.conftest import VIEWPORT, LiveApp, checked_tab
from tests.e2e.screens import log_in_at_till, scan, till_left_empty
from tests.e2e.seed import BREAD, BREAD_LOAF, CASHIER, catalogue

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    return shop(catalogue(BREAD_LOAF), {CASHIER: "cashier"})


empty_till = till_left_empty(CASHIER)


@pytest.fixture
def second_screen(browser: Any) -> Iterator[Any]:
    """The customer display: a browser of its own (no cookie of the till's), under the real CSP."""
    yield from checked_tab(browser)


def show_code(till: Any) -> str:
    till.get_by_role("button", name="Pair display").click()
    dialog = till.get_by_role("dialog", name="Customer display")
    expect(dialog.locator("#display-code")).to_have_text(re.compile(r"^\d{3} \d{3}$"))
    return str(dialog.locator("#display-code").inner_text()).replace(" ", "")


def test_a_display_paired_by_code_shows_the_tills_sale(
    app: LiveApp, page: Any, second_screen: Any, screenshot: Any
) -> None:
    display = second_screen
    display.goto(app.url + "/display")
    expect(display.get_by_role("heading", name="Pair this display with the till")).to_be_visible()

    log_in_at_till(page, app.url, CASHIER)
    code = show_code(page)
    screenshot(page, "display-pairing-01-till-code")
    display.get_by_label("Pairing code").fill(code)
    display.get_by_role("button", name="Pair").click()
    expect(display.locator("#welcome")).to_be_visible()
    dialog = page.get_by_role("dialog", name="Customer display")
    expect(dialog.locator("#display-done")).to_have_text("The customer display is paired.")
    expect(dialog.locator("#display-state")).to_contain_text("paired with this till since")
    dialog.get_by_role("button", name="Back").click()

    expect(page.locator("#scan-input")).to_be_focused()
    scan(page, BREAD)
    expect(page.locator("#t-total")).to_have_text("3.50")
    expect(display.locator("#lines li")).to_have_count(1)
    expect(display.locator("#lines li")).to_contain_text("Bread loaf")
    expect(display.locator("#total")).to_have_text("3.50")
    screenshot(display, "display-pairing-02-line-on-display")

    display.reload()  # the pairing is the display's own cookie: a reload keeps it
    expect(display.locator("#total")).to_have_text("3.50")

    page.get_by_role("button", name="Pair display").click()
    page.get_by_role("dialog", name="Customer display").get_by_role("button", name="Unpair the display").click()
    expect(dialog.locator("#display-done")).to_contain_text("unpaired")
    dialog.get_by_role("button", name="Back").click()
    scan(page, BREAD)  # the next change ends the unpaired display's stream: it asks for a code
    expect(page.locator("#t-total")).to_have_text("7.00")
    expect(display.get_by_role("heading", name="Pair this display with the till")).to_be_visible()
    expect(display.locator("#sale")).to_be_hidden()
    screenshot(display, "display-pairing-03-unpaired")
    display.get_by_label("Pairing code").fill(code)
    display.get_by_role("button", name="Pair").click()
    expect(display.locator("#pairing-error")).to_have_text(
        "That code is wrong, used or expired. Ask the till for a new one."
    )


def test_the_pairing_states_are_clean_under_axe(app: LiveApp, axe_page: Any, browser: Any) -> None:
    axe = Axe()
    till = axe_page
    log_in_at_till(till, app.url, CASHIER)
    code = show_code(till)
    axe.check(till, "till-display-pairing-code")

    context = browser.new_context(viewport=VIEWPORT, locale="en-CA", bypass_csp=True)
    try:
        display = context.new_page()
        display.goto(app.url + "/display")
        expect(display.get_by_label("Pairing code")).to_be_focused()
        axe.check(display, "display-pairing-entry")
        display.get_by_label("Pairing code").fill("12345")
        display.get_by_role("button", name="Pair").click()
        expect(display.locator("#pairing-error")).to_have_text("Type the 6 digits the till shows.")
        axe.check(display, "display-pairing-error")
        display.goto(f"{app.url}/display?code={code}")  # the code in the address, as the till says
        expect(display.locator("#welcome")).to_be_visible()
        expect(display).to_have_url(app.url + "/display")  # the spent code leaves the address bar
        axe.check(display, "display-paired-welcome")
    finally:
        context.close()
    expect(till.locator("#display-state")).to_contain_text("paired with this till since")
    axe.check(till, "till-display-paired")
    axe.assert_clean()
