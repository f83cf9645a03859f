"""The nexo retailer protocol as Adyen's Terminal API speaks it, in local mode: JSON over
HTTPS to the terminal on the shop's LAN (`POST https://HOST:PORT/nexo`), every message
protected with the shared key (`nexo_protocol`), the terminal's certificate checked against
the CA file in the key dir.

URL: `nexo://HOST:PORT?poi=V400m-324688179&key_id=NAME[&key_version=1][&sale_id=comptoir]
[&display=HOST:PORT]`. `display` is where the till hears the terminal's display
notifications (its live state: waiting for the card, PIN; `nexo_display`); without it, a
payment's state is "in progress on the terminal" until its answer. The passphrase is read
from `terminal-nexo.passphrase` in the key dir, never from the URL.

Our reference is the sale's TransactionID. nexo asks the terminal about a transaction by the
ServiceID of the request that started it, so a ServiceID is made from the reference: eight
characters of a digest of (sale id, reference) and two digits of attempt. `status` asks for
attempt 00, 01, ... until the terminal says NotFound and reports the last one found; `pay`
takes the first attempt the terminal never heard of, so that a reference can be tried again
after a decline without reusing a ServiceID the terminal has seen, and returns an approved
attempt instead of charging again.

Adyen's Python library offers the Terminal API through Adyen's cloud only: local mode, its
message protection and the certificate check are written here from Adyen's documentation.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import secrets
import ssl
import string
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from appliance.drivers.nexo_answers import AnswerRefused, body_of, payment_result, rejection
from appliance.drivers.nexo_display import DisplayListener
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
    to_major,
    unprotect,
)
from appliance.drivers.terminal import (
    Kind,
    StateListener,
    TerminalConfigError,
    TerminalError,
    TerminalRejected,
    TerminalResult,
    TerminalState,
    TerminalTimeout,
    TerminalUnavailable,
    TerminalUrl,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 100  # two digits of the ServiceID
CONNECT_SECONDS = 5.0
SHORT_SECONDS = 10.0  # status, abort, diagnosis: the terminal answers these at once
_BASE36 = string.digits + string.ascii_lowercase
# ErrorConditions with which a terminal refuses a payment before it starts (nexo; Adyen).
NOT_PROCESSED = ("Busy", "UnavailableDevice", "UnavailableService")
_RANDOM = string.ascii_uppercase + string.digits


def connect(where: TerminalUrl, key_dir: Path | None) -> NexoTerminal:
    options = dict(where.options)
    poi = options.pop("poi", "")
    key_id = options.pop("key_id", "")
    sale_id = options.pop("sale_id", "comptoir")
    version = options.pop("key_version", "1")
    display = options.pop("display", None)
    if not poi or not key_id:
        raise TerminalConfigError("nexo terminal_url needs ?poi=POIID&key_id=KEY (the terminal's id and shared key)")
    if options:
        raise TerminalConfigError(f"nexo terminal_url: unknown option(s) {', '.join(sorted(options))}")
    if not version.isdigit():
        raise TerminalConfigError(f"nexo terminal_url: key_version must be a number, not {version!r}")
    if not 1 <= len(sale_id) <= 20:  # nexo: SaleID is 1-20 characters here
        raise TerminalConfigError("nexo terminal_url: sale_id is 1 to 20 characters")
    display_at = _host_port(display) if display is not None else None
    if key_dir is None:
        raise TerminalConfigError(f"the nexo terminal needs a key dir holding {PASSPHRASE_FILE} and {CA_FILE}")
    passphrase_file = key_dir / PASSPHRASE_FILE
    try:
        passphrase = passphrase_file.read_text(encoding="utf-8").strip()
    except OSError:
        raise TerminalConfigError(
            f"the nexo terminal's shared key passphrase is missing: put it in {passphrase_file} (mode 0600)"
        ) from None
    if not passphrase:
        raise TerminalConfigError(f"{passphrase_file} is empty: it holds the terminal's shared key passphrase")
    if passphrase_file.stat().st_mode & 0o077:
        raise TerminalConfigError(f"{passphrase_file} is readable by others: chmod 600 it")
    ca = key_dir / CA_FILE
    if not ca.is_file():
        raise TerminalConfigError(f"the CA that signs the terminal's certificate is missing: put it in {ca}")
    try:
        return NexoTerminal(
            where.host,
            where.port,
            poi=poi,
            sale_id=sale_id,
            key=SharedKey(key_id, int(version), passphrase),
            ca_file=ca,
            display=display_at,
        )
    except ssl.SSLError as exc:
        raise TerminalConfigError(f"{ca} does not hold a CA certificate (PEM): {exc}") from None


def _host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise TerminalConfigError(f"nexo terminal_url: display is HOST:PORT (where the till listens), not {value!r}")
    host = host.strip("[]")
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        # The box opens no port to the shop's network (its firewall drops what comes in, and
        # the compliance scan fails a listener): a terminal's display notifications can only
        # be heard from a relay on the box itself.
        raise TerminalConfigError(
            f"nexo terminal_url: the till listens on loopback only, so display is 127.0.0.1:PORT, not {value!r}"
        )
    return host, int(port)


def tls_context(ca_file: Path, poi: str) -> ssl.SSLContext:
    """Adyen's check: the chain to the CA, then the certificate's name, which is the
    terminal's POIID under terminal.adyen.com (the IP it is reached at is not in it)."""
    context = ssl.create_default_context(cafile=str(ca_file))
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    # Older terminals all present the one legacy name; Adyen's docs accept it as such.
    names = {f"{poi}.{env}.terminal.adyen.com".lower() for env in ("test", "live")} | {
        f"legacy-terminal-certificate.{env}.terminal.adyen.com" for env in ("test", "live")
    }

    class TerminalSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            super().do_handshake(block)
            cert = self.getpeercert() or {}
            found = {str(pair[1]).lower() for rdn in cert.get("subject", ()) for pair in rdn if pair[0] == "commonName"}
            found |= {str(pair[1]).lower() for pair in cert.get("subjectAltName", ()) if pair[0] == "DNS"}
            if not found & names:
                raise ssl.SSLCertVerificationError(f"the terminal's certificate is not for {poi}")

    context.sslsocket_class = TerminalSocket
    return context


