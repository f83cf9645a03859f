"""A lane's calls for returns across lanes, on the lanes' port (mutual TLS): a receipt of
another lane found by its number, quantities held before a refund, a hold given back.

`app.lane_app` adds these routes and hands in its own helpers (the caller's certificate, a
domain error's answer, a JSON body), so that this module does not import the app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from appliance.app.domain.errors import DomainError
from appliance.office.services import returns_across
from appliance.office.services.office import Office

Peer = Callable[[Request], str | None]
Error = Callable[[DomainError], JSONResponse]
Body = Callable[[Request], Awaitable[dict[str, Any] | JSONResponse]]


def _no_certificate() -> JSONResponse:
    return JSONResponse(
        {"error": "no_client_certificate", "message": "a lane calls with its client certificate"}, status_code=401
    )


def _answer(error: Error, exc: DomainError) -> JSONResponse:
    answer = error(exc)
    if exc.details:
        body: dict[str, Any] = {"error": exc.code, "message": str(exc), **exc.details}
        return JSONResponse(body, status_code=answer.status_code)
    return answer


def routes(office: Office, peer: Peer, error: Error, body: Body) -> list[Route]:
    async def receipt(request: Request) -> Response:
        fingerprint = peer(request)
        if fingerprint is None:
            return _no_certificate()
        try:
            found = await run_in_threadpool(
                returns_across.lookup,
                office,
                fingerprint,
                request.path_params["number"],
                request.query_params.get("store"),
            )
        except DomainError as exc:
            return _answer(error, exc)
        return JSONResponse(found)

    async def hold(request: Request) -> Response:
        fingerprint = peer(request)
        if fingerprint is None:
            return _no_certificate()
        data = await body(request)
        if isinstance(data, JSONResponse):
            return data
        try:
            held = await run_in_threadpool(
                returns_across.hold, office, fingerprint, data.get("hold_key"), data.get("sale"), data.get("lines")
            )
        except DomainError as exc:
            return _answer(error, exc)
        return JSONResponse(held)

    async def release(request: Request) -> Response:
        fingerprint = peer(request)
        if fingerprint is None:
            return _no_certificate()
        try:
            done = await run_in_threadpool(returns_across.release, office, fingerprint, request.path_params["key"])
        except DomainError as exc:
            return _answer(error, exc)
        return JSONResponse(done)

    return [
        Route("/v1/receipts/{number}", receipt),
        Route("/v1/return-holds", hold, methods=["POST"]),
        Route("/v1/return-holds/{key}/release", release, methods=["POST"]),
    ]
