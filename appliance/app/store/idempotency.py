"""Idempotency keys (table idempotency): the first answer to a keyed request, per user, so
that a retry gets it back. Written in the transaction of the change the answer describes;
purged once older than the store rule `idempotency_keep_hours` (services.idempotency), after
which the same key is a new request."""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection


def first_answer(conn: Connection, key: str, user_id: int) -> Any:
    """The row kept for this user's key (route, request_hash, status, response as JSON), or None."""
    return conn.execute(
        "SELECT route, request_hash, status, response FROM idempotency WHERE key = ? AND user_id = ?",
        (key, user_id),
    ).fetchone()


def remember(
    conn: Connection, *, key: str, user_id: int, route: str, request_hash: str, status: int, response: str, at: str
) -> None:
    """Keeps the answer (`response`, JSON text) given to this user's key."""
    conn.execute(
        "INSERT INTO idempotency(key, user_id, route, request_hash, status, response, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (key, user_id, route, request_hash, status, response, at),
    )


def purge_before(conn: Connection, before: str, limit: int) -> int:
    """Deletes at most `limit` answers given before `before` (an ISO moment, as created_at is
    written); how many went. A bounded batch, so that the write lock is held briefly."""
    cursor = conn.execute(
        "DELETE FROM idempotency WHERE rowid IN (SELECT rowid FROM idempotency WHERE created_at < ? LIMIT ?)",
        (before, limit),
    )
    return int(cursor.rowcount)
