"""API for card-present payments through the payment terminal (services/terminal_payments.py):
take one, follow the terminal's live state, cancel it from the till, and the terminal's
state for the header. Refunds of a terminal tender go through POST /sales/{id}/refunds."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from appliance.app.domain.errors import Invalid
from appliance.app.services import idempotency, terminal_checks, terminal_payments, terminal_resolver
from appliance.app.services.shop import Shop
from appliance.app.services.terminal_desk import TerminalDesk
from appliance.app.web import params
from appliance.app.web.api import EMPTY, ok
from appliance.app.web.endpoint import Endpoint
from appliance.app.web.http import actor, call, int_param, json_body, shop_of

TERMINAL_PAYMENT = {
    "type": "object",
    "properties": {
        "amount": {"type": "integer", "minimum": 1, "description": "minor units"},
        "wait": {
            "type": "integer",
            "minimum": 0,
            "maximum": 30,
            "description": "seconds to wait for the outcome before answering 202 (default: the till's);"
            " 0 answers at once, so a screen can follow the terminal's live state and cancel",
        },
    },
    "required": ["amount"],
    "additionalProperties": False,
}


def _desk(shop: Shop) -> TerminalDesk:
    desk = shop.devices.terminal if shop.devices else None
    if desk is None:
        raise Invalid("no payment terminal is set up on this till (terminal_url)", "tender_unavailable")
    return desk


def _attempt_id(request: Request) -> int:
    return int_param(request.path_params["attempt_id"], "attempt id")


async def pay(request: Request) -> Response:
    who = await actor(request)
    sale_id = params.sale_id(request)
    body = await json_body(request, TERMINAL_PAYMENT)
    key = request.headers.get("idempotency-key")
    if key is not None:
        idempotency.check_key(key)  # kept with the payment's intent, as a card's is
    shop = shop_of(request)
    desk = _desk(shop)
    wait = body.get("wait")
    attempt = await call(
        terminal_payments.pay, shop, who, desk, sale_id, body["amount"], key, wait=None if wait is None else float(wait)
    )
    # Still pending (the customer or the terminal takes longer): 202, follow it by its id.
    return ok(await call(terminal_payments.answer, shop, desk, attempt), 202 if attempt["status"] == "pending" else 201)


async def get_attempt(request: Request) -> Response:
    who = await actor(request)
    sale_id, attempt_id = params.sale_id(request), _attempt_id(request)
    shop = shop_of(request)
    desk = shop.devices.terminal if shop.devices else None
    return ok(await call(terminal_payments.attempt, shop, who, desk, sale_id, attempt_id))


async def in_progress(request: Request) -> Response:
    who = await actor(request)
    shop = shop_of(request)
    desk = shop.devices.terminal if shop.devices else None
    return ok(await call(terminal_payments.in_progress, shop, who, desk, params.sale_id(request)))


async def cancel(request: Request) -> Response:
    who = await actor(request)
    sale_id, attempt_id = params.sale_id(request), _attempt_id(request)
    await json_body(request, EMPTY)
    shop = shop_of(request)
    return ok(await call(terminal_payments.cancel, shop, who, _desk(shop), sale_id, attempt_id))


async def status(request: Request) -> Response:
    who = await actor(request)
    shop = shop_of(request)
    desk = shop.devices.terminal if shop.devices else None
    return ok(await call(terminal_resolver.header, shop, who, desk))


DECISION = {
    "type": "object",
    "properties": {
        "decision": {
            "type": "string",
            "enum": list(terminal_checks.DECISIONS),
            "description": "refund: give it back on the terminal; attach: it pays sale_id; keep: settled another way"
            " (note required); approved / not_approved: what the terminal's own journal shows",
        },
        "note": {"type": "string", "maxLength": terminal_checks.NOTE_LIMIT, "description": "why, for the audit log"},
        "sale_id": {"type": "integer", "minimum": 1, "description": "attach: the open sale the charge pays"},
    },
    "required": ["decision"],
    "additionalProperties": False,
}


async def list_checks(request: Request) -> Response:
    who = await actor(request)
    shop = shop_of(request)
    desk = shop.devices.terminal if shop.devices else None
    return ok(await call(terminal_checks.checks, shop, who, desk))


async def decide(request: Request) -> Response:
    who = await actor(request)
    transaction_id = int_param(request.path_params["transaction_id"], "transaction id")
    body = await json_body(request, DECISION)
    shop = shop_of(request)
    desk = shop.devices.terminal if shop.devices else None
    return ok(
        await call(
            terminal_checks.decide,
            shop,
            who,
            desk,
            transaction_id,
            body["decision"],
            note=body.get("note"),
            sale_id=body.get("sale_id"),
        )
    )


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "POST",
        "/sales/{sale_id}/payments/terminal",
        pay,
        "Take a card on the payment terminal: the sale and the terminal's payment, 201 once the outcome is"
        " known, 202 while the customer or the terminal is still on it",
        "cashier+",
        TERMINAL_PAYMENT,
        statuses=(201, 202, 400, 401, 404, 409, 422),
        headers=("Idempotency-Key",),
        returns=terminal_payments.TerminalPaid,
    ),
    Endpoint(
        "GET",
        "/sales/{sale_id}/payments/terminal",
        in_progress,
        "The sale's terminal payments still in progress, with the terminal's live state (a screen reloaded"
        " meanwhile follows them again)",
        "cashier+",
        statuses=(200, 400, 401, 404),
        returns=terminal_payments.TerminalAttempts,
    ),
    Endpoint(
        "GET",
        "/sales/{sale_id}/payments/terminal/{attempt_id}",
        get_attempt,
        "A terminal payment with the terminal's live state (terminal_state: waiting_for_card, pin,"
        " processing, in_progress, unknown, approved, declined, cancelled, unavailable) and a decline's reason",
        "cashier+",
        statuses=(200, 400, 401, 404),
        returns=terminal_payments.TerminalAttempt,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/payments/terminal/{attempt_id}/cancel",
        cancel,
        "Ask the terminal to stop a payment waiting for the card or the PIN (audited)",
        "cashier+",
        EMPTY,
        statuses=(200, 400, 401, 404, 409, 422),
        returns=terminal_payments.TerminalAttempt,
    ),
    Endpoint(
        "GET",
        "/terminal/status",
        status,
        "The payment terminal's state for the header, and what waits for it or for a manager",
        "cashier+",
        statuses=(200, 401, 404),
        returns=terminal_resolver.TerminalHeader,
    ),
    Endpoint(
        "GET",
        "/terminal/checks",
        list_checks,
        "What the payment terminal moved and the till could not put right: charges held with no sale,"
        " refunds it refused, outcomes it cannot tell; each with the decisions a manager may take",
        "settle_terminal",
        statuses=(200, 401, 403),
        returns=terminal_checks.TerminalChecks,
    ),
    Endpoint(
        "POST",
        "/terminal/checks/{transaction_id}/decision",
        decide,
        "A manager settles one: refund on the terminal, attach to an open sale, keep (with a note), or what"
        " the terminal's journal shows (approved, not_approved); audited; the same decision again answers the"
        " same, another on a settled one is 409",
        "settle_terminal",
        DECISION,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        returns=terminal_checks.TerminalDecided,
    ),
)
