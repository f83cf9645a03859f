"""API for the till's devices: the receipt printer's queue, reprints and cancels, the cash
drawer's "no sale", and two server-sent event streams — scans from the backend's scanners
for the cashier screen, and the sale for the customer display."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from appliance.app.domain.errors import Conflict
from appliance.app.services import drawer, receipt_printer
from appliance.app.services.auth import require
from appliance.app.services.broadcast import Broadcast
from appliance.app.web.api import EMPTY, _sale_id, ok
from appliance.app.web.endpoint import Endpoint
from appliance.app.web.http import actor, ascii_int, call, int_param, json_body, shop_of
from appliance.security.rbac import Permission

NO_SALE = {
    "type": "object",
    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 200}},
    "required": ["reason"],
    "additionalProperties": False,
}

KEEP_ALIVE = 15.0  # seconds of quiet before a comment line: finds a screen that went away
RETRY_MS = 1000  # how soon a screen's EventSource reconnects after the stream ends


async def printer_state(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(receipt_printer.state, shop_of(request), who))


async def reprint(request: Request) -> Response:
    who = await actor(request)
    sale_id = _sale_id(request)
    await json_body(request, EMPTY)
    approval = request.headers.get("x-approval")
    return ok(await call(receipt_printer.reprint, shop_of(request), who, sale_id, approval), 201)


async def cancel_print_job(request: Request) -> Response:
    who = await actor(request)
    job_id = int_param(request.path_params["job_id"], "print job id")
    await json_body(request, EMPTY)
    approval = request.headers.get("x-approval")
    return ok(await call(receipt_printer.cancel, shop_of(request), who, job_id, approval))


async def open_drawer(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, NO_SALE)
    approval = request.headers.get("x-approval")
    return ok(await call(drawer.open_drawer, shop_of(request), who, body["reason"], approval))


def _feed(request: Request, name: str) -> Broadcast:
    devices = shop_of(request).devices
    feed: Broadcast | None = None
    if name == "scans" and devices is not None and devices.scans is not None:
        feed = devices.scans.scans
    if name == "display" and devices is not None and devices.display is not None:
        feed = devices.display.feed
    if feed is None:
        raise Conflict("the till's devices are not started", "devices_not_started")
    return feed


def _last_id(request: Request) -> int | None:
    return ascii_int(request.headers.get("last-event-id", ""))


async def _event_stream(request: Request, feed: Broadcast, event: str) -> Response:
    """text/event-stream: one `event` per item, its id for Last-Event-ID on reconnect."""
    subscription = feed.subscribe(_last_id(request))

    async def body() -> AsyncIterator[bytes]:
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            while True:
                try:
                    item = await subscription.next(KEEP_ALIVE)
                except EOFError:
                    return  # the till is shutting down; the screen reconnects to the next one
                if item is None:
                    yield b": keep-alive\n\n"
                    continue
                data = json.dumps(item.data, separators=(",", ":"))
                yield f"id: {item.id}\nevent: {event}\ndata: {data}\n\n".encode()
        finally:
            subscription.close()

    return StreamingResponse(body(), media_type="text/event-stream", headers={"x-accel-buffering": "no"})


async def scan_stream(request: Request) -> Response:
    who = await actor(request)
    await call(require, shop_of(request), who, Permission.SELL)
    return await _event_stream(request, _feed(request, "scans"), "scan")


async def display_stream(request: Request) -> Response:
    who = await actor(request)
    await call(require, shop_of(request), who, Permission.SELL)
    return await _event_stream(request, _feed(request, "display"), "sale")


SSE: dict[str, Any] = {"description": "server-sent events; reconnect with Last-Event-ID"}

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        "/printer",
        printer_state,
        "The receipt printer's queue: prints waiting and the problem in words",
        "cashier+",
        statuses=(200, 401, 403),
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/reprint",
        reprint,
        "Print the receipt again, marked COPY (audited)",
        "reprint",
        statuses=(201, 400, 401, 403, 404, 409),
        headers=("X-Approval",),
    ),
    Endpoint(
        "POST",
        "/print-jobs/{job_id}/cancel",
        cancel_print_job,
        "Stop a print job that has not printed (audited)",
        "reprint",
        statuses=(200, 400, 401, 403, 404, 409),
        headers=("X-Approval",),
    ),
    Endpoint(
        "POST",
        "/drawer/open",
        open_drawer,
        "Open the cash drawer without a sale, now (audited)",
        "no_sale",
        NO_SALE,
        statuses=(200, 400, 401, 403, 409, 422),
        headers=("X-Approval",),
    ),
    Endpoint(
        "GET",
        "/scans/stream",
        scan_stream,
        "Barcodes read by the till's own scanners, as they come (event: scan)",
        "cashier+",
        statuses=(200, 401, 403, 409),
        headers=("Last-Event-ID",),
        content="text/event-stream",
        extra=SSE,
    ),
    Endpoint(
        "GET",
        "/display/stream",
        display_stream,
        "The sale as the customer display shows it, on every change (event: sale)",
        "cashier+",
        statuses=(200, 401, 403, 409),
        headers=("Last-Event-ID",),
        content="text/event-stream",
        extra=SSE,
    ),
)
