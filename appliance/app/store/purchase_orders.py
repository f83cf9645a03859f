"""Suppliers, and the purchase orders sent to them with their lines (what was ordered, what
came in, at what unit cost)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from appliance.app.store.db import Connection


def supplier(conn: Connection, supplier_id: int) -> Any:
    return conn.execute("SELECT * FROM suppliers WHERE id = ?", (supplier_id,)).fetchone()


def add_supplier(conn: Connection, name: str, email: str | None, phone: str | None, now: str) -> int:
    """A new supplier; IntegrityError when one has that name."""
    cur = conn.execute(
        "INSERT INTO suppliers(name, email, phone, created_at) VALUES (?, ?, ?, ?)", (name, email, phone, now)
    )
    return int(cur.lastrowid)


def suppliers(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute("SELECT * FROM suppliers ORDER BY name")]


def order(conn: Connection, po_id: int) -> Any:
    """The order with its supplier's name, or None."""
    return conn.execute(
        "SELECT o.*, s.name AS supplier FROM purchase_orders o JOIN suppliers s ON s.id = o.supplier_id WHERE o.id = ?",
        (po_id,),
    ).fetchone()


def order_lines(conn: Connection, po_id: int) -> list[Any]:
    """sku, name, quantity_ordered, quantity_received and unit_cost of each line, in order."""
    return list(
        conn.execute(
            "SELECT p.sku, p.name, l.quantity_ordered, l.quantity_received, l.unit_cost FROM purchase_order_lines l "
            "JOIN products p ON p.id = l.product_id WHERE l.po_id = ? ORDER BY l.id",
            (po_id,),
        ).fetchall()
    )


def insert_order(conn: Connection, supplier_id: int, note: str, user_id: int, now: str) -> int:
    """A new draft order."""
    cur = conn.execute(
        "INSERT INTO purchase_orders(supplier_id, status, note, created_by, created_at) VALUES (?, 'draft', ?, ?, ?)",
        (supplier_id, note, user_id, now),
    )
    return int(cur.lastrowid)


def add_line(conn: Connection, po_id: int, product_id: int, quantity: int, unit_cost: int) -> None:
    """IntegrityError when the product is on the order already."""
    conn.execute(
        "INSERT INTO purchase_order_lines(po_id, product_id, quantity_ordered, unit_cost) VALUES (?, ?, ?, ?)",
        (po_id, product_id, quantity, unit_cost),
    )


def add_lines(conn: Connection, po_id: int, lines: Iterable[tuple[int, int, int]]) -> None:
    """(product_id, quantity, unit_cost) lines, at once."""
    conn.executemany(
        "INSERT INTO purchase_order_lines(po_id, product_id, quantity_ordered, unit_cost) VALUES (?, ?, ?, ?)",
        [(po_id, product_id, quantity, unit_cost) for product_id, quantity, unit_cost in lines],
    )


def orders(conn: Connection, status: str | None) -> list[dict[str, Any]]:
    """The newest 500 orders (of one status, or all) with their supplier, line count and value."""
    rows = conn.execute(
        "SELECT o.id, o.status, o.created_at, o.ordered_at, s.name AS supplier, "
        "(SELECT count(*) FROM purchase_order_lines l WHERE l.po_id = o.id) AS lines, "
        "(SELECT coalesce(sum(quantity_ordered * unit_cost), 0) FROM purchase_order_lines l WHERE l.po_id = o.id) "
        "AS value FROM purchase_orders o JOIN suppliers s ON s.id = o.supplier_id "
        "WHERE ? IS NULL OR o.status = ? ORDER BY o.id DESC LIMIT 500",
        (status, status),
    ).fetchall()
    return [dict(r) for r in rows]


def mark_ordered(conn: Connection, po_id: int, now: str) -> None:
    conn.execute("UPDATE purchase_orders SET status = 'ordered', ordered_at = ? WHERE id = ?", (now, po_id))


def cancel(conn: Connection, po_id: int, now: str) -> None:
    conn.execute("UPDATE purchase_orders SET status = 'cancelled', closed_at = ? WHERE id = ?", (now, po_id))


def line_of(conn: Connection, po_id: int, product_id: int) -> Any:
    """id, quantity_ordered, quantity_received and unit_cost of the product's line, or None."""
    return conn.execute(
        "SELECT id, quantity_ordered, quantity_received, unit_cost FROM purchase_order_lines "
        "WHERE po_id = ? AND product_id = ?",
        (po_id, product_id),
    ).fetchone()


def receive_line(conn: Connection, line_id: int, quantity: int, unit_cost: int) -> None:
    conn.execute(
        "UPDATE purchase_order_lines SET quantity_received = quantity_received + ?, unit_cost = ? WHERE id = ?",
        (quantity, unit_cost, line_id),
    )


def outstanding(conn: Connection, po_id: int) -> int:
    """Units ordered and not yet received, over the order's lines."""
    return int(
        conn.execute(
            "SELECT coalesce(sum(quantity_ordered - quantity_received), 0) FROM purchase_order_lines WHERE po_id = ?",
            (po_id,),
        ).fetchone()[0]
    )


def set_received(conn: Connection, po_id: int, status: str, now: str, closed_at: str | None) -> None:
    conn.execute(
        "UPDATE purchase_orders SET status = ?, ordered_at = coalesce(ordered_at, ?), closed_at = ? WHERE id = ?",
        (status, now, closed_at, po_id),
    )
