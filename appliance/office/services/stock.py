"""Each store's stock at the office: its on-hand and movements (from the ledger the lanes'
events feed, services/stock_ledger.py), reorder points and levels, the low list, suggested
orders, and purchase orders (draft → sent → received).

Who may do what: a chain admin, any store; a store manager, their own store; an auditor reads
every store and changes nothing. Every change is audited in the office's audit log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from appliance.app.domain import stock as stock_rules
from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.app.domain.product_rules import check_sku
from appliance.office.services import audit_log
from appliance.office.services.office import Office
from appliance.office.store import people
from appliance.office.store import purchase_orders as orders_store
from appliance.office.store import stock as stock_store
from appliance.office.store.db import Connection
from appliance.office.store.stock import Movement

MAX_LINES = 1000  # on one purchase order
MAX_SUPPLIER = 120


@dataclass(frozen=True)
class Person:
    """Someone at the office, as their role lets them act: `store` for a store manager."""

    username: str
    role: str
    store: str | None = None


def person(office: Office, username: str) -> Person:
    """The office's person of that name (the CLI's --as, the back office's session)."""
    with office.connection() as conn:
        row = people.find(conn, username)
    if row is None:
        raise NotFound(f"no one called {username} at the office", "person_not_found")
    return Person(str(row["username"]), str(row["role"]), str(row["store"]) if row["store"] else None)


def _may_read(who: Person, store: str) -> None:
    if who.role in ("chain_admin", "auditor") or (who.role == "store_manager" and who.store == store):
        return
    raise Forbidden(f"{who.username} may not see the stock of {store}", "forbidden")


def _may_change(who: Person, store: str) -> None:
    if who.role == "chain_admin" or (who.role == "store_manager" and who.store == store):
        return
    raise Forbidden(f"{who.username} may not change the stock of {store}", "forbidden")


def _store(conn: Connection, store: str) -> str:
    if not stock_store.store_exists(conn, store):
        raise NotFound(f"no store called {store}", "store_not_found")
    return store


@contextmanager
def _changing(office: Office) -> Iterator[Connection]:
    with office.connection() as conn:
        with conn.transaction():
            yield conn
        audit_log.anchor(office, conn)


# -- reading the ledger --------------------------------------------------------------------------


def on_hand(office: Office, who: Person, store: str, sku: str | None = None) -> list[dict[str, Any]]:
    """Each product's on-hand in the store: the sum of its movements from every lane."""
    _may_read(who, store)
    with office.connection() as conn:
        _store(conn, store)
        rows = stock_store.on_hand(conn, store, check_sku(sku) if sku is not None else None)
    return [{"sku": r["sku"], "on_hand": int(str(r["on_hand"]))} for r in rows]


def movements(office: Office, who: Person, store: str, sku: str, limit: int = 200) -> dict[str, Any]:
    """A product's movements in the store, newest first, from every lane, and each lane's share."""
    _may_read(who, store)
    sku = check_sku(sku)
    with office.connection() as conn:
        _store(conn, store)
        rows = stock_store.movements(conn, store, sku, max(1, min(limit, 5000)))
        lanes = stock_store.by_lane(conn, store, sku)
    return {"sku": sku, "on_hand": sum(lanes.values()), "by_lane": lanes, "movements": rows}


# -- reorder rules, the low list, suggestions -------------------------------------------------------


def set_rule(office: Office, who: Person, store: str, sku: str, point: int, level: int, origin: str = "cli") -> None:
    """At or below `point` the product is low; an order brings it back up to `level`."""
    _may_change(who, store)
    sku = check_sku(sku)
    point = stock_rules.check_count(point)
    level = stock_rules.check_count(level)
    if level <= point:
        raise Invalid("the reorder level is above the reorder point", "invalid_reorder_level")
    with _changing(office) as conn:
        _store(conn, store)
        stock_store.set_rule(conn, store, sku, point, level, office.now(), who.username)
        audit_log.record(
            office,
            conn,
            actor=who.username,
            action="stock_rule_set",
            object=f"stock:{store}/{sku}",
            details={"reorder_point": point, "reorder_level": level},
            origin=origin,
        )


def low(office: Office, who: Person, store: str) -> list[dict[str, Any]]:
    """Products at or below their reorder point, with what open orders bring and what to
    order on top to reach the reorder level (`suggested`)."""
    _may_read(who, store)
    with office.connection() as conn:
        _store(conn, store)
        rows = stock_store.at_or_below_point(conn, store)
    out = []
    for r in rows:
        on_hand_, on_order, level = (int(str(r[k])) for k in ("on_hand", "on_order", "reorder_level"))
        out.append(
            {
                "sku": r["sku"],
                "on_hand": on_hand_,
                "reorder_point": int(str(r["reorder_point"])),
                "reorder_level": level,
                "on_order": on_order,
                "suggested": max(0, level - on_hand_ - on_order),
            }
        )
    return out


def suggested(office: Office, who: Person, store: str) -> dict[str, int]:
    """What to order for the store: sku → quantity, for each low product not covered yet."""
    return {r["sku"]: r["suggested"] for r in low(office, who, store) if r["suggested"] > 0}


# -- purchase orders --------------------------------------------------------------------------------


def _quantities(lines: dict[str, int]) -> dict[str, int]:
    if not lines:
        raise Invalid("an order needs at least one line", "no_lines")
    if len(lines) > MAX_LINES:
        raise Invalid(f"at most {MAX_LINES} lines per order", "too_many_lines")
    return {check_sku(sku): stock_rules.check_positive(qty) for sku, qty in lines.items()}


