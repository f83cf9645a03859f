"""A simulated Adyen payment terminal speaking the nexo Terminal API in local mode: HTTPS on
loopback (`POST /nexo`), every message protected with the shared key, for development and
tests (`comptoir terminal-sim serve --protocol nexo`).

Beside its state file it keeps what a real terminal's owner would set up: the shared key's
passphrase (`terminal-nexo.passphrase`, key `comptoir-sim` version 1), its own CA
(`terminal-nexo-ca.pem`, the file the driver checks the certificate against) and a
certificate for `POIID.test.terminal.adyen.com` signed by it. Point the till's key dir there
(or copy those two files) and use `nexo://127.0.0.1:PORT?poi=SIM400-000000001&key_id=comptoir-sim`.

What the next transactions do is told ahead (`tell`), one word each, first told first:
`approve` (the default), `decline`, `pin` (the customer types a PIN before the answer),
`pin:SECONDS` (the terminal asks for the PIN and waits that long, or until told
`pin-entered`, then approves; an abort ends the wait), `wait:SECONDS` (no card is
presented for that long; an abort ends the wait), `timeout` (charged and recorded, the
answer never sent), `lose-answer` (charged and recorded, then the connection dropped),
`restart` (the process exits mid-transaction after recording it in
progress; when it starts again it closes such a transaction as cancelled, the card never
having been charged, and a status request finds it so).

Two words act at once instead of waiting for a transaction: `pin-entered` (the customer
has typed the PIN the terminal waits for) and `display=URL` (where it POSTs its display
notifications, as an Adyen terminal does to its Display URL: a DisplayRequest with
TENDER_CREATED when it asks for the card, WAIT_FOR_PIN when it asks for the PIN; see
appliance.drivers.nexo_display; `display=` alone stops them).

The state file holds the transactions as the terminal recorded them: our references, the
amounts, brand and last four, never a card number.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.server
import ipaddress
import json
import os
import secrets
import signal
import socket
import ssl
import string
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from appliance.drivers.nexo_protocol import (
    CA_FILE,
    PASSPHRASE_FILE,
    PROTOCOL_VERSION,
    ProtectionError,
    SharedKey,
    dumps,
    loads,
    part,
    protect,
    to_minor,
    unprotect,
    write_private,
)
from appliance.drivers.nexo_sim_answers import (
    POIID,
    answer_header,
    display_notification,
    make_certificates,
    now,
    payment_response,
    reject,
)

KEY_ID = "comptoir-sim"
KEY_VERSION = 1
CERT_FILE = "terminal-nexo-sim-cert.pem"
KEY_FILE = "terminal-nexo-sim-key.pem"
WORDS = ("approve", "decline", "pin", "timeout", "lose-answer", "restart")
AT_ONCE = ("pin-entered",)
IN_PROGRESS = ("waiting_for_card", "pin", "processing")
MAX_BODY = 1 << 20
CARDS = (("mc", "9999"), ("visa", "0004"), ("amex", "8431"), ("maestro", "0013"))


def check_behaviour(word: str) -> str:
    if word in WORDS or word in AT_ONCE:
        return word
    if word.startswith("display="):
        url = word[len("display=") :]
        if not url or urllib.parse.urlsplit(url).scheme in ("http", "https"):
            return word
    if word.startswith(("wait:", "pin:")):
        try:
            seconds = float(word[4 if word.startswith("pin:") else 5 :])
        except ValueError:
            seconds = -1.0
        if 0 <= seconds <= 3600:
            return word
    raise ValueError(
        f"unknown behaviour {word!r}: one of {', '.join(WORDS + AT_ONCE)}, wait:SECONDS, pin:SECONDS, display=URL"
    )


# -- the state file ------------------------------------------------------------------------------


@contextlib.contextmanager
def _books(state: Path) -> Iterator[dict[str, Any]]:
    """The state, read and written back under a lock shared with `tell` in another process."""
    state.parent.mkdir(parents=True, exist_ok=True)
    lock = os.open(state.with_name(state.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = _read(state)
        before = json.dumps(data, sort_keys=True)
        yield data
        if json.dumps(data, sort_keys=True) != before:
            write_private(state, json.dumps(data, indent=1).encode("utf-8"))
    finally:
        os.close(lock)  # releases the lock


def _read(state: Path) -> dict[str, Any]:
    try:
        data = json.loads(state.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    data.setdefault("poi", POIID)
    data.setdefault("queue", [])
    data.setdefault("transactions", [])
    return dict(data)


def tell(state: Path, behaviours: list[str]) -> None:
    """Queues what the next transactions do, in order."""
    words = [check_behaviour(w) for w in behaviours]
    with _books(state) as data:
        for word in words:
            if word == "pin-entered":
                data["pin_entered"] = True
            elif word.startswith("display="):
                data["display_url"] = word[len("display=") :] or None
            else:
                data["queue"].append(word)


def records(state: Path) -> list[dict[str, Any]]:
    """The transactions as the terminal recorded them, oldest first."""
    with _books(state) as data:
        return list(data["transactions"])


# -- its key and certificate --------------------------------------------------------------------------


def prepare(folder: Path) -> tuple[SharedKey, ssl.SSLContext]:
    """The shared key and the server's TLS context, made on first start and kept."""
    folder.mkdir(parents=True, exist_ok=True)
    passphrase_file = folder / PASSPHRASE_FILE
    if not passphrase_file.exists():
        write_private(passphrase_file, secrets.token_urlsafe(24).encode("ascii"))
    passphrase = passphrase_file.read_text(encoding="utf-8").strip()
    if not (folder / CERT_FILE).exists() or not (folder / CA_FILE).exists():
        make_certificates(folder, CERT_FILE, KEY_FILE)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / CERT_FILE, folder / KEY_FILE)
    return SharedKey(KEY_ID, KEY_VERSION, passphrase), context


