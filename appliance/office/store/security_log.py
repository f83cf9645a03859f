"""The lanes' security log entries and their audit chain heads: rows only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from appliance.office.store.db import Connection


def add_entries(conn: Connection, store: str, till: str, seq: int, entries: Sequence[dict[str, Any]]) -> None:
    if not entries:
        return
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO lane_security_log (store, till, seq, n, at, category, priority, program, unit, message)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            [
                (store, till, seq, n, e["at"], e["category"], e["priority"], e["program"], e["unit"], e["message"])
                for n, e in enumerate(entries)
            ],
        )


def entries(conn: Connection, store: str, till: str, limit: int = 1000) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT seq, n, at, category, priority, program, unit, message FROM lane_security_log"
        " WHERE store = %s AND till = %s ORDER BY seq, n LIMIT %s",
        (store, till, limit),
    ).fetchall()


def counts(conn: Connection) -> list[dict[str, Any]]:
    """Per lane and category: how many entries, and the newest entry's time."""
    return conn.execute(
        "SELECT store, till, category, count(*) AS entries, max(at) AS newest FROM lane_security_log"
        " GROUP BY store, till, category ORDER BY store, till, category"
    ).fetchall()


def audit_head(conn: Connection, store: str, till: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT seq, entry_id, link, at FROM lane_audit_heads WHERE store = %s AND till = %s FOR UPDATE",
        (store, till),
    ).fetchone()


def set_audit_head(conn: Connection, store: str, till: str, seq: int, entry_id: int, link: str, at: str) -> None:
    conn.execute(
        "INSERT INTO lane_audit_heads (store, till, seq, entry_id, link, at) VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (store, till) DO UPDATE SET seq = excluded.seq, entry_id = excluded.entry_id,"
        " link = excluded.link, at = excluded.at",
        (store, till, seq, entry_id, link, at),
    )


def audit_heads(conn: Connection) -> list[dict[str, Any]]:
    return conn.execute("SELECT store, till, seq, entry_id, link, at FROM lane_audit_heads").fetchall()
