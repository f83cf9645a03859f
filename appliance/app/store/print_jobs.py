"""The print queue's rows (`print_jobs`): each job's bytes, its state (pending, done,
cancelled), its attempts and the last error the printer gave."""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection


def insert(conn: Connection, kind: str, sale_id: int | None, payload: bytes, at: str) -> int:
    """A pending job, to be tried at once."""
    cur = conn.execute(
        "INSERT INTO print_jobs(kind, sale_id, payload, status, next_try_at, created_at) "
        "VALUES (?, ?, ?, 'pending', ?, ?)",
        (kind, sale_id, payload, at, at),
    )
    return int(cur.lastrowid)


def by_id(conn: Connection, job_id: int) -> Any:
    return conn.execute("SELECT * FROM print_jobs WHERE id = ?", (job_id,)).fetchone()


def pending(conn: Connection) -> list[Any]:
    return list(conn.execute("SELECT * FROM print_jobs WHERE status = 'pending' ORDER BY id").fetchall())


def next_pending(conn: Connection) -> Any:
    """The oldest pending job, or None."""
    return conn.execute("SELECT * FROM print_jobs WHERE status = 'pending' ORDER BY id LIMIT 1").fetchone()


def state(conn: Connection) -> tuple[int, str | None]:
    """How many jobs wait, and the last error of the oldest."""
    count, problem = conn.execute(
        "SELECT count(*), (SELECT last_error FROM print_jobs WHERE status = 'pending' ORDER BY id LIMIT 1) "
        "FROM print_jobs WHERE status = 'pending'"
    ).fetchone()
    return int(count), problem


def cancel(conn: Connection, job_id: int, at: str) -> None:
    conn.execute(
        "UPDATE print_jobs SET status = 'cancelled', done_at = ? WHERE id = ? AND status = 'pending'", (at, job_id)
    )


def retry_now(conn: Connection, now: str) -> None:
    """Every pending job waiting for a later try is due now."""
    conn.execute("UPDATE print_jobs SET next_try_at = ? WHERE status = 'pending' AND next_try_at > ?", (now, now))


def done(conn: Connection, job_id: int, at: str) -> None:
    conn.execute(
        "UPDATE print_jobs SET status = 'done', attempts = attempts + 1, last_error = NULL, "
        "done_at = ? WHERE id = ? AND status = 'pending'",
        (at, job_id),
    )


def failed(conn: Connection, job_id: int, attempts: int, error: str, next_try_at: str) -> None:
    conn.execute(
        "UPDATE print_jobs SET attempts = ?, last_error = ?, next_try_at = ? WHERE id = ? AND status = 'pending'",
        (attempts, error, next_try_at, job_id),
    )
