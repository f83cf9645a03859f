"""A payment terminal double: a `PaymentTerminal` that keeps its OWN record of what it
charged and refunded, by the till's reference, so that a test checks the till's books
against the terminal's and not against what the till believes.

What the next pay/refund does is scripted (`script`, consumed in order; `default` after):

- "approve" / "decline": answered at once;
- "lose_answer": charged (or refunded), then the answer is lost (TerminalTimeout);
- "lost_request": the request never arrived, yet the till hears nothing (TerminalTimeout);
  status() then says not_found;
- "in_progress": the terminal is still on it when the till gives up (TerminalTimeout);
  `finish(reference, outcome)` settles it later, as a customer who taps late;
- "unavailable": refused before it arrived (TerminalUnavailable), nothing recorded;
- "wait_for_card": pay blocks, state waiting_for_card, until `present_card(reference)`
  (approved) or `cancel(reference)` (cancelled);
- "refuse_refund": a refund is declined (the acquirer refuses to give back).

`cannot_tell` holds references whose status() answers in_progress whatever the record says,
as a Caisse-AP terminal whose consultation cannot tell (only its own journal, which a
manager reads, shows them). `tokenless` is a terminal that gives no card token (Caisse-AP):
a refund is a credit to the card presented.

`serve_over_http` puts a double behind a loopback HTTP server and `HttpTerminal` talks to it,
so that a till in another process (killed at random by the chaos test) and the test share
one terminal whose record survives the till.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from appliance.drivers.terminal import (
    Kind,
    StateListener,
    TerminalResult,
    TerminalState,
    TerminalTimeout,
    TerminalUnavailable,
)

RECEIPT = ("CARTE BANCAIRE", "VISA", "**** **** **** 4242", "PAYMENT ACCEPTED")


@dataclass
class Record:
    """One transaction as the terminal recorded it."""

    reference: str
    kind: Kind
    amount: int
    currency: str
    outcome: str  # approved, declined, cancelled, in_progress
    original: str | None = None  # a refund's payment (its terminal reference)


@dataclass
class FakeTerminal:
    """The double. Thread-safe: the till's worker, its resolver and the test call it at once."""

    protocol: str = "fake"
    default: str = "approve"
    script: list[str] = field(default_factory=list)
    records: dict[str, Record] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (what, reference): pay, refund, status, cancel
    cannot_tell: set[str] = field(default_factory=set)
    tokenless: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _waiting: dict[str, threading.Event] = field(default_factory=dict, repr=False)

    def _next(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    def _result(self, record: Record) -> TerminalResult:
        approved = record.outcome == "approved"
        return TerminalResult(
            reference=record.reference,
            kind=record.kind,
            outcome=record.outcome,  # type: ignore[arg-type]
            amount=record.amount if approved else 0,
            currency=record.currency,
            terminal_reference=f"T-{record.reference}",
            brand="VISA" if approved and record.kind == "payment" else None,
            last_four="4242" if approved and record.kind == "payment" else None,
            card_token="tok-4242" if approved and record.kind == "payment" and not self.tokenless else None,
            auth_code="A1B2C3" if approved else None,
            decline_reason=None if approved or record.outcome == "in_progress" else "insufficient funds",
            customer_receipt=RECEIPT if approved else (),
            merchant_receipt=(*RECEIPT, "MERCHANT COPY") if approved else (),
        )

    def _transact(
        self,
        kind: Kind,
        reference: str,
        amount: int,
        currency: str,
        original: str | None,
        on_state: StateListener | None,
    ) -> TerminalResult:
        with self._lock:
            self.calls.append((kind, reference))
            if reference in self.records:
                # A terminal answers a reference it knows with its record, never a second charge.
                return self._result(self.records[reference])
        how = self._next()
        if how == "unavailable":
            raise TerminalUnavailable("the terminal is busy")
        if how == "lost_request":
            raise TerminalTimeout("no answer")
        outcome = {"decline": "declined", "in_progress": "in_progress", "refuse_refund": "declined"}.get(
            how, "approved"
        )
        if how == "refuse_refund" and kind == "payment":
            outcome = "approved"
        record = Record(
            reference, kind, amount, currency, "in_progress" if how == "wait_for_card" else outcome, original
        )
        with self._lock:
            self.records[reference] = record
            if how == "wait_for_card":
                self._waiting[reference] = threading.Event()
        if how == "wait_for_card":
            if on_state is not None:
                on_state("waiting_for_card")
            self._waiting[reference].wait(30)
            with self._lock:
                self._waiting.pop(reference, None)
            return self._result(record)
        if on_state is not None:
            on_state("processing")
        if how in ("lose_answer", "in_progress"):
            raise TerminalTimeout("the answer was lost")
        return self._result(record)

    # -- PaymentTerminal ---------------------------------------------------------------------

    def pay(
        self, reference: str, amount: int, currency: str, *, timeout: float, on_state: StateListener | None = None
    ) -> TerminalResult:
        return self._transact("payment", reference, amount, currency, None, on_state)

    def refund(
        self,
        reference: str,
        amount: int,
        currency: str,
        *,
        original: TerminalResult | None = None,
        timeout: float,
        on_state: StateListener | None = None,
    ) -> TerminalResult:
        assert original is not None, "a refund names the payment it gives back"
        assert self.tokenless or original.card_token == "tok-4242", "a refund goes to the same card"
        with self._lock:
            paid = self.records.get(original.reference)
        assert paid is not None and paid.outcome == "approved", "a refund of a payment the terminal never took"
        return self._transact("refund", reference, amount, currency, original.reference, on_state)

    def cancel(self, reference: str) -> None:
        with self._lock:
            self.calls.append(("cancel", reference))
            record = self.records.get(reference)
            if record is not None and record.outcome == "in_progress":
                record.outcome = "cancelled"
            waiting = self._waiting.get(reference)
        if waiting is not None:
            waiting.set()

    def status(self, reference: str) -> TerminalResult:
        with self._lock:
            self.calls.append(("status", reference))
            record = self.records.get(reference)
        if record is None:
            return TerminalResult(reference, "payment", "not_found", 0, "EUR")
        if reference in self.cannot_tell:
            return TerminalResult(reference, record.kind, "in_progress", 0, record.currency)
        return self._result(record)

    def terminal_status(self) -> TerminalState:
        with self._lock:
            return "waiting_for_card" if self._waiting else "idle"

    def close(self) -> None:
        pass

    # -- what the customer and the test do ---------------------------------------------------

    def present_card(self, reference: str) -> None:
        """The customer taps while the terminal waits: approved."""
        with self._lock:
            self.records[reference].outcome = "approved"
            waiting = self._waiting.get(reference)
        if waiting is not None:
            waiting.set()

    def finish(self, reference: str, outcome: str = "approved") -> None:
        """A transaction the till gave up on ends on the terminal (a late tap)."""
        with self._lock:
            self.records[reference].outcome = outcome

    def charged(self) -> dict[str, int]:
        """The payments the terminal approved, by reference, less what it refunded of each."""
        with self._lock:
            held = {
                r.reference: r.amount for r in self.records.values() if r.kind == "payment" and r.outcome == "approved"
            }
            for r in self.records.values():
                if r.kind == "refund" and r.outcome == "approved" and r.original in held:
                    held[r.original] -= r.amount
        return held


# -- over loopback HTTP, for a till in another process -------------------------------------------


def _result_json(result: TerminalResult) -> dict[str, Any]:
    return dataclasses.asdict(result)


def _result_of(data: dict[str, Any]) -> TerminalResult:
    data = dict(data)
    data["customer_receipt"] = tuple(data["customer_receipt"])
    data["merchant_receipt"] = tuple(data["merchant_receipt"])
    return TerminalResult(**data)


@contextmanager
def serve_over_http(fake: FakeTerminal) -> Iterator[str]:
    """The double behind http://127.0.0.1:PORT (its URL), until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            try:
                if self.path == "/pay":
                    answer: Any = _result_json(fake.pay(body["reference"], body["amount"], body["currency"], timeout=1))
                elif self.path == "/refund":
                    original = _result_of(body["original"])
                    answer = _result_json(
                        fake.refund(body["reference"], body["amount"], body["currency"], original=original, timeout=1)
                    )
                elif self.path == "/status":
                    answer = _result_json(fake.status(body["reference"]))
                elif self.path == "/cancel":
                    fake.cancel(body["reference"])
                    answer = {}
                else:
                    answer = {"state": fake.terminal_status()}
                status = 200
            except TerminalUnavailable:
                answer, status = {"error": "unavailable"}, 503
            except TerminalTimeout:
                # The answer is lost: the connection closes with nothing said.
                self.close_connection = True
                return
            data = json.dumps(answer).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                self.close_connection = True  # the till died waiting: its answer is lost

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class HttpTerminal:
    """A PaymentTerminal that reaches a double served by `serve_over_http`."""

    protocol = "fake"

    def __init__(self, url: str, read_timeout: float = 5.0) -> None:
        self.client = httpx.Client(base_url=url, timeout=httpx.Timeout(read_timeout, connect=1.0))

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self.client.post(path, json=body)
        except httpx.ConnectError as exc:
            raise TerminalUnavailable(str(exc)) from None
        except httpx.HTTPError as exc:
            raise TerminalTimeout(str(exc)) from None
        if response.status_code == 503:
            raise TerminalUnavailable("busy")
        data: dict[str, Any] = response.json()
        return data

    def pay(
        self, reference: str, amount: int, currency: str, *, timeout: float, on_state: StateListener | None = None
    ) -> TerminalResult:
        return _result_of(self._post("/pay", {"reference": reference, "amount": amount, "currency": currency}))

    def refund(
        self,
        reference: str,
        amount: int,
        currency: str,
        *,
        original: TerminalResult | None = None,
        timeout: float,
        on_state: StateListener | None = None,
    ) -> TerminalResult:
        assert original is not None
        body = {"reference": reference, "amount": amount, "currency": currency, "original": _result_json(original)}
        return _result_of(self._post("/refund", body))

    def cancel(self, reference: str) -> None:
        self._post("/cancel", {"reference": reference})

    def status(self, reference: str) -> TerminalResult:
        return _result_of(self._post("/status", {"reference": reference}))

    def terminal_status(self) -> TerminalState:
        try:
            state: TerminalState = self._post("/state", {})["state"]
        except TerminalUnavailable:
            return "offline"
        return state

    def close(self) -> None:
        self.client.close()
