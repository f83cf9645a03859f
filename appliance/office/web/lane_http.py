"""What every route of the office's ports shares: the caller's certificate, a JSON body, a
domain error's answer, and one call of a service in the thread pool (`lane_call`).

The server (`office/server.py`) puts the caller's certificate, as DER, in each request's scope
under `PEER_CERT`: uvicorn does not hand it to the app.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from appliance.app.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from appliance.security import pki

MAX_BODY = 16 * 1024  # a P-256 request is under 1 KiB; anything far larger is not one
PEER_CERT = "comptoir.peer_cert_der"  # set in the scope by the server for each TLS connection

_STATUS = {Invalid: 422, Conflict: 409, NotFound: 404, Forbidden: 403, Unauthenticated: 401, TooManyAttempts: 429}


def refused(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


def error(exc: DomainError) -> JSONResponse:
    """A refusal's answer: its code, its message and what it names (a conflict's other store…);
    a limit's `retry_after` as the Retry-After header too."""
    status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 422)
    wait = (exc.details or {}).get("retry_after")
    headers = {"Retry-After": str(wait)} if status == 429 and isinstance(wait, int) else None
    body = {"error": exc.code, "message": exc.message, **(exc.details or {})}
    return JSONResponse(body, status_code=status, headers=headers)


def peer_der(request: Request) -> bytes | None:
    """The caller's certificate. The handshake requires one on the lanes' port; None is only
    seen if the server was started without it, and then nobody is let in."""
    der = request.scope.get(PEER_CERT)
    return der if isinstance(der, bytes) else None


def peer(request: Request) -> str | None:
    """The caller's certificate's fingerprint, or None (see `peer_der`)."""
    der = peer_der(request)
    return pki.der_fingerprint(der) if der is not None else None


def origin(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def json_body(request: Request, limit: int = MAX_BODY) -> dict[str, Any] | JSONResponse:
    if "application/json" not in request.headers.get("content-type", ""):
        return refused("unsupported_media_type", "send JSON (Content-Type: application/json)", 415)
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return refused("too_large", f"the body must be at most {limit} bytes", 413)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return refused("invalid_json", "the body is not JSON", 400)
    if not isinstance(data, dict):
        return refused("invalid_json", "the body must be a JSON object", 400)
    return data


async def lane_call(
    request: Request, call: Callable[[str, dict[str, Any]], Any], *, body_limit: int | None = None
) -> Response:
    """A lane's call: its certificate's fingerprint (401 without one) and, with `body_limit`,
    its JSON body, given to `call` in the thread pool; the result as JSON, a refusal as its
    4xx."""
    fingerprint = peer(request)
    if fingerprint is None:
        return refused("no_client_certificate", "a lane calls with its client certificate", 401)
    data: dict[str, Any] = {}
    if body_limit is not None:
        got = await json_body(request, body_limit)
        if isinstance(got, JSONResponse):
            return got
        data = got
    try:
        result = await run_in_threadpool(call, fingerprint, data)
    except DomainError as exc:
        return error(exc)
    return JSONResponse(result)
