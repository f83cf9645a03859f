"""Each store's stock at the office, as a ledger of the movements its lanes send: real tills
(encrypted stores, mutual TLS) pushing their outboxes to a real office on PostgreSQL
(docs/office.md, "Stock")."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from appliance.app.domain.errors import Conflict, Forbidden, Invalid
from appliance.app.domain.gift_card import PRODUCT_SKU
from appliance.app.services import auth, catalog, gift_cards, outbox, outbox_push, returns, sales, stock, users
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import stock as till_stock_store
from appliance.cli import main
from appliance.lane import enrolment as lane
from appliance.lane import outbox as wire
from appliance.office.services import audit_log, enrolment, lane_events, stock_ledger
from appliance.office.services import stock as office_stock
from appliance.office.services.found import Lane
from appliance.office.services.office import Office
from appliance.office.services.stock import Person
from appliance.office.store import people, stores
from appliance.security.passwords import Passwords
from tests.conftest import PASSWORD, set_cash_needs_shift
from tests.office.conftest import RunningOffice

CATALOGUE = """sku,name,price,tax_class,barcodes,stock
APL,Apple,1.25,standard,4006381333931,{apl}
BRD,Bread,3.49,standard,96385074,{brd}
"""

ADMIN = Person("admin", "chain_admin")
MANAGER = Person("mgr", "store_manager", "lyon")


@dataclass
class Till:
    shop: Shop
    path: Path
    cashier: Actor
    manager: Actor

    def sell(self, sku: str, quantity: int) -> int:
        sale = sales.open_sale(self.shop, self.cashier)
        sales.add_item(self.shop, self.cashier, sale["id"], sku=sku, quantity=quantity)
        sales.pay_cash(self.shop, self.cashier, sale["id"], 100_000)
        return int(sale["id"])

    def on_hand(self, sku: str) -> int:
        row = till_stock_store.product(self.shop.db.conn, sku)
        assert row is not None
        return int(row["stock_on_hand"])

    def push(self) -> None:
        pusher = outbox_push.Pusher(self.shop, outbox_push.office_sender(self.shop))
        while pusher.run_once():
            pass


def _office(running: RunningOffice) -> Office:
    return running.office  # type: ignore[return-value]


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[list[Till]]:
    """Two lanes of store lyon, each with its own opening stock of the same products."""
    made: list[Till] = []
    for number, (apl, brd) in enumerate(((20, 10), (5, 0)), start=1):
        data = tmp_path / f"till{number}" / "data"
        data.parent.mkdir()
        shop, _ = init_store(data, NewStore(store_name=f"Lyon {number}", currency="EUR", taxes=(("VAT", "20"),)))
        set_cash_needs_shift(shop, False)
        users.add_user(shop, None, "cashier", "cashier", PASSWORD)
        users.add_user(shop, None, "manager", "manager", PASSWORD)
        catalog.import_csv(shop, None, CATALOGUE.format(apl=apl, brd=brd))
        issued = enrolment.issue_token(_office(running_office), "lyon", f"T0{number}", issued_by="test")
        lane.enrol(data, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
        cashier = auth.login(shop, "cashier", PASSWORD, "127.0.0.1").actor
        manager = auth.login(shop, "manager", PASSWORD, "127.0.0.1").actor
        made.append(Till(shop, data, cashier, manager))
    yield made
    for till in made:
        till.shop.close()


def _people(office: Office) -> None:
    with office.connection() as conn:
        with conn.transaction():
            stores.add_if_missing(conn, "paris", office.now())
            digest = Passwords().hash(PASSWORD)
            people.add(conn, "mgr", "store_manager", digest, office.now(), store="lyon")
            people.add(conn, "paris-mgr", "store_manager", digest, office.now(), store="paris")
            people.add(conn, "reader", "auditor", digest, office.now())


def _by_sku(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {r["sku"]: r["on_hand"] for r in rows}


def test_the_office_holds_the_store_stock_as_the_sum_of_every_lanes_movements(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = _office(running_office)
    one, two = tills
    sold = one.sell("APL", 3)
    one.sell("BRD", 1)
    two.sell("APL", 2)
    returns.refund(one.shop, one.manager, sold, [{"line": 1, "quantity": 1}], "changed their mind")
    # A count on lane 2 sets its on-hand to what was counted: it goes up as the difference.
    stock.count(two.shop, two.manager, [{"sku": "APL", "counted": 1}], "weekly count")
    # Goods received at lane 1 against its own purchase order.
    supplier = stock.add_supplier(one.shop, one.manager, "Boulangerie")
    po = stock.create_order(one.shop, one.manager, supplier["id"], [{"sku": "BRD", "quantity": 6}])
    stock.mark_ordered(one.shop, one.manager, po["id"])
    stock.receive(one.shop, one.manager, po["id"], [{"sku": "BRD", "quantity": 6}])
    assert (one.on_hand("APL"), two.on_hand("APL"), one.on_hand("BRD"), two.on_hand("BRD")) == (18, 1, 15, 0)

    # Lane 2's events come out of order: its later half first (a gap), then the rest.
    mine = [dict(e) for e in outbox.events(two.shop)]
    half = len(mine) // 2
    assert wire.send(two.path, mine[half:], len(mine))["alarms"] == [{"kind": "gap", "seq": 1}]
    one.push()
    two.push()

    on_hand = office_stock.on_hand(office, ADMIN, "lyon")
    assert _by_sku(on_hand) == {"APL": 18 + 1, "BRD": 15 + 0}
    apl = office_stock.movements(office, ADMIN, "lyon", "APL")
    assert sum(m["delta"] for m in apl["movements"]) == 19  # every movement listed, and nothing else
    # Each lane's share is what that lane itself has on hand.
    assert apl["by_lane"] == {"T01": one.on_hand("APL"), "T02": two.on_hand("APL")}
    kinds = sorted((m["till"], m["kind"], m["delta"]) for m in apl["movements"])
    assert kinds == [
        ("T01", "opening", 20),
        ("T01", "refund", 1),
        ("T01", "sale", -3),
        ("T02", "count", -2),
        ("T02", "opening", 5),
        ("T02", "sale", -2),
    ]
    count = next(m for m in apl["movements"] if m["kind"] == "count")
    assert count["lane_on_hand"] == 1 and count["reason"] == "weekly count"  # the figure counted, beside its delta
    brd = office_stock.movements(office, ADMIN, "lyon", "BRD")
    receipt = next(m for m in brd["movements"] if m["kind"] == "receipt")
    assert (receipt["till"], receipt["delta"], receipt["ref"]) == ("T01", 6, f"po:{po['id']}")
    # A retry of everything moves nothing twice; no projection raised an alarm.
    wire.send(one.path, [dict(e) for e in outbox.events(one.shop)], outbox.backlog(one.shop)["last_seq"])
    assert _by_sku(office_stock.on_hand(office, ADMIN, "lyon")) == {"APL": 19, "BRD": 15}
    assert [a["kind"] for a in lane_events.alarms(office, open_only=False)] == ["gap"]
    assert lane_events.alarms(office) == []  # the gap was filled


def test_low_stock_suggestions_and_a_purchase_order_received_at_the_office(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = _office(running_office)
    _people(office)
    one, two = tills
    one.sell("APL", 12)
    two.sell("APL", 4)
    one.push()
    two.push()
    assert _by_sku(office_stock.on_hand(office, MANAGER, "lyon", "APL")) == {"APL": 9}
    office_stock.set_rule(office, MANAGER, "lyon", "APL", 10, 30)
    office_stock.set_rule(office, MANAGER, "lyon", "BRD", 2, 12)
    (low,) = office_stock.low(office, MANAGER, "lyon")
    assert (low["sku"], low["on_hand"], low["on_order"], low["suggested"]) == ("APL", 9, 0, 21)
    assert office_stock.suggested(office, MANAGER, "lyon") == {"APL": 21}

    order = office_stock.create_order(office, MANAGER, "lyon", "Vergers du Rhône")  # the suggested lines
    assert [(ln["sku"], ln["ordered"]) for ln in order["lines"]] == [("APL", 21)]
    # Covered by the open order: still low, nothing more to suggest.
    assert office_stock.low(office, MANAGER, "lyon")[0]["on_order"] == 21
    assert office_stock.suggested(office, MANAGER, "lyon") == {}
    with pytest.raises(Conflict):
        office_stock.receive_order(office, MANAGER, order["id"])  # a draft was never sent
    office_stock.send_order(office, MANAGER, order["id"])
    part = office_stock.receive_order(office, MANAGER, order["id"], {"APL": 15})
    assert part["status"] == "sent" and part["lines"][0]["outstanding"] == 6
    with pytest.raises(Invalid):
        office_stock.receive_order(office, MANAGER, order["id"], {"APL": 7})  # only 6 still to come
    done = office_stock.receive_order(office, MANAGER, order["id"])
    assert done["status"] == "received"
    assert _by_sku(office_stock.on_hand(office, MANAGER, "lyon")) == {"APL": 30, "BRD": 10}
    assert office_stock.movements(office, MANAGER, "lyon", "APL")["by_lane"][""] == 21  # made at the office
    assert office_stock.low(office, MANAGER, "lyon") == []
    # The lanes sell on: the office's receipt and their sales add up.
    two.sell("APL", 25)
    two.push()
    assert office_stock.suggested(office, MANAGER, "lyon") == {"APL": 25}

    actions = [e["action"] for e in audit_log.entries(office)]
    for action in ("stock_rule_set", "purchase_order_create", "purchase_order_send", "stock_receive"):
        assert action in actions, action
    assert audit_log.verify(office)[1] == []


def test_who_may_see_and_change_a_stores_stock(running_office: RunningOffice, tills: list[Till]) -> None:
    office = _office(running_office)
    _people(office)
    tills[0].push()
    other = office_stock.person(office, "paris-mgr")
    reader = office_stock.person(office, "reader")
    with pytest.raises(Forbidden):
        office_stock.on_hand(office, other, "lyon")
    with pytest.raises(Forbidden):
        office_stock.set_rule(office, other, "lyon", "APL", 1, 5)
    assert _by_sku(office_stock.on_hand(office, reader, "lyon")) == {"APL": 20, "BRD": 10}
    with pytest.raises(Forbidden):
        office_stock.set_rule(office, reader, "lyon", "APL", 1, 5)
    with pytest.raises(Forbidden):
        office_stock.create_order(office, reader, "lyon", "Anyone", {"APL": 1})
    order = office_stock.create_order(office, ADMIN, "lyon", "Anyone", {"APL": 1})
    with pytest.raises(Forbidden):
        office_stock.send_order(office, other, order["id"])
    with pytest.raises(Invalid):
        office_stock.set_rule(office, ADMIN, "lyon", "APL", 5, 5)  # a level above the point


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_stock_commands(
    running_office: RunningOffice, tills: list[Till], capsys: pytest.CaptureFixture[str]
) -> None:
    office = _office(running_office)
    _people(office)
    one, two = tills
    one.sell("APL", 16)
    stock.count(two.shop, two.manager, [{"sku": "APL", "counted": 2}], "weekly count")
    one.push()
    two.push()
    where = ["--database", running_office.dsn, "--data-dir", str(running_office.data_dir)]

    def run(*argv: str, who: str = "mgr") -> tuple[int, str, str]:
        return _run(["office", "stock", *argv, *where, "--as", who], capsys)

    code, out, _ = run("on-hand", "--store", "lyon")
    assert code == 0 and [line.split() for line in out.splitlines()[1:]] == [["APL", "6"], ["BRD", "10"]]
    code, out, _ = run("rule", "--store", "lyon", "--sku", "APL", "--point", "8", "--level", "20")
    assert (code, out) == (0, "APL in lyon: low at 8 or less, ordered up to 20.\n")
    code, out, _ = run("low", "--store", "lyon")
    assert code == 0 and out.splitlines()[1].split() == ["APL", "6", "8", "20", "0", "14"]
    code, out, _ = run("suggest", "--store", "lyon")
    assert (code, out) == (0, "APL=14\n")
    code, out, _ = run("movements", "--store", "lyon", "--sku", "APL")
    assert code == 0 and out.splitlines()[0] == "APL in lyon: 6 on hand (T01 +4, T02 +2)"
    assert "(counted 2) weekly count" in out
    code, out, _ = run("po", "create", "--store", "lyon", "--supplier", "Vergers")
    assert code == 0 and "APL" in out and out.splitlines()[0].endswith(": draft")
    order_id = out.split()[2]
    assert run("po", "send", order_id)[0] == 0
    code, out, _ = run("po", "receive", order_id)
    assert code == 0 and out.splitlines()[0].endswith(": received")
    code, out, _ = run("on-hand", "--store", "lyon", "--sku", "APL")
    assert out.splitlines()[1].split() == ["APL", "20"]
    # Refused with a reason, exit 2: another store's manager, an auditor's change, no such person.
    code, _, err = run("on-hand", "--store", "lyon", who="paris-mgr")
    assert code == 2 and "may not see the stock of lyon" in err
    code, _, err = run("rule", "--store", "lyon", "--sku", "APL", "--point", "1", "--level", "2", who="reader")
    assert code == 2 and "may not change" in err
    code, _, err = run("low", "--store", "lyon", who="nobody")
    assert code == 2 and "no one called nobody" in err
    code, _, err = run("low", "--store", "nowhere", who="admin")
    assert code == 2 and "no store called nowhere" in err


def test_a_refund_sent_before_its_lines_named_the_sku_is_placed_from_the_lanes_sale(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = _office(running_office)
    one = tills[0]
    sold = one.sell("BRD", 2)
    one.push()
    lyon = Lane("lyon", "T01")
    old_refund = {"sale_id": sold, "lines": [{"line_no": 1, "quantity": 1}]}
    lost_refund = {"sale_id": sold + 99, "lines": [{"line_no": 1, "quantity": 1}]}
    with office.connection() as conn, conn.transaction():
        placed = stock_ledger.project(conn, lyon, {"seq": 10_001, "at": "t", "kind": "refund", "body": old_refund})
        unplaced = stock_ledger.project(conn, lyon, {"seq": 10_002, "at": "t", "kind": "refund", "body": lost_refund})
    assert placed == []
    assert [(f.kind, f.seq) for f in unplaced] == [("stock_unplaced", 10_002)]  # raised, not guessed
    assert _by_sku(office_stock.on_hand(office, ADMIN, "lyon", "BRD")) == {"BRD": 10 - 2 + 1}


def test_a_gift_card_sold_or_refunded_moves_no_stock_at_the_office(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = _office(running_office)
    one = tills[0]
    shop, who = one.shop, one.manager
    alone = int(sales.open_sale(shop, who)["id"])
    code = str(gift_cards.sell(shop, who, alone, 5000)["gift_card"]["code"])
    sales.pay_cash(shop, who, alone, 5000)
    with_bread = int(sales.open_sale(shop, who)["id"])
    sales.add_item(shop, who, with_bread, sku="BRD", quantity=2)
    gift_cards.sell(shop, who, with_bread, 1000)
    gift_cards.sell(shop, who, with_bread, 2000, code)  # a top-up beside the goods
    sales.pay_cash(shop, who, with_bread, 100_000)
    returns.refund(shop, who, with_bread, [{"line": 2, "quantity": 1}, {"line": 1, "quantity": 1}], "changed mind")
    one.push()
    sent = [e for e in outbox.events(shop) if e["kind"] == "sale_completed"]
    assert [ln["sku"] for ln in sent[-1]["body"]["lines"]] == ["BRD", PRODUCT_SKU, PRODUCT_SKU]
    assert all("gift_card" in ln for ln in sent[-1]["body"]["lines"][1:])

    # Only the bread moved: sold two, one back; the cards, sold, topped up or refunded, none.
    assert _by_sku(office_stock.on_hand(office, ADMIN, "lyon")) == {"APL": 20, "BRD": 10 - 2 + 1}
    with office.connection() as conn:
        held = conn.execute("SELECT count(*) AS n FROM stock_movements WHERE sku = %s", (PRODUCT_SKU,)).fetchone()
    assert held is not None and held["n"] == 0
    assert [a for a in lane_events.alarms(office) if a["kind"] == "stock_unplaced"] == []

    # A refund from a till that did not name its lines' skus: placed from the sale, a card is
    # still no stock. A line marked a gift card under another sku neither.
    lyon = Lane("lyon", "T01")
    old_refund = {"sale_id": with_bread, "lines": [{"line_no": 2, "quantity": 1}]}
    marked = {"lines": [{"line_no": 1, "sku": "CARD-50", "quantity": 1, "gift_card": {"cards": 1, "amount": 5000}}]}
    with office.connection() as conn, conn.transaction():
        assert stock_ledger.project(conn, lyon, {"seq": 10_001, "at": "t", "kind": "refund", "body": old_refund}) == []
        assert (
            stock_ledger.project(conn, lyon, {"seq": 10_002, "at": "t", "kind": "sale_completed", "body": marked}) == []
        )
    assert _by_sku(office_stock.on_hand(office, ADMIN, "lyon")) == {"APL": 20, "BRD": 10 - 2 + 1}
