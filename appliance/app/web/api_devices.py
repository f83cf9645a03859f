"""API for the till's devices: the receipt printer's queue, reprints and cancels, the cash
drawer's "no sale", two server-sent event streams — scans from the backend's scanners for
the cashier screen, and the sale for the customer display — and the display's pairing with
its till by a code (services/display_pairing.py) instead of a login; and the link to the
office for the header (services/office_link.py)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from appliance.app.domain.errors import Conflict, Unauthenticated
from appliance.app.services import display_pairing, drawer, office_link, receipt_printer
from appliance.app.services.auth import require
from appliance.app.services.broadcast import Broadcast
from appliance.app.services.display_pairing import NOT_PAIRED
from appliance.app.web import params
from appliance.app.web.api import EMPTY, ok
from appliance.app.web.endpoint import Endpoint
from appliance.app.web.http import SESSION_COOKIE, actor, ascii_int, call, int_param, json_body, origin_of, shop_of
from appliance.security.rbac import Permission

NO_SALE = {
    "type": "object",
    "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 200}},
    "required": ["reason"],
    "additionalProperties": False,
}

PAIR = {
    "type": "object",
    "properties": {"code": {"type": "string", "minLength": 1, "maxLength": 16}},
    "required": ["code"],
    "additionalProperties": False,
}
# The paired display's credential: its own cookie, sent only to the display's routes and
# read by no other, so that it opens the sale feed and nothing else.
DISPLAY_COOKIE = "comptoir_display"
DISPLAY_COOKIE_PATH = "/api/v1/display"
DISPLAY_COOKIE_AGE = 400 * 24 * 3600  # the most a browser keeps; the till unpairs sooner
KEEP_ALIVE = 15.0  # seconds of quiet before a comment line: finds a screen that went away
RETRY_MS = 1000  # how soon a screen's EventSource reconnects after the stream ends


async def printer_state(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(receipt_printer.state, shop_of(request), who))


async def office_status(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(office_link.status, shop_of(request), who))


async def reprint(request: Request) -> Response:
    who = await actor(request)
    sale_id = params.sale_id(request)
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


async def _event_stream(
    request: Request, feed: Broadcast, event: str, allowed: Callable[[], Awaitable[bool]] | None = None
) -> Response:
    """text/event-stream: one `event` per item, its id for Last-Event-ID on reconnect.
    `allowed`, asked before each item, ends the stream when the caller's right has (an
    unpaired display's reconnect then hears 401)."""
    subscription = feed.subscribe(_last_id(request))

    async def body() -> AsyncIterator[bytes]:
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            while True:
                try:
                    item = await subscription.next(KEEP_ALIVE)
                except EOFError:
                    return  # the till is shutting down; the screen reconnects to the next one
                if allowed is not None and not await allowed():
                    return
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


async def _paired_display(request: Request) -> display_pairing.Pairing | None:
    """The live pairing behind the display's cookie; None for a browser with a cashier's
    session instead (the till's own second window, as before pairing); else 401."""
    shop = shop_of(request)
    token = request.cookies.get(DISPLAY_COOKIE)
    if token and not request.headers.get("authorization"):
        try:
            return await call(display_pairing.display_for, shop, token)
        except Unauthenticated:
            if not request.cookies.get(SESSION_COOKIE):
                raise  # an unpaired display, and nobody logged in on this browser either
    elif not token and not request.headers.get("authorization") and not request.cookies.get(SESSION_COOKIE):
        raise Unauthenticated("this display is not paired with the till; enter a pairing code", NOT_PAIRED)
    who = await actor(request)
    await call(require, shop, who, Permission.SELL)
    return None


async def display_stream(request: Request) -> Response:
    """The till's own screens follow with a cashier's session; a paired display with its
    credential, which only the display's routes read."""
    pairing = await _paired_display(request)
    if pairing is None:
        return await _event_stream(request, _feed(request, "display"), "sale")
    shop, token = shop_of(request), request.cookies[DISPLAY_COOKIE]

    async def still_paired() -> bool:
        return await call(display_pairing.is_live, shop, token)

    return await _event_stream(request, _feed(request, "display"), "sale", still_paired)


