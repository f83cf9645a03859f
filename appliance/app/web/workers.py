"""The threads that run the services' blocking work (SQLite, Argon2) for the event loop: one
hop a request, and back.

What starlette's run_in_threadpool did, less its cost (~0.1 ms a request): anyio's extra turn
of the event loop before the hop, its capacity limiter, cancel scope and idle-thread pruning.
Kept from it: at most `SIZE` threads; the one that finished last takes the next job (its
SQLite connection, whose page cache any other connection's commit empties, is the warm one);
the job runs in a copy of the request's context; and a request cancelled while its job runs
(a client gone, a shutdown) still waits for the job to end, so no write is left running while
the server closes the store. Unlike anyio's, the threads are daemons that are never pruned:
one stuck in a device or a gateway cannot hold the process at exit, and a thread (and its
connection) is not thrown away after ten idle seconds to be opened again cold.
`App`'s lifespan waits for the jobs under way (`drained`) before it closes the devices.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, Generic, TypeVar

T = TypeVar("T")
SIZE = 40  # as many as anyio's default limiter let run_in_threadpool use


class _Job(Generic[T]):
    __slots__ = ("context", "done", "ended", "error", "future", "loop", "result", "work")

    def __init__(self, loop: asyncio.AbstractEventLoop, work: Callable[[], T]) -> None:
        self.loop = loop
        self.work = work
        self.context = contextvars.copy_context()
        self.future: asyncio.Future[T] = loop.create_future()
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False  # set on the event loop once the job has ended
        self.ended: asyncio.Future[None] | None = None  # awaited by a cancelled caller

    def run(self) -> None:
        try:
            self.result = self.context.run(self.work)
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting request as is
            self.error = exc

    def report(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self._settle)
        except RuntimeError:  # the loop is closed: no one waits any more
            pass

    def _settle(self) -> None:
        self.done = True
        if not self.future.done():
            if self.error is not None:
                self.future.set_exception(self.error)
            else:
                self.future.set_result(self.result)
        if self.ended is not None and not self.ended.done():
            self.ended.set_result(None)
        self.error = self.result = None


class Workers:
    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._idle: list[SimpleQueue[_Job[Any]]] = []  # the last one back on top
        self._backlog: deque[_Job[Any]] = deque()
        self._threads = 0
        self._busy = 0

    async def run(self, work: Callable[[], T]) -> T:
        """`work()` on a worker thread, in a copy of the caller's context."""
        job: _Job[T] = _Job(asyncio.get_running_loop(), work)
        self._submit(job)
        try:
            return await job.future
        except asyncio.CancelledError:
            if not job.done:
                job.ended = job.loop.create_future()
                while not job.ended.done():
                    try:
                        await asyncio.shield(job.ended)
                    except asyncio.CancelledError:
                        continue  # cancelled again: still wait for the job to end
            raise

    def _submit(self, job: _Job[Any]) -> None:
        with self._lock:
            self._busy += 1
            if self._idle:
                self._idle.pop().put(job)
                return
            if self._threads >= self._size:
                self._backlog.append(job)
                return
            self._threads += 1
        threading.Thread(target=self._serve, args=(job,), name="comptoir-worker", daemon=True).start()

    def _serve(self, job: _Job[Any]) -> None:
        inbox: SimpleQueue[_Job[Any]] = SimpleQueue()
        while True:
            job.run()
            # Back on the idle stack before the caller hears: its next call finds this thread.
            with self._lock:
                self._busy -= 1
                following = self._backlog.popleft() if self._backlog else None
                if following is None:
                    self._idle.append(inbox)
            job.report()
            job = following or inbox.get()

    @property
    def busy(self) -> int:
        """Jobs given and not yet ended."""
        with self._lock:
            return self._busy

    async def drained(self, timeout: float) -> bool:
        """Waits (at most `timeout` seconds) until no job runs or waits; True when none does."""
        deadline = time.monotonic() + timeout
        while self.busy:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True


# One set for the process, as anyio's was one per event loop: a job carries its own loop.
WORKERS = Workers()
