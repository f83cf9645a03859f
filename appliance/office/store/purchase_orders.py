"""The stores' purchase orders at the office: draft, sent, received (or cancelled)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from appliance.office.store.db import Connection


def insert(conn: Connection, store: str, supplier: str, lines: dict[str, int], at: dt.datetime, by: str) -> int:
    row = conn.execute(
        "INSERT INTO purchase_orders (store, supplier, status, created_at, created_by)"
        " VALUES (%s, %s, 'draft', %s, %s) RETURNING id",
        (store, supplier, at, by),
    ).fetchone()
    assert row is not None
    order_id = int(str(row["id"]))
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO purchase_order_lines (order_id, sku, quantity) VALUES (%s, %s, %s)",
            [(order_id, sku, qty) for sku, qty in sorted(lines.items())],
        )
    return order_id


def head(conn: Connection, order_id: int, *, lock: bool = False) -> dict[str, Any] | None:
    """The order's head; `lock` holds its row to the end of the transaction (one change at a time)."""
    if lock:
        return conn.execute(
            "SELECT id, store, supplier, status FROM purchase_orders WHERE id = %s FOR UPDATE", (order_id,)
        ).fetchone()
    return conn.execute(
        "SELECT id, store, supplier, status, created_at, created_by, sent_at, received_at FROM purchase_orders"
        " WHERE id = %s",
        (order_id,),
    ).fetchone()


def lines(conn: Connection, order_id: int) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT sku, quantity, received FROM purchase_order_lines WHERE order_id = %s ORDER BY sku", (order_id,)
    ).fetchall()


def listing(conn: Connection, store: str) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT o.id, o.supplier, o.status, o.created_at, count(l.sku) AS lines,"
        " coalesce(sum(l.quantity - l.received), 0) AS outstanding"
        " FROM purchase_orders o LEFT JOIN purchase_order_lines l ON l.order_id = o.id"
        " WHERE o.store = %s GROUP BY o.id ORDER BY o.id DESC",
        (store,),
    ).fetchall()


def set_status(conn: Connection, order_id: int, status: str, at: dt.datetime) -> None:
    """The order's new status; `at` is when it was sent or received (kept for those two)."""
    conn.execute(
        "UPDATE purchase_orders SET status = %s,"
        " sent_at = CASE WHEN %s::text = 'sent' THEN %s ELSE sent_at END,"
        " received_at = CASE WHEN %s::text = 'received' THEN %s ELSE received_at END WHERE id = %s",
        (status, status, at, status, at, order_id),
    )


def receive_line(conn: Connection, order_id: int, sku: str, quantity: int) -> None:
    conn.execute(
        "UPDATE purchase_order_lines SET received = received + %s WHERE order_id = %s AND sku = %s",
        (quantity, order_id, sku),
    )
