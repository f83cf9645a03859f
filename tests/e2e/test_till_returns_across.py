"""A receipt of another lane given back at the till's returns screen: the till does not hold
it, so the screen asks the office (a real one, on a throwaway PostgreSQL cluster:
tests/office/conftest.py), says which store and till printed it, lets the cashier pick the
store when two printed the number, and pays back in cash with a supervisor's approval. An
answer lost on the way is asked again under the same Idempotency-Key: one return, and the
office's returnable goes down once; a hold the office no longer holds pays nothing and the next
try is a new key; clean under axe. Debian's Chromium, headless, against the real till on
loopback, enrolled at the office over mutual TLS.

Screenshots land in test-artifacts/screens/ (names start with `till-return-across-`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from appliance.app.services import auth, catalog, outbox_push, sales, users
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Shop
from appliance.lane import enrolment as lane
from appliance.lane.returns import OfficeReturns
from appliance.office.services import enrolment
from appliance.office.services.office import Office
from tests.conftest import set_cash_needs_shift
from tests.e2e.axe import Axe
from tests.e2e.conftest import LiveApp, serve_store
from tests.e2e.screens import log_in_at_till
from tests.e2e.seed import CASHIER, GROCERY, SUPERVISOR, staff
from tests.office.conftest import (  # noqa: F401 fixtures
    RunningOffice,
    office_dir,
    office_dsn,
    pg_cluster,
    running_office,
)

pytestmark = pytest.mark.slow

NUMBER = "T02-000001"  # printed by lyon/T02 and by paris/T02: two stores' tills share the id


@dataclass
class Chain:
    till: LiveApp  # lyon/T01, served: the screen under test
    lyon: Shop  # lyon/T02, where the customer bought
    sold: dict[str, Any]


def _enrol(shop: Shop, running: RunningOffice, store: str, till: str) -> None:
    office: Office = running.office  # type: ignore[assignment]
    issued = enrolment.issue_token(office, store, till, issued_by="test")
    lane.enrol(shop.data_dir, running.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint, warn=print)


def _sell(shop: Shop, *lines: tuple[str, int]) -> dict[str, Any]:
    """A sale paid in cash at a lane, pushed to the office."""
    users.add_user(shop, None, "seller", "cashier", SUPERVISOR[1])
    seller = auth.login(shop, "seller", SUPERVISOR[1], "127.0.0.1").actor
    sale = sales.open_sale(shop, seller)
    for sku, quantity in lines:
        sales.add_item(shop, seller, sale["id"], sku=sku, quantity=quantity)
    done = dict(sales.pay_cash(shop, seller, sale["id"], 100_00))
    pusher = outbox_push.Pusher(shop, outbox_push.office_sender(shop))
    while pusher.run_once():
        pass
    return done


@pytest.fixture
def chain(running_office: RunningOffice, tmp_path: Path) -> Iterator[Chain]:  # noqa: F811 the fixture above
    lanes: list[Shop] = []
    try:
        for store in ("lyon", "paris"):
            data = tmp_path / f"{store}-T02" / "data"
            data.parent.mkdir()
            shop, _ = init_store(data, NewStore(store_name=store.title()), terminal_id="T02")
            lanes.append(shop)
            set_cash_needs_shift(shop, False)
            catalog.import_csv(shop, None, GROCERY)
            _enrol(shop, running_office, store, "T02")
        lyon, paris = lanes
        sold = _sell(lyon, ("COF-1KG", 1), ("BRD-LOAF", 3))
        _sell(paris, ("BRD-LOAF", 1))
        assert sold["receipt_number"] == NUMBER

        def seed(shop: Shop) -> None:
            catalog.import_csv(shop, None, GROCERY)
            staff(shop, {CASHIER: "cashier", SUPERVISOR: "supervisor"})
            _enrol(shop, running_office, "lyon", "T01")

        with serve_store(tmp_path / "lyon-T01", seed) as till:
            yield Chain(till, lyon, sold)
    finally:
        for shop in lanes:
            shop.close()


def test_a_receipt_of_another_lane_is_found_through_the_office_and_given_back_in_cash_once(
    chain: Chain, axe_page: Any, screenshot: Any
) -> None:
    page, axe = axe_page, Axe()
    log_in_at_till(page, chain.till.url, CASHIER)
    page.keyboard.press("Alt+r")
    dialog = page.get_by_role("dialog", name="Return items")
    # A number nobody printed: not here, and not at the office either.
    dialog.get_by_label("Receipt number").fill("T09-000001")
    dialog.get_by_role("button", name="Find sale").click()
    expect(dialog.get_by_role("alert")).to_have_text("No receipt T09-000001 on this till or at the office.")
    # The office out of reach (its refusal as the till's API gives it, tests/office has the real one).
    silent = {"error": {"code": "office_unreachable", "message": "the office cannot be reached"}}
    page.route("**/api/v1/office/receipts/*", lambda route: route.fulfill(status=409, json=silent))
    dialog.get_by_role("button", name="Find sale").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "The office cannot be reached: try again, or do a return without receipt."
    )
    page.unroute("**/api/v1/office/receipts/*")
    dialog.get_by_label("Receipt number").fill(NUMBER)
    dialog.get_by_role("button", name="Find sale").click()
    # Not on this till; at the office, two stores printed that number: the cashier says which.
    expect(dialog.get_by_role("group", name="This number was printed at more than one store")).to_be_visible()
    expect(dialog.get_by_role("alert")).to_be_hidden()
    screenshot(page, "till-return-across-00-which-store")
    axe.check(page, "till-return-across-which-store")
    dialog.get_by_role("button", name="Store lyon").click()
    sale = dialog.locator("#refund-sale")
    expect(sale).to_have_text(
        f"Receipt {NUMBER} of store lyon, till T02, total {chain.sold['totals']['total'] / 100:.2f} CAD, "
        "found through the office, paid by cash"
    )
    expect(dialog.get_by_text("never to a card")).to_be_visible()
    coffee = dialog.get_by_label("Quantity of Coffee beans 1 kg to return")
    bread = dialog.get_by_label("Quantity of Bread loaf to return")
    expect(bread).to_have_value("3")  # all that is still returnable across the chain
    bread_row = dialog.locator("#refund-body tr", has_text="Bread loaf")
    expect(bread_row.locator("td")).to_have_text(["Bread loaf", "3", "10.50", "3", ""])
    # The money goes back in cash (first, and so named) or as store credit: never the card way.
    expect(dialog.get_by_label("Cash", exact=True)).to_be_checked()
    coffee.fill("0")
    bread.fill("2")
    dialog.get_by_label("Reason").fill("Stale")
    # A cashier may not refund: the supervisor's approval is asked at once, as for any refund.
    dialog.get_by_label("Supervisor user name or badge").fill(SUPERVISOR[0])
    dialog.get_by_label("Supervisor password or PIN").fill(SUPERVISOR[1])
    screenshot(page, "till-return-across-01-lines")
    axe.check(page, "till-return-across-lines")

    # The till makes the return, and its answer is lost on the way back to the screen.
    keys: list[str] = []

    def lose_the_first_answer(route: Any) -> None:
        keys.append(route.request.headers["idempotency-key"])
        if len(keys) == 1:
            route.fetch()
            route.abort()
        else:
            route.continue_()

    page.route("**/api/v1/office/returns", lose_the_first_answer)
    dialog.get_by_role("button", name="Refund", exact=True).click()
    expect(dialog.get_by_role("alert")).to_be_visible()
    expect(bread).to_be_disabled()  # the same return is asked again, as it was sent
    dialog.get_by_label("Supervisor password or PIN").fill(SUPERVISOR[1])
    dialog.get_by_role("button", name="Refund", exact=True).click()
    expect(dialog.get_by_role("status")).to_have_text("Refunded 7.00 CAD: 7.00 to cash.")
    assert len(keys) == 2 and keys[0] == keys[1]
    screenshot(page, "till-return-across-02-refunded")

    # Once: the office holds two loaves fewer, wherever the receipt is looked up.
    office = OfficeReturns(chain.lyon.data_dir).lookup(NUMBER, "lyon")
    assert {ln["line_no"]: ln["returnable"] for ln in office["lines"]} == {1: 1, 2: 1}
    dialog.get_by_label("Receipt number").fill(NUMBER)
    dialog.get_by_role("button", name="Find sale").click()
    dialog.get_by_role("button", name="Store lyon").click()
    expect(bread_row.locator("td").nth(3)).to_have_text("1")
    expect(bread).to_have_value("1")
    expect(dialog.locator("#refund-body tr", has_text="Coffee beans").locator("td").nth(3)).to_have_text("1")

    # A hold the office no longer holds (given back meanwhile; its refusal as the till's API
    # gives it, tests/office has the real one): nothing paid, the figures again, and the next
    # try is a new key, not the dead one again.
    sent: list[str] = []
    dead = {"error": {"code": "hold_not_live", "message": "hold idem-x is released, no longer held"}}

    def hold_given_back_once(route: Any) -> None:
        sent.append(route.request.headers["idempotency-key"])
        if len(sent) == 1:
            route.fulfill(status=409, json=dead)
        else:
            route.continue_()

    page.unroute("**/api/v1/office/returns")
    page.route("**/api/v1/office/returns", hold_given_back_once)
    coffee.fill("0")
    dialog.get_by_label("Reason").fill("Stale")
    dialog.get_by_label("Supervisor user name or badge").fill(SUPERVISOR[0])
    dialog.get_by_label("Supervisor password or PIN").fill(SUPERVISOR[1])
    dialog.get_by_role("button", name="Refund", exact=True).click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "This return's hold at the office is no longer held, so nothing was paid: "
        "what is still returnable is shown again, to return anew."
    )
    expect(bread).to_be_enabled()
    expect(bread_row.locator("td").nth(3)).to_have_text("1")
    dialog.get_by_label("Reason").fill("Stale")
    dialog.get_by_label("Supervisor user name or badge").fill(SUPERVISOR[0])
    dialog.get_by_label("Supervisor password or PIN").fill(SUPERVISOR[1])
    coffee.fill("0")
    dialog.get_by_role("button", name="Refund", exact=True).click()
    expect(dialog.get_by_role("status")).to_have_text("Refunded 3.50 CAD: 3.50 to cash.")
    assert len(sent) == 2 and sent[0] != sent[1] and keys[0] not in sent
    axe.assert_clean()
