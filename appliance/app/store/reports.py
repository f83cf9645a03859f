"""Queries of the period reports. The reports service still holds most of its SQL; new
queries start here, on their way to one report engine."""

from __future__ import annotations

from appliance.app.store.db import Connection, Row


def cash_refund_rounding(conn: Connection, quarter: str, bounds: tuple[str, str]) -> list[Row]:
    """(quarter of an hour, '', rounding) of cash refunds in `bounds`; `quarter` is the SQL
    expression that buckets r.created_at (the service's, so both group alike)."""
    rows: list[Row] = conn.execute(
        f"SELECT {quarter}, '', sum(t.rounding) FROM refunds r JOIN refund_tenders t ON t.refund_id = r.id "  # noqa: S608
        "WHERE t.method = 'cash' AND r.created_at >= ? AND r.created_at < ? GROUP BY 1, 2",
        bounds,
    ).fetchall()
    return rows
