"""Customers' rows and their points ledger. The customers service still holds most of its
SQL; new queries start here."""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection


def on_a_recent_sale(conn: Connection, customer_id: int, terminal_id: str, since: str) -> bool:
    """Whether the customer is named on a sale opened at `terminal_id` since `since`."""
    row = conn.execute(
        "SELECT 1 FROM sale_customers c JOIN sales s ON s.id = c.sale_id "
        "WHERE c.customer_id = ? AND s.terminal_id = ? AND s.opened_at >= ? LIMIT 1",
        (customer_id, terminal_id, since),
    ).fetchone()
    return row is not None


def add_points(conn: Connection, customer_id: int, points: int) -> None:
    """Adds `points` to a customer's balance (negative takes them off, unchecked)."""
    conn.execute("UPDATE customers SET points = points + ? WHERE id = ?", (points, customer_id))


def add_entry(
    conn: Connection,
    customer_id: int,
    kind: str,
    points: int,
    at: str,
    *,
    sale_id: int | None = None,
    payment_id: int | None = None,
    user_id: int | None = None,
    reason: str = "",
) -> None:
    """One line of a customer's points ledger (`loyalty_entries`): earn, redeem or adjust."""
    conn.execute(
        "INSERT INTO loyalty_entries(customer_id, kind, points, sale_id, payment_id, user_id, reason, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (customer_id, kind, points, sale_id, payment_id, user_id, reason, at),
    )


def on_sale(conn: Connection, sale_id: int) -> dict[str, Any] | None:
    """The sale's customer (id, name, points, points_owed) and the points this sale earned them."""
    row = conn.execute(
        "SELECT c.id, c.name, c.points, c.points_owed, "
        "(SELECT coalesce(sum(e.points), 0) FROM loyalty_entries e WHERE e.sale_id = s.sale_id AND e.kind = 'earn' "
        "AND e.customer_id = c.id) AS earned "
        "FROM sale_customers s JOIN customers c ON c.id = s.customer_id WHERE s.sale_id = ?",
        (sale_id,),
    ).fetchone()
    return dict(row) if row is not None else None