# -- the terminal -------------------------------------------------------------------------------


def _letters(n: int) -> str:
    return "".join(secrets.choice(string.ascii_letters) for _ in range(n))


class Refusal(Exception):
    """The request is rejected unread: answered with an EventNotification Reject."""


class Terminal:
    def __init__(self, state: Path, key: SharedKey) -> None:
        self.state = state
        self.key = key
        self.stopping = threading.Event()
        self._aborts: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        with _books(state) as data:
            for record in data["transactions"]:
                if record["state"] in IN_PROGRESS:  # it restarted in the middle of this one
                    record.update(state="cancelled", reason="terminal restarted", finished_at=now())

    def handle(self, envelope: Any) -> tuple[str, dict[str, Any] | None, str]:
        """(what to do with the connection, the answer, its ServiceID): "answer", "hold", "drop"."""
        try:
            _root, message = unprotect(envelope, self.key)
        except ProtectionError as exc:
            raise Refusal(str(exc)) from None
        header = message.get("MessageHeader")
        if not isinstance(header, dict):
            raise Refusal("no MessageHeader")
        if (header.get("MessageClass"), header.get("MessageType")) != ("Service", "Request"):
            raise Refusal("only Service requests are served")
        if header.get("POIID") != POIID or header.get("ProtocolVersion") != PROTOCOL_VERSION:
            raise Refusal(f"this is {POIID}, speaking nexo {PROTOCOL_VERSION}")
        sid, sale = header.get("ServiceID"), header.get("SaleID")
        if not isinstance(sid, str) or not 1 <= len(sid) <= 10 or not sid.isalnum() or not isinstance(sale, str):
            raise Refusal("ServiceID is 1 to 10 letters and digits, SaleID is required")
        category = header.get("MessageCategory")
        if category == "Payment":
            return self._payment(header, message.get("PaymentRequest"))
        if category == "TransactionStatus":
            return "answer", self._status(header, message.get("TransactionStatusRequest")), sid
        if category == "Abort":
            self._abort(message.get("AbortRequest"))
            return "answer", None, sid
        if category == "Diagnosis":
            if not isinstance(message.get("DiagnosisRequest"), dict):
                raise Refusal("no DiagnosisRequest")
            with _books(self.state) as data:
                busy = any(r["state"] in IN_PROGRESS for r in data["transactions"])
            body = {"Response": {"Result": "Success"}, "POIStatus": {"GlobalStatus": "Busy" if busy else "OK"}}
            return "answer", {"MessageHeader": answer_header(header), "DiagnosisResponse": body}, sid
        raise Refusal(f"MessageCategory {category!r} is not served here")

    # -- payments and refunds --------------------------------------------------------------------

    def _payment(self, header: dict[str, Any], request: Any) -> tuple[str, dict[str, Any] | None, str]:
        sid = header["ServiceID"]
        record = self._new_record(header, request)
        abort = threading.Event()
        with _books(self.state) as data:
            if any(r["service_id"] == sid and r["sale_id"] == header["SaleID"] for r in data["transactions"]):
                raise Refusal(f"ServiceID {sid} was used already")
            busy = any(r["state"] in IN_PROGRESS for r in data["transactions"])
            display_url = data.get("display_url")
            if not busy:
                behaviour = data["queue"].pop(0) if data["queue"] else "approve"
                data["pin_entered"] = False
                record["behaviour"] = behaviour
                data["transactions"].append(record)
                with self._lock:
                    self._aborts[sid] = abort
        if busy:  # one transaction at a time; this one is turned away unrecorded
            body = {"Response": {"Result": "Failure", "ErrorCondition": "Busy"}}
            return "answer", {"MessageHeader": answer_header(header), "PaymentResponse": body}, sid
        try:
            if behaviour == "restart":
                os._exit(75)  # mid-transaction, as a terminal that loses power
            _display(display_url, header, record, "TENDER_CREATED")
            if behaviour.startswith("wait:"):
                abort.wait(float(behaviour[5:]))
            if behaviour.startswith("pin") and not abort.is_set():
                self._update(sid, header["SaleID"], state="pin")
                _display(display_url, header, record, "WAIT_FOR_PIN")
                if behaviour.startswith("pin:"):
                    self._wait_for_pin(float(behaviour[4:]), abort)
            if abort.is_set():
                outcome = {"state": "cancelled", "reason": "cancelled from the till"}
            elif behaviour == "decline":
                outcome = {"state": "declined", "reason": "Not enough balance"}
            else:
                outcome = self._charge(record)
            record = self._update(sid, header["SaleID"], **outcome, finished_at=now())
        finally:
            with self._lock:
                self._aborts.pop(sid, None)
        answer = {"MessageHeader": answer_header(header), "PaymentResponse": payment_response(record)}
        if behaviour == "timeout":
            return "hold", answer, sid
        if behaviour == "lose-answer":
            return "drop", answer, sid
        return "answer", answer, sid

    def _wait_for_pin(self, seconds: float, abort: threading.Event) -> None:
        """Until the customer has typed the PIN (`pin-entered`), the time is up or an abort."""
        deadline = time.monotonic() + seconds
        while not abort.wait(0.1) and time.monotonic() < deadline:
            with _books(self.state) as data:
                if data.get("pin_entered"):
                    data["pin_entered"] = False
                    return

    def _new_record(self, header: dict[str, Any], request: Any) -> dict[str, Any]:
        if not isinstance(request, dict):
            raise Refusal("no PaymentRequest")
        sale = part(request, "SaleData", "SaleTransactionID")
        transaction = part(request, "PaymentTransaction")
        amounts = part(transaction, "AmountsReq")
        if not isinstance(sale.get("TransactionID"), str) or not amounts:
            raise Refusal("SaleTransactionID.TransactionID and AmountsReq are required")
        currency = str(amounts.get("Currency"))
        try:
            amount = to_minor(amounts.get("RequestedAmount"), currency)
        except ValueError as exc:
            raise Refusal(str(exc)) from None
        if amount < 0:
            raise Refusal("a negative amount")
        refund = part(request, "PaymentData").get("PaymentType") == "Refund"
        poi = part(transaction, "OriginalPOITransaction", "POITransactionID")
        return {
            "service_id": header["ServiceID"],
            "sale_id": header["SaleID"],
            "kind": "refund" if refund else "payment",
            "transaction_id": sale["TransactionID"],
            "sale_timestamp": str(sale.get("TimeStamp", "")),
            "amount": amount,
            "currency": currency,
            "state": "waiting_for_card",
            "original": str(poi["TransactionID"]) if poi.get("TransactionID") else None,
            "started_at": now(),
        }

    def _charge(self, record: dict[str, Any]) -> dict[str, Any]:
        brand, last_four = CARDS[int(hashlib.sha256(record["service_id"].encode()).hexdigest(), 16) % len(CARDS)]
        if record["kind"] == "refund" and record["original"]:
            with _books(self.state) as data:
                found = [r for r in data["transactions"] if r.get("poi_transaction_id") == record["original"]]
                refunded = sum(
                    r["approved"]
                    for r in data["transactions"]
                    if r["kind"] == "refund" and r.get("original") == record["original"] and r["state"] == "approved"
                )
            if found and found[0]["state"] == "approved":
                if record["amount"] > found[0]["approved"] - refunded:
                    return {"state": "declined", "reason": "Refund exceeds what the payment left"}
                brand, last_four = found[0]["brand"], found[0]["last_four"]
        digest = hashlib.sha256(f"{brand}{last_four}".encode()).hexdigest()
        return {
            "state": "approved",
            "approved": record["amount"],
            "brand": brand,
            "last_four": last_four,
            "token": "SIM" + "".join(chr(ord("A") + int(c, 16)) for c in digest[:12]),
            "auth_code": _letters(6).upper(),
            "poi_transaction_id": f"{_letters(4)}.{_letters(12)}",
            "poi_timestamp": now(),
        }

    def _update(self, sid: str, sale: str, **changes: Any) -> dict[str, Any]:
        with _books(self.state) as data:
            for record in data["transactions"]:
                if record["service_id"] == sid and record["sale_id"] == sale:
                    record.update(changes)
                    return dict(record)
        raise KeyError(sid)

    def _abort(self, request: Any) -> None:
        reference = request.get("MessageReference") if isinstance(request, dict) else None
        if not isinstance(reference, dict):
            raise Refusal("AbortRequest.MessageReference is required")
        with self._lock:
            event = self._aborts.get(str(reference.get("ServiceID")))
        if event is not None:
            event.set()

    def _status(self, header: dict[str, Any], request: Any) -> dict[str, Any]:
        reference = request.get("MessageReference") if isinstance(request, dict) else None
        if not isinstance(reference, dict):
            raise Refusal("TransactionStatusRequest.MessageReference is required here")
        sale = reference.get("SaleID", header["SaleID"])
        with _books(self.state) as data:
            found = [
                r
                for r in data["transactions"]
                if r["service_id"] == reference.get("ServiceID") and r["sale_id"] == sale
            ]
        body: dict[str, Any]
        if not found:
            body = {"Response": {"Result": "Failure", "ErrorCondition": "NotFound"}}
        elif found[0]["state"] in IN_PROGRESS:
            body = {"Response": {"Result": "Failure", "ErrorCondition": "InProgress"}}
        else:
            record = found[0]
            original = {
                "ProtocolVersion": PROTOCOL_VERSION,
                "MessageClass": "Service",
                "MessageCategory": "Payment",
                "MessageType": "Response",
                "SaleID": record["sale_id"],
                "ServiceID": record["service_id"],
                "POIID": POIID,
            }
            body = {
                "Response": {"Result": "Success"},
                "MessageReference": {"MessageCategory": "Payment", "SaleID": sale, "ServiceID": record["service_id"]},
                "RepeatedMessageResponse": {
                    "MessageHeader": original,
                    "RepeatedResponseMessageBody": {"PaymentResponse": payment_response(record)},
                },
            }
        return {"MessageHeader": answer_header(header), "TransactionStatusResponse": body}


