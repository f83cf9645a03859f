"""A lane's customer calls on the lanes' port (mutual TLS): keep a customer's contact fields,
erase them, find a customer by an exact phone, e-mail or loyalty card
(services/customers.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from appliance.office.services import customers
from appliance.office.services.office import Office
from appliance.office.web.lane_http import MAX_BODY, lane_call


def routes(office: Office) -> list[Route]:
    async def find(request: Request) -> Response:
        """?phone=… | ?email=… | ?loyalty_card=…: the live customers that hold it."""
        query = dict(request.query_params)
        return await lane_call(request, lambda lane, _: customers.find(office, lane, query))

    async def put(request: Request) -> Response:
        """{customer_id, name, email, phone, loyalty_card, consent}: the lane's customer as it is now."""
        chain_id = request.path_params["chain_id"]
        return await lane_call(request, lambda lane, d: customers.put(office, lane, chain_id, d), body_limit=MAX_BODY)

    async def erase(request: Request) -> Response:
        chain_id = request.path_params["chain_id"]
        raw = request.query_params.get("customer_id")
        customer_id = int(raw) if raw and raw.isdigit() else None
        return await lane_call(request, lambda lane, _: customers.erase(office, lane, chain_id, customer_id))

    async def points(request: Request) -> Response:
        chain_id = request.path_params["chain_id"]
        return await lane_call(request, lambda lane, _: customers.points(office, lane, chain_id))

    async def hold(request: Request) -> Response:
        """{chain_id, points, key}: the points reserved for the lane's tender, or 409."""
        return await lane_call(
            request,
            lambda lane, d: customers.hold_points(office, lane, d.get("chain_id"), d.get("points"), d.get("key")),
            body_limit=MAX_BODY,
        )

    async def release(request: Request) -> Response:
        key = request.path_params["key"]
        return await lane_call(request, lambda lane, _: {"released": customers.release_points(office, lane, key)})

    return [
        Route("/v1/points/holds", hold, methods=["POST"]),
        Route("/v1/points/holds/{key}", release, methods=["DELETE"]),
        Route("/v1/customers/{chain_id}/points", points),
        Route("/v1/customers", find),
        Route("/v1/customers/{chain_id}", put, methods=["PUT"]),
        Route("/v1/customers/{chain_id}", erase, methods=["DELETE"]),
    ]
