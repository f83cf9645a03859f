"""The customer display's pairing with its till: the till's one live code, and the displays
paired by one (migration 0025)."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.app.store.db import Connection


@dataclass(frozen=True)
class Code:
    terminal_id: str
    code_hash: str
    created_by: int
    expires_at: str
    failures: int


@dataclass(frozen=True)
class Pairing:
    id: int
    terminal_id: str
    paired_by: str  # the user name of whoever showed the code
    paired_at: str
    ended_at: str | None


def put_code(conn: Connection, terminal_id: str, code_hash: str, user_id: int, now: str, expires_at: str) -> None:
    """The till's code, replacing the one it had: only the newest code pairs."""
    conn.execute(
        "INSERT INTO display_pairing_codes(terminal_id, code_hash, created_by, created_at, expires_at, failures) "
        "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT(terminal_id) DO UPDATE SET code_hash = excluded.code_hash, "
        "created_by = excluded.created_by, created_at = excluded.created_at, expires_at = excluded.expires_at, "
        "failures = 0",
        (terminal_id, code_hash, user_id, now, expires_at),
    )


def code(conn: Connection, terminal_id: str) -> Code | None:
    row = conn.execute(
        "SELECT terminal_id, code_hash, created_by, expires_at, failures FROM display_pairing_codes "
        "WHERE terminal_id = ?",
        (terminal_id,),
    ).fetchone()
    return Code(*row) if row else None


def count_failure(conn: Connection, terminal_id: str) -> None:
    conn.execute("UPDATE display_pairing_codes SET failures = failures + 1 WHERE terminal_id = ?", (terminal_id,))


def drop_code(conn: Connection, terminal_id: str) -> None:
    conn.execute("DELETE FROM display_pairing_codes WHERE terminal_id = ?", (terminal_id,))


def insert(conn: Connection, terminal_id: str, token_hash: str, user_id: int, now: str) -> int:
    cur = conn.execute(
        "INSERT INTO display_pairings(terminal_id, token_hash, paired_by, paired_at) VALUES (?, ?, ?, ?)",
        (terminal_id, token_hash, user_id, now),
    )
    return int(cur.lastrowid)


_PAIRING = (
    "SELECT p.id, p.terminal_id, u.username, p.paired_at, p.ended_at FROM display_pairings p "
    "JOIN users u ON u.id = p.paired_by "
)


def by_token(conn: Connection, token_hash: str) -> Pairing | None:
    row = conn.execute(_PAIRING + "WHERE p.token_hash = ?", (token_hash,)).fetchone()
    return Pairing(*row) if row else None


def live(conn: Connection, terminal_id: str) -> list[Pairing]:
    rows = conn.execute(_PAIRING + "WHERE p.terminal_id = ? AND p.ended_at IS NULL ORDER BY p.id", (terminal_id,))
    return [Pairing(*row) for row in rows]


def end_all(conn: Connection, terminal_id: str, user_id: int, now: str) -> int:
    """Ends the till's live pairings; says how many ended."""
    found = conn.execute(
        "UPDATE display_pairings SET ended_at = ?, ended_by = ? WHERE terminal_id = ? AND ended_at IS NULL",
        (now, user_id, terminal_id),
    )
    return int(found.rowcount)
