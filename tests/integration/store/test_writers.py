"""The store's writers: one at a time in the process, in the order they came, and each
transaction at the durability it asked for (FULL unless it asks for NORMAL)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.app.store.db import FULL, NORMAL, Database, create
from appliance.app.store.writers import WriterQueue, queue_for

THREADS = 8
WRITES_EACH = 25


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database, _ = create(tmp_path / "data")
    yield database
    database.close()


def level(db: Database) -> int:
    return int(db.conn.execute("PRAGMA synchronous").fetchone()[0])


def bump(db: Database, key: str = "counter", *, durable: bool = True) -> None:
    """A read-then-write on one row, as a sale's steps are."""
    with db.transaction(durable=durable) as tx:
        row = tx.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        count = int(row[0]) if row else 0
        tx.execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", (key, str(count + 1)))


def counter(db: Database, key: str = "counter") -> int:
    return int(db.conn.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()[0])


def wal_syncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fsync of the write-ahead log by Python code (SQLite's own are in C, unseen)."""
    seen: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith("-wal"):
            seen.append("wal")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return seen


# -- durability -----------------------------------------------------------------------------


def test_a_transaction_is_full_unless_it_asks_for_normal(db: Database) -> None:
    with db.transaction():
        assert level(db) == FULL
    with db.transaction(durable=False):
        assert level(db) == NORMAL
    with db.transaction():
        assert level(db) == FULL


def test_the_level_is_set_only_when_it_changes(db: Database) -> None:
    pragmas: list[str] = []
    db.conn.set_trace_callback(lambda sql: pragmas.append(sql) if "synchronous" in sql else None)
    for durable in (False, False, False, True, True, False):
        with db.transaction(durable=durable):
            pass
    assert pragmas == [
        f"PRAGMA synchronous = {NORMAL}",
        f"PRAGMA synchronous = {FULL}",
        f"PRAGMA synchronous = {NORMAL}",
    ]


def test_a_nested_normal_transaction_does_not_lower_the_outer_one(db: Database) -> None:
    with db.transaction():
        with db.transaction(durable=False):
            assert level(db) == FULL
            bump(db)
    assert counter(db) == 1


def test_a_durable_part_of_a_normal_transaction_syncs_the_log_before_anyone_hears(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncs = wal_syncs(monkeypatch)
    heard: list[list[str]] = []
    with db.transaction(durable=False):
        bump(db, durable=False)
        db.after_commit(lambda: heard.append(list(syncs)))
    assert syncs == [] and heard == [[]]  # a plain NORMAL commit: nothing synced
    with db.transaction(durable=False):
        bump(db)  # durable: an audit entry, say, written inside a scan
        db.after_commit(lambda: heard.append(list(syncs)))
    assert syncs == ["wal"]
    assert heard[-1] == ["wal"], "the log was synced before the after-commit callbacks ran"
    with db.transaction():
        bump(db)
    assert syncs == ["wal"], "a FULL commit syncs in SQLite, not here"


def test_a_rolled_back_normal_transaction_syncs_nothing(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    syncs = wal_syncs(monkeypatch)
    with pytest.raises(ValueError), db.transaction(durable=False):
        bump(db)  # a durable part: the log would be synced had it committed
        raise ValueError("refused")
    assert syncs == []
    with db.transaction():
        assert level(db) == FULL


# -- one writer at a time -------------------------------------------------------------------


def test_writers_of_one_process_never_wait_in_sqlites_busy_handler(db: Database) -> None:
    """With no busy timeout, a writer that found SQLite's lock taken would fail at once
    ("database is locked"): all succeed because they queue before BEGIN."""
    bump(db)  # the row exists before the race
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def writer() -> None:
        try:
            db.conn.execute("PRAGMA busy_timeout = 0")
            start.wait()
            for _ in range(WRITES_EACH):
                bump(db)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert counter(db) == 1 + THREADS * WRITES_EACH


@pytest.mark.parametrize("failure", [ValueError("refused"), KeyboardInterrupt()])
def test_the_queue_moves_on_after_a_failed_transaction(db: Database, failure: BaseException) -> None:
    with pytest.raises(type(failure)), db.transaction():
        bump(db)
        raise failure
    other = threading.Thread(target=bump, args=(db,))
    other.start()
    other.join()
    assert counter(db) == 1


def test_after_commit_callbacks_run_once_the_queue_moved_on(db: Database) -> None:
    # A callback that writes would be refused ("already writing") if the queue were still ours.
    with db.transaction():
        bump(db)
        db.after_commit(lambda: bump(db))
    assert counter(db) == 2


def test_nested_transactions_join_without_queueing_again(db: Database) -> None:
    with db.transaction():
        with db.transaction():
            bump(db)
        bump(db)
    assert counter(db) == 2


def test_writers_are_served_in_the_order_they_came(db: Database) -> None:
    served: list[int] = []
    queue = queue_for(db.path)

    def writer(n: int) -> None:
        bump(db)
        served.append(n)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    with db.transaction():
        for n, t in enumerate(threads):
            t.start()
            while queue.waiting < n + 1:  # this one has its ticket before the next comes
                threading.Event().wait(0.001)
    for t in threads:
        t.join()
    assert served == list(range(THREADS))


def test_one_file_has_one_queue_and_a_thread_cannot_wait_on_itself(db: Database) -> None:
    other = Database(db.path, db.provider)
    try:
        assert queue_for(db.path) is queue_for(other.path)
        with db.transaction(), pytest.raises(Exception, match="already writing"), other.transaction():
            pass
        bump(other)  # and nothing was left held
    finally:
        other.close()


def test_a_waiter_that_gives_up_does_not_hold_up_the_queue() -> None:
    queue = WriterQueue()
    queue.acquire()
    gave_up: list[BaseException] = []

    def impatient() -> None:
        try:
            queue.acquire(timeout=0.01)
        except Exception as exc:  # noqa: BLE001 - what it raised is checked below
            gave_up.append(exc)

    t = threading.Thread(target=impatient)
    t.start()
    t.join()
    assert "locked" in str(gave_up[0])
    queue.release()
    served: list[bool] = []

    def patient_writer() -> None:
        queue.acquire(timeout=1)
        served.append(True)
        queue.release()

    patient = threading.Thread(target=patient_writer)
    patient.start()
    patient.join()
    assert served == [True] and queue.waiting == 0
