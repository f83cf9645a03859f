"""Returns across lanes on a real office (PostgreSQL) with two stores and three real tills:
a receipt of one lane found and given back at another lane and at another store, never twice
(docs/office.md, "Returns across lanes")."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.app.services import (
    auth,
    catalog,
    office_holds,
    outbox,
    outbox_push,
    returns,
    returns_across,
    sales,
    users,
)
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import catalog as catalog_store
from appliance.app.store import stock as stock_store
from appliance.app.web.app import create_app
from appliance.app.web.openapi import describe
from appliance.cli import main
from appliance.lane import enrolment as lane
from appliance.lane.returns import OfficeReturns
from appliance.office.services import audit_log, enrolment, lane_events
from appliance.office.services import returns_across as office_returns
from appliance.office.services.found import Lane
from appliance.office.services.office import Office
from tests.conftest import CATALOG, PASSWORD, approval, logged_in, set_cash_needs_shift
from tests.office.conftest import RunningOffice, free_port, writes_go_on_while_asked


@dataclass
class Till:
    store: str
    till: str
    shop: Shop

    def actor(self, username: str) -> Actor:
        return auth.login(self.shop, username, PASSWORD, "127.0.0.1").actor

    def push(self) -> None:
        pusher = outbox_push.Pusher(self.shop, outbox_push.office_sender(self.shop))
        while pusher.run_once():
            pass

    def sell(self, *lines: tuple[str, int]) -> dict[str, Any]:
        cashier = self.actor("cashier")
        sale = sales.open_sale(self.shop, cashier)
        for sku, quantity in lines:
            sales.add_item(self.shop, cashier, sale["id"], sku=sku, quantity=quantity)
        done = sales.pay_cash(self.shop, cashier, sale["id"], 10_000)
        return dict(done)

    def stock(self, sku: str) -> int:
        product = catalog_store.by_sku(self.shop.db.conn, sku)
        assert product is not None
        return int(stock_store.level(self.shop.db.conn, product.id)["stock_on_hand"])

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [dict(e["body"]) for e in outbox.events(self.shop) if e["kind"] == kind]


def _office(running: RunningOffice) -> Office:
    return running.office  # type: ignore[return-value]


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[dict[str, Till]]:
    """lyon/T01 and lyon/T02, and paris/T01: a till of another store under the same terminal id."""
    made: dict[str, Till] = {}
    for store, till in (("lyon", "T01"), ("lyon", "T02"), ("paris", "T01")):
        data = tmp_path / f"{store}-{till}" / "data"
        data.parent.mkdir()
        shop, _ = init_store(data, NewStore(store_name=store.title()), terminal_id=till)
        set_cash_needs_shift(shop, False)
        for role in ("cashier", "supervisor", "manager"):
            users.add_user(shop, None, role, role, PASSWORD)
        catalog.import_csv(shop, None, CATALOG)
        issued = enrolment.issue_token(_office(running_office), store, till, issued_by="test")
        lane.enrol(shop.data_dir, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
        made[f"{store}/{till}"] = Till(store, till, shop)
    yield made
    for t in made.values():
        t.shop.close()


def _schema_problems(method: str, path: str, status: int, body: Any) -> list[str]:
    """The body against its route's OpenAPI schema (tests/integration/http/test_contract.py
    leaves these routes to this file: its day has no office)."""
    op = describe()["paths"][f"/api/v1{path}"][method.lower()]
    schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
    return [f"{e.json_path}: {e.message}" for e in Draft202012Validator(schema).iter_errors(body)]


def _returnable(found: dict[str, Any]) -> dict[int, int]:
    return {int(ln["line_no"]): int(ln["returnable"]) for ln in found["lines"]}


def _holds_of(running: RunningOffice, store: str, till: str) -> list[tuple[str, str]]:
    """Every hold the lane ever took at the office, held, used or released: (key, status)."""
    with _office(running).connection() as conn:
        rows = conn.execute(
            "SELECT DISTINCT hold_key, status FROM return_holds WHERE by_store = %s AND by_till = %s ORDER BY 1",
            (store, till),
        ).fetchall()
    return [(str(r["hold_key"]), str(r["status"])) for r in rows]


def test_a_receipt_of_one_lane_is_returned_at_another_once(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    t1, t2, paris = tills["lyon/T01"], tills["lyon/T02"], tills["paris/T01"]
    sold = t1.sell(("APL", 3), ("BRD", 1))
    number = f"T01-{sold['receipt_no']:06d}"
    t1.push()
    supervisor = t2.actor("supervisor")
    # The receipt, found at the other lane through the office.
    found = returns_across.find_receipt(t2.shop, supervisor, number)
    assert (found["store"], found["till"], found["receipt_number"], found["own"]) == ("lyon", "T01", number, False)
    assert [(ln["sku"], ln["quantity"], ln["unit_price"]) for ln in found["lines"]] == [
        ("APL", 3, 125),
        ("BRD", 1, 349),
    ]
    assert found["total"] == sold["totals"]["total"] and found["tax"] > 0 and found["taxes"]
    assert [t["method"] for t in found["tenders"]] == ["cash"]
    assert _returnable(found) == {1: 3, 2: 1}
    # What the origin lane would give back for the same units is what the other lane gives.
    quote = returns.refund_quote(t1.shop, t1.actor("supervisor"), sold["id"], [{"line": 1, "quantity": 2}])
    before = t2.stock("APL")
    done = returns_across.refund(t2.shop, supervisor, number, [{"line": 1, "quantity": 2}], "did not want them")
    assert (done["amount"], done["tax"], done["refund_to"]) == (quote["amount"], quote["tax"], "cash")
    assert done["origin"] == {"store": "lyon", "till": "T01", "sale_id": sold["id"]}
    assert t2.stock("APL") == before + 2  # the goods come back to the lane that took them
    # Held at the office before the refund's event is even sent: nobody else can return them.
    assert _returnable(returns_across.find_receipt(paris.shop, paris.actor("supervisor"), number, "lyon")) == {
        1: 1,
        2: 1,
    }
    t2.push()
    (event,) = t2.events("refund_across_lanes")
    assert event["origin"] == done["origin"] and event["lines"] == [{"line_no": 1, "quantity": 2}]
    assert [e["return_id"] for e in t2.events("return_without_receipt")] == [done["id"]]  # its money
    again = returns_across.find_receipt(paris.shop, paris.actor("supervisor"), number, "lyon")
    assert _returnable(again) == {1: 1, 2: 1}
    assert [(ln["refunded"], ln["held"]) for ln in again["lines"]] == [(2, 0), (0, 0)]
    # The same return again (its answer was lost): the same return, no second cash out.
    retry = returns_across.refund(
        t2.shop, supervisor, number, [{"line": 1, "quantity": 2}], "did not want them", hold_key=done["hold_key"]
    )
    assert retry["id"] == done["id"] and t2.stock("APL") == before + 2
    # Past what remains across all lanes: refused at the other store too.
    with pytest.raises(Conflict) as refused:
        returns_across.refund(
            paris.shop, paris.actor("supervisor"), number, [{"line": 1, "quantity": 2}], "two more", store_name="lyon"
        )
    assert refused.value.code == "refund_exceeds_returnable"
    # The rest, at the other store, onto store credit (a manager's permission).
    credit = returns_across.refund(
        paris.shop,
        paris.actor("manager"),
        number,
        [{"line": 1, "quantity": 1}, {"line": 2}],
        "moving house",
        refund_to="gift_card",
        store_name="lyon",
    )
    assert credit["gift_card"]["balance"] == credit["amount"] > 0
    paris.push()
    left = returns_across.find_receipt(t2.shop, supervisor, number, "lyon")
    assert _returnable(left) == {1: 0, 2: 0}
    assert lane_events.alarms(_office(running_office)) == []


def test_the_office_refuses_a_hold_past_what_remains_and_a_failed_refund_gives_its_hold_back(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    t1, t2, paris = tills["lyon/T01"], tills["lyon/T02"], tills["paris/T01"]
    sold = t1.sell(("MLK", 2))
    number = f"T01-{sold['receipt_no']:06d}"
    t1.push()
    link = OfficeReturns(paris.shop.data_dir)

    class Stale:
        """Paris read the receipt just before lane 2 held both units."""

        def __init__(self) -> None:
            self.seen = link.lookup(number, "lyon")

        def lookup(self, number: str, store: str | None) -> dict[str, Any]:
            return self.seen

        def hold(self, key: str, sale: dict[str, Any], lines: list[dict[str, int]]) -> dict[str, Any]:
            return link.hold(key, sale, lines)

        def release(self, key: str) -> dict[str, Any]:
            return link.release(key)

    stale = Stale()
    origin = {"store": "lyon", "till": "T01", "sale_id": sold["id"]}
    OfficeReturns(t2.shop.data_dir).hold("lane2-hold-1", origin, [{"line": 1, "quantity": 2}])
    with pytest.raises(Conflict) as refused:
        returns_across.refund(paris.shop, paris.actor("supervisor"), number, [{"line": 1}], "broken", office=stale)
    assert refused.value.code == "refund_exceeds_returnable" and "across all lanes" in refused.value.message
    assert paris.events("refund_across_lanes") == []
    OfficeReturns(t2.shop.data_dir).release("lane2-hold-1")
    # A cashier may not refund: refused before any hold is taken at the office.
    with pytest.raises(Forbidden):
        returns_across.refund(paris.shop, paris.actor("cashier"), number, [{"line": 1}], "broken", store_name="lyon")
    assert _holds_of(running_office, "paris", "T01") == []
    assert _returnable(link.lookup(number, "lyon")) == {1: 2}
    # A hold is idempotent by its key, and the same key for other lines is refused.
    assert link.hold("paris-hold-1", origin, [{"line": 1, "quantity": 1}])["status"] == "held"
    assert link.hold("paris-hold-1", origin, [{"line": 1, "quantity": 1}])["status"] == "held"
    assert _returnable(link.lookup(number, "lyon")) == {1: 1}
    with pytest.raises(Conflict) as reused:
        link.hold("paris-hold-1", origin, [{"line": 1, "quantity": 2}])
    assert reused.value.code == "hold_key_reused"


def test_a_receipt_number_two_stores_printed_names_its_store(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    lyon, paris = tills["lyon/T01"], tills["paris/T01"]
    first = lyon.sell(("GUM", 1))
    paris.sell(("GUM", 1))
    lyon.push()
    paris.push()
    number = f"T01-{first['receipt_no']:06d}"
    t2 = tills["lyon/T02"]
    with pytest.raises(Conflict) as ambiguous:
        returns_across.find_receipt(t2.shop, t2.actor("supervisor"), number)
    assert ambiguous.value.code == "receipt_ambiguous" and ambiguous.value.details == {"stores": ["lyon", "paris"]}
    assert returns_across.find_receipt(t2.shop, t2.actor("supervisor"), number, "paris")["store"] == "paris"
    with pytest.raises(NotFound) as unknown:
        returns_across.find_receipt(t2.shop, t2.actor("supervisor"), "T09-000001")
    assert unknown.value.code == "receipt_not_found"
    with pytest.raises(Invalid):
        returns_across.find_receipt(t2.shop, t2.actor("supervisor"), "not a receipt")
    # A lane's own receipt is refunded from its own sale, not through the office.
    with pytest.raises(Conflict) as own:
        returns_across.refund(lyon.shop, lyon.actor("supervisor"), number, [{"line": 1}], "mine", store_name="lyon")
    assert own.value.code == "own_receipt"


def test_offline_a_receipt_of_another_lane_cannot_be_found(
    running_office: RunningOffice, tills: dict[str, Till], tmp_path: Path
) -> None:
    t2 = tills["lyon/T02"]
    link_file = t2.shop.data_dir / lane.OFFICE_DIR / lane.LINK_FILE
    held = json.loads(link_file.read_text())
    link_file.write_text(json.dumps({**held, "lane_url": f"https://127.0.0.1:{free_port()}"}))
    with pytest.raises(Conflict) as offline:
        returns_across.find_receipt(t2.shop, t2.actor("supervisor"), "T01-000001")
    assert offline.value.code == "office_unreachable" and "cannot be reached" in offline.value.message
    lone, _ = init_store(tmp_path / "lone", NewStore())
    users.add_user(lone, None, "supervisor", "supervisor", PASSWORD)
    try:
        actor = auth.login(lone, "supervisor", PASSWORD, "127.0.0.1").actor
        with pytest.raises(Conflict) as alone:
            returns_across.find_receipt(lone, actor, "T01-000001")
        assert alone.value.code == "not_enrolled"
    finally:
        lone.close()


def test_events_out_of_order_and_a_lane_refunding_its_own_sale_offline(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    office = _office(running_office)
    sale = {
        "sale_id": 7,
        "receipt_no": 7,
        "terminal_id": "T01",
        "currency": "CAD",
        "completed_at": "2026-12-06T10:00:00Z",
        "subtotal": 500,
        "tax": 0,
        "total": 500,
        "discount": 0,
        "cash_rounding": 0,
        "taxes": [],
        "tenders": [{"method": "card", "amount": 500, "rounding": 0}],
        "lines": [
            {
                "line_no": 1,
                "product_id": 1,
                "sku": "APL",
                "quantity": 4,
                "unit_price": 125,
                "discount": 0,
                "tax_class": "standard",
            }
        ],
    }
    refund = {"refund_id": 1, "sale_id": 7, "lines": [{"line_no": 1, "quantity": 3}]}
    across = {
        "refund_id": 1,
        "hold_key": "h-out-of-order",
        "origin": {"store": "lyon", "till": "T01", "sale_id": 7},
        "lines": [{"line_no": 1, "quantity": 2}],
    }
    with office.connection() as conn, conn.transaction():
        # The refund comes before its sale; the other lane's refund before both.
        found = office_returns.project(
            conn, Lane("lyon", "T02"), {"seq": 5, "kind": "refund_across_lanes", "body": across}
        )
        found += office_returns.project(conn, Lane("lyon", "T01"), {"seq": 9, "kind": "refund", "body": refund})
        assert found == []
        found = office_returns.project(conn, Lane("lyon", "T01"), {"seq": 8, "kind": "sale_completed", "body": sale})
        # 3 refunded at its own lane (offline, say) and 2 at another: one more than sold.
        assert [(f.kind, f.details["lines"]) for f in found] == [
            ("over_returned", [{"line_no": 1, "sold": 4, "refunded": 5}])
        ]
        again = office_returns.project(conn, Lane("lyon", "T01"), {"seq": 9, "kind": "refund", "body": refund})
        assert [f.kind for f in again] == ["over_returned"]  # counted once: still 5, not 8
        broken = office_returns.project(conn, Lane("lyon", "T01"), {"seq": 10, "kind": "refund", "body": {"x": 1}})
        assert [f.kind for f in broken] == ["unreadable_sale_event"]


def test_the_tills_api_finds_another_lanes_receipt_and_returns_it(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    t1, t2 = tills["lyon/T01"], tills["lyon/T02"]
    sold = t1.sell(("APL", 2))
    number = f"T01-{sold['receipt_no']:06d}"
    t1.push()
    with TestClient(create_app(t2.shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        cashier, supervisor = logged_in(client, "cashier"), logged_in(client, "supervisor")
        found = cashier.get(f"/api/v1/office/receipts/{number}")
        assert found.status_code == 200, found.text
        assert _schema_problems("GET", "/office/receipts/{number}", 200, found.json()) == []
        assert found.json()["lines"][0]["returnable"] == 2
        assert found.json()["lines"][0]["name"] == "Apple"  # this till's name for APL: the screen shows it
        assert cashier.get("/api/v1/office/receipts/T01-999999").json()["error"]["code"] == "receipt_not_found"
        body = {"receipt": number, "lines": [{"line": 1, "quantity": 1}], "reason": "bruised"}
        refused = cashier.post("/api/v1/office/returns", json=body, headers={"Idempotency-Key": "cashier-try-1"})
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
        # Refused before the office is asked: no hold taken and given back for it.
        assert _holds_of(running_office, "lyon", "T02") == []
        key = {"Idempotency-Key": "return-across-1"}
        done = supervisor.post("/api/v1/office/returns", json=body, headers=key)
        assert done.status_code == 201, done.text
        assert _schema_problems("POST", "/office/returns", 201, done.json()) == []
        assert done.json()["origin"] == {"store": "lyon", "till": "T01", "sale_id": sold["id"]}
        assert supervisor.post("/api/v1/office/returns", json=body, headers=key).json()["id"] == done.json()["id"]
        more = supervisor.post("/api/v1/office/returns", json={**body, "lines": [{"line": 1, "quantity": 2}]})
        assert (more.status_code, more.json()["error"]["code"]) == (409, "refund_exceeds_returnable")
        card = supervisor.post("/api/v1/office/returns", json={**body, "refund_to": "card"})
        assert card.status_code == 400  # the schema: cash or gift_card only


def test_a_return_asked_again_after_the_offices_answer_was_lost_takes_the_same_hold(
    running_office: RunningOffice, tills: dict[str, Till], monkeypatch: pytest.MonkeyPatch
) -> None:
    t1, t2 = tills["lyon/T01"], tills["lyon/T02"]
    sold = t1.sell(("APL", 2))
    number = f"T01-{sold['receipt_no']:06d}"
    t1.push()
    real_hold = OfficeReturns.hold
    lost: list[str] = []

    def answer_lost_once(self: OfficeReturns, key: str, sale: dict[str, Any], lines: list[dict[str, int]]) -> Any:
        held = real_hold(self, key, sale, lines)  # the office holds both apples...
        if not lost:
            lost.append(key)
            raise Conflict("the office did not answer", "office_unreachable")  # ...and its answer is lost
        return held

    monkeypatch.setattr(OfficeReturns, "hold", answer_lost_once)
    with TestClient(create_app(t2.shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        supervisor = logged_in(client, "supervisor")
        body = {"receipt": number, "lines": [{"line": 1, "quantity": 2}], "reason": "bruised"}
        key = {"Idempotency-Key": "return-across-lost"}
        first = supervisor.post("/api/v1/office/returns", json=body, headers=key)
        assert (first.status_code, first.json()["error"]["code"]) == (409, "office_unreachable")
        again = supervisor.post("/api/v1/office/returns", json=body, headers=key)
        assert again.status_code == 201, again.text  # the same hold, not a second one
        assert again.json()["hold_key"] == lost[0] == returns_across.hold_key_for("return-across-lost")
    assert _returnable(OfficeReturns(t1.shop.data_dir).lookup(number, "lyon")) == {1: 0}


def test_the_lane_that_sold_it_does_not_refund_what_another_lane_gave_back(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    t1, t2 = tills["lyon/T01"], tills["lyon/T02"]
    sold = t1.sell(("APL", 3))
    number = f"T01-{sold['receipt_no']:06d}"
    t1.push()
    returns_across.refund(t2.shop, t2.actor("supervisor"), number, [{"line": 1, "quantity": 2}], "too many")
    t2.push()
    supervisor = t1.actor("supervisor")
    for asked in ([{"line": 1, "quantity": 2}], [{"line": 1}]):  # no quantity: all the till thinks is left
        with pytest.raises(Conflict) as refused:
            returns.refund(t1.shop, supervisor, sold["id"], asked, "changed my mind")
        assert refused.value.code == "refund_exceeds_returnable"
    assert t1.events("refund") == []  # nothing refunded, nothing held
    returns.refund(t1.shop, supervisor, sold["id"], [{"line": 1, "quantity": 1}], "changed my mind")
    t1.push()
    (line,) = returns_across.find_receipt(t2.shop, t2.actor("supervisor"), number)["lines"]
    assert (line["refunded"], line["held"], line["returnable"]) == (3, 0, 0)  # its own hold used by its event
    assert lane_events.alarms(_office(running_office)) == []
    # The office out of reach: the lane refunds its own sale on what it knows.
    other = t1.sell(("GUM", 1))
    t1.push()
    link_file = t1.shop.data_dir / lane.OFFICE_DIR / lane.LINK_FILE
    link_file.write_text(
        json.dumps({**json.loads(link_file.read_text()), "lane_url": f"https://127.0.0.1:{free_port()}"})
    )
    assert returns.refund(t1.shop, supervisor, other["id"], [{"line": 1}], "changed my mind")["amount"] > 0


def test_a_hold_a_lane_left_is_listed_and_released_by_the_chain_admin(
    running_office: RunningOffice, tills: dict[str, Till], capsys: pytest.CaptureFixture[str]
) -> None:
    t1, t2 = tills["lyon/T01"], tills["lyon/T02"]
    sold = t1.sell(("APL", 2))
    t1.push()
    origin = {"store": "lyon", "till": "T01", "sale_id": sold["id"]}
    OfficeReturns(t2.shop.data_dir).hold("left-behind-1", origin, [{"line": 1, "quantity": 2}])
    where = ["--database", running_office.dsn, "--data-dir", str(running_office.data_dir)]
    assert main(["office", "return-holds", *where]) == 0
    assert "lyon/T02 holds left-behind-1: sale" in capsys.readouterr().out
    assert main(["office", "return-hold-release", *where, "lyon/T02", "nothing-held"]) == 2
    assert main(["office", "return-hold-release", *where, "lyon/T02", "left-behind-1"]) == 0
    assert main(["office", "return-holds", *where]) == 0
    assert "No return hold open." in capsys.readouterr().out
    number = f"T01-{sold['receipt_no']:06d}"
    assert _returnable(returns_across.find_receipt(t2.shop, t2.actor("supervisor"), number)) == {1: 2}
    entries = [e for e in audit_log.entries(_office(running_office)) if e["action"] == "return_hold_released"]
    assert [e["object"] for e in entries] == ["hold:lyon/T02/left-behind-1"]


def test_a_hold_no_longer_held_pays_nothing_and_a_completed_return_answers_again(
    running_office: RunningOffice,
    tills: dict[str, Till],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 17: a return retried under a key whose hold was released (or used) is refused at
    the office and at the till, and moves no money; a completed one answers the same return."""
    t1, t2 = tills["lyon/T01"], tills["lyon/T02"]
    sold = t1.sell(("APL", 2))
    number = f"T01-{sold['receipt_no']:06d}"
    t1.push()
    link = OfficeReturns(t2.shop.data_dir)
    real_hold = OfficeReturns.hold
    lost: list[str] = []

    def answer_lost_once(self: OfficeReturns, key: str, sale: dict[str, Any], lines: list[dict[str, int]]) -> Any:
        held = real_hold(self, key, sale, lines)
        if not lost:
            lost.append(key)
            raise Conflict("the office did not answer", "office_unreachable")
        return held

    monkeypatch.setattr(OfficeReturns, "hold", answer_lost_once)
    where = ["--database", running_office.dsn, "--data-dir", str(running_office.data_dir)]
    body = {"receipt": number, "lines": [{"line": 1, "quantity": 2}], "reason": "bruised"}
    with TestClient(create_app(t2.shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        supervisor = logged_in(client, "supervisor")
        key = {"Idempotency-Key": "return-dead-hold"}
        first = supervisor.post("/api/v1/office/returns", json=body, headers=key)
        assert (first.status_code, first.json()["error"]["code"]) == (409, "office_unreachable")
        # The chain admin, seeing the hold left, gives it back; then the till retries.
        assert main(["office", "return-hold-release", *where, "lyon/T02", lost[0]]) == 0
        capsys.readouterr()
        again = supervisor.post("/api/v1/office/returns", json=body, headers=key)
        assert again.status_code == 409, again.text
        assert again.json()["error"]["code"] == "hold_not_live"
        assert "released" in again.json()["error"]["message"]
        assert t2.events("return_without_receipt") == [] and t2.events("refund_across_lanes") == []
        assert _holds_of(running_office, "lyon", "T02") == [(lost[0], "released")]
        assert _returnable(link.lookup(number, "lyon")) == {1: 2}  # nothing given back, nothing held

        # A new key is a new hold and the return is made; its event marks the hold used.
        done = supervisor.post("/api/v1/office/returns", json=body, headers={"Idempotency-Key": "return-live-1"})
        assert done.status_code == 201, done.text
        t2.push()
        used = done.json()["hold_key"]
        assert (used, "used") in _holds_of(running_office, "lyon", "T02")
        # Asked again, under the same Idempotency-Key or with its hold key: the same return, paid once.
        replay = supervisor.post("/api/v1/office/returns", json=body, headers={"Idempotency-Key": "return-live-1"})
        by_hold = supervisor.post(
            "/api/v1/office/returns", json={**body, "hold_key": used}, headers={"Idempotency-Key": "return-live-2"}
        )
        for answer in (replay, by_hold):
            assert answer.status_code == 201, answer.text
            assert answer.json()["id"] == done.json()["id"] and answer.json()["amount"] == done.json()["amount"]
        assert [e["return_id"] for e in t2.events("return_without_receipt")] == [done.json()["id"]]
    # The office itself: a key whose hold was released or used is not a hold any more.
    origin = {"store": "lyon", "till": "T01", "sale_id": sold["id"]}
    monkeypatch.setattr(OfficeReturns, "hold", real_hold)
    for dead, status in ((lost[0], "released"), (used, "used")):
        with pytest.raises(Conflict) as refused:
            link.hold(dead, origin, [{"line": 1, "quantity": 2}])
        assert refused.value.code == "hold_not_live" and refused.value.details["status"] == status
    assert _returnable(link.lookup(number, "lyon")) == {1: 0}
    assert lane_events.alarms(_office(running_office)) == []


def test_the_till_pays_only_on_a_live_hold_of_exactly_its_lines(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    """An office answering a hold that does not hold (as one before issue 17 answered a
    released key with its status), or holds other lines, gets no money paid out."""
    t1, t2 = tills["lyon/T01"], tills["lyon/T02"]
    sold = t1.sell(("APL", 2))
    number = f"T01-{sold['receipt_no']:06d}"
    t1.push()
    link = OfficeReturns(t2.shop.data_dir)
    released: list[str] = []

    class Answers:
        def __init__(self, answer: dict[str, Any]) -> None:
            self.answer = answer

        def lookup(self, number: str, store: str | None) -> dict[str, Any]:
            return link.lookup(number, store)

        def hold(self, key: str, sale: dict[str, Any], lines: list[dict[str, int]]) -> dict[str, Any]:
            return {"hold_key": key, "sale": sale, "lines": lines, **self.answer}

        def release(self, key: str) -> dict[str, Any]:
            released.append(key)
            return link.release(key)

    for answer in (
        {"status": "released"},
        {"status": "used"},
        {"status": "held", "lines": [{"line": 1, "quantity": 1}]},
        {"status": "held", "sale": {"store": "lyon", "till": "T01", "sale_id": sold["id"] + 1}},
    ):
        with pytest.raises(Conflict) as refused:
            returns_across.refund(
                t2.shop, t2.actor("supervisor"), number, [{"line": 1, "quantity": 2}], "bruised", office=Answers(answer)
            )
        assert refused.value.code == "hold_not_live", answer
    assert t2.events("return_without_receipt") == [] and t2.events("refund_across_lanes") == []
    assert released == []  # not a hold of ours to give back


def test_while_the_office_is_asked_for_a_returns_hold_the_tills_other_writes_go_on(
    running_office: RunningOffice, tills: dict[str, Till], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The office slow to answer a hold does not hold the process's one writer queue: the
    hold is asked with no transaction open, and only the till's side commits after."""
    t1, t2 = tills["lyon/T01"], tills["lyon/T02"]
    sold = t1.sell(("APL", 2))
    number = f"T01-{sold['receipt_no']:06d}"
    t1.push()
    asking, go_on = threading.Event(), threading.Event()
    real_hold = OfficeReturns.hold
    in_transaction: list[bool] = []

    def slow(self: OfficeReturns, key: str, sale: dict[str, Any], lines: list[dict[str, int]]) -> Any:
        in_transaction.append(t2.shop.db.conn.in_transaction)
        asking.set()
        assert go_on.wait(10)
        return real_hold(self, key, sale, lines)

    monkeypatch.setattr(OfficeReturns, "hold", slow)
    body = {"receipt": number, "lines": [{"line": 1, "quantity": 2}], "reason": "bruised"}
    answers: list[Any] = []
    with TestClient(create_app(t2.shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        supervisor = logged_in(client, "supervisor")
        key = {"Idempotency-Key": "return-slow-office"}
        cashier = t2.actor("cashier")
        went_on = writes_go_on_while_asked(
            asking,
            go_on,
            lambda: answers.append(supervisor.post("/api/v1/office/returns", json=body, headers=key)),
            lambda: sales.open_sale(t2.shop, cashier),
        )
        assert went_on, "a write waited for the office's answer to a return's hold"
        assert in_transaction == [False]
        (done,) = answers
        assert done.status_code == 201, done.text
        # The answer lost and the request sent again: answered from the till, the office not asked.
        again = supervisor.post("/api/v1/office/returns", json=body, headers=key)
        assert again.status_code == 201 and again.json()["id"] == done.json()["id"]
    assert len(in_transaction) == 1
    assert [e["return_id"] for e in t2.events("return_without_receipt")] == [done.json()["id"]]


def test_an_approval_is_used_up_only_by_the_return_it_approved(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    """A cashier's return on a supervisor's approval: checked before the office is asked (a
    refused one takes no hold), used up only when the return is written, not by one the
    office refused."""
    t1, t2 = tills["lyon/T01"], tills["lyon/T02"]
    sold = t1.sell(("APL", 3))
    number = f"T01-{sold['receipt_no']:06d}"
    t1.push()
    origin = {"store": "lyon", "till": "T01", "sale_id": sold["id"]}
    other_lane = OfficeReturns(tills["paris/T01"].shop.data_dir)
    other_lane.hold("paris-has-them", origin, [{"line": 1, "quantity": 3}])
    body = {"receipt": number, "lines": [{"line": 1, "quantity": 2}], "reason": "bruised"}
    with TestClient(create_app(t2.shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        cashier = logged_in(client, "cashier")
        refused = cashier.post("/api/v1/office/returns", json=body, headers={"X-Approval": "not-an-approval"})
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "approval_invalid")
        approved = approval(cashier, "supervisor", "refund")
        blocked = cashier.post("/api/v1/office/returns", json=body, headers=approved)
        assert (blocked.status_code, blocked.json()["error"]["code"]) == (409, "refund_exceeds_returnable")
        other_lane.release("paris-has-them")
        done = cashier.post("/api/v1/office/returns", json=body, headers=approved)
        assert done.status_code == 201, done.text  # still live: the office's refusal used nothing up
        one_more = {**body, "lines": [{"line": 1, "quantity": 1}]}
        used = cashier.post("/api/v1/office/returns", json=one_more, headers=approved)
        assert (used.status_code, used.json()["error"]["code"]) == (403, "approval_invalid")
    # The refused tries took no hold: only the return's own, used by its event.
    t2.push()
    assert _holds_of(running_office, "lyon", "T02") == [(done.json()["hold_key"], "used")]
    assert [e["return_id"] for e in t2.events("return_without_receipt")] == [done.json()["id"]]


def test_a_lanes_own_refund_holds_with_no_transaction_open_and_its_retry_holds_once(
    running_office: RunningOffice, tills: dict[str, Till], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refund of the lane's own sale holds its lines at the office first: with the office
    slow, the till's other writes go on; a till stopped between the hold and the refund's
    write retries under the same Idempotency-Key into the same hold (a hold never lapses: a
    second one would keep those units unreturnable), and a retry after the answer was lost is
    answered from the till without asking the office."""
    t1 = tills["lyon/T01"]
    sold = t1.sell(("APL", 3))
    t1.push()
    supervisor = t1.actor("supervisor")
    asking, go_on = threading.Event(), threading.Event()
    real_hold = OfficeReturns.hold
    asked: list[tuple[str, bool]] = []  # (hold key, in a transaction)

    def slow(self: OfficeReturns, key: str, sale: dict[str, Any], lines: list[dict[str, int]]) -> Any:
        asked.append((key, t1.shop.db.conn.in_transaction))
        asking.set()
        assert go_on.wait(10)
        return real_hold(self, key, sale, lines)

    monkeypatch.setattr(OfficeReturns, "hold", slow)
    body = {"lines": [{"line": 1, "quantity": 2}], "reason": "bruised"}
    # The first try: held, then the till stops (a power cut: nothing gives the hold back).
    real_hold_own = office_holds.hold_own

    def hold_then_stop(*args: Any, **kwargs: Any) -> Any:
        real_hold_own(*args, **kwargs)
        raise KeyboardInterrupt("the till stopped")

    monkeypatch.setattr(office_holds, "hold_own", hold_then_stop)
    go_on.set()
    with pytest.raises(KeyboardInterrupt):
        returns.refund_once(t1.shop, supervisor, sold["id"], body, None, "own-refund-1")
    monkeypatch.setattr(office_holds, "hold_own", real_hold_own)
    go_on.clear()
    asking.clear()
    answers: list[Any] = []
    cashier = t1.actor("cashier")
    went_on = writes_go_on_while_asked(
        asking,
        go_on,
        lambda: answers.append(returns.refund_once(t1.shop, supervisor, sold["id"], body, None, "own-refund-1")),
        lambda: sales.open_sale(t1.shop, cashier),
    )
    assert went_on, "a write waited for the office's answer to the refund's hold"
    ((status, done),) = answers
    assert status == 201 and done["amount"] > 0
    again = returns.refund_once(t1.shop, supervisor, sold["id"], body, None, "own-refund-1")
    assert again == (201, done)
    assert len(asked) == 2 and asked[0][0] == asked[1][0]  # the retry asked for the same hold
    assert [in_tx for _, in_tx in asked] == [False, False]
    t1.push()
    assert _holds_of(running_office, "lyon", "T01") == [(asked[0][0], "used")]
    assert _returnable(OfficeReturns(t1.shop.data_dir).lookup(f"T01-{sold['receipt_no']:06d}", "lyon")) == {1: 1}


def test_a_lanes_own_refund_refused_then_approved_under_the_same_key_holds_afresh(
    running_office: RunningOffice, tills: dict[str, Till]
) -> None:
    """The till sends the approved request again under the Idempotency-Key of the refused one:
    the refused try gave its hold back, so this one takes a new hold and is paid once."""
    t1 = tills["lyon/T01"]
    sold = t1.sell(("APL", 2))
    t1.push()
    body = {"lines": [{"line": 1, "quantity": 1}], "reason": "bruised"}
    with TestClient(create_app(t1.shop), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        cashier = logged_in(client, "cashier")
        key = {"Idempotency-Key": "own-refund-approved-1"}
        refused = cashier.post(f"/api/v1/sales/{sold['id']}/refunds", json=body, headers=key)
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
        approved = {**key, **approval(cashier, "supervisor", "refund")}
        done = cashier.post(f"/api/v1/sales/{sold['id']}/refunds", json=body, headers=approved)
        assert done.status_code == 201, done.text
    t1.push()
    holds = _holds_of(running_office, "lyon", "T01")
    assert sorted(status for _, status in holds) == ["released", "used"], holds
    assert len(t1.events("refund")) == 1
