"""Staff time: the stretches each person clocked (`time_entries`: work or a break, open
until it ends)."""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection


def open_entries(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """The person's stretches not yet ended (kind, id, started_at)."""
    rows = conn.execute(
        "SELECT kind, id, started_at FROM time_entries WHERE user_id = ? AND ended_at IS NULL", (user_id,)
    ).fetchall()
    return [dict(r) for r in rows]


def start(conn: Connection, user_id: int, kind: str, now: str, origin: str) -> None:
    conn.execute(
        "INSERT INTO time_entries(user_id, kind, started_at, origin) VALUES (?, ?, ?, ?)",
        (user_id, kind, now, origin),
    )


def end(conn: Connection, entry_id: int, now: str) -> None:
    conn.execute("UPDATE time_entries SET ended_at = ? WHERE id = ?", (now, entry_id))


def touching(conn: Connection, start: str, end: str) -> list[Any]:
    """Everyone's stretches that touch [start, end) (username, kind, started_at, ended_at), in order."""
    return list(
        conn.execute(
            "SELECT u.username, t.kind, t.started_at, t.ended_at FROM time_entries t "
            "JOIN users u ON u.id = t.user_id "
            "WHERE t.started_at < ? AND (t.ended_at IS NULL OR t.ended_at > ?) ORDER BY t.started_at",
            (end, start),
        ).fetchall()
    )
