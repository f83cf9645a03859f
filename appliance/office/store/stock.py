"""The stores' stock ledgers: movements (added, never changed), the on-hand as their sum, and
the reorder rules of each store's products."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from appliance.office.store.db import Connection


@dataclass(frozen=True)
class Movement:
    store: str
    till: str  # '' when made at the office
    seq: int | None
    line: int
    sku: str
    kind: str
    delta: int
    lane_on_hand: int | None
    reason: str
    ref: str | None
    at: str
    by: str | None


def add(conn: Connection, m: Movement, recorded_at: dt.datetime) -> bool:
    """Adds the movement; False (and nothing added) when the lane's event line is held already."""
    row = conn.execute(
        "INSERT INTO stock_movements (store, till, seq, line, sku, kind, delta, lane_on_hand, reason, ref, at, by,"
        " recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (store, till, seq, line) DO NOTHING RETURNING id",
        (
            m.store,
            m.till,
            m.seq,
            m.line,
            m.sku,
            m.kind,
            m.delta,
            m.lane_on_hand,
            m.reason,
            m.ref,
            m.at,
            m.by,
            recorded_at,
        ),
    ).fetchone()
    return row is not None


_ON_HAND = "SELECT sku, sum(delta) AS on_hand FROM stock_movements WHERE store = %s"


def on_hand(conn: Connection, store: str, sku: str | None = None) -> list[dict[str, Any]]:
    """sku and on_hand (the sum of its movements) of each product moved in the store."""
    if sku is not None:
        return conn.execute(_ON_HAND + " AND sku = %s GROUP BY sku", (store, sku)).fetchall()
    return conn.execute(_ON_HAND + " GROUP BY sku ORDER BY sku", (store,)).fetchall()


def movements(conn: Connection, store: str, sku: str, limit: int) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT id, till, seq, kind, delta, lane_on_hand, reason, ref, at, by FROM stock_movements"
        " WHERE store = %s AND sku = %s ORDER BY id DESC LIMIT %s",
        (store, sku, limit),
    ).fetchall()


def by_lane(conn: Connection, store: str, sku: str) -> dict[str, int]:
    """Each lane's share of a product's on-hand: the sum of its own movements."""
    rows = conn.execute(
        "SELECT till, sum(delta) AS moved FROM stock_movements WHERE store = %s AND sku = %s GROUP BY till",
        (store, sku),
    ).fetchall()
    return {str(r["till"]): int(str(r["moved"])) for r in rows}


def set_rule(conn: Connection, store: str, sku: str, point: int, level: int, at: dt.datetime, by: str) -> None:
    conn.execute(
        "INSERT INTO stock_rules (store, sku, reorder_point, reorder_level, changed_at, changed_by)"
        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (store, sku) DO UPDATE SET"
        " reorder_point = excluded.reorder_point, reorder_level = excluded.reorder_level,"
        " changed_at = excluded.changed_at, changed_by = excluded.changed_by",
        (store, sku, point, level, at, by),
    )


def at_or_below_point(conn: Connection, store: str) -> list[dict[str, Any]]:
    """Products of the store at or below their reorder point: sku, on_hand, point, level, and
    what open orders (draft or sent) still bring."""
    return conn.execute(
        "SELECT r.sku, coalesce(h.on_hand, 0) AS on_hand, r.reorder_point, r.reorder_level,"
        " coalesce((SELECT sum(l.quantity - l.received) FROM purchase_order_lines l"
        "  JOIN purchase_orders o ON o.id = l.order_id"
        "  WHERE o.store = r.store AND l.sku = r.sku AND o.status IN ('draft', 'sent')), 0) AS on_order"
        " FROM stock_rules r LEFT JOIN LATERAL (SELECT sum(m.delta) AS on_hand FROM stock_movements m"
        "  WHERE m.store = r.store AND m.sku = r.sku) h ON true"
        " WHERE r.store = %s AND coalesce(h.on_hand, 0) <= r.reorder_point ORDER BY r.sku",
        (store,),
    ).fetchall()


def store_exists(conn: Connection, store: str) -> bool:
    return conn.execute("SELECT 1 FROM stores WHERE name = %s", (store,)).fetchone() is not None


def sale_skus(conn: Connection, store: str, till: str, sale_id: int) -> dict[int, str] | None:
    """line_no → sku of a sale as its lane sent it (`sale_completed`), or None if not held."""
    row = conn.execute(
        "SELECT body FROM lane_events WHERE store = %s AND till = %s AND kind = 'sale_completed'"
        " AND body->>'sale_id' = %s LIMIT 1",
        (store, till, str(sale_id)),
    ).fetchone()
    if row is None:
        return None
    body: Any = row["body"]
    return {int(ln["line_no"]): str(ln["sku"]) for ln in body.get("lines", [])}
