"""`GET /v1/update` on the lanes' port: which version the calling lane's store should run,
its bundle's SHA-256, and where to fetch it (services/updates.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appliance.office.services import updates
from appliance.office.services.office import Office
from appliance.office.web.lane_http import lane_call


def routes(office: Office) -> list[Route]:
    async def update(request: Request) -> Response:
        return await lane_call(request, lambda lane, _: updates.decide(office, lane))

    return [Route("/v1/update", update)]
