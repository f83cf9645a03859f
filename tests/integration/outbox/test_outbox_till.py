"""The till's outbox: every business event in the transaction that makes it, numbered with no
gap, chained, and nothing secret in it."""

from __future__ import annotations

import json

import pytest

from appliance.app.domain.outbox import chain_problems
from appliance.app.services import customers, gift_cards, outbox, sales, shifts, stock
from appliance.app.store import sales as sales_store
from appliance.app.store.db import IntegrityError
from tests.conftest import Store


class PowerCut(Exception):
    pass


def kinds(store: Store, after: int = 0) -> list[str]:
    return [e["kind"] for e in outbox.events(store.shop, after=after)]


def last_seq(store: Store) -> int:
    return outbox.backlog(store.shop)["last_seq"]


def test_a_cash_sale_writes_its_event_with_the_amounts_in_minor_units(store: Store) -> None:
    cashier = store.actor("cashier")
    before = last_seq(store)
    sale = sales.open_sale(store.shop, cashier)
    sales.add_item(store.shop, cashier, sale["id"], sku="BRD", quantity=2)
    done = sales.pay_cash(store.shop, cashier, sale["id"], 1000)
    written = outbox.events(store.shop, after=before)
    assert [e["kind"] for e in written] == ["sale_completed"]  # opening and scanning are not business events
    body = written[0]["body"]
    assert body["sale_id"] == sale["id"] and body["receipt_no"] == done["receipt_no"]
    assert body["currency"] == "CAD" and body["total"] == 698 and body["subtotal"] == 698
    assert body["lines"] == [
        {
            "line_no": 1,
            "product_id": body["lines"][0]["product_id"],
            "sku": "BRD",
            "quantity": 2,
            "unit_price": 349,
            "discount": 0,
            "tax_class": "exempt",
        }
    ]
    assert body["tenders"] == [{"method": "cash", "amount": 698, "rounding": 2}]  # to the 0.05 coin


