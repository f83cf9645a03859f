"""The encrypted store: one SQLCipher 4 file, opened with a raw key from a key provider.

Each thread reads on a connection of its own (WAL lets readers run beside the writer). Writes
go through `Database.transaction()`, which queues behind this process's other writers
(`writers.WriterQueue`), then runs on the process's one writer connection and takes SQLite's
write lock up front (BEGIN IMMEDIATE) so that two processes never deadlock on upgrade.

A transaction is durable unless it asks for less (`durable=False`): its COMMIT is followed by
a sync of the write-ahead log, which makes every commit written before it durable too, so the
steps of an unpaid sale skip the sync and the payment that completes the sale makes them all
durable at once. What a power cut can lose: docs/architecture.md.
"""

from __future__ import annotations

import contextlib
import importlib.resources
import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlcipher3 import dbapi2 as sqlcipher

from appliance.app.store.checkpoints import BACKSTOP_PAGES, Checkpointer
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
# The writer's page cache: a sale's pages (catalogue index, open sales, stock, counters) stay
# decrypted across the transactions of every till.
WRITER_CACHE_KIB = 16 * 1024


class StoreError(Exception):
    """The store cannot be opened or used as it is. The message says why."""


# What a migration does to the store, said on its first line (`-- change: expand`): an expand
# only adds (tables, columns with defaults, indexes, backfills), so the previous version still
# runs on the store; a contract drops, renames or changes meaning, only what the previous
# release already stopped using. docs/architecture.md, "Migrations: expand, then contract".
EXPAND, CONTRACT = "expand", "contract"
_CHANGE = re.compile(r"-- change: (expand|contract)\b.*")


@dataclass(frozen=True)
class Applied:
    """A migration as the store recorded it."""

    version: int
    name: str
    change: str  # EXPAND, CONTRACT, or "" when the store does not say

    def __str__(self) -> str:
        return f"{self.version:04d}_{self.name} ({self.change or 'unmarked'})"


class StoreTooNew(StoreError):
    """A newer version moved the store by a change this version cannot read (a contract)."""

    def __init__(self, newer: list[Applied], refused: list[Applied], code_version: int) -> None:
        self.newer, self.refused, self.code_version = newer, refused, code_version
        store_version = max(m.version for m in newer)
        super().__init__(
            f"this store was moved to version {store_version} by a change version {code_version} cannot read"
            f" ({', '.join(str(m) for m in refused)}); boot the newer slot or restore"
        )