def create_order(
    office: Office,
    who: Person,
    store: str,
    supplier: str,
    lines: dict[str, int] | None = None,
    origin: str = "cli",
) -> dict[str, Any]:
    """A draft order for the store; with no lines, the suggested ones."""
    _may_change(who, store)
    supplier = (supplier or "").strip()
    if not 1 <= len(supplier) <= MAX_SUPPLIER:
        raise Invalid(f"a supplier's name is 1 to {MAX_SUPPLIER} characters", "invalid_supplier")
    wanted = _quantities(lines if lines is not None else suggested(office, who, store))
    with _changing(office) as conn:
        _store(conn, store)
        order_id = orders_store.insert(conn, store, supplier, wanted, office.now(), who.username)
        audit_log.record(
            office,
            conn,
            actor=who.username,
            action="purchase_order_create",
            object=f"purchase_order:{order_id}",
            details={"store": store, "supplier": supplier, "lines": wanted},
            origin=origin,
        )
        return _view(conn, order_id)


def _view(conn: Connection, order_id: int) -> dict[str, Any]:
    head = orders_store.head(conn, order_id)
    if head is None:
        raise NotFound(f"no purchase order {order_id}", "purchase_order_not_found")
    lines = [
        {
            "sku": r["sku"],
            "ordered": int(str(r["quantity"])),
            "received": int(str(r["received"])),
            "outstanding": int(str(r["quantity"])) - int(str(r["received"])),
        }
        for r in orders_store.lines(conn, order_id)
    ]
    return {
        "id": int(str(head["id"])),
        "store": head["store"],
        "supplier": head["supplier"],
        "status": head["status"],
        "lines": lines,
    }


def order(office: Office, who: Person, order_id: int) -> dict[str, Any]:
    with office.connection() as conn:
        view = _view(conn, order_id)
    _may_read(who, str(view["store"]))
    return view


def orders(office: Office, who: Person, store: str) -> list[dict[str, Any]]:
    _may_read(who, store)
    with office.connection() as conn:
        _store(conn, store)
        return orders_store.listing(conn, store)


def _locked(conn: Connection, who: Person, order_id: int) -> dict[str, Any]:
    head = orders_store.head(conn, order_id, lock=True)
    if head is None:
        raise NotFound(f"no purchase order {order_id}", "purchase_order_not_found")
    _may_change(who, str(head["store"]))
    return head


def send_order(office: Office, who: Person, order_id: int, origin: str = "cli") -> dict[str, Any]:
    """The draft went to the supplier: it is what the store waits for now."""
    with _changing(office) as conn:
        head = _locked(conn, who, order_id)
        if head["status"] != "draft":
            raise Conflict(f"purchase order {order_id} is {head['status']}: only a draft is sent", "not_draft")
        orders_store.set_status(conn, order_id, "sent", office.now())
        audit_log.record(
            office,
            conn,
            actor=who.username,
            action="purchase_order_send",
            object=f"purchase_order:{order_id}",
            origin=origin,
        )
        return _view(conn, order_id)


def cancel_order(office: Office, who: Person, order_id: int, origin: str = "cli") -> dict[str, Any]:
    with _changing(office) as conn:
        head = _locked(conn, who, order_id)
        if head["status"] not in ("draft", "sent"):
            raise Conflict(f"purchase order {order_id} is {head['status']}", "purchase_order_closed")
        if any(int(str(r["received"])) for r in orders_store.lines(conn, order_id)):
            raise Conflict(f"goods were received on purchase order {order_id}", "purchase_order_closed")
        orders_store.set_status(conn, order_id, "cancelled", office.now())
        audit_log.record(
            office,
            conn,
            actor=who.username,
            action="purchase_order_cancel",
            object=f"purchase_order:{order_id}",
            origin=origin,
        )
        return _view(conn, order_id)


def receive_order(
    office: Office, who: Person, order_id: int, lines: dict[str, int] | None = None, origin: str = "cli"
) -> dict[str, Any]:
    """Goods arrived at the store against a sent order (all that is outstanding, or `lines`):
    each is a `receipt` movement in the store's ledger, made at the office (till ''). The
    order is received once nothing is outstanding."""
    with _changing(office) as conn:
        head = _locked(conn, who, order_id)
        if head["status"] != "sent":
            raise Conflict(f"purchase order {order_id} is {head['status']}: goods come on a sent order", "not_sent")
        store = str(head["store"])
        outstanding = {
            str(r["sku"]): int(str(r["quantity"])) - int(str(r["received"])) for r in orders_store.lines(conn, order_id)
        }
        wanted = _quantities(lines) if lines is not None else {k: v for k, v in outstanding.items() if v > 0}
        at = office.now()
        for sku, qty in sorted(wanted.items()):
            if sku not in outstanding:
                raise Invalid(f"{sku} is not on purchase order {order_id}", "not_on_order")
            if qty > outstanding[sku]:
                raise Invalid(f"only {outstanding[sku]} of {sku} are still to come", "too_many")
            orders_store.receive_line(conn, order_id, sku, qty)
            stock_store.add(
                conn,
                Movement(
                    store,
                    "",
                    None,
                    0,
                    sku,
                    "receipt",
                    qty,
                    None,
                    "received",
                    f"po:{order_id}",
                    at.isoformat(timespec="seconds"),
                    who.username,
                ),
                at,
            )
        done = all(outstanding[sku] == wanted.get(sku, 0) for sku in outstanding)
        if done:
            orders_store.set_status(conn, order_id, "received", at)
        audit_log.record(
            office,
            conn,
            actor=who.username,
            action="stock_receive",
            object=f"purchase_order:{order_id}",
            details={"store": store, "received": wanted, "status": "received" if done else "sent"},
            origin=origin,
        )
        return _view(conn, order_id)
