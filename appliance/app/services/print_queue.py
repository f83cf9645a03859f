"""The print queue: every print is a row in `print_jobs` before a byte goes to the printer.

A receipt is queued inside the sale's own transaction, so it exists exactly when the sale
does. One worker thread sends jobs oldest first (a later receipt never jumps an earlier
one), marks a job done only after the printer confirmed it, and while the printer is off,
out of paper or open, keeps the job and retries with a growing pause (capped at 30 s).
What went wrong is kept on the job (`last_error`) in words the cashier screen can show.

Delivery is at least once: a job cut off mid-way, or sent just before a crash and not yet
marked done, prints again in full. A receipt printed twice is marked COPY only when it
was asked for as a reprint (`reprint`); a retry is the same original, finished at last.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.app.domain.errors import Conflict, NotFound
from appliance.app.services.receipts import build_receipt
from appliance.app.services.shop import Shop, iso, parse_iso, utc_now
from appliance.app.store import print_jobs
from appliance.app.store.db import Connection, Database
from appliance.drivers.printer import PrinterConnection, PrinterError

log = logging.getLogger(__name__)

KINDS = ("receipt", "copy", "report", "test", "gift_card", "refund")
FIRST_RETRY = 1.0  # seconds
MAX_RETRY = 30.0


@dataclass(frozen=True)
class PrintJob:
    id: int
    kind: str
    sale_id: int | None
    payload: bytes
    status: str
    attempts: int
    last_error: str | None
    next_try_at: str
    created_at: str
    done_at: str | None


@dataclass(frozen=True)
class QueueState:
    """What the cashier screen shows: how many prints wait and, if stuck, why."""

    pending: int
    problem: str | None


def _job(row: Any) -> PrintJob:
    return PrintJob(
        id=int(row["id"]),
        kind=str(row["kind"]),
        sale_id=row["sale_id"],
        payload=bytes(row["payload"]),
        status=str(row["status"]),
        attempts=int(row["attempts"]),
        last_error=row["last_error"],
        next_try_at=str(row["next_try_at"]),
        created_at=str(row["created_at"]),
        done_at=row["done_at"],
    )


def enqueue(tx: Connection, kind: str, payload: bytes, sale_id: int | None = None, *, now: str | None = None) -> int:
    """Adds a job in the caller's transaction: it commits, or rolls back, with the sale."""
    if kind not in KINDS:
        raise ValueError(f"a print job is one of {', '.join(KINDS)}, not {kind!r}")
    if not payload:
        raise ValueError("a print job needs something to print")
    at = now or iso(utc_now())
    return print_jobs.insert(tx, kind, sale_id, payload, at)


def get_job(conn: Connection, job_id: int) -> PrintJob:
    row = print_jobs.by_id(conn, job_id)
    if row is None:
        raise NotFound(f"there is no print job {job_id}", "print_job_not_found")
    return _job(row)


def pending_jobs(conn: Connection) -> list[PrintJob]:
    return [_job(row) for row in print_jobs.pending(conn)]


def queue_state(conn: Connection) -> QueueState:
    count, problem = print_jobs.state(conn)
    return QueueState(count, problem)


def cancel(db: Database, job_id: int, *, now: str | None = None) -> PrintJob:
    """Stops a job that has not printed yet. A job already printed cannot be taken back."""
    with db.transaction() as tx:
        job = get_job(tx, job_id)
        if job.status == "done":
            raise Conflict(f"print job {job_id} has already printed", "print_job_done")
        if job.status == "pending":
            print_jobs.cancel(tx, job_id, now or iso(utc_now()))
        return get_job(tx, job_id)


def reprint(shop: Shop, sale_id: int) -> int:
    """Queues a copy of a completed sale's receipt, marked COPY on the paper."""
    from appliance.drivers.escpos_receipt import render_escpos
    from appliance.drivers.profiles import profile_named

    with shop.db.transaction() as tx:
        receipt = build_receipt(shop, tx, sale_id, copy=True)
        payload = render_escpos(receipt, profile_named(shop.config.printer_profile))
        return enqueue(tx, "copy", payload, sale_id, now=shop.now())


def retry_delay(attempts: int, first: float = FIRST_RETRY, cap: float = MAX_RETRY) -> float:
    """Seconds before the next try after `attempts` failed ones: 1, 2, 4, … up to 30."""
    return min(cap, first * 2.0 ** max(attempts - 1, 0))


class PrintWorker:
    """Sends queued jobs to one printer from its own thread.

    `wake()` after a job commits makes it print at once instead of at the next poll; it
    takes and ignores an argument so it can sit in `Shop.on_receipt` as it is.
    """

    def __init__(
        self,
        db: Database,
        printer: PrinterConnection,
        *,
        clock: Callable[[], dt.datetime] = utc_now,
        first_retry: float = FIRST_RETRY,
        max_retry: float = MAX_RETRY,
        idle_poll: float = 5.0,
    ) -> None:
        self.db = db
        self.printer = printer
        self.clock = clock
        self.first_retry = first_retry
        self.max_retry = max_retry
        self.idle_poll = idle_poll
        self.problem: str | None = None  # the last failure, until a job goes through
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # One job on the wire at a time: printers take one connection, USB one claimant.
        self._sending = threading.Lock()

    def start(self) -> None:
        # After a restart, what was waiting prints now rather than after its old pause.
        now = iso(self.clock())
        with self.db.transaction() as tx:
            print_jobs.retry_now(tx, now)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="print-worker", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def send_now(self, data: bytes) -> None:
        """Sends at once, not queued, between jobs; raises PrinterError. For what is only
        worth doing now, like opening the drawer on "no sale": a drawer that springs open
        half a minute later, once the paper is in, is worse than one that does not."""
        with self._sending:
            self.printer.send(data)

    def wake(self, _: object = None) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.printer.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                pause = self.run_once()
            except Exception:  # the worker must outlive any one bad job or store hiccup
                log.exception("print worker: unexpected error; trying again shortly")
                pause = self.max_retry
            if pause > 0:
                self._wake.wait(pause)

    def run_once(self) -> float:
        """Tries the oldest pending job if it is due; returns how long to wait before the
        next call (0: go straight on)."""
        row = print_jobs.next_pending(self.db.conn)
        if row is None:
            return self.idle_poll
        job = _job(row)
        wait = (parse_iso(job.next_try_at) - self.clock()).total_seconds()
        if wait > 0:
            return wait
        try:
            with self._sending:
                self.printer.send(job.payload)
        except PrinterError as exc:
            return self._failed(job, exc)
        with self.db.transaction() as tx:
            print_jobs.done(tx, job.id, iso(self.clock()))
        self.problem = None
        return 0.0

    def _failed(self, job: PrintJob, exc: PrinterError) -> float:
        attempts = job.attempts + 1
        pause = retry_delay(attempts, self.first_retry, self.max_retry)
        next_try = self.clock() + dt.timedelta(seconds=pause)
        with self.db.transaction() as tx:
            print_jobs.failed(tx, job.id, attempts, exc.message, iso(next_try))
        if self.problem != exc.message:
            log.warning("print job %d not printed (attempt %d): %s", job.id, attempts, exc.message)
        self.problem = exc.message
        return pause
