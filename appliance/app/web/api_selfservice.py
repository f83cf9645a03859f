"""API for the self-service screen: its timings, and calling an attendant."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from appliance.app.domain.words import LANGUAGES
from appliance.app.services import selfservice
from appliance.app.web.api import INT, ok
from appliance.app.web.endpoint import Endpoint
from appliance.app.web.http import actor, call, json_body, shop_of

TIMINGS = {
    "type": "object",
    "properties": {
        "idle_seconds": {"type": "integer", "minimum": selfservice.IDLE_RANGE[0], "maximum": selfservice.IDLE_RANGE[1]},
        "countdown_seconds": {
            "type": "integer",
            "minimum": selfservice.COUNTDOWN_RANGE[0],
            "maximum": selfservice.COUNTDOWN_RANGE[1],
        },
    },
    "required": ["idle_seconds", "countdown_seconds"],
    "additionalProperties": False,
}
ATTENDANT = {
    "type": "object",
    "properties": {"reason": {"type": "string", "enum": list(selfservice.REASONS)}, "sale": INT},
    "required": ["reason"],
    "additionalProperties": False,
}


async def get_config(request: Request) -> Response:
    await actor(request)
    shop = shop_of(request)
    found = await call(selfservice.timings, shop)
    config: selfservice.ScreenConfig = {
        "mode": shop.config.mode,
        "idle_seconds": found.idle_seconds,
        "countdown_seconds": found.countdown_seconds,
        "languages": list(LANGUAGES),  # those the shop's words have (/words/{lang}.json)
    }
    return ok(config)


async def put_config(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, TIMINGS)
    found = await call(selfservice.set_timings, shop_of(request), who, body["idle_seconds"], body["countdown_seconds"])
    timings: selfservice.TimingsJson = {
        "idle_seconds": found.idle_seconds,
        "countdown_seconds": found.countdown_seconds,
    }
    return ok(timings)


async def call_attendant(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, ATTENDANT)
    return ok(await call(selfservice.call_attendant, shop_of(request), who, body["reason"], body.get("sale")), 201)


async def list_calls(request: Request) -> Response:
    who = await actor(request)
    return ok({"calls": await call(selfservice.attendant_calls, shop_of(request), who)})


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        "/selfservice/config",
        get_config,
        "The self-service screen's timings (idle warning, countdown) and languages",
        "session",
        returns=selfservice.ScreenConfig,
        statuses=(200, 401),
    ),
    Endpoint(
        "PUT",
        "/selfservice/config",
        put_config,
        "Change the self-service timings (audited)",
        "manage_settings",
        TIMINGS,
        returns=selfservice.TimingsJson,
        statuses=(200, 400, 401, 403, 422),
    ),
    Endpoint(
        "POST",
        "/selfservice/attendant",
        call_attendant,
        "A customer calls an attendant (audited)",
        "sell",
        ATTENDANT,
        statuses=(201, 400, 401, 403, 422, 429),
        returns=selfservice.Called,
    ),
    Endpoint(
        "GET",
        "/selfservice/attendant",
        list_calls,
        "Attendant calls since the service started, newest first",
        "approve_restricted",
        statuses=(200, 401, 403),
        returns=selfservice.AttendantCalls,
    ),
)
