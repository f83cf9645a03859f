"""A card not present, its number keyed in at the till: offered only where the store rule
allows it (off as a store is shipped) and only to a role that may take it (a manager). The
admin turns the rule on in Store rules; the manager's till then shows "Card not present
(keyed)", in the person's language; a cashier's never does. Debian's Chromium, headless,
against the real app on loopback and the simulated acquirer.

Screenshots land in test-artifacts/screens/ (names start with `till-keyed-`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveApp
from tests.e2e.screens import leave_the_till_empty, log_in, log_in_at_till, scan, staff_api
from tests.e2e.seed import ADMIN, CASHIER, COFFEE, GROCERY, MANAGER

pytestmark = pytest.mark.slow

STAFF = {CASHIER: "cashier", MANAGER: "manager", ADMIN: "admin"}
VISA = "4111111111111111"  # docs/acquirer-protocol.md: approved


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp], acquirer: str) -> LiveApp:
    """A store as shipped (the rule off), with a card acquirer and no payment terminal."""
    return shop(GROCERY, STAFF, gateway_url=acquirer)


@pytest.fixture(autouse=True)
def rule_off_after(app: LiveApp) -> Any:
    yield
    leave_the_till_empty(app.url, MANAGER)
    with staff_api(app.url, ADMIN) as api:
        if api.get("/settings/rules").json()["keyed_card_payments"]:
            assert api.put("/settings/rules", json={"keyed_card_payments": False}).status_code == 200


def keyed_button(page: Any) -> Any:
    return page.locator("#keyed-button")


def test_a_store_as_shipped_offers_no_keyed_card_to_anyone(app: LiveApp, page: Any, screenshot: Any) -> None:
    for who in (CASHIER, MANAGER):
        log_in_at_till(page, app.url, who)
        scan(page, COFFEE)
        expect(page.locator("#t-total")).to_have_text("21.83")
        expect(keyed_button(page)).to_be_hidden()
        expect(page.locator("#card-button")).to_be_disabled()  # no terminal on this till
        page.keyboard.press("F6")
        expect(page.get_by_role("dialog", name="Card not present (keyed)")).to_be_hidden()
        page.keyboard.press("F2")
        cash = page.get_by_role("dialog", name="Pay cash")
        expect(cash.get_by_role("button", name="Rest by card")).to_be_hidden()
        if who == MANAGER:
            screenshot(page, "till-keyed-off")
        cash.get_by_label("Cash received").fill("30")
        cash.get_by_role("button", name="Take cash").click()
        expect(page.locator("#receipt-text")).to_contain_text("TOTAL CAD")
        page.get_by_role("button", name="Log out").click()
        page.locator("#login-form").wait_for()


def test_the_admin_turns_it_on_and_only_the_manager_keys_a_card_in(app: LiveApp, page: Any, screenshot: Any) -> None:
    log_in(page, app.url + "/backoffice#rules", ADMIN)
    page.get_by_role("heading", name="Store rules", exact=True).wait_for()
    cards = page.locator("#keyed-form")
    keyed = cards.get_by_label("A manager may key in a card's number (card not present)")
    expect(keyed).not_to_be_checked()
    keyed.check()
    cards.get_by_role("button", name="Save card rules").click()
    expect(cards.get_by_role("status")).to_contain_text("Saved")
    screenshot(page, "till-keyed-rule-on")
    with staff_api(app.url, ADMIN) as api:
        assert api.get("/settings/rules").json()["keyed_card_payments"] is True
        entries = api.get("/audit").json()["entries"]
        switched = [e for e in entries if e["action"] == "keyed_cards_on"]
        assert len(switched) == 1 and switched[0]["actor"] == ADMIN[0]

    page.goto("about:blank")
    page.context.clear_cookies()  # the admin's session ends here
    log_in_at_till(page, app.url, CASHIER)
    scan(page, COFFEE)
    expect(page.locator("#t-total")).to_have_text("21.83")
    expect(keyed_button(page)).to_be_hidden()  # a cashier may not, whatever the store allows
    page.keyboard.press("F2")
    expect(page.get_by_role("dialog", name="Pay cash").get_by_role("button", name="Rest by card")).to_be_hidden()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Log out").click()  # parks the sale
    page.locator("#login-form").wait_for()
    leave_the_till_empty(app.url, MANAGER)

    log_in_at_till(page, app.url, MANAGER)
    scan(page, COFFEE)
    expect(page.locator("#t-total")).to_have_text("21.83")
    expect(keyed_button(page)).to_be_visible()
    expect(page.locator("#card-button")).to_be_disabled()  # the Card tender is the terminal's
    keyed_button(page).click()
    card = page.get_by_role("dialog", name="Card not present (keyed)")
    expect(card.get_by_label("Amount on the card")).to_have_value("21.83")
    card.get_by_label("Card number").fill(VISA)
    card.get_by_label("Expiry month").fill("12")
    card.get_by_label("Expiry year").fill("2030")
    screenshot(page, "till-keyed-dialog")
    card.get_by_role("button", name="Charge card").click()
    receipt = page.locator("#receipt-text")
    expect(receipt).to_contain_text("TOTAL CAD")
    assert VISA not in receipt.inner_text() and "1111" in receipt.inner_text()


IN_WORDS = [("fr", "Carte absente (saisie)"), ("uk", "Картка відсутня (ввести вручну)")]


@pytest.mark.parametrize(("language", "words"), IN_WORDS)
def test_the_keyed_option_in_the_managers_language(app: LiveApp, page: Any, language: str, words: str) -> None:
    with staff_api(app.url, ADMIN) as api:
        assert api.put("/settings/rules", json={"keyed_card_payments": True}).status_code == 200
    with staff_api(app.url, MANAGER) as api:
        assert api.post("/auth/language", json={"language": language}).status_code == 200
    try:
        log_in_at_till(page, app.url, MANAGER)
        scan(page, COFFEE)
        expect(keyed_button(page)).to_have_text(words)
    finally:
        with staff_api(app.url, MANAGER) as api:
            assert api.post("/auth/language", json={"language": "en"}).status_code == 200
