"""The write-ahead log copied into the store file in the background.

SQLite copies the log back into the file itself (a checkpoint) in whichever COMMIT finds the
log past 1,000 pages: a sync of the log, a thousand pages written and a sync of the file,
inside the writer queue that every till's next write waits on. With eight tills that was a
pause of tens of milliseconds every few dozen sales, right in the tail of a sale's latency
(issue 18). Here a thread of its own checkpoints, PASSIVE (it blocks no reader and no
writer), when a durable transaction has synced the log, at most once every `PAUSE_S`. The
writer keeps SQLite's own checkpoint, at a larger size (`BACKSTOP_PAGES`), in case this thread
falls behind or stops.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

PAUSE_S = 0.5
BACKSTOP_PAGES = 10_000  # about 40 MB of log


class Checkpointer:
    def __init__(self, connect: Callable[[], Any], pause: float = PAUSE_S) -> None:
        self._connect = connect  # a connection of its own, on the checkpointer's thread
        self._pause = pause
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.done = 0  # checkpoints run, for tests and the curious

    def nudge(self) -> None:
        """A durable commit has synced the log: copy it into the file soon."""
        with self._lock:
            if self._thread is None:
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._stop,), name="comptoir-checkpoint", daemon=True
                )
                self._thread.start()
        self._wake.set()

    @property
    def running(self) -> bool:
        with self._lock:
            return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
            self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    def _run(self, stop: threading.Event) -> None:
        conn = None
        try:
            while True:
                self._wake.wait()
                if stop.is_set():
                    return
                self._wake.clear()
                if conn is None:
                    conn = self._connect()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.done += 1
                except Exception as exc:  # noqa: BLE001 - another process checkpointing: the next nudge tries again
                    log.info("background checkpoint skipped: %s", exc)
                if stop.wait(self._pause):
                    return
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
