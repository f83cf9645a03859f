"""A simulated card acquirer: its own Starlette app on loopback, speaking the protocol of
docs/acquirer-protocol.md, for development (`make run`) and tests.

Behaviour is chosen by the card's last four digits, so that any Luhn-valid number works and
no card number needs to be written in this file (the table of public test numbers is in
docs/acquirer-protocol.md):

    0002 declined, do_not_honor          9995 declined, insufficient_funds
    0069 declined, expired_card          0010 partial approval (half the amount)
    0036 approved, answer 30 s late      0085 approved, then the connection drops
    0028 503 "not processed" (nothing recorded)
    anything else: approved. A past expiry date is declined expired_card.

Idempotent on the idempotency key: the same key with the same request returns the first
record (at once, even for the slow and dropping cards); with a different request, 409.

The in-flight window: a new authorisation is processed only if it arrives within
`in_flight_window` seconds of its `sent_at`; later it is refused (409 request_expired) and
nothing is recorded. So "not found" for a key is final once the window has passed since
the client last sent it (docs/acquirer-protocol.md).

State lives in memory and, with `--state FILE`, in a JSON file written after each change,
so that a restarted POS (or a restarted simulator) can look records up. Neither holds a
card number, nor anything a number can be recovered from: a record keeps brand, last four
and a digest of the request *without* the number (amount, currency, last four, expiry,
capture). A retried request is also matched on its number, but through an HMAC under a key
made for this run and never written anywhere: that digest lives in memory only, so a state
file (or a copy of it) cannot be searched for the number, and after a restart a retry is
matched on the rest of the request. A state file written before this (with a "secret" and
digests of numbers) loses both the first time it is read.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import ipaddress
import json
import os
import secrets
import socket
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from appliance.app.domain.card import detect_brand, luhn_ok
from appliance.drivers.acquirer_protocol import IN_FLIGHT_WINDOW_SECONDS, SENT_AT_FORMAT

# Starlette and uvicorn are imported where they are used, so that `comptoir` (which builds
# its parser from add_arguments below) does not pay for them on every command.
if TYPE_CHECKING:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response

DEFAULT_HANG_SECONDS = 30.0

# last four digits -> what happens. Kept by suffix on purpose (see the module docstring).
DECLINES = {"0002": "do_not_honor", "9995": "insufficient_funds", "0069": "expired_card"}
PARTIAL = "0010"
HANG = "0036"
DROP = "0085"
UNAVAILABLE = "0028"


@dataclass
class Record:
    id: str
    idempotency_key: str
    request_digest: str
    reference: str | None
    status: str  # approved | partial | declined
    requested_amount: int
    approved_amount: int
    currency: str
    auth_code: str | None
    decline_code: str | None
    brand: str | None
    last_four: str
    created_at: str
    captured_amount: int = 0
    refunded_amount: int = 0
    voided: bool = False
    refunds: list[dict[str, Any]] = field(default_factory=list)

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        del data["request_digest"]
        return data


class Acquirer:
    """The simulator's books: authorisations and refunds, by id and by idempotency key."""

    def __init__(
        self,
        state_file: Path | None = None,
        hang_seconds: float = DEFAULT_HANG_SECONDS,
        in_flight_window: float = IN_FLIGHT_WINDOW_SECONDS,
    ):
        self.state_file = state_file
        self.hang_seconds = hang_seconds
        self.in_flight_window = in_flight_window
        self.records: dict[str, Record] = {}
        self.by_key: dict[str, str] = {}
        self.refunds_by_key: dict[str, tuple[str, int]] = {}  # key -> (auth id, index)
        # This run's key for the card digests below: in memory only, never saved.
        self.run_key = secrets.token_bytes(32)
        self.card_digests: dict[str, str] = {}  # idempotency key -> HMAC(run_key, number)
        if state_file is not None and state_file.exists():
            self._load(state_file)

    def _load(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        legacy = "secret" in data
        for raw in data["records"]:
            record = Record(**raw)
            if legacy:
                record.request_digest = ""  # a digest of the number: dropped, never compared
            self._index(record)
        if legacy:
            self.save()  # the old secret and digests of numbers leave the disk now

    def same_request(self, record: Record, key: str, request: str, card: str) -> bool:
        """Whether a request under a used key is the one first recorded."""
        known = self.card_digests.get(key)
        if known is not None and not hmac.compare_digest(known, card):
            return False
        if record.request_digest:
            return hmac.compare_digest(record.request_digest, request)
        return True  # from a state file of an older simulator: what it kept matched already

    def _index(self, record: Record) -> None:
        self.records[record.id] = record
        self.by_key[record.idempotency_key] = record.id
        for index, refund in enumerate(record.refunds):
            self.refunds_by_key[refund["idempotency_key"]] = (record.id, index)

    def save(self) -> None:
        if self.state_file is None:
            return
        data = {"records": [asdict(r) for r in self.records.values()]}
        tmp = self.state_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.state_file)

    def card_digest(self, number: str) -> str:
        """The number under this run's key: kept in memory, to tell a retry from another card."""
        return hmac.new(self.run_key, number.encode("ascii"), hashlib.sha256).hexdigest()


