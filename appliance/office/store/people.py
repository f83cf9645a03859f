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


# -- the back office: sign-in, lockout, disabling (migration 0009) -----------------------------

PERSON = "username, role, store, password_hash, must_change, failed_logins, locked_until, disabled_at, created_at"


def person(conn: Connection, username: str) -> dict[str, object] | None:
    return conn.execute(f"SELECT {PERSON} FROM users WHERE username = %s", (username,)).fetchone()  # noqa: S608 fixed columns


def everyone(conn: Connection, store: str | None = None) -> list[dict[str, object]]:
    """The office's people (of one store when `store` is given), by name."""
    return conn.execute(
        f"SELECT {PERSON} FROM users WHERE %s::text IS NULL OR store = %s ORDER BY username",  # noqa: S608 fixed columns
        (store, store),
    ).fetchall()


def failed_login(conn: Connection, username: str, limit: int, lock_until: dt.datetime) -> int:
    """Counts a failed password; at `limit` failures in a row the account is locked until
    `lock_until` and the count starts again. The count after this failure."""
    row = conn.execute(
        "UPDATE users SET failed_logins = CASE WHEN failed_logins + 1 >= %s THEN 0 ELSE failed_logins + 1 END,"
        " locked_until = CASE WHEN failed_logins + 1 >= %s THEN %s ELSE locked_until END"
        " WHERE username = %s RETURNING failed_logins, locked_until",
        (limit, limit, lock_until, username),
    ).fetchone()
    return int(str(row["failed_logins"])) if row else 0


def logged_in(conn: Connection, username: str, password_hash: str | None = None) -> None:
    """A good password: the failures are forgotten (and a hash made weaker than today's re-made)."""
    conn.execute(
        "UPDATE users SET failed_logins = 0, locked_until = NULL,"
        " password_hash = coalesce(%s, password_hash) WHERE username = %s",
        (password_hash, username),
    )


def set_password(conn: Connection, username: str, password_hash: str, *, must_change: bool) -> None:
    conn.execute(
        "UPDATE users SET password_hash = %s, must_change = %s, failed_logins = 0, locked_until = NULL"
        " WHERE username = %s",
        (password_hash, must_change, username),
    )


def disable(conn: Connection, username: str, at: dt.datetime) -> bool:
    """True when the person was enabled until now."""
    cur = conn.execute("UPDATE users SET disabled_at = %s WHERE username = %s AND disabled_at IS NULL", (at, username))
    return cur.rowcount == 1
