"""The lanes' configuration bundle: `GET /v1/config` on the lanes' port. The lane is the one
its certificate names; the answer is its bundle (base64), the bundle's version, the office's
signature over it and the office's configuration public key (which the lane pins the first
time and holds every later bundle to)."""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appliance.office.services import configuration
from appliance.office.services.office import Office
from appliance.office.web.lane_http import lane_call


def routes(office: Office) -> list[Route]:
    async def config(request: Request) -> Response:
        def served(lane: str, _: dict[str, Any]) -> dict[str, Any]:
            made, signature, public = configuration.serve(office, lane)
            return {
                "version": made.version,
                "bundle": base64.b64encode(made.data).decode("ascii"),
                "signature": signature,
                "public_key": public,
            }

        return await lane_call(request, served)

    return [Route("/v1/config", config)]