def request_digest(amount: int, currency: str, last_four: str, month: int, year: int, capture: bool) -> str:
    """What a retried request must repeat, without the card number: safe to save."""
    text = f"{amount}|{currency}|{last_four}|{month}|{year}|{capture}".encode()
    return hashlib.sha256(text).hexdigest()


def _error(status: int, code: str, message: str) -> JSONResponse:
    from starlette.responses import JSONResponse

    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def _json_body(request: Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _age(sent_at: Any) -> float | None:
    """Seconds since a request's `sent_at` (negative if stamped ahead), None if unreadable."""
    if not isinstance(sent_at, str):
        return None
    try:
        moment = datetime.strptime(sent_at, SENT_AT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None
    return (datetime.now(UTC) - moment).total_seconds()


def _expired(month: int, year: int) -> bool:
    today = date.today()
    year = year + 2000 if year < 100 else year
    return (year, month) < (today.year, today.month)


def _decide(last_four: str, amount: int, expired: bool, allow_partial: bool) -> tuple[str, int, str | None]:
    """(status, approved amount, decline code) for a card ending in last_four."""
    if expired:
        return "declined", 0, "expired_card"
    if last_four in DECLINES:
        return "declined", 0, DECLINES[last_four]
    if last_four == PARTIAL and amount > 1:
        if not allow_partial:
            return "declined", 0, "insufficient_funds"
        return "partial", amount // 2, None
    return "approved", amount, None


_TRANSPORTS: dict[tuple[str, int], asyncio.Transport] = {}


def _droppable_protocol() -> type[asyncio.Protocol]:
    """uvicorn's HTTP/1.1 protocol, remembering each connection's transport by peer address,
    so that the "connection drops" card can close the socket without sending an answer.
    ASGI itself has no way to say "no response at all".
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class DroppableH11Protocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            peer = transport.get_extra_info("peername")
            if isinstance(peer, tuple):
                _TRANSPORTS[(str(peer[0]), int(peer[1]))] = transport

        def connection_lost(self, exc: Exception | None) -> None:
            for peer, transport in list(_TRANSPORTS.items()):
                if transport is self.transport:
                    del _TRANSPORTS[peer]
            super().connection_lost(exc)

    return DroppableH11Protocol


async def _drop_connection(request: Request) -> Response:
    from starlette.responses import Response

    client = request.scope.get("client")
    transport = _TRANSPORTS.get((str(client[0]), int(client[1]))) if client else None
    if transport is None:
        # Served some other way (a test client): the nearest thing is no valid answer.
        raise ConnectionAbortedError("simulated dropped connection")
    transport.abort()
    await asyncio.sleep(0.05)  # let uvicorn see the disconnect before the app returns
    return Response(status_code=204)  # never reaches the client: the socket is gone


def create_app(acquirer: Acquirer) -> Starlette:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def authorise(request: Request) -> Response:
        body = await _json_body(request)
        if body is None:
            return _error(400, "malformed", "the body is a JSON object")
        key = body.get("idempotency_key") or request.headers.get("idempotency-key")
        amount = _int(body.get("amount"))
        currency = body.get("currency")
        card = body.get("card")
        if not isinstance(key, str) or not 8 <= len(key) <= 128:
            return _error(400, "idempotency_key_required", "an idempotency key of 8-128 chars")
        if amount is None or amount <= 0:
            return _error(400, "invalid_amount", "amount is a positive integer in minor units")
        if not isinstance(currency, str) or len(currency) != 3:
            return _error(400, "invalid_currency", "currency is an ISO 4217 code")
        if not isinstance(card, dict):
            return _error(400, "card_required", "card: {number, exp_month, exp_year}")
        number, month, year = (
            card.get("number"),
            _int(card.get("exp_month")),
            _int(card.get("exp_year")),
        )
        if not isinstance(number, str) or not number.isdigit() or not 13 <= len(number) <= 19:
            return _error(422, "invalid_card", "the card number is not 13 to 19 digits")
        if not luhn_ok(number):
            return _error(422, "invalid_card", "the card number fails the Luhn check")
        if month is None or year is None or not 1 <= month <= 12:
            return _error(422, "invalid_expiry", "exp_month 1-12 and exp_year are integers")
        merchant_reference = str(body["reference"])[:64] if body.get("reference") else None
        capture = bool(body.get("capture", False))
        allow_partial = bool(body.get("allow_partial", True))
        age = _age(body.get("sent_at"))
        last_four = number[-4:]
        digest = request_digest(amount, currency, last_four, month, year, capture)
        card_digest = acquirer.card_digest(number)
        brand = detect_brand(number)
        del number, card, body  # nothing below needs the number

        existing = acquirer.by_key.get(key)
        if existing is not None:
            record = acquirer.records[existing]
            if not acquirer.same_request(record, key, digest, card_digest):
                return _error(409, "idempotency_conflict", "this key was used for another request")
            return JSONResponse(record.public())
        if age is None:
            return _error(400, "sent_at_required", "sent_at: when the request left, UTC, %Y-%m-%dT%H:%M:%S.%fZ")
        if age > acquirer.in_flight_window:
            # Past the in-flight window the client may already have settled it as "nothing
            # was charged": it is never processed, then or later.
            return _error(409, "request_expired", "this request is older than the in-flight window: not processed")
        if last_four == UNAVAILABLE:
            return _error(503, "unavailable", "the issuer is unavailable: not processed")

        status, approved, decline = _decide(last_four, amount, _expired(month, year), allow_partial)
        record = Record(
            id="auth_" + secrets.token_urlsafe(12),
            idempotency_key=key,
            request_digest=digest,
            reference=merchant_reference,
            status=status,
            requested_amount=amount,
            approved_amount=approved,
            currency=currency.upper(),
            auth_code=f"{secrets.randbelow(10**6):06d}" if approved else None,
            decline_code=decline,
            brand=brand.code if brand else None,
            last_four=last_four,
            created_at=_now(),
        )
        if capture and approved:
            record.captured_amount = approved
        acquirer.card_digests[key] = card_digest
        acquirer._index(record)
        acquirer.save()
        if last_four == DROP:
            return await _drop_connection(request)
        if last_four == HANG:
            await asyncio.sleep(acquirer.hang_seconds)
        return JSONResponse(record.public())

    async def find(request: Request) -> Response:
        key = request.query_params.get("idempotency_key")
        if not key:
            return _error(400, "idempotency_key_required", "?idempotency_key=…")
        auth_id = acquirer.by_key.get(key)
        if auth_id is None:
            return _error(404, "not_found", "no authorisation with this idempotency key")
        return JSONResponse(acquirer.records[auth_id].public())

    def _record(request: Request) -> Record | None:
        return acquirer.records.get(str(request.path_params["auth_id"]))

    async def get(request: Request) -> Response:
        record = _record(request)
        if record is None:
            return _error(404, "not_found", "no such authorisation")
        return JSONResponse(record.public())

    async def capture(request: Request) -> Response:
        record = _record(request)
        if record is None:
            return _error(404, "not_found", "no such authorisation")
        body = await _json_body(request) or {}
        amount = _int(body.get("amount", record.approved_amount))
        if record.status == "declined":
            return _error(409, "not_approved", "a declined authorisation cannot be captured")
        if record.voided:
            return _error(409, "voided", "this authorisation was voided")
        if record.captured_amount:
            return JSONResponse(record.public())  # captured already: the same answer
        if amount is None or not 0 < amount <= record.approved_amount:
            return _error(400, "invalid_amount", "capture 1 to the approved amount")
        record.captured_amount = amount
        acquirer.save()
        return JSONResponse(record.public())

    async def void(request: Request) -> Response:
        record = _record(request)
        if record is None:
            return _error(404, "not_found", "no such authorisation")
        if record.status == "declined":
            return _error(409, "not_approved", "a declined authorisation holds no money")
        if record.refunded_amount:
            return _error(409, "refunded", "refunded authorisations cannot be voided")
        record.voided = True
        acquirer.save()
        return JSONResponse(record.public())

    async def refund(request: Request) -> Response:
        record = _record(request)
        if record is None:
            return _error(404, "not_found", "no such authorisation")
        body = await _json_body(request)
        if body is None:
            return _error(400, "malformed", "the body is a JSON object")
        key = body.get("idempotency_key") or request.headers.get("idempotency-key")
        amount = _int(body.get("amount"))
        if not isinstance(key, str) or not 8 <= len(key) <= 128:
            return _error(400, "idempotency_key_required", "an idempotency key of 8-128 chars")
        if key in acquirer.refunds_by_key:
            auth_id, index = acquirer.refunds_by_key[key]
            done = acquirer.records[auth_id].refunds[index]
            if auth_id != record.id or done["amount"] != amount:
                return _error(409, "idempotency_conflict", "this key was used for another refund")
            return JSONResponse(done)
        if record.voided or not record.captured_amount:
            return _error(409, "not_captured", "only captured money can be refunded")
        if amount is None or not 0 < amount <= record.captured_amount - record.refunded_amount:
            return _error(400, "invalid_amount", "refund 1 to what is left of the capture")
        done = {
            "id": "rf_" + secrets.token_urlsafe(12),
            "authorisation": record.id,
            "idempotency_key": key,
            "amount": amount,
            "currency": record.currency,
            "status": "refunded",
            "decline_code": None,
            "created_at": _now(),
        }
        record.refunds.append(done)
        record.refunded_amount += amount
        acquirer.refunds_by_key[key] = (record.id, len(record.refunds) - 1)
        acquirer.save()
        return JSONResponse(done)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok", "authorisations": len(acquirer.records)})

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/v1/authorisations", authorise, methods=["POST"]),
            Route("/v1/authorisations", find, methods=["GET"]),
            Route("/v1/authorisations/{auth_id}", get, methods=["GET"]),
            Route("/v1/authorisations/{auth_id}/capture", capture, methods=["POST"]),
            Route("/v1/authorisations/{auth_id}/void", void, methods=["POST"]),
            Route("/v1/authorisations/{auth_id}/refunds", refund, methods=["POST"]),
        ]
    )


def _check_loopback(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise ValueError(f"the simulated acquirer listens on loopback only, not {host}")


def serve(
    host: str = "127.0.0.1",
    port: int = 8788,
    *,
    state_file: Path | None = None,
    hang_seconds: float = DEFAULT_HANG_SECONDS,
    announce: bool = True,
    in_flight_window: float = IN_FLIGHT_WINDOW_SECONDS,
) -> None:
    """Runs the simulator until SIGINT/SIGTERM. Port 0 picks a free port; the line
    `acquirer-sim listening on http://HOST:PORT` on stdout says which."""
    _check_loopback(host)
    acquirer = Acquirer(state_file, hang_seconds, in_flight_window)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)  # connections made before uvicorn starts wait instead of being refused
    bound = sock.getsockname()[1]
    import uvicorn

    config = uvicorn.Config(
        create_app(acquirer),
        http=_droppable_protocol(),
        lifespan="off",
        log_level="warning",
        access_log=False,
        # A "hangs for 30 s" request must not hold a stop for 30 s.
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    if announce:
        print(f"acquirer-sim listening on http://{host}:{bound}", flush=True)
    with contextlib.closing(sock):
        server.run(sockets=[sock])


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8788, help="port; 0 picks a free one")
    parser.add_argument("--state", type=Path, default=None, help="JSON file to keep records in")
    parser.add_argument(
        "--hang-seconds",
        type=float,
        default=DEFAULT_HANG_SECONDS,
        help="how long the slow test card waits before answering (default 30)",
    )
    parser.add_argument(
        "--in-flight-window",
        type=float,
        default=IN_FLIGHT_WINDOW_SECONDS,
        help=f"seconds after its sent_at past which a request is never processed ({IN_FLIGHT_WINDOW_SECONDS:g})",
    )


def run_acquirer_serve(args: argparse.Namespace) -> int:
    """`comptoir acquirer serve`: 0 on a clean stop, 2 for bad usage."""
    if not 0 <= args.port <= 65535:
        print("acquirer serve: --port is 0 to 65535", file=sys.stderr)
        return 2
    if not 0 < args.in_flight_window <= 86400:
        print("acquirer serve: --in-flight-window is 0 to 86400 seconds", file=sys.stderr)
        return 2
    try:
        serve(
            args.host,
            args.port,
            state_file=args.state,
            hang_seconds=args.hang_seconds,
            in_flight_window=args.in_flight_window,
        )
    except (ValueError, OSError) as exc:
        print(f"acquirer serve: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m appliance.drivers.acquirer_sim")
    add_arguments(parser)
    return run_acquirer_serve(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
