"""Which sale of which lane a return of another lane's receipt was (migration 0041)."""

from __future__ import annotations

import json
from typing import Any

from appliance.app.store.db import Connection


def insert(
    conn: Connection,
    return_id: int,
    hold_key: str,
    origin: tuple[str, str, int],
    receipt_number: str,
    lines: list[dict[str, int]],
) -> None:
    conn.execute(
        "INSERT INTO returns_across_lanes(return_id, hold_key, origin_store, origin_till, origin_sale_id,"
        " receipt_number, lines) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (return_id, hold_key, *origin, receipt_number, json.dumps(lines)),
    )


def by_hold(conn: Connection, hold_key: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT a.return_id, a.origin_store, a.origin_till, a.origin_sale_id, a.receipt_number, a.lines,"
        " r.amount, r.tax, r.refund_to, r.cash_rounding FROM returns_across_lanes a"
        " JOIN receiptless_returns r ON r.id = a.return_id WHERE a.hold_key = ?",
        (hold_key,),
    ).fetchone()
    return dict(row) if row is not None else None
