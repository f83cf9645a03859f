"""Shifts' rows: the shift of a drawer (terminal), its cash movements and counts, and the
figures of its window (opened_at to a moment) that the X and Z reports read."""

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


def cash_taken(conn: Connection, terminal_id: str, since: str, until: str) -> tuple[int, int]:
    """Cash tendered on the till's sales in the window, and its cash rounding."""
    row = conn.execute(
        "SELECT coalesce(sum(p.amount), 0), coalesce(sum(p.rounding), 0) FROM payments p "
        "JOIN sales s ON s.id = p.sale_id "
        "WHERE p.method = 'cash' AND s.terminal_id = ? AND p.created_at >= ? AND p.created_at <= ?",
        (terminal_id, since, until),
    ).fetchone()
    return row[0], row[1]


def cash_refunded(conn: Connection, terminal_id: str, since: str, until: str) -> tuple[int, int]:
    """Cash the till's refunds gave back in the window, and its cash rounding."""
    row = conn.execute(
        "SELECT coalesce(sum(t.amount), 0), coalesce(sum(t.rounding), 0) FROM refund_tenders t "
        "JOIN refunds r ON r.id = t.refund_id "
        "WHERE t.method = 'cash' AND r.terminal_id = ? AND r.created_at >= ? AND r.created_at <= ?",
        (terminal_id, since, until),
    ).fetchone()
    return row[0], row[1]


def movements(conn: Connection, shift_id: int) -> dict[str, int]:
    """What was paid in and out of the drawer in the shift, by kind."""
    return dict(
        conn.execute("SELECT kind, sum(amount) FROM cash_movements WHERE shift_id = ? GROUP BY kind", (shift_id,))
    )


def sales_figures(conn: Connection, terminal_id: str, since: str, until: str) -> Any:
    """count, total, tax and discount of the till's sales completed in the window (a row)."""
    return conn.execute(
        "SELECT count(*), coalesce(sum(total), 0), coalesce(sum(tax), 0), coalesce(sum(discount), 0) FROM sales "
        "WHERE status = 'completed' AND terminal_id = ? AND completed_at >= ? AND completed_at <= ?",
        (terminal_id, since, until),
    ).fetchone()


def tender_figures(conn: Connection, terminal_id: str, since: str, until: str) -> list[Any]:
    """method, count and amount of the tenders taken at the till in the window, by method."""
    return list(
        conn.execute(
            "SELECT p.method, count(*), sum(p.amount) FROM payments p JOIN sales s ON s.id = p.sale_id "
            "WHERE s.terminal_id = ? AND p.created_at >= ? AND p.created_at <= ? GROUP BY p.method ORDER BY p.method",
            (terminal_id, since, until),
        ).fetchall()
    )


def refund_figures(conn: Connection, terminal_id: str, since: str, until: str) -> Any:
    """count and amount of the till's refunds in the window (a row)."""
    return conn.execute(
        "SELECT count(*), coalesce(sum(amount), 0) FROM refunds WHERE terminal_id = ? AND created_at >= ? "
        "AND created_at <= ?",
        (terminal_id, since, until),
    ).fetchone()


def voids(conn: Connection, since: str, until: str) -> int:
    """Lines voided in the window (any till: the audit log's count, as the reports have always read it)."""
    return int(
        conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'void_line' AND at >= ? AND at <= ?", (since, until)
        ).fetchone()[0]
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


def z_report(conn: Connection, shift_id: int) -> str | None:
    """The Z report a closed shift stored (JSON), or None."""
    row = conn.execute("SELECT z_report FROM shifts WHERE id = ?", (shift_id,)).fetchone()
    return None if row is None or row[0] is None else str(row[0])