def test_a_failed_completion_writes_no_event_and_leaves_no_hole(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    cashier = store.actor("cashier")
    sale = sales.open_sale(store.shop, cashier)
    sales.add_item(store.shop, cashier, sale["id"], sku="BRD", quantity=1)
    before = last_seq(store)

    def cut(*args: object, **kwargs: object) -> None:
        raise PowerCut

    monkeypatch.setattr(sales_store, "complete", cut)
    with pytest.raises(PowerCut):
        sales.pay_cash(store.shop, cashier, sale["id"], 1000)
    monkeypatch.undo()
    assert last_seq(store) == before  # the sale's event went with its rollback
    sales.pay_cash(store.shop, cashier, sale["id"], 1000)
    after = outbox.events(store.shop, after=before)
    assert [(e["seq"], e["kind"]) for e in after] == [(before + 1, "sale_completed")]
    assert outbox.verify(store.shop) == []


def test_shifts_cash_stock_gift_cards_points_customers_and_audit_each_write_events(store: Store) -> None:
    shop = store.shop
    cashier, manager = store.actor("cashier"), store.actor("manager")
    before = last_seq(store)
    shifts.open_shift(shop, cashier, {"2000": 5})
    shifts.move_cash(shop, cashier, "paid_in", 500, "change from the safe")
    shifts.move_cash(shop, cashier, "paid_out", 200, "window cleaner")
    stock.adjust(shop, manager, "APL", -3, "damaged")
    customer = customers.create(shop, cashier, "Ada Lovelace", email="ada@example.org")
    customers.adjust_points(shop, manager, customer["id"], 50, "welcome")
    sale = sales.open_sale(shop, cashier)
    gift_cards.sell(shop, cashier, sale["id"], 1000)
    sales.pay_cash(shop, cashier, sale["id"], 1000)
    z = shifts.close_shift(shop, cashier, {"2000": 5, "500": 1, "1000": 1}, approval=None)
    seen = outbox.events(shop, after=before)
    got = [e["kind"] for e in seen]
    for kind in (
        "shift_opened",
        "paid_in",
        "paid_out",
        "stock_moved",
        "customer_created",
        "points_moved",
        "sale_completed",
        "gift_card_moved",
        "shift_closed",
        "audit_entry",
    ):
        assert kind in got, kind
    # The opening names the store's clock as the Z does: the office's days before a Z comes.
    opened = next(e for e in seen if e["kind"] == "shift_opened")["body"]
    assert opened["timezone"] == shop.settings.timezone and opened["float"] == 10_000
    closed = next(e for e in seen if e["kind"] == "shift_closed")["body"]
    assert closed["z"]["counted"] == z["counted"] and closed["z"]["variance"] == z["variance"]
    assert closed["currency"] == "CAD"
    paid_in = next(e for e in seen if e["kind"] == "paid_in")["body"]
    assert paid_in["amount"] == 500 and paid_in["currency"] == "CAD" and paid_in["by"] == "cashier"
    # The sale comes before what its completion set off (the card's activation).
    assert got.index("sale_completed") < got.index("gift_card_moved")
    assert [e["seq"] for e in seen] == list(range(before + 1, before + 1 + len(seen)))
    assert outbox.verify(shop) == []


def test_no_event_carries_a_password_hash_a_pin_or_a_gift_cards_code(store: Store) -> None:
    shop = store.shop
    cashier = store.actor("cashier")
    sale = sales.open_sale(shop, cashier)
    code = gift_cards.sell(shop, cashier, sale["id"], 1000)["gift_card"]["code"]
    sales.pay_cash(shop, cashier, sale["id"], 1000)
    text = json.dumps([e["body"] for e in outbox.events(shop)])
    hashes = [r[0] for r in shop.db.conn.execute("SELECT password_hash FROM users")]
    assert hashes and not any(h in text for h in hashes)
    assert "$argon2" not in text
    assert code.replace(" ", "").replace("-", "") not in text.replace(" ", "").replace("-", "")


def test_an_event_with_a_secrets_name_is_refused(store: Store) -> None:
    before = last_seq(store)
    with pytest.raises(ValueError, match="pin_hash"):
        outbox.emit(store.shop, "staff_changed", {"user": "x", "pin_hash": "secret"})
    assert last_seq(store) == before


def test_the_outbox_is_append_only_and_a_changed_event_breaks_the_chain(store: Store) -> None:
    assert last_seq(store) > 0  # the store's set-up is audited, so already sent up
    with pytest.raises(IntegrityError, match="append-only"), store.shop.db.transaction() as tx:
        tx.execute("UPDATE outbox SET body = '{}' WHERE seq = 1")
    with pytest.raises(IntegrityError, match="append-only"), store.shop.db.transaction() as tx:
        tx.execute("DELETE FROM outbox WHERE seq = 1")
    events = outbox.events(store.shop)
    events[1] = {**events[1], "body": {"changed": True}}
    assert chain_problems(events) == ["event 2's hash is not its content's"]
    assert chain_problems(events[:1] + events[2:]) == ["event 3 follows event 1: 1 missing"]


def test_the_backlog_counts_what_the_office_has_not_acknowledged(store: Store) -> None:
    shop = store.shop
    state = outbox.backlog(shop)
    assert state["acked_seq"] == 0 and state["backlog"] == state["last_seq"] > 0
    assert state["oldest_unsent_at"] == outbox.events(shop, limit=1)[0]["at"]
    assert state["last_contact"] is None
    outbox.acknowledged(shop, state["last_seq"] - 1)
    state = outbox.backlog(shop)
    assert state["backlog"] == 1 and state["last_contact"] is not None
    assert [e["seq"] for e in outbox.unsent(shop)] == [state["last_seq"]]


def test_a_customers_event_names_the_fields_not_their_values(store: Store) -> None:
    cashier, manager = store.actor("cashier"), store.actor("manager")
    customer = customers.create(store.shop, cashier, "Ada Lovelace", email="ada@example.org", phone="514 555 0100")
    customers.update(store.shop, manager, customer["id"], {"email": "ada@example.com"})
    customers.erase(store.shop, manager, customer["id"])
    seen = [e for e in outbox.events(store.shop) if e["kind"].startswith("customer_")]
    assert [(e["kind"], e["body"].get("fields")) for e in seen] == [
        ("customer_created", ["name", "email", "phone"]),
        ("customer_changed", ["email"]),
        ("customer_erased", None),
    ]
    # The whole phone number, not "555": a hash or a time in another event may hold those digits.
    text = json.dumps([e["body"] for e in outbox.events(store.shop)])
    for value in ("Lovelace", "ada@", "514 555 0100", "5145550100"):
        assert value not in text, value
