"""One-to-many news from device threads to the screens' event streams.

Scanners and sale changes happen on plain threads; the screens listen on the web server's
event loop. `publish` may be called from any thread and never blocks: each subscriber has
its own bounded queue, and a subscriber too slow to keep up loses its oldest news rather
than holding up a scan or a sale. Every item gets an id that grows across restarts (it
starts from the clock), so a screen reconnecting with `Last-Event-ID` is sent only what it
missed, and never an old item again after the till restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("comptoir.broadcast")

QUEUE_SIZE = 256


@dataclass(frozen=True)
class Item:
    id: int
    data: dict[str, Any]


class Subscription:
    """One listener's queue, living on the event loop that made it."""

    def __init__(self, owner: Broadcast, loop: asyncio.AbstractEventLoop) -> None:
        self.owner = owner
        self.loop = loop
        self.queue: asyncio.Queue[Item | None] = asyncio.Queue(QUEUE_SIZE)
        self.closed = False

    def offer(self, item: Item | None) -> None:
        """On the loop's thread. None means the broadcast is over."""
        if self.queue.full():
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()  # a slow screen loses old news, never new
        self.queue.put_nowait(item)

    async def next(self, timeout: float) -> Item | None:
        """The next item, or None after `timeout` seconds of quiet (time for a keep-alive).
        Raises EOFError once the broadcast is closed."""
        try:
            item = await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None
        if item is None:
            raise EOFError
        return item

    def close(self) -> None:
        self.owner.unsubscribe(self)


class Broadcast:
    """`keep` recent items are held for reconnecting listeners; a new listener without a
    last id is first sent the latest `replay` of them (1 for "the sale on screen now", 0 for
    scans: an old scan must not be added to a new sale)."""

    def __init__(self, *, keep: int = 64, replay: int = 0) -> None:
        self.replay = replay
        self._recent: deque[Item] = deque(maxlen=max(keep, replay, 1))
        self._subscribers: list[Subscription] = []
        self._lock = threading.Lock()
        self._next_id = time.time_ns() // 1000
        self._unmade: Callable[[], dict[str, Any]] | None = None  # news nobody has heard yet
        self.closed = False

    def publish(self, data: dict[str, Any]) -> Item:
        with self._lock:
            item = self._append(data)
            subscribers = list(self._subscribers)
        for sub in subscribers:
            self._send(sub, item)
        return item

    def publish_later(self, make: Callable[[], dict[str, Any]]) -> None:
        """`publish(make())`, except that with nobody listening `make` is kept, not called: it
        is made only if a listener comes before newer news (a sale's view on a display that
        nobody has open costs the sale nothing). `make` must not block: it may run on the
        event loop, when a listener subscribes."""
        with self._lock:
            if not self._subscribers:
                self._unmade = make
                return
        self.publish(make())

    def _append(self, data: dict[str, Any]) -> Item:
        self._unmade = None
        self._next_id += 1
        item = Item(self._next_id, data)
        self._recent.append(item)
        return item

    def _make_kept(self) -> None:
        """Under the lock: the news kept by publish_later, made now that someone asks."""
        make, self._unmade = self._unmade, None
        if make is not None:
            try:
                self._append(make())
            except Exception:
                log.exception("could not make the news kept for a listener")

    @property
    def latest(self) -> Item | None:
        with self._lock:
            self._make_kept()
            return self._recent[-1] if self._recent else None

    def subscribe(self, last_id: int | None = None) -> Subscription:
        """From inside the event loop the listener will read on."""
        sub = Subscription(self, asyncio.get_running_loop())
        with self._lock:
            self._make_kept()
            if last_id is not None:
                backlog = [item for item in self._recent if item.id > last_id]
            else:
                backlog = list(self._recent)[-self.replay :] if self.replay else []
            for item in backlog:
                sub.offer(item)
            if self.closed:
                sub.offer(None)
            else:
                self._subscribers.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._subscribers:
                self._subscribers.remove(sub)

    @property
    def listeners(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def close(self) -> None:
        """Ends every listener's stream (at shutdown), so that no screen holds the server."""
        with self._lock:
            self.closed = True
            subscribers, self._subscribers = self._subscribers, []
        for sub in subscribers:
            self._send(sub, None)

    def _send(self, sub: Subscription, item: Item | None) -> None:
        try:
            sub.loop.call_soon_threadsafe(sub.offer, item)
        except RuntimeError:  # its loop is gone (server stopped): nobody is listening there
            self.unsubscribe(sub)
