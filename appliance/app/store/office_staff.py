"""The people the office manages at this store (migration 0042: users.office_version)."""

from __future__ import annotations

from appliance.app.store.db import Connection


def insert(
    conn: Connection,
    username: str,
    role: str,
    password_hash: str,
    pin_hash: str | None,
    active: bool,
    version: int,
    now: str,
) -> int:
    cur = conn.execute(
        "INSERT INTO users(username, role, password_hash, pin_hash, active, office_version, created_at,"
        " password_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (username, role, password_hash, pin_hash, int(active), version, now, now),
    )
    return int(cur.lastrowid)


def update(
    conn: Connection,
    user_id: int,
    role: str,
    password_hash: str,
    pin_hash: str | None,
    active: bool,
    version: int,
) -> None:
    """The office's word on a person; their lockout counters and badge stay the till's."""
    conn.execute(
        "UPDATE users SET role = ?, password_hash = ?, pin_hash = ?, active = ?, office_version = ?,"
        " must_change_password = 0, must_change_pin = 0 WHERE id = ?",
        (role, password_hash, pin_hash, int(active), version, user_id),
    )


def office_owned(conn: Connection, username: str) -> bool:
    row = conn.execute("SELECT office_version FROM users WHERE username = ?", (username,)).fetchone()
    return row is not None and row["office_version"] is not None
