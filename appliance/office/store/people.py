"""The office's people: users and their roles."""

from __future__ import annotations

import datetime as dt

from appliance.office.store.db import Connection

ROLES = ("chain_admin", "store_manager", "auditor")


def count(conn: Connection) -> int:
    row = conn.execute("SELECT count(*) AS n FROM users").fetchone()
    return int(str(row["n"])) if row else 0


def add(
    conn: Connection, username: str, role: str, password_hash: str, at: dt.datetime, *, store: str | None = None
) -> None:
    conn.execute(
        "INSERT INTO users (username, role, store, password_hash, must_change, created_at)"
        " VALUES (%s, %s, %s, %s, true, %s)",
        (username, role, store, password_hash, at),
    )


def find(conn: Connection, username: str) -> dict[str, object] | None:
    return conn.execute(
        "SELECT username, role, store, password_hash, must_change FROM users WHERE username = %s", (username,)
    ).fetchone()
