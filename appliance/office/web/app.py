"""The office over HTTPS: two small apps on two ports.

The enrolment port (`/v1/ca`, `/v1/enrol`) takes TLS without a client certificate: a till
that is not enrolled yet has none, and its one-time token is what it shows instead. The
lanes' port asks every caller for a certificate signed by the office's CA and refuses the
handshake without one, so an unenrolled caller reaches no handler at all there.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from appliance.app.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
)
from appliance.office.services import catalogue, enrolment, lane_events, lanes
from appliance.office.services.office import Office, Unavailable
from appliance.office.web import compliance as compliance_web
from appliance.office.web import gift_cards as gift_card_routes
from appliance.security import pki

MAX_BODY = 16 * 1024  # a P-256 request is under 1 KiB; anything far larger is not one
MAX_BATCH_BODY = 8 * 1024 * 1024  # a batch of events: the till sends 500, some 200 KiB
PEER_CERT = "comptoir.peer_cert_der"  # set in the scope by the server for each TLS connection

_STATUS = {Invalid: 422, Conflict: 409, NotFound: 404, Forbidden: 403, Unauthenticated: 401}


def _error(exc: DomainError) -> JSONResponse:
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 422)
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=status)


def _refused(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


async def _json_body(request: Request, limit: int = MAX_BODY) -> dict[str, Any] | JSONResponse:
    if "application/json" not in request.headers.get("content-type", ""):
        return _refused("unsupported_media_type", "send JSON (Content-Type: application/json)", 415)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return _refused("too_large", f"the body must be at most {limit} bytes", 413)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _refused("invalid_json", "the body is not JSON", 400)
    if not isinstance(data, dict):
        return _refused("invalid_json", "the body must be a JSON object", 400)
    return data


async def _unavailable(request: Request, exc: Exception) -> Response:
    # Not the caller's fault, and not for good: a lane tries again later.
    return JSONResponse(
        {"error": "office_unavailable", "message": str(exc)}, status_code=503, headers={"Retry-After": "30"}
    )


def _origin(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def enrol_app(office: Office, lane_port: int) -> Starlette:
    async def ca(request: Request) -> Response:
        return PlainTextResponse(enrolment.ca_pem(office), media_type="application/x-pem-file")

    async def enrol(request: Request) -> Response:
        data = await _json_body(request)
        if isinstance(data, JSONResponse):
            return data
        token, csr = data.get("token"), data.get("csr")
        if not isinstance(token, str) or not isinstance(csr, str):
            return _refused("invalid_request", "send {token, csr}: the one-time token and a PEM request", 422)
        try:
            done = await run_in_threadpool(enrolment.enrol, office, token, csr, origin=_origin(request))
        except DomainError as exc:
            return _error(exc)
        return JSONResponse(
            {
                "store": done.store,
                "till": done.till,
                "certificate": done.certificate,
                "ca": done.ca,
                "lane_port": lane_port,  # where the lane calls from now on, with its certificate
            }
        )

    return Starlette(
        routes=[Route("/v1/ca", ca), Route("/v1/enrol", enrol, methods=["POST"])],
        exception_handlers={Unavailable: _unavailable},
    )


def _peer(request: Request) -> str | None:
    """The caller's certificate's fingerprint. The handshake requires one; None is only seen
    if the server was started without it, and then nobody is let in."""
    der = request.scope.get(PEER_CERT)
    return pki.der_fingerprint(der) if isinstance(der, bytes) else None


def lane_app(office: Office) -> Starlette:
    async def hello(request: Request) -> Response:
        peer = _peer(request)
        if peer is None:
            return _refused("no_client_certificate", "a lane calls with its client certificate", 401)
        try:
            lane = await run_in_threadpool(lanes.hello, office, peer)
        except DomainError as exc:
            return _error(exc)
        return JSONResponse({k: str(v) if v is not None else None for k, v in lane.items()})

    async def events(request: Request) -> Response:
        """A batch of the lane's outbox: {events: [...], last_seq}. The answer's acked_seq is
        the highest seq held with none missing before it; the lane sends again after it."""
        peer = _peer(request)
        if peer is None:
            return _refused("no_client_certificate", "a lane calls with its client certificate", 401)
        data = await _json_body(request, MAX_BATCH_BODY)
        if isinstance(data, JSONResponse):
            return data
        try:
            done = await run_in_threadpool(
                lane_events.ingest, office, peer, data.get("events"), data.get("last_seq", 0), _origin(request)
            )
        except DomainError as exc:
            return _error(exc)
        return JSONResponse(
            {
                "acked_seq": done.acked_seq,
                "stored": done.stored,
                "duplicates": done.duplicates,
                "refused": done.refused,
                "alarms": done.alarms,
            }
        )

    async def catalogue_feed(request: Request) -> Response:
        der = request.scope.get(PEER_CERT)
        if not isinstance(der, bytes):
            return _refused("no_client_certificate", "a lane calls with its client certificate", 401)
        try:
            after = int(request.query_params.get("after", "0"))
            limit = int(request.query_params.get("limit", str(catalogue.PAGE)))
        except ValueError:
            return _refused("invalid_cursor", "after and limit are whole numbers", 422)
        try:
            page = await run_in_threadpool(catalogue.feed, office, pki.der_fingerprint(der), after, limit)
        except DomainError as exc:
            return _error(exc)
        return JSONResponse(page)

    return Starlette(
        routes=[
            Route("/v1/hello", hello),
            Route("/v1/events", events, methods=["POST"]),
            Route("/v1/catalogue", catalogue_feed),
            *gift_card_routes.routes(office, _peer, _json_body, _error),
            *compliance_web.routes(office, PEER_CERT),
        ],
        exception_handlers={Unavailable: _unavailable},
    )
