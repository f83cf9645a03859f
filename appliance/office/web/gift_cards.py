"""A lane's gift card questions on the lanes' port (mutual TLS): look a card up, hold an
amount for a tender, release a hold (services/gift_cards.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from appliance.app.domain.errors import DomainError
from appliance.office.services import gift_cards
from appliance.office.services.office import Office

Peer = Callable[[Request], str | None]
Body = Callable[[Request], Awaitable[dict[str, Any] | JSONResponse]]
Error = Callable[[DomainError], JSONResponse]


def _no_certificate() -> JSONResponse:
    return JSONResponse(
        {"error": "no_client_certificate", "message": "a lane calls with its client certificate"}, status_code=401
    )


def routes(office: Office, peer: Peer, body: Body, error: Error) -> list[Route]:
    """The routes, given the lane app's own helpers (the caller's fingerprint, a JSON body, an
    error's answer) so that every route of the port answers alike."""

    async def lookup(request: Request) -> Response:
        fingerprint = peer(request)
        if fingerprint is None:
            return _no_certificate()
        try:
            found = await run_in_threadpool(gift_cards.lookup, office, fingerprint, request.path_params["ref"])
        except DomainError as exc:
            return error(exc)
        return JSONResponse(found)

    async def hold(request: Request) -> Response:
        """{card_ref, amount, key}: the amount reserved for the lane's tender, or 409."""
        fingerprint = peer(request)
        if fingerprint is None:
            return _no_certificate()
        data = await body(request)
        if isinstance(data, JSONResponse):
            return data
        try:
            held = await run_in_threadpool(
                gift_cards.hold, office, fingerprint, data.get("card_ref"), data.get("amount"), data.get("key")
            )
        except DomainError as exc:
            return error(exc)
        return JSONResponse(held)

    async def release(request: Request) -> Response:
        fingerprint = peer(request)
        if fingerprint is None:
            return _no_certificate()
        try:
            done = await run_in_threadpool(gift_cards.release, office, fingerprint, request.path_params["key"])
        except DomainError as exc:
            return error(exc)
        return JSONResponse({"released": done})

    return [
        Route("/v1/gift-cards/holds", hold, methods=["POST"]),
        Route("/v1/gift-cards/holds/{key}", release, methods=["DELETE"]),
        Route("/v1/gift-cards/{ref}", lookup),
    ]
