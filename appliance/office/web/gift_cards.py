"""A lane's gift card questions on the lanes' port (mutual TLS): look a card up, hold an
amount for a tender, release a hold (services/gift_cards.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appliance.office.services import gift_cards
from appliance.office.services.office import Office
from appliance.office.web.lane_http import MAX_BODY, lane_call


def routes(office: Office) -> list[Route]:
    async def lookup(request: Request) -> Response:
        ref = request.path_params["ref"]
        return await lane_call(request, lambda lane, _: gift_cards.lookup(office, lane, ref))

    async def hold(request: Request) -> Response:
        """{card_ref, amount, key}: the amount reserved for the lane's tender, or 409."""
        return await lane_call(
            request,
            lambda lane, d: gift_cards.hold(office, lane, d.get("card_ref"), d.get("amount"), d.get("key")),
            body_limit=MAX_BODY,
        )

    async def release(request: Request) -> Response:
        key = request.path_params["key"]
        return await lane_call(request, lambda lane, _: {"released": gift_cards.release(office, lane, key)})

    return [
        Route("/v1/gift-cards/holds", hold, methods=["POST"]),
        Route("/v1/gift-cards/holds/{key}", release, methods=["DELETE"]),
        Route("/v1/gift-cards/{ref}", lookup),
    ]
