"""Customers' rows. The customers service still holds most of its SQL; new queries start here."""

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


def by_loyalty_card(conn: Connection, card: str) -> Any:
    """The live (not erased) customer holding `card`, or None."""
    return conn.execute("SELECT * FROM customers WHERE loyalty_card = ? AND erased_at IS NULL", (card,)).fetchone()


def card_shown(conn: Connection, sale_id: int, customer_id: int) -> bool:
    """Whether `customer_id` was named on the sale by a scan of their loyalty card."""
    row = conn.execute(
        "SELECT card_shown FROM sale_customers WHERE sale_id = ? AND customer_id = ?", (sale_id, customer_id)
    ).fetchone()
    return row is not None and bool(row[0])
