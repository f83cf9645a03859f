"""The encrypted store: one SQLCipher 4 file, opened with a raw key from a key provider.

Each thread gets its own connection (Starlette runs sync routes in a thread pool; WAL lets
readers run beside the one writer). Writes go through `Database.transaction()`, which queues
behind this process's other writers (`writers.WriterQueue`) and then takes SQLite's write
lock up front (BEGIN IMMEDIATE) so that two writers never deadlock on upgrade.

A transaction commits at synchronous=FULL unless it asks for less (`durable=False`): in WAL
mode a FULL commit syncs the log, and with it every commit written before it, so the steps
of an unpaid sale commit at NORMAL and the payment that completes the sale makes them all
durable at once. What a power cut can lose: docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from appliance.app.store.writers import queue_for
from appliance.security.keys import (
    KeyError_,
    KeyFile,
    KeyProvider,
    fsync_dir,
    key_dir_for,
    new_key,
    pending_key_path,
    write_key_file,
)

Connection = Any  # sqlcipher3's connection has no type stubs
Row = sqlcipher.Row
IntegrityError = sqlcipher.IntegrityError
DB_FILE = "store.db"
FULL, NORMAL = 2, 1  # PRAGMA synchronous levels


class StoreError(Exception):
    """The store cannot be opened or used as it is. The message says why."""


def _key_pragma(key: bytes) -> str:
    # A raw key in the SQLCipher blob syntax skips PBKDF2: opening costs microseconds.
    return f"PRAGMA key = \"x'{key.hex()}'\""


def _open(path: Path, key: bytes) -> Connection:
    conn = sqlcipher.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA cipher_log_level = NONE")
    conn.execute(_key_pragma(key))
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher.DatabaseError:
        conn.close()
        raise StoreError(f"{path} cannot be opened with this key (wrong key or not a store)") from None
    conn.row_factory = sqlcipher.Row
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {FULL}")
    conn.execute("PRAGMA foreign_keys = ON")
    # Deleted or overwritten content is zeroed, not left in free pages: a card number the
    # vault forgets must not be readable from the file afterwards (PCI DSS 3.2.1).
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


class Database:
    def __init__(self, path: Path, provider: KeyProvider) -> None:
        self.path = path
        self.provider = provider
        self._local = threading.local()
        self._all: list[Connection] = []
        self._lock = threading.Lock()
        self._writers = queue_for(path)
        self._key = self._resolve_key()

    def _resolve_key(self) -> bytes:
        """The key that opens the file, finishing a rekey that a crash interrupted."""
        try:
            key = self.provider.load()
        except KeyError_ as exc:
            raise StoreError(str(exc)) from None
        pending = pending_key_path(self.provider)
        if not self.path.exists():
            return key
        try:
            _open(self.path, key).close()
            if pending is not None and pending.exists():
                pending.unlink()  # the rekey never reached the file: the old key stands
            return key
        except StoreError:
            if pending is None or not pending.exists():
                raise
        # The file was rekeyed but the new key file was not yet moved into place.
        assert isinstance(self.provider, KeyFile)
        next_key = KeyFile(self.provider.name, pending).load()
        _open(self.path, next_key).close()
        os.replace(pending, self.provider.path)
        return next_key

    @property
    def conn(self) -> Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = _open(self.path, self._key)
            self._local.conn = conn
            self._local.level = FULL
            with self._lock:
                self._all.append(conn)
        return conn

    @contextlib.contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Connection]:
        """All or nothing: commits when the block ends, rolls back on any exception.

        durable=False commits at synchronous=NORMAL: a power cut may take the commit back
        until the next durable one (never a half of it). Only for the steps of an unpaid sale.
        """
        conn = self.conn
        local = self._local
        if conn.in_transaction:
            # A nested unit of work joins the outer one; the outer one decides. SQLite cannot
            # change the level inside a transaction: a durable part of a NORMAL one (an audit
            # entry, say) has the log synced after the COMMIT, before anyone is told.
            if durable and not getattr(local, "durable", True):
                local.sync_log = True
            yield conn
            return
        level = FULL if durable else NORMAL
        if local.level != level:
            conn.execute(f"PRAGMA synchronous = {level}")
            local.level = level
        local.after_commit = []
        local.durable = durable
        local.sync_log = False
        self._writers.acquire()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # a failed COMMIT may have rolled back already
                    conn.execute("ROLLBACK")
                raise
            if local.sync_log:
                self._sync_log()
        except BaseException:
            local.after_commit = []
            raise
        finally:
            local.durable = True
            self._writers.release()
        # After the queue moved on: a callback (an anchor file, a display) is no write of ours.
        callbacks, local.after_commit = local.after_commit, []
        for callback in callbacks:
            callback()

    def _sync_log(self) -> None:
        """What a FULL commit does at its end: the write-ahead log to disk."""
        fd = os.open(self.path.with_name(self.path.name + "-wal"), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Runs callback once the current transaction has committed (never if it rolls back)."""
        pending = getattr(self._local, "after_commit", None)
        if pending is None or not self.conn.in_transaction:
            callback()
        else:
            pending.append(callback)

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(Exception):
                    conn.close()
            self._all.clear()
        self._local = threading.local()

    # -- maintenance -------------------------------------------------------------------

    def migrate(self) -> int:
        """Applies every migration newer than the recorded version; returns the version."""
        conn = self.conn
        with self.transaction() as tx:
            tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_version "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
        # Every missing number runs, not only those above the highest: a store made by a build
        # that had 0010 but not yet 0005 still gets 0005 when it arrives.
        applied = {row[0] for row in conn.execute("SELECT version FROM schema_version")}
        current = max(applied, default=0)
        for version, name, sql in migrations():
            if version in applied:
                continue
            # executescript would commit on its own; run statement by statement in one txn.
            with self.transaction() as tx:
                for statement in _statements(sql):
                    tx.execute(statement)
                tx.execute(
                    "INSERT INTO schema_version VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ'))",
                    (version, name),
                )
            current = max(current, version)
        return int(current)

    def version(self) -> int:
        row = self.conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        return int(row[0])

    def verify(self) -> list[str]:
        """Every page's HMAC checked (cipher_integrity_check) plus SQLite's own check."""
        try:
            problems = [str(r[0]) for r in self.conn.execute("PRAGMA cipher_integrity_check")]
            problems += [str(r[0]) for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        except sqlcipher.DatabaseError as exc:
            problems = [f"the store cannot be read: {exc}"]
        return problems

    # -- every table, read raw (pan-scan looks for card numbers in all of it) ------------

    def tables(self) -> list[str]:
        """The name of every table, virtual tables and their shadow tables included."""
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
        return [str(r[0]) for r in rows]

    def columns(self, table: str) -> list[str]:
        """The table's columns in order; none for a virtual table (its shadow tables hold its data)."""
        return [str(r[1]) for r in self.conn.execute(f"PRAGMA table_info({_quote(table)})")]

    def rows(self, table: str, columns: list[str]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
        """Each row of the table as (where it is, its values in the order of `columns`): its
        rowid, or its place in the scan for a WITHOUT ROWID table, which has none."""
        conn = self.conn
        select = ", ".join(_quote(c) for c in columns)
        try:
            cursor = conn.execute(f"SELECT rowid, {select} FROM {_quote(table)}")  # noqa: S608
            numbered = False
        except Exception:  # noqa: BLE001 - WITHOUT ROWID tables have no rowid: number them
            cursor = conn.execute(f"SELECT {select} FROM {_quote(table)}")  # noqa: S608
            numbered = True
        for index, row in enumerate(cursor):
            values = tuple(row)
            if numbered:
                yield index, values
            else:
                yield values[0], values[1:]

    def rekey(self) -> None:
        """Re-encrypts the file under a fresh key without losing a row.

        Order matters for a crash at any line: the new key is on disk (as `.next`) before
        the file changes, the file changes in one transaction, and only then does the new
        key replace the old. `_resolve_key` finishes whichever step was interrupted.
        """
        if not isinstance(self.provider, KeyFile):
            raise StoreError(f"rekey needs a key file; this store uses {self.provider.describe()}")
        pending = pending_key_path(self.provider)
        assert pending is not None
        key = new_key()
        write_key_file(pending, key)
        conn = self.conn
        # Every page is rewritten: no other thread of this process writes meanwhile.
        self._writers.acquire()
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute(f"PRAGMA rekey = \"x'{key.hex()}'\"")
        finally:
            self._writers.release()
        self.close()
        os.replace(pending, self.provider.path)
        fsync_dir(self.provider.path.parent)
        self._key = key


def truncate_log(conn: Connection) -> bool:
    """Copies the write-ahead log into the store and empties it, without waiting: with a
    reader in the way it leaves the log to a later call (or SQLite's own checkpoints, which
    overwrite it in time). True when emptied. Used after secrets are erased, so that the
    log's older copies of their pages go too."""
    if conn.in_transaction:
        return False
    waited = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except Exception:  # noqa: BLE001 - locked right now: the next call tries again
        busy = 1
    finally:
        conn.execute(f"PRAGMA busy_timeout = {waited}")
    return not busy


def migrations() -> list[tuple[int, str, str]]:
    """The numbered .sql files shipped with the package, in order."""
    found = []
    folder = importlib.resources.files("appliance.app.store") / "migrations"
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name[5:-4], entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(set(versions)) != len(versions):
        raise StoreError(f"two migrations share a number: {versions}")
    return found


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _statements(sql: str) -> Iterator[str]:
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlcipher.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise StoreError(f"incomplete SQL statement in a migration: {buffer[:60]!r}")


def create(data_dir: Path, provider: KeyProvider | None = None) -> tuple[Database, KeyProvider]:
    """A new, empty, encrypted store in data_dir: under the given key (a systemd credential),
    or with a fresh key file in the data dir's key folder (`keys.key_dir_for`), apart from it."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / DB_FILE
    if path.exists():
        raise StoreError(f"a store already exists in {data_dir}")
    if provider is not None:
        db = Database(path, provider)
        db.migrate()
        return db, provider
    keyfile = KeyFile(name="store", path=key_dir_for(data_dir) / "store.key")
    for found in (keyfile.path, data_dir / "store.key"):
        if found.exists():
            raise StoreError(f"{found} exists without a store; move it away first")
    try:
        keyfile.create()
    except KeyError_ as exc:
        raise StoreError(str(exc)) from None
    db = Database(path, keyfile)
    db.migrate()
    return db, keyfile
