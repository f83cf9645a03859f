"""The store's writers: one at a time in the process, in the order they came, on one writer
connection, and each transaction at the durability it asked for (durable unless it asks for less)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.app.store.checkpoints import BACKSTOP_PAGES
from appliance.app.store.db import NORMAL, Database, create
from appliance.app.store.writers import WriterQueue, queue_for

THREADS = 8
WRITES_EACH = 25


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database, _ = create(tmp_path / "data")
    yield database
    database.close()


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


def test_the_writer_commits_at_normal_and_a_durable_transaction_syncs_the_log_before_it_returns(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncs = wal_syncs(monkeypatch)
    heard: list[list[str]] = []
    with db.transaction() as tx:
        assert int(tx.execute("PRAGMA synchronous").fetchone()[0]) == NORMAL
        bump(db)
        db.after_commit(lambda: heard.append(list(syncs)))
        assert syncs == []
    assert syncs == ["wal"]
    assert heard == [["wal"]], "the log was synced before the after-commit callbacks ran"


def test_a_normal_transaction_syncs_nothing(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    syncs = wal_syncs(monkeypatch)
    bump(db, durable=False)
    bump(db, durable=False)
    assert syncs == [] and counter(db) == 2


def test_a_durable_part_of_a_normal_transaction_makes_the_whole_durable(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    syncs = wal_syncs(monkeypatch)
    with db.transaction(durable=False):
        bump(db)  # durable: an audit entry, say, written inside a scan
        assert syncs == []
    assert syncs == ["wal"]
    with db.transaction():
        bump(db, durable=False)  # a NORMAL part of a durable one does not lower it
    assert syncs == ["wal", "wal"]


def test_a_rolled_back_or_empty_transaction_syncs_nothing(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    syncs = wal_syncs(monkeypatch)
    with pytest.raises(ValueError), db.transaction():
        bump(db)
        raise ValueError("refused")
    with db.transaction() as tx:
        tx.execute("SELECT count(*) FROM settings").fetchone()  # read only: no page written
    assert syncs == []


def test_the_log_is_synced_after_the_queue_moved_on(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A group commit: while one writer waits for its sync, the next one commits."""
    syncing, go_on = threading.Event(), threading.Event()
    real = os.fsync

    def slow_fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith("-wal") and threading.current_thread().name == "durable":
            syncing.set()
            assert go_on.wait(10)
        real(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    durable = threading.Thread(target=bump, args=(db, "paid"), name="durable")
    durable.start()
    assert syncing.wait(10)
    bump(db, "scanned", durable=False)  # not held up by the sync under way
    assert durable.is_alive()
    go_on.set()
    durable.join()
    assert counter(db, "paid") == 1 and counter(db, "scanned") == 1


def test_every_transaction_runs_on_the_one_writer_connection(db: Database) -> None:
    """Its page cache stays warm: no other connection's commit empties it."""
    seen: list[object] = []

    def write() -> None:
        with db.transaction() as tx:
            assert db.conn is tx, "a read inside the transaction sees its writes"
            seen.append(tx)

    threads = [threading.Thread(target=write) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    write()
    assert len(seen) == 4 and all(tx is seen[0] for tx in seen)
    assert db.conn is not seen[0], "outside a transaction a thread reads on its own connection"


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
        with db.transaction():
            bump(db)
            served.append(n)  # in its turn (the syncs after it may end in any order)

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


def checkpoints_reach(db: Database, count: int) -> int:
    deadline = time.monotonic() + 10
    while db.checkpoints.done < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return db.checkpoints.done


def test_the_log_is_copied_into_the_store_by_a_thread_of_its_own(db: Database) -> None:
    """Not by whichever COMMIT finds the log long: that one holds up every other writer."""
    with db.transaction() as writer:
        assert int(writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == BACKSTOP_PAGES
    db.close()  # the store's own set-up asked for some: start from none
    assert not db.checkpoints.running
    before = db.checkpoints.done
    bump(db, durable=False)
    time.sleep(0.2)
    assert db.checkpoints.done == before, "a step of an unpaid sale asks for no checkpoint"
    bump(db)
    assert checkpoints_reach(db, before + 1) == before + 1
    assert db.checkpoints.running
    db.close()
    assert not db.checkpoints.running
    bump(db)  # closed and used again: a new thread, and the store's key still opens it
    assert checkpoints_reach(db, before + 2) == before + 2
    assert counter(db) == 3
