"""Shifts' rows: the shift of a drawer (terminal), its cash movements and counts. The figures
the X and Z reports read over a shift's window are the report engine's (store/reports.py)."""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection


def open_row(conn: Connection, terminal_id: str) -> Any:
    """The drawer's open shift (a row), or None."""
    return conn.execute("SELECT * FROM shifts WHERE terminal_id = ? AND closed_at IS NULL", (terminal_id,)).fetchone()


def operator(conn: Connection, user_id: int) -> str:
    """The username of the person whose shift it is."""
    return str(conn.execute("SELECT username FROM users WHERE id = ?", (user_id,)).fetchone()[0])


def insert(
    conn: Connection, terminal_id: str, user_id: int, opened_at: str, opening_float: int, opening_count: str
) -> int:
    """A new open shift; IntegrityError when the drawer has one open already."""
    cur = conn.execute(
        "INSERT INTO shifts(terminal_id, user_id, opened_at, opening_float, opening_count) VALUES (?, ?, ?, ?, ?)",
        (terminal_id, user_id, opened_at, opening_float, opening_count),
    )
    return int(cur.lastrowid)


def add_movement(conn: Connection, shift_id: int, kind: str, amount: int, reason: str, user_id: int, at: str) -> None:
    """Cash paid in or out of the drawer outside a sale."""
    conn.execute(
        "INSERT INTO cash_movements(shift_id, kind, amount, reason, user_id, at) VALUES (?, ?, ?, ?, ?, ?)",
        (shift_id, kind, amount, reason, user_id, at),
    )


def add_count(conn: Connection, shift_id: int, count: str, counted: int, user_id: int, at: str) -> None:
    conn.execute(
        "INSERT INTO shift_counts(shift_id, count, counted, user_id, at) VALUES (?, ?, ?, ?, ?)",
        (shift_id, count, counted, user_id, at),
    )


def close(
    conn: Connection,
    shift_id: int,
    *,
    closed_at: str,
    closing_count: str,
    counted: int,
    expected: int,
    variance: int,
    approved_by: str | None,
    z_report: str,
) -> bool:
    """Closes the shift if it is still open; False when it was closed meanwhile."""
    done = conn.execute(
        "UPDATE shifts SET closed_at = ?, closing_count = ?, counted = ?, expected = ?, variance = ?, "
        "approved_by = ?, z_report = ? WHERE id = ? AND closed_at IS NULL",
        (closed_at, closing_count, counted, expected, variance, approved_by, z_report, shift_id),
    ).rowcount
    return bool(done)
