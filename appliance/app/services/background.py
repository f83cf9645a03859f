"""A daemon thread that runs one loop until it is told to stop: the till's conversations
with other parties that no request waits on (the acquirer's and the terminal's resolvers,
the outbox's push to the office)."""

from __future__ import annotations

import threading
from typing import Self


class BackgroundLoop:
    """`_loop` runs in a thread named `name`; it watches `_stop` (an Event) to end."""

    name = "background"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        raise NotImplementedError

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