def change_of(version: int, sql: str) -> str:
    """EXPAND or CONTRACT, from the migration's first line."""
    first = sql.split("\n", 1)[0].strip()
    match = _CHANGE.fullmatch(first)
    if match is None:
        raise StoreError(f"migration {version:04d} does not begin with '-- change: expand' or '-- change: contract'")
    return match[1]


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
        self._writer: Connection = None  # opened by the first transaction
        self.checkpoints = Checkpointer(lambda: _open(self.path, self._key))
        self._key = self._resolve_key()
        # The migrations a newer version applied that this one does not know (all expands:
        # `migrate` refuses a contract), set by `migrate`.
        self.newer: list[Applied] = []

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
        """The connection this thread reads with; inside a transaction, the writer's, so that
        a read sees what the transaction wrote."""
        local = self._local
        if getattr(local, "writing", False):
            return self._writer
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = self._connect()
            local.conn = conn
        return conn

    def _connect(self) -> Connection:
        conn = _open(self.path, self._key)
        with self._lock:
            self._all.append(conn)
        return conn

    @contextlib.contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[Connection]:
        """All or nothing: commits when the block ends, rolls back on any exception.

        A durable transaction (the default) is on the disk when this returns. durable=False
        may be taken back by a power cut until the next durable one (never a half of it):
        only for the steps of an unpaid sale.

        Every transaction of the process runs on one writer connection, in turn (the queue):
        a connection's page cache is emptied whenever another connection commits, so with one
        connection per thread each write began by reading and decrypting its pages anew,
        inside the queue that every other writer waits on (issue 18, eight tills). The writer
        commits at synchronous=NORMAL; a durable transaction then syncs the write-ahead log
        itself, after giving the queue back: the next writer is not held up by our fsync, and
        one sync makes every commit written before it durable (a group commit). Nobody is told
        of a durable transaction before its sync: the callbacks and our caller come after it.
        """
        local = self._local
        if getattr(local, "writing", False):
            # A nested unit of work joins the outer one: a durable part makes the whole durable.
            if durable:
                local.sync_log = True
            yield self._writer
            return
        local.after_commit = []
        local.sync_log = durable
        self._writers.acquire()
        try:
            conn = self._writer_conn()
            changes = conn.total_changes
            conn.execute("BEGIN IMMEDIATE")
            local.writing = True
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # a failed COMMIT may have rolled back already
                    conn.execute("ROLLBACK")
                raise
            finally:
                local.writing = False
            # A transaction that changed no row wrote no page: there is nothing to sync.
            local.sync_log = local.sync_log and conn.total_changes != changes
        except BaseException:
            local.after_commit = []
            local.sync_log = False
            raise
        finally:
            self._writers.release()
        if local.sync_log:
            self.sync_log()
            self.checkpoints.nudge()
        # After the queue moved on: a callback (an anchor file, a display) is no write of ours.
        callbacks, local.after_commit = local.after_commit, []
        for callback in callbacks:
            callback()

    def _writer_conn(self) -> Connection:
        """The one connection that writes (only while this thread holds the queue)."""
        if self._writer is None:
            writer = self._connect()
            writer.execute(f"PRAGMA synchronous = {NORMAL}")
            writer.execute(f"PRAGMA cache_size = -{WRITER_CACHE_KIB}")
            writer.execute(f"PRAGMA wal_autocheckpoint = {BACKSTOP_PAGES}")
            self._writer = writer
        return self._writer

    def sync_log(self) -> None:
        """The write-ahead log to disk: every commit made before this call is durable after it
        (what synchronous=FULL does at the end of each COMMIT)."""
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
        self.checkpoints.stop()
        with self._lock:
            for conn in self._all:
                with contextlib.suppress(Exception):
                    conn.close()
            self._all.clear()
        self._local = threading.local()
        self._writer = None

    # -- maintenance -------------------------------------------------------------------

    def migrate(self) -> int:
        """Applies every migration newer than the recorded version; returns the version.

        A store that a newer version moved on (an A/B update rolled back: docs/architecture.md,
        "Migrations: expand, then contract") still opens when each migration this code does not
        know is an expand; `newer` then names them. One contract among them: StoreTooNew, and
        nothing is written.
        """
        conn = self.conn
        known = migrations()
        with self.transaction() as tx:
            tx.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at TEXT NOT NULL, change TEXT)"
            )
            # Stores made before migrations said their change: each is filled in from its file.
            if "change" not in {str(r[1]) for r in tx.execute("PRAGMA table_info(schema_version)")}:
                tx.execute("ALTER TABLE schema_version ADD COLUMN change TEXT")
            for version, _, sql in known:
                tx.execute(
                    "UPDATE schema_version SET change = ? WHERE version = ? AND change IS NULL",
                    (change_of(version, sql), version),
                )
        self.newer = self.unknown_migrations(known)
        refused = [m for m in self.newer if m.change != EXPAND]
        if refused:
            raise StoreTooNew(self.newer, refused, max((v for v, _, _ in known), default=0))
        # Every missing number runs, not only those above the highest: a store made by a build
        # that had 0010 but not yet 0005 still gets 0005 when it arrives.
        applied = {row[0] for row in conn.execute("SELECT version FROM schema_version")}
        current = max(applied, default=0)
        for version, name, sql in known:
            if version in applied:
                continue
            change = change_of(version, sql)
            # executescript would commit on its own; run statement by statement in one txn.
            with self.transaction() as tx:
                for statement in _statements(sql):
                    tx.execute(statement)
                tx.execute(
                    "INSERT INTO schema_version (version, name, applied_at, change)"
                    " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ'), ?)",
                    (version, name, change),
                )
            current = max(current, version)
        return int(current)

    def unknown_migrations(self, known: list[tuple[int, str, str]] | None = None) -> list[Applied]:
        """The migrations applied to this store that this code does not ship (a newer version's)."""
        versions = {v for v, _, _ in (migrations() if known is None else known)}
        try:
            rows = self.conn.execute("SELECT version, name, change FROM schema_version ORDER BY version").fetchall()
        except sqlcipher.OperationalError:  # no table yet, or one from before `change`
            return []
        return [Applied(int(r[0]), str(r[1]), str(r[2] or "")) for r in rows if r[0] not in versions]

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
        # Every page is rewritten: no other thread of this process writes or checkpoints meanwhile.
        self.checkpoints.stop()
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
