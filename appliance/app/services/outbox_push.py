"""The push loop: a background thread that sends the outbox to the office in batches.

It runs only on a till enrolled at an office (`comptoir enrol`). It never blocks a sale: the
batch is read on the thread's own connection, the office is called outside any transaction,
and what it writes back (the acknowledgement, or why it failed) is one small transaction.

While the office is down it backs off (1 s, 2 s, 4 s… up to 5 minutes) with jitter, so a
chain's tills coming back after an outage do not all knock at once; once the office answers
it sends batch after batch without waiting until it has caught up, then looks every few
seconds for new events, and says hello once a minute when there is none (the office's last
contact, the till's too).

The office's acknowledgement is the truth: the till sends again from the seq after it, even
when that is lower than what it sent before (the office restored a backup).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from appliance.app.services import outbox
from appliance.app.services.background import BackgroundLoop
from appliance.app.services.shop import Shop

log = logging.getLogger(__name__)

# Where `comptoir enrol` keeps the client certificate (appliance/lane/enrolment.py): its
# presence means enrolled. Read here without importing the link's HTTPS client at start-up.
ENROLLED_MARK = ("office", "client.pem")
# An idle till's hello: the office's last contact is never older than this while in touch
# (services/office_link.py reads it).
HEARTBEAT = 60.0

Send = Callable[[Sequence[dict[str, Any]], int], dict[str, Any]]


class OfficeRefused(Exception):
    """The office answered, and took none of the batch."""


def enrolled(shop: Shop) -> bool:
    return shop.data_dir.joinpath(*ENROLLED_MARK).exists()


def backoff(failures: int, *, first: float, longest: float, rng: Callable[[], float] = random.random) -> float:
    """The wait after `failures` failed rounds in a row: doubling up to `longest`, then
    between half of it and all of it ("equal jitter")."""
    base = min(longest, first * 2 ** min(failures - 1, 30))
    return float(base / 2 + rng() * base / 2)


class Pusher(BackgroundLoop):
    name = "outbox-push"

    def __init__(
        self,
        shop: Shop,
        send: Send,
        *,
        interval: float = 3.0,
        heartbeat: float = HEARTBEAT,
        first: float = 1.0,
        longest: float = 300.0,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.shop, self.send = shop, send
        self.interval, self.heartbeat, self.first, self.longest, self.rng = interval, heartbeat, first, longest, rng
        self.failures = 0
        self._last_answer = float("-inf")
        super().__init__()

    def run_once(self) -> bool:
        """One round; True when more events wait to go at once. Raises when the office did
        not take the batch (the failure is recorded first)."""
        batch = outbox.unsent(self.shop)
        if not batch and time.monotonic() - self._last_answer < self.heartbeat:
            return False
        last_seq = outbox.backlog(self.shop)["last_seq"]
        try:
            answer = self.send([dict(e) for e in batch], last_seq)
        except Exception as exc:
            outbox.failed(self.shop, str(exc))
            raise
        self._last_answer = time.monotonic()
        acked = int(answer["acked_seq"])
        outbox.acknowledged(self.shop, acked)
        if answer.get("alarms"):
            log.error("the office raised alarms on this till's events: %s", answer["alarms"])
        if batch and acked < batch[0]["seq"]:
            # The office took none of it (a changed or unlinked event it raised an alarm on):
            # sending the same batch every few seconds would help nobody; back off.
            message = f"the office holds nothing past event {acked}: see its alarms"
            outbox.failed(self.shop, message)
            raise OfficeRefused(message)
        # More at once only when the office moved on past this batch: a batch it would not
        # take (an alarm) is not sent again and again without a pause.
        return bool(batch) and acked >= batch[-1]["seq"] and acked < last_seq

    def run(self, wait: Callable[[float], bool] | None = None) -> None:
        """The loop; `wait(seconds)` returns True to stop (the stop event's, unless a test's)."""
        wait = wait or self._stop.wait
        delay = 0.0
        while not wait(delay):
            try:
                more = self.run_once()
                self.failures = 0
                delay = 0.0 if more else self.interval
            except Exception as exc:  # noqa: BLE001 the loop outlives any failure; outbox_link.last_error says it
                self.failures += 1
                delay = backoff(self.failures, first=self.first, longest=self.longest, rng=self.rng)
                log.warning("outbox: the office did not take the batch (%s); again in %.0f s", exc, delay)

    def _loop(self) -> None:
        self.run()


def office_sender(shop: Shop) -> Send:
    """Sends over mutual TLS to the office the till is enrolled at."""
    from appliance.lane import outbox as wire  # httpx and the TLS context only on an enrolled till

    def send(events: Sequence[dict[str, Any]], last_seq: int) -> dict[str, Any]:
        # The customers' contact fields go by a call of their own, never in the events: the
        # outbox is append-only, and an erased customer must not live on in it.
        from appliance.app.services import customers_office

        customers_office.send_pending(shop)
        return wire.send(shop.data_dir, events, last_seq)

    return send


def start(shop: Shop) -> Pusher | None:
    """The push loop of an enrolled till; None (nothing runs) on a till that is not."""
    if not enrolled(shop):
        return None
    return Pusher(shop, office_sender(shop)).start()
