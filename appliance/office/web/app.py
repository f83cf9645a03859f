"""The office over HTTPS: two small apps on two ports.

The enrolment port (`/v1/ca`, `/v1/enrol`) takes TLS without a client certificate: a till
that is not enrolled yet has none, and its one-time token is what it shows instead. The
lanes' port asks every caller for a certificate signed by the office's CA and refuses the
handshake without one, so an unenrolled caller reaches no handler at all there.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from appliance.app.domain.errors import DomainError
from appliance.office.services import catalogue, enrolment, lane_events, lanes
from appliance.office.services.office import Office, Unavailable
from appliance.office.web import compliance as compliance_web
from appliance.office.web import configuration as configuration_web
from appliance.office.web import customers as customer_routes
from appliance.office.web import gift_cards as gift_card_routes
from appliance.office.web import returns_across
from appliance.office.web import updates as update_routes
from appliance.office.web.lane_http import error, json_body, lane_call, origin, peer, refused

MAX_BATCH_BODY = 8 * 1024 * 1024  # a batch of events: the till sends 500, some 200 KiB


async def _unavailable(request: Request, exc: Exception) -> Response:
    # Not the caller's fault, and not for good: a lane tries again later.
    return JSONResponse(
        {"error": "office_unavailable", "message": str(exc)}, status_code=503, headers={"Retry-After": "30"}
    )


def enrol_app(office: Office, lane_port: int) -> Starlette:
    async def ca(request: Request) -> Response:
        return PlainTextResponse(enrolment.ca_pem(office), media_type="application/x-pem-file")

    async def enrol(request: Request) -> Response:
        data = await json_body(request)
        if isinstance(data, JSONResponse):
            return data
        token, csr = data.get("token"), data.get("csr")
        if not isinstance(token, str) or not isinstance(csr, str):
            return refused("invalid_request", "send {token, csr}: the one-time token and a PEM request", 422)
        try:
            done = await run_in_threadpool(enrolment.enrol, office, token, csr, origin=origin(request))
        except DomainError as exc:
            return error(exc)
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


def lane_app(office: Office) -> Starlette:
    async def hello(request: Request) -> Response:
        def said(lane: str, _: dict[str, Any]) -> dict[str, Any]:
            return {k: str(v) if v is not None else None for k, v in lanes.hello(office, lane).items()}

        return await lane_call(request, said)

    async def events(request: Request) -> Response:
        """A batch of the lane's outbox: {events: [...], last_seq}. The answer's acked_seq is
        the highest seq held with none missing before it; the lane sends again after it."""
        where = origin(request)

        def ingest(lane: str, data: dict[str, Any]) -> dict[str, Any]:
            done = lane_events.ingest(office, lane, data.get("events"), data.get("last_seq", 0), where)
            return {
                "acked_seq": done.acked_seq,
                "stored": done.stored,
                "duplicates": done.duplicates,
                "refused": done.refused,
                "alarms": done.alarms,
            }

        return await lane_call(request, ingest, body_limit=MAX_BATCH_BODY)

    async def catalogue_feed(request: Request) -> Response:
        try:
            after = int(request.query_params.get("after", "0"))
            limit = int(request.query_params.get("limit", str(catalogue.PAGE)))
        except ValueError:
            if peer(request) is None:
                return refused("no_client_certificate", "a lane calls with its client certificate", 401)
            return refused("invalid_cursor", "after and limit are whole numbers", 422)
        return await lane_call(request, lambda lane, _: catalogue.feed(office, lane, after, limit))

    return Starlette(
        routes=[
            Route("/v1/hello", hello),
            Route("/v1/events", events, methods=["POST"]),
            Route("/v1/catalogue", catalogue_feed),
            *gift_card_routes.routes(office),
            *compliance_web.routes(office),
            *configuration_web.routes(office),
            *returns_across.routes(office),
            *customer_routes.routes(office),
            *update_routes.routes(office),
        ],
        exception_handlers={Unavailable: _unavailable},
    )