async def display_paired(request: Request) -> Response:
    """What the display page asks when its stream is refused: 401 says to show the code entry."""
    pairing = await _paired_display(request)
    answer: display_pairing.DisplayPaired = (
        {"paired": False, "terminal_id": shop_of(request).config.terminal_id, "paired_at": None}
        if pairing is None
        else {"paired": True, "terminal_id": pairing.terminal_id, "paired_at": pairing.paired_at}
    )
    return ok(answer)


async def pair_display(request: Request) -> Response:
    body = await json_body(request, PAIR)
    done = await call(display_pairing.pair, shop_of(request), body["code"], origin_of(request))
    answer: display_pairing.DisplayPaired = {
        "paired": True,
        "terminal_id": done.terminal_id,
        "paired_at": done.paired_at,
    }
    response = ok(answer, 201)
    response.set_cookie(
        DISPLAY_COOKIE,
        done.token,
        max_age=DISPLAY_COOKIE_AGE,
        httponly=True,
        samesite="strict",
        path=DISPLAY_COOKIE_PATH,
        secure=False,  # loopback http; the cookie never leaves the box
    )
    return response


async def pairing_code(request: Request) -> Response:
    who = await actor(request)
    await json_body(request, EMPTY)
    done = await call(display_pairing.new_code, shop_of(request), who)
    answer: display_pairing.CodeJson = {"code": done.code, "expires_at": done.expires_at}
    return ok(answer, 201)


async def pairing_state(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(display_pairing.status, shop_of(request), who))


async def unpair_display(request: Request) -> Response:
    who = await actor(request)
    ended = await call(display_pairing.unpair, shop_of(request), who)
    answer: display_pairing.Unpaired = {"unpaired": ended}
    return ok(answer)


SSE: dict[str, Any] = {"description": "server-sent events; reconnect with Last-Event-ID"}

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        "/printer",
        printer_state,
        "The receipt printer's queue: prints waiting and the problem in words",
        "cashier+",
        statuses=(200, 401, 403),
        returns=receipt_printer.PrinterState,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/reprint",
        reprint,
        "Print the receipt again, marked COPY (audited)",
        "reprint",
        statuses=(201, 400, 401, 403, 404, 409),
        headers=("X-Approval",),
        returns=receipt_printer.JobAnswer,
    ),
    Endpoint(
        "POST",
        "/print-jobs/{job_id}/cancel",
        cancel_print_job,
        "Stop a print job that has not printed (audited)",
        "reprint",
        statuses=(200, 400, 401, 403, 404, 409),
        headers=("X-Approval",),
        returns=receipt_printer.JobAnswer,
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
        returns=drawer.DrawerOpened,
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
        "cashier+ or a paired display",
        statuses=(200, 401, 403, 409),
        headers=("Last-Event-ID",),
        content="text/event-stream",
        extra=SSE,
    ),
    Endpoint(
        "GET",
        "/display/paired",
        display_paired,
        "Whether this customer display is paired with the till (its cookie from POST /display/pair)",
        "cashier+ or a paired display",
        returns=display_pairing.DisplayPaired,
        statuses=(200, 401, 403),
    ),
    Endpoint(
        "POST",
        "/display/pair",
        pair_display,
        "Pair a customer display with the till's code: sets its display-only cookie (throttled, audited)",
        "anyone with the till's code",
        PAIR,
        returns=display_pairing.DisplayPaired,
        statuses=(201, 400, 401, 429),
    ),
    Endpoint(
        "POST",
        "/display/pairing-code",
        pairing_code,
        "A new 6-digit code to pair the customer display, valid 5 minutes, once (audited)",
        "cashier+",
        EMPTY,
        returns=display_pairing.CodeJson,
        statuses=(201, 400, 401, 403),
    ),
    Endpoint(
        "GET",
        "/display/pairing",
        pairing_state,
        "Whether the till's customer display is paired, since when and by whom",
        "cashier+",
        returns=display_pairing.PairingStatus,
        statuses=(200, 401, 403),
    ),
    Endpoint(
        "DELETE",
        "/display/pairing",
        unpair_display,
        "Unpair the till's customer display: its credential stops working (audited)",
        "cashier+",
        returns=display_pairing.Unpaired,
        statuses=(200, 401, 403),
    ),
    Endpoint(
        "GET",
        "/office/status",
        office_status,
        "The till's link to the office for the header: enrolled, in touch or since when not, events"
        " waiting and the age of the oldest, the last failure in one line",
        "staff",
        statuses=(200, 401, 403),
        returns=office_link.OfficeStatus,
    ),
)
