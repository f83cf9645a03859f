"""The office's PostgreSQL: connections, transactions and the schema's migrations.

Migrations are the numbered SQL files in `appliance/office/migrations/`, applied in order,
each in the one transaction that records it in `schema_migrations`, under an advisory lock
so that two offices starting at once do not both apply the same file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
_FILE_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)\.sql")
# What a migration does to the schema, said on its first line, as the till's say it
# (appliance/app/store/db.py): an expand only adds; a contract drops, renames or changes meaning.
_CHANGE = re.compile(r"-- change: (expand|contract)\b.*")
# Any constant: the advisory lock the migrations take, so that one office applies them at a time.
_MIGRATION_LOCK = 0x434F4D50

Connection = psycopg.Connection[dict[str, object]]


class OfficeDatabaseError(Exception):
    """The office's database cannot be reached or used; the message says why."""


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    path: Path
    change: str  # "expand" or "contract", from its first line (docs/architecture.md, "expand, then contract")


def migrations(folder: Path = MIGRATIONS) -> list[Migration]:
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _FILE_NAME.fullmatch(path.name)
        if not match:
            raise OfficeDatabaseError(f"{path.name}: a migration is named NNNN_name.sql")
        with path.open(encoding="utf-8") as sql:
            change = _CHANGE.fullmatch(sql.readline().strip())
        if change is None:
            raise OfficeDatabaseError(f"{path.name} does not begin with '-- change: expand' or '-- change: contract'")
        found.append(Migration(int(match[1]), match[2], path, change[1]))
    numbers = [m.number for m in found]
    if numbers != list(range(1, len(found) + 1)):
        raise OfficeDatabaseError(f"migration numbers must run 1, 2, 3… with no gap: found {numbers}")
    return found


def connect(dsn: str) -> Connection:
    try:
        return psycopg.connect(dsn, row_factory=dict_row, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        raise OfficeDatabaseError(f"cannot connect to the office's database: {_first_line(exc)}") from None


def pool(dsn: str, size: int = 4) -> ConnectionPool[Connection]:
    made: ConnectionPool[Connection] = ConnectionPool(
        dsn,
        min_size=1,
        max_size=size,
        kwargs={"row_factory": dict_row, "autocommit": True},
        open=False,
        timeout=5,  # a lane waits at most this for a connection, then hears 503 and tries later
    )
    try:
        made.open(wait=True, timeout=10)
    except psycopg.Error as exc:
        raise OfficeDatabaseError(f"cannot connect to the office's database: {_first_line(exc)}") from None
    except PoolTimeout as exc:  # the first connection never came
        raise OfficeDatabaseError(f"cannot connect to the office's database: {exc}") from None
    return made


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    with conn.transaction():
        yield conn


def applied(conn: Connection) -> list[int]:
    exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL AS present").fetchone()
    if not exists or not exists["present"]:
        return []
    return [int(str(r["number"])) for r in conn.execute("SELECT number FROM schema_migrations ORDER BY number")]


def migrate(conn: Connection, folder: Path = MIGRATIONS) -> list[Migration]:
    """Applies the migrations not yet applied; returns them. Each in its own transaction."""
    done: list[Migration] = []
    for migration in migrations(folder):
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " number integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            if migration.number in applied(conn):
                continue
            conn.execute(migration.path.read_text(encoding="utf-8").encode("utf-8"))
            conn.execute(
                "INSERT INTO schema_migrations (number, name) VALUES (%s, %s)", (migration.number, migration.name)
            )
        done.append(migration)
    return done


def pending(conn: Connection, folder: Path = MIGRATIONS) -> list[Migration]:
    have = set(applied(conn))
    return [m for m in migrations(folder) if m.number not in have]
