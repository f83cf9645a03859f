"""The back office's sessions (migration 0009): kept by the hash of the cookie only."""

from __future__ import annotations

import datetime as dt

from appliance.office.store.db import Connection


def open_session(conn: Connection, token_hash: str, username: str, origin: str, at: dt.datetime) -> None:
    conn.execute(
        "INSERT INTO office_sessions (token_hash, username, origin, created_at, last_seen) VALUES (%s, %s, %s, %s, %s)",
        (token_hash, username, origin[:64], at, at),
    )


def live(
    conn: Connection, token_hash: str, idle_since: dt.datetime, born_since: dt.datetime, at: dt.datetime
) -> dict[str, object] | None:
    """The session's person, if the session is open, was used after `idle_since`, began after
    `born_since` and its person is not disabled; its last use moved to `at`."""
    return conn.execute(
        "UPDATE office_sessions s SET last_seen = %s FROM users u"
        " WHERE s.token_hash = %s AND s.ended_at IS NULL AND s.last_seen > %s AND s.created_at > %s"
        " AND u.username = s.username AND u.disabled_at IS NULL"
        " RETURNING u.username, u.role, u.store, u.must_change, s.created_at",
        (at, token_hash, idle_since, born_since),
    ).fetchone()


def end(conn: Connection, token_hash: str, at: dt.datetime) -> str | None:
    """Ends one session; the name of its person, or None if it was not open."""
    row = conn.execute(
        "UPDATE office_sessions SET ended_at = %s WHERE token_hash = %s AND ended_at IS NULL RETURNING username",
        (at, token_hash),
    ).fetchone()
    return str(row["username"]) if row else None


def end_all(conn: Connection, username: str, at: dt.datetime, *, keep: str | None = None) -> int:
    """Ends a person's sessions (all but `keep`): disabled, or their password changed."""
    cur = conn.execute(
        "UPDATE office_sessions SET ended_at = %s WHERE username = %s AND ended_at IS NULL"
        " AND token_hash IS DISTINCT FROM %s",
        (at, username, keep),
    )
    return cur.rowcount
