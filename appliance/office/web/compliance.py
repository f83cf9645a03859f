"""The lanes' compliance reports coming in: `POST /v1/compliance` on the lanes' port
({report, signature}; services/compliance.py checks the signature against the caller's
certificate)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from appliance.app.domain.errors import DomainError
from appliance.office.services import compliance
from appliance.office.services.office import Office
from appliance.office.web.lane_http import error, json_body, origin, peer_der, refused

MAX_BODY = 2 * compliance.MAX_REPORT  # the report as a JSON string, escapes and all


def routes(office: Office) -> list[Route]:
    async def receive(request: Request) -> Response:
        der = peer_der(request)  # the signature is checked against the certificate itself
        if der is None:
            return refused("no_client_certificate", "a lane calls with its client certificate", 401)
        data = await json_body(request, MAX_BODY)
        if isinstance(data, JSONResponse):
            return data
        try:
            done = await run_in_threadpool(
                compliance.receive, office, der, data.get("report"), data.get("signature"), origin(request)
            )
        except DomainError as exc:
            return error(exc)
        return JSONResponse(done)

    return [Route("/v1/compliance", receive, methods=["POST"])]