def _display(url: str | None, header: dict[str, Any], record: dict[str, Any], event: str) -> None:
    """POSTs a display notification to the Display URL, as an Adyen terminal does; not retried."""
    if not url:
        return
    body = dumps(display_notification(header, record["transaction_id"], event)).encode("utf-8")
    with contextlib.suppress(httpx.HTTPError):
        httpx.post(url, content=body, headers={"Content-Type": "application/json"}, timeout=2)


# -- HTTPS -------------------------------------------------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    terminal: Terminal
    tls: ssl.SSLContext

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The handshake runs here, in the connection's own thread: a client that stalls in
        # it holds no one else up.
        try:
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            _Handler(wrapped, client_address, self)
        finally:
            with contextlib.suppress(OSError):
                wrapped.close()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # no request lines on stderr
        return

    def do_POST(self) -> None:
        if self.path != "/nexo":
            self._send(404, b"")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_BODY:
            self._send(413 if length else 411, b"")
            return
        raw = self.rfile.read(length)
        try:
            action, answer, _sid = self.server.terminal.handle(loads(raw))
        except Refusal as exc:
            self._send(200, dumps(reject(str(exc))).encode("utf-8"))
            return
        except ValueError:
            self._send(200, dumps(reject("the request is not JSON")).encode("utf-8"))
            return
        if action == "hold":  # the answer never comes; the connection stays open, silent
            self.server.terminal.stopping.wait()
            self.close_connection = True
            return
        if action == "drop":
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        body = b"" if answer is None else dumps(protect("SaleToPOIResponse", answer, self.server.terminal.key)).encode()
        self._send(200, body)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(*, host: str, port: int, state: Path) -> None:
    """Serves on loopback until SIGINT/SIGTERM; prints `terminal-sim nexo listening on
    https://HOST:PORT` once it listens (port 0 picks a free one)."""
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the simulator listens on loopback only, not {host}")
    key, tls = prepare(state.parent)
    terminal = Terminal(state, key)
    _Server.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = _Server((host, port), _Handler)
    server.terminal, server.tls = terminal, tls
    stopping: list[int] = []
    # A flag, not an Event: a demo's death sends one SIGTERM per thread of it that exits, and one
    # handled while the last one's held the Event's lock deadlocked us (the simulator outlived it).
    previous = {s: signal.signal(s, lambda signum, _: stopping.append(signum)) for s in (signal.SIGINT, signal.SIGTERM)}
    worker = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    worker.start()
    print(f"terminal-sim nexo listening on https://{host}:{server.server_address[1]}", flush=True)
    try:
        while not stopping:
            time.sleep(0.1)
    finally:
        terminal.stopping.set()
        server.shutdown()
        server.server_close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
