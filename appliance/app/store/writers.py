"""One writer at a time in this process, served in the order they came.

SQLite lets one connection write at a time. Without a queue, the threads of one server that
want to write at once all sleep in SQLite's busy handler, which retries on a back-off
schedule: a writer can be passed over again and again and wait far longer than the write
it waits for. Here they queue (a ticket each, served in turn) before `BEGIN IMMEDIATE`,
so SQLite's busy timeout is left for other processes (the CLI, a backup).
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlcipher3 import dbapi2 as sqlcipher

WAIT_S = 10.0  # as long as the store's busy timeout: a writer stuck longer is a fault


class WriterQueue:
    """A ticket lock: `acquire` takes the next ticket and waits for its turn.

    Each waiter sleeps on a gate of its own, and `release` opens only the next one's: with
    eight tills writing, waking every waiter to test whose turn it was cost each of them the
    GIL in turn, a convoy at every commit (issue 18).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0  # the next ticket given out
        self._serving = 0  # the ticket whose holder may write
        self._gates: dict[int, tuple[threading.Lock, int]] = {}  # ticket: its waiter's gate, thread
        self._gave_up: set[int] = set()  # tickets whose waiter left before its turn
        self._holder: int | None = None  # the thread writing now

    def acquire(self, timeout: float = WAIT_S) -> None:
        me = threading.get_ident()
        with self._lock:
            if self._holder == me:
                # Waiting here would wait on ourselves: two Database objects on one file
                # written by one thread at once.
                raise sqlcipher.OperationalError("this thread is already writing to the store")
            ticket = self._next
            self._next += 1
            if ticket == self._serving:
                self._holder = me
                return
            gate = threading.Lock()
            gate.acquire()
            self._gates[ticket] = (gate, me)
        opened = False
        try:
            opened = gate.acquire(timeout=timeout)
        finally:
            if not opened:
                # A timeout, or an interrupt while waiting: the ticket must not hold up the
                # queue. Its turn may have come in between: then it is passed on at once.
                with self._lock:
                    if self._serving == ticket:
                        self._pass_on()
                    else:
                        self._gates.pop(ticket, None)
                        self._gave_up.add(ticket)
        if not opened:
            raise sqlcipher.OperationalError(
                f"database is locked: another writer of this process held it over {timeout:.0f} s"
            )

    @property
    def waiting(self) -> int:
        """How many writers wait for their turn now."""
        with self._lock:
            return len(self._gates)

    def release(self) -> None:
        with self._lock:
            self._pass_on()

    def _pass_on(self) -> None:
        """The turn to the next ticket still waiting (under the lock)."""
        self._holder = None
        self._serving += 1
        while self._serving in self._gave_up:
            self._gave_up.discard(self._serving)
            self._serving += 1
        following = self._gates.pop(self._serving, None)
        if following is not None:
            gate, self._holder = following
            gate.release()


_queues: dict[Path, WriterQueue] = {}
_queues_lock = threading.Lock()


def queue_for(path: Path) -> WriterQueue:
    """The one queue of the store file at `path` in this process (however many Database
    objects open it)."""
    key = path.resolve()
    with _queues_lock:
        return _queues.setdefault(key, WriterQueue())
