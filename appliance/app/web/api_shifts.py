"""API for the drawer: shifts, paid in/out, X and Z reports."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from appliance.app.domain import report_shapes as shapes
from appliance.app.services import reports, shifts
from appliance.app.web.api import INT, ok
from appliance.app.web.endpoint import Endpoint
from appliance.app.web.http import actor, call, int_param, json_body, shop_of

COUNT = {
    "type": "object",
    "description": 'pieces per denomination, keyed by the denomination in minor units: {"2000": 3, "25": 8}',
    "patternProperties": {"^[0-9]{1,7}$|^total$": INT},
    "additionalProperties": False,
    "maxProperties": 30,
}
OPEN = {
    "type": "object",
    "properties": {"count": COUNT},
    "required": ["count"],
    "additionalProperties": False,
}
CLOSE = OPEN
MOVE = {
    "type": "object",
    "properties": {"amount": INT, "reason": {"type": "string", "maxLength": 200}},
    "required": ["amount", "reason"],
    "additionalProperties": False,
}


async def open_shift(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, OPEN)
    return ok(await call(shifts.open_shift, shop_of(request), who, body["count"]), 201)


async def current(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(shifts.current, shop_of(request), who))


async def _move_cash(request: Request, kind: str) -> Response:
    who = await actor(request)
    body = await json_body(request, MOVE)
    return ok(await call(shifts.move_cash, shop_of(request), who, kind, body["amount"], body["reason"]), 201)


async def paid_in(request: Request) -> Response:
    return await _move_cash(request, "paid_in")


async def paid_out(request: Request) -> Response:
    return await _move_cash(request, "paid_out")


async def x_report(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(shifts.x_report, shop_of(request), who))


async def close(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, CLOSE)
    approval = request.headers.get("x-approval")
    return ok(await call(shifts.close_shift, shop_of(request), who, body["count"], approval))


async def print_x(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(shifts.print_report, shop_of(request), who, None), 201)


async def print_z(request: Request) -> Response:
    who = await actor(request)
    shift_id = int_param(request.path_params["shift_id"], "shift id")
    return ok(await call(shifts.print_report, shop_of(request), who, shift_id), 201)


async def z_reports(request: Request) -> Response:
    who = await actor(request)
    start, end = request.query_params.get("from"), request.query_params.get("to")
    return ok(await call(reports.z_reports, shop_of(request), who, start, end))


async def z_report(request: Request) -> Response:
    who = await actor(request)
    shift_id = int_param(request.path_params["shift_id"], "shift id")
    return ok(await call(shifts.z_report, shop_of(request), who, shift_id))


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "POST",
        "/shifts",
        open_shift,
        "Open a shift on this till's drawer with a counted float",
        "cashier+",
        OPEN,
        statuses=(201, 400, 401, 403, 409, 422),
        returns=shifts.OpenShift,
    ),
    Endpoint(
        "GET",
        "/shifts/current",
        current,
        "The drawer's open shift",
        "cashier+",
        statuses=(200, 401, 404, 409),
        returns=shifts.OpenShift,
    ),
    Endpoint(
        "POST",
        "/shifts/current/paid-in",
        paid_in,
        "Cash put into the drawer, with a reason (audited)",
        "cashier+",
        MOVE,
        statuses=(201, 400, 401, 404, 409, 422),
        returns=shifts.CashMoved,
    ),
    Endpoint(
        "POST",
        "/shifts/current/paid-out",
        paid_out,
        "Cash taken out of the drawer, with a reason (audited)",
        "cashier+",
        MOVE,
        statuses=(201, 400, 401, 404, 409, 422),
        returns=shifts.CashMoved,
    ),
    Endpoint(
        "GET",
        "/shifts/current/x-report",
        x_report,
        "Mid-shift figures (no expected cash for the counter); open_sales: sales still open on this till that "
        "hold money, which the shift cannot close over",
        "cashier+",
        statuses=(200, 401, 404, 409),
        returns=shifts.XReport,
    ),
    Endpoint(
        "POST",
        "/shifts/current/close",
        close,
        "Blind count and close; a variance over the limit needs a manager (X-Approval approve_variance); "
        "409 open_sales_hold_payments while a sale open on this till holds money (details.sales names them)",
        "cashier+",
        CLOSE,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        headers=("X-Approval",),
        returns=shifts.ZReport,
    ),
    Endpoint(
        "POST",
        "/shifts/current/x-report/print",
        print_x,
        "Print the X report on the till's printer",
        "cashier+",
        statuses=(201, 401, 404, 409),
        returns=shifts.PrintedReport,
    ),
    Endpoint(
        "POST",
        "/shifts/{shift_id}/z-report/print",
        print_z,
        "Print a closed shift's Z report again (marked REPRINT once it has been printed)",
        "view_reports",
        statuses=(201, 401, 403, 404, 409),
        returns=shifts.PrintedReport,
    ),
    Endpoint(
        "GET",
        "/shifts/z-reports",
        z_reports,
        "The Z reports of the shifts closed in a period, newest first, times on the store's clock",
        "view_reports",
        query=(
            ("from", "a day (YYYY-MM-DD, the store's calendar) or an ISO 8601 time; by default today"),
            ("to", "a day, included, or an ISO 8601 time, excluded"),
        ),
        statuses=(200, 401, 403, 422),
        returns=shapes.ZReports,
    ),
    Endpoint(
        "GET",
        "/shifts/{shift_id}/z-report",
        z_report,
        "The Z report frozen when the shift closed",
        "view_reports",
        statuses=(200, 401, 403, 404),
        returns=shifts.ZReport,
    ),
)