def service_id(sale_id: str, reference: str, attempt: int) -> str:
    """The ServiceID of attempt `attempt` at the transaction `reference`: 10 characters."""
    number = int.from_bytes(hashlib.sha256(f"{sale_id}\0{reference}".encode()).digest()[:8], "big")
    digits = ""
    for _ in range(8):
        number, rest = divmod(number, 36)
        digits += _BASE36[rest]
    return f"{digits}{attempt:02d}"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class NexoTerminal:
    protocol = "nexo"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        poi: str,
        sale_id: str,
        key: SharedKey,
        ca_file: Path,
        transport: httpx.BaseTransport | None = None,
        display: tuple[str, int] | None = None,
    ) -> None:
        self.url = f"https://{host}:{port}/nexo"
        self.poi = poi
        self.sale_id = sale_id
        self.key = key
        # A transport given (tests, a proxy) brings its own TLS.
        if transport is None:
            transport = httpx.HTTPTransport(verify=tls_context(ca_file, poi))
        self._client = httpx.Client(transport=transport)
        self._lock = threading.Lock()
        self._running: dict[str, tuple[str, str]] = {}  # reference -> (ServiceID, category)
        self._seen: dict[str, str] = {}  # POI TransactionID -> its TimeStamp, for refunds
        self._listeners: dict[str, StateListener] = {}  # ServiceID -> the screen following it
        self.display: DisplayListener | None = None
        if display is not None:
            try:
                self.display = DisplayListener(*display, poi=poi, sale_id=sale_id, key=key, heard=self._heard)
            except OSError as exc:
                # The till still takes cards; its screen only says "in progress" meanwhile.
                log.warning("cannot hear the terminal's display notifications on %s:%s: %s", *display, exc)

    # -- the interface ----------------------------------------------------------------------------

    def pay(
        self,
        reference: str,
        amount: int,
        currency: str,
        *,
        timeout: float,
        on_state: StateListener | None = None,
    ) -> TerminalResult:
        body = {
            "SaleData": {"SaleTransactionID": {"TransactionID": reference, "TimeStamp": _now()}},
            "PaymentTransaction": {
                "AmountsReq": {"Currency": currency, "RequestedAmount": self._major(amount, currency)}
            },
        }
        return self._transaction(reference, "payment", amount, currency, body, timeout, on_state)

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
        transaction: dict[str, Any] = {
            "AmountsReq": {"Currency": currency, "RequestedAmount": self._major(amount, currency)}
        }
        poi_id = self._original(original)
        if poi_id is not None:
            transaction["OriginalPOITransaction"] = {"SaleID": self.sale_id, "POITransactionID": poi_id}
        body = {
            "SaleData": {"SaleTransactionID": {"TransactionID": reference, "TimeStamp": _now()}},
            "PaymentTransaction": transaction,
            "PaymentData": {"PaymentType": "Refund"},
        }
        return self._transaction(reference, "refund", amount, currency, body, timeout, on_state)

    def cancel(self, reference: str) -> None:
        with self._lock:
            running = self._running.get(reference)
        if running is None:
            latest = self._latest(reference)
            if latest is None or latest[1] is not None:
                return  # nothing under way under this reference
            running = (latest[0], "Payment")
        sid, category = running
        reference_to = {"MessageCategory": category, "SaleID": self.sale_id, "ServiceID": sid}
        answer = self._send(
            "Abort", {"AbortRequest": {"AbortReason": "MerchantAbort", "MessageReference": reference_to}}, SHORT_SECONDS
        )
        if answer is not None:
            log.info("terminal answered an abort with a message; the outcome comes from the payment")

    def status(self, reference: str) -> TerminalResult:
        latest = self._latest(reference)
        if latest is None:
            return TerminalResult(reference, "payment", "not_found", 0, "")
        _sid, found = latest
        if found is None:
            return TerminalResult(reference, "payment", "in_progress", 0, "")
        return found

    def terminal_status(self) -> TerminalState:
        try:
            body = body_of(
                self._send("Diagnosis", {"DiagnosisRequest": {"HostDiagnosisFlag": False}}, SHORT_SECONDS),
                "DiagnosisResponse",
            )
        except TerminalError:
            return "offline"
        states: dict[str, TerminalState] = {"OK": "idle", "Busy": "busy", "Maintenance": "busy"}
        return states.get(str(part(body, "POIStatus").get("GlobalStatus")), "offline")

    def close(self) -> None:
        if self.display is not None:
            self.display.close()
        self._client.close()

    def _heard(self, sid: str, state: TerminalState) -> None:
        with self._lock:
            listener = self._listeners.get(sid)
        if listener is not None:
            listener(state)

    # -- transactions --------------------------------------------------------------------------------

    def _major(self, amount: int, currency: str) -> Any:
        if amount < 0:
            raise TerminalRejected("a negative amount", "amount")
        try:
            return to_major(amount, currency)
        except ValueError as exc:
            raise TerminalRejected(str(exc), "currency") from None

    def _transaction(
        self,
        reference: str,
        kind: Kind,
        amount: int,
        currency: str,
        body: dict[str, Any],
        timeout: float,
        on_state: StateListener | None,
    ) -> TerminalResult:
        attempt, earlier = self._next_attempt(reference)
        if earlier is not None:
            return earlier  # approved already under this reference: never charged twice
        sid = service_id(self.sale_id, reference, attempt)
        with self._lock:
            if reference in self._running:
                raise TerminalUnavailable(f"{reference} is already under way on this till")
            self._running[reference] = (sid, "Payment")
            if on_state is not None:
                self._listeners[sid] = on_state
        try:
            if on_state is not None:
                on_state("in_progress")  # until the terminal's display notifications say more
            answer = self._send("Payment", {"PaymentRequest": body}, timeout, sid=sid)
        finally:
            with self._lock:
                self._running.pop(reference, None)
                self._listeners.pop(sid, None)
        payment = body_of(answer, "PaymentResponse")
        condition = part(payment, "Response").get("ErrorCondition")
        if part(payment, "Response").get("Result") == "Failure" and condition in NOT_PROCESSED:
            # the terminal turned the request away before any card was read: nothing moved
            raise TerminalUnavailable(f"the terminal did not take {reference}: {condition}")
        result = self._result(reference, kind, payment, currency_hint=currency)
        if result.amount > amount:
            raise AnswerRefused(f"the terminal approved {result.amount}, more than the {amount} asked", "amount")
        return result

    def _next_attempt(self, reference: str) -> tuple[int, TerminalResult | None]:
        """The first attempt the terminal does not know, or the approved one it knows."""
        for attempt in range(MAX_ATTEMPTS):
            found = self._lookup(reference, attempt)
            if found == "not_found":
                return attempt, None
            if found == "in_progress":
                raise TerminalUnavailable(f"the terminal is still on an earlier attempt at {reference}")
            assert isinstance(found, TerminalResult)
            if found.outcome == "approved":
                return attempt, found
        raise TerminalUnavailable(f"{reference} was tried {MAX_ATTEMPTS} times: use a new reference")

    def _latest(self, reference: str) -> tuple[str, TerminalResult | None] | None:
        """(ServiceID, result or None while in progress) of the last attempt the terminal knows."""
        latest: tuple[str, TerminalResult | None] | None = None
        for attempt in range(MAX_ATTEMPTS):
            found = self._lookup(reference, attempt)
            if found == "not_found":
                break
            sid = service_id(self.sale_id, reference, attempt)
            if not isinstance(found, TerminalResult):  # in progress: nothing after it yet
                return sid, None
            latest = (sid, found)
        return latest

    def _lookup(self, reference: str, attempt: int) -> TerminalResult | str:
        sid = service_id(self.sale_id, reference, attempt)
        request = {
            "ReceiptReprintFlag": True,
            "DocumentQualifier": ["CashierReceipt", "CustomerReceipt"],
            "MessageReference": {"SaleID": self.sale_id, "ServiceID": sid},
        }
        answer = self._send("TransactionStatus", {"TransactionStatusRequest": request}, SHORT_SECONDS)
        body = body_of(answer, "TransactionStatusResponse")
        response = part(body, "Response")
        if response.get("Result") != "Success":
            condition = response.get("ErrorCondition")
            if condition == "NotFound":
                return "not_found"
            if condition == "InProgress":
                return "in_progress"
            raise AnswerRefused(f"the terminal could not tell the status: {condition}", "status")
        payment = part(body, "RepeatedMessageResponse", "RepeatedResponseMessageBody", "PaymentResponse")
        if not payment:
            raise AnswerRefused("a status without the transaction's response", "format")
        category = part(body, "RepeatedMessageResponse", "MessageHeader").get("MessageCategory")
        refund = category == "Reversal" or part(payment, "PaymentResult").get("PaymentType") == "Refund"
        return self._result(reference, "refund" if refund else "payment", payment, currency_hint=None)

    def _original(self, original: TerminalResult | None) -> dict[str, str] | None:
        """The original payment's POITransactionID (id and time stamp), when it can be had."""
        if original is None or not original.terminal_reference:
            return None
        stamp = self._seen.get(original.terminal_reference)
        if stamp is None:
            try:
                self.status(original.reference)
            except (TerminalUnavailable, TerminalTimeout):
                return None
            stamp = self._seen.get(original.terminal_reference)
        if stamp is None:
            return None
        return {"TransactionID": original.terminal_reference, "TimeStamp": stamp}

    def _result(
        self, reference: str, kind: Kind, payment: dict[str, Any], *, currency_hint: str | None
    ) -> TerminalResult:
        result = payment_result(reference, kind, payment, currency_hint=currency_hint)
        stamp = part(payment, "POIData", "POITransactionID").get("TimeStamp")
        if result.terminal_reference and stamp:
            self._seen[result.terminal_reference] = str(stamp)
        return result

    # -- the wire ---------------------------------------------------------------------------------

    def _send(self, category: str, body: dict[str, Any], timeout: float, *, sid: str | None = None) -> Any:
        header = {
            "ProtocolVersion": PROTOCOL_VERSION,
            "MessageClass": "Service",
            "MessageCategory": category,
            "MessageType": "Request",
            "SaleID": self.sale_id,
            "ServiceID": sid or "".join(secrets.choice(_RANDOM) for _ in range(10)),
            "POIID": self.poi,
        }
        wire = dumps(protect("SaleToPOIRequest", {"MessageHeader": header, **body}, self.key))
        timeouts = httpx.Timeout(connect=CONNECT_SECONDS, read=timeout, write=CONNECT_SECONDS, pool=CONNECT_SECONDS)
        try:
            reply = self._client.post(
                self.url, content=wire.encode("utf-8"), headers={"Content-Type": "application/json"}, timeout=timeouts
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TerminalUnavailable(f"the terminal at {self.url} did not take the request: {exc}") from None
        except httpx.TransportError as exc:  # read time-out, dropped connection: sent, no answer
            raise TerminalTimeout(f"no answer from the terminal to {category} {header['ServiceID']}: {exc}") from None
        if reply.status_code >= 500:
            raise TerminalTimeout(f"the terminal failed on {category} (HTTP {reply.status_code})")
        if reply.status_code != 200:
            raise TerminalRejected(f"the terminal refused {category} (HTTP {reply.status_code})", "http")
        if not reply.content.strip() or reply.content.strip() == b"ok":
            return None  # an abort is answered with an empty 200
        try:
            envelope = loads(reply.content)
        except ValueError:
            raise AnswerRefused(f"the terminal's answer to {category} is not JSON", "format") from None
        rejected = rejection(envelope)
        if rejected is not None:
            raise TerminalRejected(f"the terminal rejected {category}: {rejected}", "reject")
        try:
            root, message = unprotect(envelope, self.key)
        except ProtectionError as exc:
            raise AnswerRefused(f"the terminal's answer to {category} is refused: {exc}", exc.code) from None
        answer_header = message.get("MessageHeader") or {}
        if (
            root != "SaleToPOIResponse"
            or answer_header.get("ServiceID") != header["ServiceID"]
            or answer_header.get("MessageCategory") != category
            or answer_header.get("POIID") != self.poi
        ):
            raise AnswerRefused(f"the answer to {category} {header['ServiceID']} is for another request", "header")
        return message

    # -- reading answers --------------------------------------------------------------------------
