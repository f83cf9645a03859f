"""The back office's "Card terminal: to check" in a real browser: the count beside the menu's
link as soon as a manager logs in, the list of what the terminal moved and the till could not
put right, and a manager's decisions (a refused refund kept with a note, a held charge
attached to the sale rung again, a decision the API refuses shown with its reason), axe
clean in English and in Ukrainian.

The flags are made through the till's own services and the terminal double
(tests/fakes/terminal.py) before the app starts, stamped an hour ago; the live app has no
terminal of its own (what needs one says so). Screenshots land in test-artifacts/screens/
(names start with `backoffice-terminal-`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from appliance.app.services import auth, returns, sales, terminal_payments
from appliance.app.services.shop import Shop, utc_now
from appliance.app.services.terminal_desk import TerminalDesk
from tests.e2e.axe import Axe
from tests.e2e.conftest import LiveApp
from tests.e2e.screens import log_in, staff_api
from tests.e2e.seed import BREAD_LOAF, CASHIER, MANAGER, SUPERVISOR, catalogue
from tests.fakes.terminal import FakeTerminal

pytestmark = pytest.mark.slow

LOAF = 350  # minor units: a bread loaf, exempt


def _flags(shop: Shop) -> None:
    """A charge held with no sale (a late tap on a sale paid cash, its reversal refused), a
    refund the terminal refused, a payment whose outcome the terminal cannot tell; and an
    open sale of a loaf, where the held charge goes."""
    shop.clock = lambda: utc_now() - dt.timedelta(hours=1)
    cashier = auth.login(shop, CASHIER[0], CASHIER[1], "127.0.0.1").actor
    manager = auth.login(shop, MANAGER[0], MANAGER[1], "127.0.0.1").actor
    fake = FakeTerminal()
    desk = TerminalDesk(fake, timeout=5.0, in_flight_window=0.0, answer_wait=5.0)

    def loaf() -> int:
        sale_id = int(sales.open_sale(shop, cashier)["id"])
        sales.add_item(shop, cashier, sale_id, sku="BRD-LOAF")
        return sale_id

    held = loaf()
    fake.script = ["in_progress", "refuse_refund"]
    attempt = terminal_payments.pay(shop, cashier, desk, held, LOAF, "late-tap")
    sales.pay_cash(shop, cashier, held, LOAF)
    fake.finish(next(iter(fake.records)), "approved")
    assert terminal_payments.resolve_open(shop, desk) == ["flagged"], attempt

    refunded = loaf()
    terminal_payments.pay(shop, cashier, desk, refunded, LOAF, "paid")
    refund = returns.refund(shop, manager, refunded, [{"line": 1}], "stale")
    fake.script = ["refuse_refund"]
    terminal_payments.send_refunds(shop, desk, refund["id"])

    fake.script = ["in_progress"]
    terminal_payments.pay(shop, cashier, desk, loaf(), LOAF, "cannot-tell")
    loaf()  # rung again for the customer whose charge is held


@pytest.fixture(scope="module")
def app(shop: Callable[..., LiveApp]) -> LiveApp:
    people = {CASHIER: "cashier", SUPERVISOR: "supervisor", MANAGER: "manager"}
    return shop(catalogue(BREAD_LOAF), people, then=_flags)


@pytest.fixture(scope="module")
def api(app: LiveApp) -> Iterator[httpx.Client]:
    with staff_api(app.url, MANAGER) as client:
        yield client


def _checks(api: httpx.Client) -> dict[str, dict[str, Any]]:
    answer = api.get("/terminal/checks")
    assert answer.status_code == 200, answer.text
    return {check["why"]: check for check in answer.json()["checks"]}


def _link(page: Any) -> Any:
    return page.get_by_role("navigation", name="Back office").get_by_role("link", name="Card terminal: to check")


def test_a_manager_sees_the_count_and_settles_what_the_terminal_left(
    app: LiveApp, api: httpx.Client, page: Any, screenshot: Any
) -> None:
    checks = _checks(api)
    assert set(checks) == {"charge_held", "refund_refused", "outcome_unknown"}
    held, refused, unknown = checks["charge_held"], checks["refund_refused"], checks["outcome_unknown"]
    open_sale = held["sale_id"] + 3  # the last loaf rung, still open
    assert api.get(f"/sales/{open_sale}").json()["status"] == "open"

    log_in(page, app.url + "/backoffice", MANAGER)
    page.locator("#app-view").wait_for()
    expect(page.locator("#terminal-count")).to_have_text("3")
    _link(page).click()
    page.get_by_role("heading", name="Card terminal: to check", exact=True).wait_for()
    rows = page.locator("#terminal-body tr")
    expect(rows).to_have_count(3)
    expect(rows.filter(has_text="Charged with no sale")).to_contain_text("VISA 4242")
    expect(rows.filter(has_text="refused the refund")).to_contain_text(refused["reference"])
    screenshot(page, "backoffice-terminal-list")

    # The refused refund, given back in cash: a note is required, then it leaves the list.
    page.get_by_role("button", name=f"Keep (settled another way) for transaction {refused['id']}").click()
    dialog = page.get_by_role("dialog", name="Keep (settled another way)")
    dialog.get_by_role("button", name="Keep (settled another way)").click()
    expect(dialog.get_by_role("alert")).to_contain_text("note")
    dialog.get_by_label("Note for the audit log").fill("3.50 given back in cash")
    dialog.get_by_role("button", name="Keep (settled another way)").click()
    expect(page.get_by_role("status").filter(has_text=f"Transaction {refused['id']}")).to_contain_text("Settled")
    expect(rows).to_have_count(2)
    expect(page.locator("#terminal-count")).to_have_text("2")

    # The held charge pays the loaf rung again.
    page.get_by_role("button", name=f"Attach to a sale for transaction {held['id']}").click()
    dialog = page.get_by_role("dialog", name="Attach to a sale")
    dialog.get_by_label("Number of the open sale it pays").fill(str(open_sale))
    screenshot(page, "backoffice-terminal-attach")
    dialog.get_by_role("button", name="Attach to a sale").click()
    expect(page.get_by_role("status").filter(has_text=f"Transaction {held['id']}")).to_contain_text("Settled")
    expect(rows).to_have_count(1)
    sale = api.get(f"/sales/{open_sale}").json()
    assert sale["status"] == "completed"
    assert [(p["method"], p["amount"]) for p in sale["payments"]] == [("card", LOAF)]

    # Without a terminal on this till the journal's word cannot be checked with it: the reason shows.
    page.get_by_role("button", name=f"The journal shows nothing for transaction {unknown['id']}").click()
    dialog = page.get_by_role("dialog", name="The journal shows nothing")
    dialog.get_by_role("button", name="The journal shows nothing").click()
    expect(dialog.get_by_role("alert")).to_contain_text("No payment terminal is set up")
    dialog.get_by_role("button", name="Not now").click()
    expect(dialog).to_be_hidden()
    expect(rows).to_have_count(1)
    assert set(_checks(api)) == {"outcome_unknown"}


def test_the_screen_has_no_axe_violations_in_english_and_in_ukrainian(
    app: LiveApp, api: httpx.Client, browser: Any
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-CA", bypass_csp=True)
    page, axe = context.new_page(), Axe()
    try:
        log_in(page, app.url + "/backoffice#terminal", MANAGER)
        page.locator("#terminal-body tr").first.wait_for()
        axe.check(page, "backoffice-terminal")
        page.locator("#terminal-body button").first.click()
        page.get_by_role("dialog").wait_for()
        axe.check(page, "backoffice-terminal-dialog")
        page.keyboard.press("Escape")
        assert api.post("/auth/language", json={"language": "uk"}).status_code == 200
        page.reload()
        page.get_by_role("heading", name="Платіжний термінал: перевірити").wait_for()
        page.locator("#terminal-body button").first.click()
        page.get_by_role("dialog").wait_for()
        axe.check(page, "backoffice-terminal-uk")
    finally:
        api.post("/auth/language", json={"language": "en"})
        context.close()
    axe.assert_clean()
