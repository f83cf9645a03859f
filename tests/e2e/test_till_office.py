"""The till's link to the office in its header: nothing on a till that is not enrolled; on
one enrolled at an office it cannot reach, the line says so with what waits, in the
cashier's language, and stays clean under axe; a gift card spent there (offline, under the
chain's cap) is said to the cashier and on the receipt. Debian's Chromium, headless, against the real
app on loopback (its push loop running, and failing: no office answers here).

Screenshots land in test-artifacts/screens/ (names start with `till-office-`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from appliance.app.services import auth, gift_cards, sales
from appliance.app.services.outbox_push import ENROLLED_MARK
from appliance.app.services.shop import Shop
from tests.e2e.axe import Axe
from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in_at_till, pay_exact_cash, scan
from tests.e2e.seed import COFFEE, GROCERY

pytestmark = pytest.mark.slow

CASHIER = ("lea", "Till-pass-2024")


def enrolled(shop: Shop) -> None:
    """What `comptoir enrol` leaves that says enrolled; its certificate is not one, and the
    office it names does not exist, so the push loop fails and says why."""
    mark = shop.data_dir.joinpath(*ENROLLED_MARK)
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.write_text("not a certificate\n")


def test_a_till_not_enrolled_shows_no_office(shop: Callable[..., LiveApp], page: Any) -> None:
    app = shop(None, {CASHIER: "cashier"})
    log_in_at_till(page, app.url, CASHIER)
    expect(page.locator("#printer-status")).to_be_visible()  # the header's checks have run
    expect(page.locator("#office-status")).to_be_hidden()
    # No payment terminal here either: the greyed card button says why.
    card = page.locator("#card-button")
    expect(card).to_be_disabled()
    expect(card).to_have_attribute("title", "No payment terminal is set up on this till: take another tender.")


def test_an_enrolled_till_that_cannot_reach_its_office_says_so(
    shop: Callable[..., LiveApp], axe_page: Any, screenshot: Any
) -> None:
    app = shop(None, {CASHIER: "cashier"}, then=enrolled)
    page = axe_page
    log_in_at_till(page, app.url, CASHIER)
    office = page.locator("#office-status")
    expect(office).to_be_visible()
    expect(office).to_have_attribute("data-state", "bad")
    expect(page.locator("#office-text")).to_have_text(
        # The store's own making (its staff, its catalogue) waits to go, from the start.
        re.compile(r"Office: not reached yet, \d+ events waiting \(oldest \d+ (s|min)\)")
    )
    axe = Axe()
    axe.check(page, "till-office-unreached")
    page.get_by_role("button", name="FR", exact=True).click()
    expect(page.locator("#office-text")).to_have_text(
        re.compile(r"Siège : jamais joint, \d+ événements en attente \(le plus ancien : \d+ (s|min)\)")
    )
    axe.check(page, "till-office-unreached-fr")
    screenshot(page, "till-office-01-unreached-fr")
    axe.assert_clean()


def test_the_x_and_z_of_an_enrolled_till_say_what_the_office_did_not_have(
    shop: Callable[..., LiveApp], page: Any, screenshot: Any
) -> None:
    app = shop(None, {CASHIER: "cashier"}, then=enrolled)
    log_in_at_till(page, app.url, CASHIER)
    page.keyboard.press("Alt+s")
    opening = page.get_by_role("dialog", name="Open a shift")
    opening.get_by_label("20.00 ×").fill("1")
    opening.get_by_role("button", name="Open shift").click()
    expect(page.locator("#shift-text")).to_have_text("Shift: open (lea)")
    shift = page.locator("#shift-dialog")
    # Mid-shift, the X says the same of the link as it is now.
    shift.get_by_role("button", name="X report").click()
    x = page.locator("#report-view")
    expect(x).to_contain_text("X report, shift")
    expect(x.locator("tr", has_text="Office now")).to_be_visible()
    expect(x.locator("tr", has_text="Last contact")).to_contain_text("never")
    shift.get_by_role("button", name="Back", exact=True).click()
    shift.get_by_role("button", name="Close shift").click()
    close = page.get_by_role("dialog", name="Close the shift: count the drawer")
    close.get_by_label("20.00 ×").fill("1")
    close.get_by_role("button", name="Count and close").click()
    z = page.get_by_role("dialog", name="Z report")
    expect(z.locator("tr", has_text="Office at the close")).to_be_visible()
    # No office ever answered: everything the till made waits, and it never had contact.
    expect(z.locator("tr", has_text="Events not sent").locator("td")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(z.locator("tr", has_text="Oldest not sent")).to_contain_text(re.compile(r"\d+ (s|min)"))
    expect(z.locator("tr", has_text="Last contact")).to_contain_text("never")
    screenshot(page, "till-office-02-z")


def test_a_gift_card_spent_while_the_office_does_not_answer_is_said_on_screen_and_receipt(
    shop: Callable[..., LiveApp], page: Any, screenshot: Any
) -> None:
    codes: list[str] = []

    def card_then_enrolled(shop: Shop) -> None:
        """A card sold at this till before it was enrolled: the till knows it, offline too."""
        seller = auth.login(shop, CASHIER[0], CASHIER[1], "127.0.0.1").actor
        sale = sales.open_sale(shop, seller)
        codes.append(str(gift_cards.sell(shop, seller, sale["id"], 1000)["gift_card"]["code"]))
        sales.pay_cash(shop, seller, sale["id"], 1000)
        enrolled(shop)

    app = shop(GROCERY, {CASHIER: "cashier"}, then=card_then_enrolled)
    log_in_at_till(page, app.url, CASHIER)
    scan(page, COFFEE)
    expect(page.locator("#t-total")).to_have_text("21.83")
    page.keyboard.press("Alt+g")
    dialog = page.get_by_role("dialog", name="Pay by gift card")
    dialog.get_by_label("Gift card number").fill(codes[0])
    dialog.get_by_label("Amount from the card").fill("10")
    dialog.get_by_role("button", name="Take from the card").click()
    # A plain notice, not an error: the tender is taken.
    expect(dialog.get_by_role("status")).to_have_text(
        "10.00 taken from the card; 11.83 CAD still due. The office did not answer: the gift card was taken "
        "offline, within the chain's offline limit. The receipt says so."
    )
    expect(dialog.get_by_role("alert")).to_be_hidden()
    page.keyboard.press("Escape")
    pay_exact_cash(page)
    expect(page.locator("#gift-offline-note")).to_be_visible()
    expect(page.locator("#receipt-text")).to_contain_text(f"Gift card ****{codes[0][-4:]} (office offline)")
    screenshot(page, "till-office-03-gift-card-offline")
    page.keyboard.press("F9")
    expect(page.locator("#gift-offline-note")).to_be_hidden()
