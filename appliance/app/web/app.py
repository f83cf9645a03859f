"""The Starlette application: routes, security headers, trusted hosts, errors."""

from __future__ import annotations

import contextlib
import functools
import importlib.resources
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appliance.app.domain.errors import DomainError
from appliance.app.services import devices
from appliance.app.services.shop import Shop
from appliance.app.web import pages, words
from appliance.app.web.endpoint import Endpoint
from appliance.app.web.hot_path import HotPath
from appliance.app.web.http import BadRequest, call_checked, handle_errors
from appliance.app.web.openapi import describe
from appliance.app.web.routes import all_endpoints
from appliance.app.web.workers import WORKERS
from appliance.security import web_headers

# The security headers are security/web_headers.py's, the office's back office's too.
HEADERS = web_headers.HEADERS


log = logging.getLogger("comptoir.web")
DRAIN_S = 10.0  # as long as a writer may wait for the store: longer is a fault, logged
INTERNAL_ERROR = json.dumps(
    {"error": {"code": "internal_error", "message": "something went wrong on our side; it was logged"}},
    separators=(",", ":"),
).encode()


class SecurityHeaders:
    """Adds the headers to every response, errors included; API answers are never cached, and
    static files are checked again each time they are used.
    Outermost, it is also where an unexpected exception becomes a 500 in JSON (with the
    headers), its traceback in the log and nothing of it in the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        no_store = scope["path"].startswith("/api/")
        # The screens' scripts are some thirty modules importing one another: after an upgrade
        # none may come from a browser's cache beside a newer one, so each is asked again
        # (a 304 by its ETag when it has not changed).
        revalidate = scope["path"].startswith("/static/")
        started = False

        async def wrapped(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", [])) + HEADERS
                if no_store:
                    headers.append((b"cache-control", b"no-store"))
                elif revalidate:
                    headers.append((b"cache-control", b"no-cache"))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, wrapped)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # the answer is under way: the server can only cut it short
            await wrapped(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(INTERNAL_ERROR)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": INTERNAL_ERROR})


async def healthz(request: Request) -> Response:
    shop: Shop | None = getattr(request.app.state, "shop", None)
    if shop is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    # The A/B health check (image/files/usr/local/sbin/comptoir-health) keeps a new slot only
    # when receipts can print: a till whose print worker died is not healthy.
    printer = shop.devices.printer if shop.devices is not None else None
    queue = "none" if printer is None else ("running" if printer.running else "stopped")
    return JSONResponse({"status": "ok", "print_queue": queue})


@functools.cache
def _description() -> dict[str, Any]:
    # Made at the first request for it, not at start: it walks every route's types (about
    # 70 ms), and a till starting up has customers waiting, not integrators.
    return describe()


async def openapi(request: Request) -> Response:
    return JSONResponse(_description())


def routes(checked: dict[tuple[str, str], Any] | None = None) -> list[BaseRoute]:
    """The routing table; `checked` receives each API handler by (method, path), for the hot path."""
    table: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/api/v1/openapi.json", openapi, methods=["GET"]),
    ]
    by_path: dict[str, dict[str, Any]] = {}
    for ep in all_endpoints():
        handler = by_path.setdefault(ep.path, {})[ep.method] = _checked(ep)
        if checked is not None:
            checked[(ep.method, ep.path)] = handler
    for path, methods in by_path.items():
        table.append(Route("/api/v1" + path, _dispatch(methods), methods=list(methods)))
    table += pages.routes()
    table += words.routes()
    static = importlib.resources.files("appliance.app.web") / "static"
    table.append(Mount("/static", app=StaticFiles(directory=str(static)), name="static"))
    return table


def _checked(ep: Endpoint) -> Any:
    """The handler behind the checks every route shares (ids and query values, endpoint.py)."""

    async def endpoint(request: Request) -> Response:
        return await call_checked(request, ep)

    endpoint.__name__ = ep.handler.__name__
    return endpoint


def _dispatch(methods: dict[str, Any]) -> Any:
    if len(methods) == 1:
        return next(iter(methods.values()))

    async def endpoint(request: Request) -> Response:
        handler = methods[request.method]
        response: Response = await handler(request)
        return response

    return endpoint


class App(Starlette):
    """Starlette, with the sale's three requests served first on a path of their own
    (hot_path.py); every other request, and any of those it does not plainly recognise, goes
    through the middleware and the router as before."""

    hot: HotPath | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        hot = self.hot
        found = hot.route(scope) if hot is not None else None
        if hot is None or found is None:
            await super().__call__(scope, receive, send)
            return
        endpoint, path_params = found
        # What Starlette and its router put in the scope on the way to a route.
        scope["app"] = self
        scope["router"] = self.router
        scope["path_params"] = path_params
        await hot.serve(endpoint, scope, receive, send)


def create_app(
    shop: Shop, allowed_hosts: tuple[str, ...] | None = None, *, start_devices: bool = True, hot_path: bool = True
) -> Starlette:
    """The app; hot_path=False serves the sale's requests through the full stack too (the
    tests compare the two)."""
    hosts = list(allowed_hosts or shop.config.allowed_hosts)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if start_devices and shop.devices is None:
            await run_in_threadpool(devices.start, shop)
        yield
        # uvicorn has let the requests end (or cancelled them, and each waits for its work):
        # no service call may still run when the devices, then the store, close.
        if not await WORKERS.drained(DRAIN_S):
            log.error("work still running %.0f s after the last request; closing the devices anyway", DRAIN_S)
        if shop.devices is not None:
            await run_in_threadpool(shop.devices.close)
            shop.devices = None

    checked: dict[tuple[str, str], Any] = {}
    app = App(
        lifespan=lifespan,
        routes=routes(checked),
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
        ],
        exception_handlers={
            DomainError: handle_errors,
            BadRequest: handle_errors,
            HTTPException: handle_errors,
        },
    )
    app.state.shop = shop
    if hot_path:
        app.hot = HotPath(checked, hosts, handle_errors, SecurityHeaders)
    return app
