"""Customers' rows. The customers service still holds most of its SQL; new queries start here."""

from __future__ import annotations

from appliance.app.store.db import Connection


def on_a_recent_sale(conn: Connection, customer_id: int, terminal_id: str, since: str) -> bool:
    """Whether the customer is named on a sale opened at `terminal_id` since `since`."""
    row = conn.execute(
        "SELECT 1 FROM sale_customers c JOIN sales s ON s.id = c.sale_id "
        "WHERE c.customer_id = ? AND s.terminal_id = ? AND s.opened_at >= ? LIMIT 1",
        (customer_id, terminal_id, since),
    ).fetchone()
    return row is not None
