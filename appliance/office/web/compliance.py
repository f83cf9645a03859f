"""The lanes' compliance reports coming in: `POST /v1/compliance` on the lanes' port
({report, signature}; services/compliance.py checks the signature against the caller's
certificate)."""

from __future__ import annotations

import json

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from appliance.app.domain.errors import DomainError, Forbidden
from appliance.office.services import compliance
from appliance.office.services.office import Office

MAX_BODY = 2 * compliance.MAX_REPORT  # the report as a JSON string, escapes and all


def _refused(code: str, message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status)


def routes(office: Office, peer_cert_key: str) -> list[Route]:
    """`peer_cert_key`: where the server puts the caller's certificate (DER) in the scope."""

    async def receive(request: Request) -> Response:
        der = request.scope.get(peer_cert_key)
        if not isinstance(der, bytes):
            return _refused("no_client_certificate", "a lane calls with its client certificate", 401)
        if "application/json" not in request.headers.get("content-type", ""):
            return _refused("unsupported_media_type", "send JSON (Content-Type: application/json)", 415)
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY:
                return _refused("too_large", f"the body must be at most {MAX_BODY} bytes", 413)
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return _refused("invalid_json", "the body is not JSON", 400)
        if not isinstance(data, dict):
            return _refused("invalid_json", "send {report, signature}", 400)
        origin = request.client.host if request.client else "unknown"
        try:
            done = await run_in_threadpool(
                compliance.receive, office, der, data.get("report"), data.get("signature"), origin
            )
        except Forbidden as exc:
            return _refused(exc.code, exc.message, 403)
        except DomainError as exc:
            return _refused(exc.code, exc.message, 422)
        return JSONResponse(done)

    return [Route("/v1/compliance", receive, methods=["POST"])]
