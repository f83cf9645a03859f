"""The office as its services see it: its data dir (CA, server certificate, audit key) and
its database, reached through one connection (a command) or a pool (the server)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg_pool import PoolTimeout

from appliance.office.store import db
from appliance.security.keys import KeyError_, KeyFile

CA_KEY = "ca.key"
CA_CERT = "ca.pem"
SERVER_KEY = "server.key"
SERVER_CERT = "server.pem"
AUDIT_KEY = "audit.key"
CONFIG_KEY = "config-signing.key"  # Ed25519: signs the configuration bundles the lanes pull


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def audit_key_file(data_dir: Path) -> KeyFile:
    # The office's data dir is its key folder (0700): the database lives elsewhere, so a copy
    # of the database holds no key, and whoever can rewrite it cannot re-link the audit chain.
    return KeyFile(name="audit", path=data_dir / AUDIT_KEY)


class NotInitialised(KeyError_):
    """The data dir holds no office: `comptoir office init` first."""


@dataclass
class Office:
    data_dir: Path
    connection: Callable[[], AbstractContextManager[db.Connection]]
    audit_key: bytes
    now: Callable[[], dt.datetime] = field(default=utc_now)
    close: Callable[[], None] = field(default=lambda: None)


def check_data_dir(data_dir: Path) -> None:
    for name in (CA_KEY, CA_CERT, SERVER_KEY, SERVER_CERT, AUDIT_KEY):
        if not (data_dir / name).exists():
            raise NotInitialised(f"{data_dir} holds no office ({name} is missing): run comptoir office init first")


def open_office(dsn: str, data_dir: Path, *, pooled: bool = False) -> Office:
    """The office of an initialised data dir, its schema brought up to date."""
    check_data_dir(data_dir)
    key = audit_key_file(data_dir).load()
    with contextmanager(_single(dsn))() as conn:
        db.migrate(conn)
    if pooled:
        connections = db.pool(dsn)
        return Office(data_dir, _guarded(connections.connection), key, close=connections.close)
    return Office(data_dir, _guarded(contextmanager(_single(dsn))), key)


class Unavailable(Exception):
    """The database went away or every connection is busy: try again later (HTTP 503)."""


def _guarded(
    factory: Callable[[], AbstractContextManager[db.Connection]],
) -> Callable[[], AbstractContextManager[db.Connection]]:
    @contextmanager
    def connection() -> Iterator[db.Connection]:
        try:
            with factory() as conn:
                yield conn
        except (psycopg.OperationalError, PoolTimeout, db.OfficeDatabaseError) as exc:
            raise Unavailable(f"the office's database is unavailable: {str(exc).strip()[:200]}") from None

    return connection


def _single(dsn: str) -> Callable[[], Iterator[db.Connection]]:
    def connection() -> Iterator[db.Connection]:
        conn = db.connect(dsn)
        try:
            yield conn
        finally:
            conn.close()

    return connection
