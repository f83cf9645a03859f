"""A lane's calls for returns across lanes, on the lanes' port (mutual TLS): a receipt of
another lane found by its number, quantities held before a refund, a hold given back."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appliance.office.services import returns_across
from appliance.office.services.office import Office
from appliance.office.web.lane_http import MAX_BODY, lane_call


def routes(office: Office) -> list[Route]:
    async def receipt(request: Request) -> Response:
        number, store = request.path_params["number"], request.query_params.get("store")
        return await lane_call(request, lambda lane, _: returns_across.lookup(office, lane, number, store))

    async def hold(request: Request) -> Response:
        return await lane_call(
            request,
            lambda lane, d: returns_across.hold(office, lane, d.get("hold_key"), d.get("sale"), d.get("lines")),
            body_limit=MAX_BODY,
        )

    async def release(request: Request) -> Response:
        key = request.path_params["key"]
        return await lane_call(request, lambda lane, _: returns_across.release(office, lane, key))

    return [
        Route("/v1/receipts/{number}", receipt),
        Route("/v1/return-holds", hold, methods=["POST"]),
        Route("/v1/return-holds/{key}/release", release, methods=["POST"]),
    ]
