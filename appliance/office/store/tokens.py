"""Enrolment tokens: kept as their SHA-256, used at most once."""

from __future__ import annotations

import datetime as dt

from appliance.office.store.db import Connection


def add(
    conn: Connection, token_hash: str, store: str, till: str, issued_by: str, at: dt.datetime, expires: dt.datetime
) -> None:
    conn.execute(
        "INSERT INTO enrol_tokens (token_hash, store, till, issued_by, issued_at, expires_at)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (token_hash, store, till, issued_by, at, expires),
    )


def claim(conn: Connection, token_hash: str, at: dt.datetime) -> dict[str, object] | None:
    """Marks the token used and returns its store and till, in one statement: of two
    requests with the same token, only one gets a row."""
    return conn.execute(
        "UPDATE enrol_tokens SET used_at = %s"
        " WHERE token_hash = %s AND used_at IS NULL AND expires_at > %s"
        " RETURNING store, till, issued_by",
        (at, token_hash, at),
    ).fetchone()


def find(conn: Connection, token_hash: str) -> dict[str, object] | None:
    return conn.execute(
        "SELECT store, till, expires_at, used_at FROM enrol_tokens WHERE token_hash = %s", (token_hash,)
    ).fetchone()
