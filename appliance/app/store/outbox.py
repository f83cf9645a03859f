"""The outbox table (events for the office) and the link's state (what the office acknowledged).
Rows only: the chain's links are made by `services/outbox.py` with `domain/outbox.py`."""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection

_COLUMNS = "seq, at, kind, body, prev_hash, hash"


def last(conn: Connection) -> tuple[int, str] | None:
    """The last event's seq and hash (the caller's write transaction keeps them the last)."""
    row = conn.execute("SELECT seq, hash FROM outbox ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else None


def insert(conn: Connection, seq: int, at: str, kind: str, body: str, prev_hash: str, link: str) -> None:
    conn.execute(
        "INSERT INTO outbox (seq, at, kind, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
        (seq, at, kind, body, prev_hash, link),
    )


def events(conn: Connection, after: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    sql = f"SELECT {_COLUMNS} FROM outbox WHERE seq > ? ORDER BY seq"  # noqa: S608 fixed columns
    params: tuple[Any, ...] = (after,)
    if limit is not None:
        sql += " LIMIT ?"
        params = (after, limit)
    return [dict(r) for r in conn.execute(sql, params)]


def link_state(conn: Connection) -> dict[str, Any]:
    """acked_seq, last_contact, last_error, last_try; the highest seq; the unsent count and
    the oldest unsent event's time (one read)."""
    row = conn.execute(
        "SELECT l.acked_seq, l.last_contact, l.last_error, l.last_try,"
        " coalesce((SELECT max(seq) FROM outbox), 0) AS last_seq,"
        " (SELECT at FROM outbox WHERE seq > l.acked_seq ORDER BY seq LIMIT 1) AS oldest_unsent_at"
        " FROM outbox_link l WHERE l.id = 1"
    ).fetchone()
    return dict(row)


def acknowledged(conn: Connection, acked_seq: int, at: str) -> None:
    """The office's acknowledgement: it may move back (the office restored a backup), and the
    till then sends again from there."""
    conn.execute(
        "UPDATE outbox_link SET acked_seq = ?, last_contact = ?, last_error = NULL, last_try = ? WHERE id = 1",
        (acked_seq, at, at),
    )


def failed(conn: Connection, error: str, at: str) -> None:
    conn.execute("UPDATE outbox_link SET last_error = ?, last_try = ? WHERE id = 1", (error[:300], at))


def last_body_of_kind(conn: Connection, kind: str) -> str | None:
    """The newest event of a kind, its body as written (from the end: the kinds asked for
    here are written at every run of a timer, so the walk back is short)."""
    row = conn.execute("SELECT body FROM outbox WHERE kind = ? ORDER BY seq DESC LIMIT 1", (kind,)).fetchone()
    return str(row[0]) if row else None


def last_of_kinds(conn: Connection, kinds: tuple[str, ...]) -> tuple[str, str] | None:
    """The newest event of any of `kinds`: its kind and body as written."""
    marks = ", ".join("?" for _ in kinds)
    row = conn.execute(
        f"SELECT kind, body FROM outbox WHERE kind IN ({marks}) ORDER BY seq DESC LIMIT 1",  # noqa: S608 marks only
        kinds,
    ).fetchone()
    return (str(row[0]), str(row[1])) if row else None
