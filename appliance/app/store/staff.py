"""Staff accounts, sessions and one-time approvals."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.app.domain.staff import User
from appliance.app.store.db import Connection, Row


def _user(row: Row) -> User:
    return User(
        id=row["id"],
        username=row["username"],
        role=row["role"],
        password_hash=row["password_hash"],
        must_change_password=bool(row["must_change_password"]),
        failed_attempts=row["failed_attempts"],
        locked_until=row["locked_until"],
        active=bool(row["active"]),
        pin_hash=row["pin_hash"],
        must_change_pin=bool(row["must_change_pin"]),
        badge_hash=row["badge_hash"],
    )


_COLUMNS = (
    "id, username, role, password_hash, must_change_password, failed_attempts, locked_until, active, "
    "pin_hash, must_change_pin, badge_hash"
)


def by_name(conn: Connection, username: str) -> User | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM users WHERE username = ?", (username,)).fetchone()  # noqa: S608
    return _user(row) if row else None


def by_id(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()  # noqa: S608
    return _user(row) if row else None


def by_badge(conn: Connection, badge_hash: str) -> User | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM users WHERE badge_hash = ?", (badge_hash,)).fetchone()  # noqa: S608
    return _user(row) if row else None


def all_users(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(f"SELECT {_COLUMNS} FROM users ORDER BY username")]  # noqa: S608


def insert(conn: Connection, username: str, role: str, password_hash: str, must_change: bool, now: str) -> int:
    cur = conn.execute(
        "INSERT INTO users(username, role, password_hash, must_change_password, created_at, password_changed_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (username, role, password_hash, int(must_change), now, now),
    )
    return int(cur.lastrowid)


def record_failure(conn: Connection, user_id: int, failures: int, locked_until: str | None) -> None:
    conn.execute(
        "UPDATE users SET failed_attempts = ?, locked_until = ? WHERE id = ?",
        (failures, locked_until, user_id),
    )


def reset_failures(conn: Connection, user_id: int) -> None:
    conn.execute("UPDATE users SET failed_attempts = 0, locked_until = NULL WHERE id = ?", (user_id,))


def set_password(conn: Connection, user_id: int, password_hash: str, must_change: bool, now: str) -> None:
    old = conn.execute("SELECT password_hash FROM users WHERE id = ?", (user_id,)).fetchone()
    if old:
        conn.execute(
            "INSERT INTO password_history(user_id, password_hash, changed_at) VALUES (?, ?, ?)",
            (user_id, old[0], now),
        )
    conn.execute(
        "UPDATE users SET password_hash = ?, must_change_password = ?, password_changed_at = ? WHERE id = ?",
        (password_hash, int(must_change), now, user_id),
    )


def set_pin(conn: Connection, user_id: int, pin_hash: str | None, must_change: bool) -> None:
    conn.execute(
        "UPDATE users SET pin_hash = ?, must_change_pin = ? WHERE id = ?",
        (pin_hash, int(must_change), user_id),
    )


def rehash_pin(conn: Connection, user_id: int, pin_hash: str) -> None:
    conn.execute("UPDATE users SET pin_hash = ? WHERE id = ?", (pin_hash, user_id))


def set_badge(conn: Connection, user_id: int, badge_hash: str | None) -> None:
    conn.execute("UPDATE users SET badge_hash = ? WHERE id = ?", (badge_hash, user_id))


def set_active(conn: Connection, user_id: int, active: bool) -> None:
    conn.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user_id))


def set_role(conn: Connection, user_id: int, role: str) -> None:
    conn.execute("UPDATE users SET role = ? WHERE id = ?", (role, user_id))


def rehash(conn: Connection, user_id: int, password_hash: str) -> None:
    conn.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


def recent_hashes(conn: Connection, user_id: int, count: int) -> list[str]:
    rows = conn.execute(
        "SELECT password_hash FROM password_history WHERE user_id = ? ORDER BY rowid DESC LIMIT ?",
        (user_id, count),
    )
    return [r[0] for r in rows]


# -- sessions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Session:
    token_hash: str
    user_id: int
    csrf_hash: str
    origin: str
    last_seen: str
    expires_at: str
    ended_at: str | None
    opened_by: str = "password"  # 'password', 'pin' or 'badge'


def insert_session(
    conn: Connection,
    token_hash: str,
    user_id: int,
    csrf_hash: str,
    origin: str,
    now: str,
    expires_at: str,
    opened_by: str = "password",
) -> None:
    conn.execute(
        "INSERT INTO sessions(token_hash, user_id, csrf_hash, origin, created_at, last_seen, expires_at, opened_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (token_hash, user_id, csrf_hash, origin, now, now, expires_at, opened_by),
    )


def session(conn: Connection, token_hash: str) -> Session | None:
    row = conn.execute(
        "SELECT token_hash, user_id, csrf_hash, origin, last_seen, expires_at, ended_at, opened_by FROM sessions "
        "WHERE token_hash = ?",
        (token_hash,),
    ).fetchone()
    return Session(*row) if row else None


def touch_session(conn: Connection, token_hash: str, now: str) -> None:
    conn.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (now, token_hash))


def end_session(conn: Connection, token_hash: str, now: str) -> None:
    conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE token_hash = ? AND ended_at IS NULL",
        (now, token_hash),
    )


def end_user_sessions(conn: Connection, user_id: int, now: str, keep: str | None = None) -> int:
    """Ends the user's live sessions, all but `keep` (a token hash); says how many ended."""
    found = conn.execute(
        "UPDATE sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL AND token_hash IS NOT ?",
        (now, user_id, keep),
    )
    return int(found.rowcount)


def insert_approval(
    conn: Connection,
    token_hash: str,
    approver_id: int,
    session_hash: str,
    permission: str,
    expires_at: str,
) -> None:
    conn.execute(
        "INSERT INTO approvals(token_hash, approver_id, session_hash, permission, expires_at) VALUES (?, ?, ?, ?, ?)",
        (token_hash, approver_id, session_hash, permission, expires_at),
    )


def live_approval(conn: Connection, token_hash: str, session_hash: str, permission: str, now: str) -> int | None:
    """The approver of a live approval, or None when there is none; nothing is used up."""
    row = conn.execute(
        "SELECT approver_id FROM approvals WHERE token_hash = ? AND session_hash = ? AND permission = ? "
        "AND used_at IS NULL AND expires_at > ?",
        (token_hash, session_hash, permission, now),
    ).fetchone()
    return None if row is None else int(row[0])


def use_approval(conn: Connection, token_hash: str, session_hash: str, permission: str, now: str) -> int | None:
    """Marks a live approval used and returns its approver, or None when there is none."""
    approver_id = live_approval(conn, token_hash, session_hash, permission, now)
    if approver_id is not None:
        conn.execute("UPDATE approvals SET used_at = ? WHERE token_hash = ?", (now, token_hash))
    return approver_id


def language(conn: Connection, user_id: int) -> str | None:
    """The language a person chose for their screens; None: the store's."""
    row = conn.execute("SELECT language FROM users WHERE id = ?", (user_id,)).fetchone()
    return None if row is None else row["language"]


def set_language(conn: Connection, user_id: int, language: str | None) -> None:
    conn.execute("UPDATE users SET language = ? WHERE id = ?", (language, user_id))
