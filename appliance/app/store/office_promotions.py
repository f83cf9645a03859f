"""The office's promotions on this till (migration 0042: promotions.office_key)."""

from __future__ import annotations

from appliance.app.store.db import Connection


def end_office(conn: Connection, key: str) -> None:
    """Ends the running offer the office calls `key`, if there is one."""
    conn.execute("UPDATE promotions SET active = 0 WHERE office_key = ? AND active = 1", (key,))


def tag(conn: Connection, promotion_id: int, key: str) -> None:
    conn.execute("UPDATE promotions SET office_key = ? WHERE id = ?", (key, promotion_id))


def office_owned(conn: Connection, promotion_id: int) -> bool:
    row = conn.execute("SELECT office_key FROM promotions WHERE id = ?", (promotion_id,)).fetchone()
    return row is not None and row["office_key"] is not None
