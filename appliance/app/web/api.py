"""The JSON API under /api/v1: one table of endpoints, from which both the routing and the
OpenAPI description are made, so the two cannot drift apart."""

from __future__ import annotations

import csv
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from appliance.app.domain import report_shapes
from appliance.app.domain.cashup import denominations
from appliance.app.domain.errors import Invalid
from appliance.app.domain.money import exponent
from appliance.app.domain.product import Product
from appliance.app.domain.receipt import render_text
from appliance.app.domain.words import LANGUAGES
from appliance.app.services import (
    audit_log,
    auth,
    card_payments,
    catalog,
    idempotency,
    receipts,
    reports,
    returns,
    sale_view,
    sales,
    tenders,
    terminal_payments,
    users,
)
from appliance.app.services.sale_results import PaidSale, SaleView
from appliance.app.services.shop import TillSettings
from appliance.app.web import params
from appliance.app.web.endpoint import Endpoint
from appliance.app.web.http import (
    MAX_UPLOAD,
    SESSION_COOKIE,
    BadRequest,
    actor,
    call,
    int_param,
    json_body,
    origin_of,
    read_body,
    shop_of,
)
from appliance.security.rbac import Permission, can

# -- request schemas (also the OpenAPI request bodies) ---------------------------------------

STR = {"type": "string"}
INT = {"type": "integer"}
PIN = {"type": "string", "pattern": "^[0-9]{4,8}$"}
BADGE = {"type": "string", "minLength": 1, "maxLength": 80}
LOGIN = {
    "type": "object",
    "description": "One of {username, password}, {username, pin} (a cashier's 4 to 8 digits) or {badge} "
    "(a cashier's staff badge as the till's reader types it).",
    "properties": {
        "username": {"type": "string", "maxLength": 64},
        "password": {"type": "string", "maxLength": 256},
        "pin": PIN,
        "badge": BADGE,
    },
    "additionalProperties": False,
}
PASSWORD = {
    "type": "object",
    "properties": {
        "current": {"type": "string", "maxLength": 256},
        "new": {"type": "string", "maxLength": 256},
    },
    "required": ["current", "new"],
    "additionalProperties": False,
}
PIN_CHANGE = {
    "type": "object",
    "description": "current: the PIN in use, or the account's password (to set a first PIN); new: 4 to 8 digits, "
    "not one digit repeated, not a straight run.",
    "properties": {
        "current": {"type": "string", "maxLength": 256},
        "new": {"type": "string", "maxLength": 256},
    },
    "required": ["current", "new"],
    "additionalProperties": False,
}
LANGUAGE = {
    "type": "object",
    "description": "language: en, fr or uk; null to follow the store's locale again.",
    "properties": {"language": {"type": ["string", "null"], "enum": [*LANGUAGES, None]}},
    "required": ["language"],
    "additionalProperties": False,
}
APPROVE = {
    "type": "object",
    "description": "The approver's {username, password}, {username, pin} or {badge}, and the permission.",
    "properties": {
        "username": {"type": "string", "maxLength": 64},
        "password": {"type": "string", "maxLength": 256},
        "pin": PIN,
        "badge": BADGE,
        "permission": {"type": "string", "enum": [p.value for p in Permission]},
    },
    "required": ["permission"],
    "additionalProperties": False,
}
PRODUCT = {
    "type": "object",
    "properties": {
        "sku": STR,
        "name": STR,
        "price": INT,
        "tax_class": STR,
        "barcodes": {"type": "array", "items": STR, "maxItems": 20},
        "stock": INT,
        "category": STR,
        "sold_by": {"type": "string", "enum": ["unit", "weight"]},
        "age_restricted": {"type": "boolean"},
        "cost": INT,
        "plu": {"type": "string", "pattern": "^[0-9]{4,5}$"},
    },
    "required": ["sku", "name", "price"],
    "additionalProperties": False,
}
PRODUCT_CHANGE = {
    "type": "object",
    "description": "Only what changes; what is left out stays as it is. barcodes replaces the whole list; "
    "category null takes the product out of its category; active false withdraws it from sale, true puts it back; "
    "plu null takes its PLU away.",
    "properties": {
        "name": STR,
        "price": INT,
        "tax_class": STR,
        "barcodes": {"type": "array", "items": STR, "maxItems": 20},
        "category": {"type": ["string", "null"]},
        "cost": INT,
        "active": {"type": "boolean"},
        "plu": {"type": ["string", "null"], "pattern": "^[0-9]{4,5}$"},
    },
    "additionalProperties": False,
}
CATEGORY = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 200}},
    "required": ["name"],
    "additionalProperties": False,
}
EMPTY = {"type": ["object", "null"], "properties": {}, "additionalProperties": False}
ADD_ITEM = {
    "type": "object",
    "properties": {
        "barcode": STR,
        "sku": STR,
        "plu": {"type": "string", "pattern": "^[0-9]{4,5}$"},
        "quantity": INT,
        "grams": {"type": "integer", "description": "the weight of a product sold by weight (price per kg)"},
    },
    "additionalProperties": False,
}
SET_QUANTITY = {
    "type": "object",
    "properties": {"quantity": INT},
    "required": ["quantity"],
    "additionalProperties": False,
}
PAYMENT = {
    "type": "object",
    "properties": {
        "method": {"type": "string", "enum": list(sales.TENDER_METHODS)},
        "amount": INT,
        "card": {
            "type": "object",
            "description": "a card not present, keyed in: where the store rule keyed_card_payments is on, by a "
            "role with keyed_card (a card the customer holds goes to /payments/terminal)",
            "properties": {"number": STR, "exp_month": INT, "exp_year": INT},
            "required": ["number", "exp_month", "exp_year"],
            "additionalProperties": False,
        },
        "gift_card": {"type": "string", "maxLength": 40},
        "customer": INT,
        "loyalty_card": {"type": "string", "maxLength": 32},
    },
    "required": ["method", "amount"],
    "additionalProperties": False,
}
# The lines a refund takes back, and that its quote prices: one schema for both.
REFUND_LINES = {
    "type": "array",
    "minItems": 1,
    "maxItems": 500,
    "items": {
        "type": "object",
        "properties": {"line": INT, "quantity": INT},
        "required": ["line"],
        "additionalProperties": False,
    },
}
REFUND = {
    "type": "object",
    "properties": {
        "lines": REFUND_LINES,
        "reason": STR,
        "refund_to": {"type": "string", "enum": ["original", "gift_card", "exchange"]},
        "exchange_into": INT,
    },
    "required": ["lines", "reason"],
    "additionalProperties": False,
}
BADGE_SET = {
    "type": "object",
    "properties": {"badge": BADGE},
    "required": ["badge"],
    "additionalProperties": False,
}
USER_CHANGE = {
    "type": "object",
    "description": "Only what changes: active false disables the account (its sessions end), true enables it; "
    "role within what the caller may grant (the user's sessions end).",
    "properties": {"active": {"type": "boolean"}, "role": STR},
    "additionalProperties": False,
}
NEW_USER = {
    "type": "object",
    "properties": {"username": STR, "role": STR, "password": {"type": "string", "maxLength": 256}},
    "required": ["username", "role"],
    "additionalProperties": False,
}


def product_json(p: Product) -> catalog.ProductJson:
    return {
        "id": p.id,
        "sku": p.sku,
        "name": p.name,
        "price": p.price,
        "tax_class": p.tax_class,
        "barcodes": list(p.barcodes),
        "stock": p.stock_on_hand,
        "category": p.category,
        "sold_by": p.sold_by,
        "age_restricted": p.age_restricted,
        "active": p.active,
        "plu": p.plu,
    }


def managed_product_json(p: Product) -> catalog.ManagedProduct:
    """What the catalogue's managers see of a product: with its cost."""
    return {**product_json(p), "cost": p.cost}


def ok(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def with_currency(shop_currency: str, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "currency": body.get("currency", shop_currency)}


# -- auth --------------------------------------------------------------------------------------


def _session_answer(done: auth.Login) -> Response:
    """The login answer: the bearer token for API clients, the same session as an HttpOnly,
    SameSite=Strict cookie for the browser screens."""
    session: auth.Session = {
        "token": done.token,
        "csrf_token": done.csrf_token,
        "expires_at": done.expires_at,
        "user": {
            "username": done.actor.username,
            "role": done.actor.role,
            "must_change_password": done.actor.must_change_password,
            "must_change_pin": done.actor.must_change_pin,
        },
    }
    response = ok(session)
    response.set_cookie(
        SESSION_COOKIE,
        done.token,
        httponly=True,
        samesite="strict",
        path="/",
        secure=False,  # loopback http; the cookie never leaves the box
    )
    return response


def _credentials(body: dict[str, Any]) -> tuple[str, str, str]:
    """(kind, username, secret) from a body holding exactly one of password, pin and badge,
    with a username for the first two and none for a badge."""
    given = [kind for kind in ("password", "pin", "badge") if kind in body]
    if len(given) != 1 or ("username" in body) == (given[0] == "badge"):
        raise BadRequest("send {username, password}, {username, pin} or {badge}", "invalid_request")
    return given[0], body.get("username", ""), body[given[0]]


async def login(request: Request) -> Response:
    body = await json_body(request, LOGIN)
    kind, username, secret = _credentials(body)
    shop, origin = shop_of(request), origin_of(request)
    if kind == "badge":
        done = await call(auth.login_with_badge, shop, secret, origin)
    elif kind == "pin":
        done = await call(auth.login_with_pin, shop, username, secret, origin)
    else:
        done = await call(auth.login, shop, username, secret, origin)
    return _session_answer(done)


async def kiosk_login(request: Request) -> Response:
    """A self-service till's customer session: no password, role `customer`."""
    await json_body(request, EMPTY)
    return _session_answer(await call(auth.kiosk_session, shop_of(request), origin_of(request)))


async def logout(request: Request) -> Response:
    who = await actor(request)
    parked = await call(auth.logout, shop_of(request), who)
    done: auth.LoggedOut = {"status": "logged_out", "parked_sales": parked}
    response = ok(done)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def me(request: Request) -> Response:
    who = await actor(request)
    answer: auth.Me = {
        "username": who.username,
        "role": who.role,
        "must_change_password": who.must_change_password,
        "must_change_pin": who.must_change_pin,
        "language": await call(auth.language, shop_of(request), who),
        "permissions": sorted(p.value for p in Permission if can(who.role, p)),
    }
    return ok(answer)


async def change_password(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, PASSWORD)
    await call(auth.change_password, shop_of(request), who, body["current"], body["new"])
    done: auth.PasswordChanged = {"status": "password_changed"}
    return ok(done)


async def change_pin(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, PIN_CHANGE)
    await call(auth.change_pin, shop_of(request), who, body["current"], body["new"])
    done: auth.PinChanged = {"status": "pin_changed"}
    return ok(done)


async def set_language(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, LANGUAGE)
    await call(auth.set_language, shop_of(request), who, body["language"])
    chosen: auth.LanguageChosen = {"language": body["language"]}
    return ok(chosen)


async def approve(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, APPROVE)
    kind, username, secret = _credentials(body)
    shop, permission = shop_of(request), Permission(body["permission"])
    if kind == "badge":
        token = await call(auth.approve_with_badge, shop, who, secret, permission)
    elif kind == "pin":
        token = await call(auth.approve_with_pin, shop, who, username, secret, permission)
    else:
        token = await call(auth.approve, shop, who, username, secret, permission)
    expires_in = int(auth.APPROVAL_LIFETIME.total_seconds())
    granted: auth.Approval = {"approval": token, "permission": body["permission"], "expires_in": expires_in}
    return ok(granted)


# -- catalogue ----------------------------------------------------------------------------------


async def list_products(request: Request) -> Response:
    who = await actor(request)
    barcode = request.query_params.get("barcode")
    plu = request.query_params.get("plu")
    text = request.query_params.get("q")
    withdrawn = request.query_params.get("withdrawn", "false")
    if withdrawn not in ("true", "false"):
        raise BadRequest("withdrawn must be true or false", "invalid_request")
    limit = int_param(request.query_params.get("limit", str(catalog.MAX_RESULTS)), "limit")
    found = await call(
        catalog.find,
        shop_of(request),
        who,
        barcode=barcode,
        plu=plu,
        text=text,
        withdrawn=withdrawn == "true",
        limit=limit,
    )
    return ok({"products": [product_json(p) for p in found]})


async def create_product(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, PRODUCT)
    product = await call(catalog.create_product, shop_of(request), who, body)
    return ok(managed_product_json(product), 201)


async def get_product(request: Request) -> Response:
    who = await actor(request)
    product = await call(catalog.get_product, shop_of(request), who, request.path_params["sku"])
    return ok(managed_product_json(product))


async def change_product(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, PRODUCT_CHANGE)
    product = await call(catalog.change_product, shop_of(request), who, request.path_params["sku"], body)
    return ok(managed_product_json(product))


async def list_categories(request: Request) -> Response:
    who = await actor(request)
    found = await call(catalog.list_categories, shop_of(request), who)
    return ok({"categories": [{"id": c.id, "name": c.name} for c in found]})


async def create_category(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, CATEGORY)
    made = await call(catalog.create_category, shop_of(request), who, body["name"])
    return ok({"id": made.id, "name": made.name}, 201)


async def import_products(request: Request) -> Response:
    who = await actor(request)
    raw = await read_body(request, MAX_UPLOAD)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("the CSV must be UTF-8", "malformed_csv") from None
    try:
        count = await call(catalog.import_csv, shop_of(request), who, text)
    except csv.Error as exc:  # a field past the csv module's limit, a stray quote…
        raise BadRequest(f"the CSV cannot be read: {exc}", "malformed_csv") from None
    imported: catalog.Imported = {"imported": count}
    return ok(imported, 201)


# -- sales ----------------------------------------------------------------------------------------


async def open_sale(request: Request) -> Response:
    who = await actor(request)
    await json_body(request, EMPTY)
    return ok(await call(sales.open_sale, shop_of(request), who), 201)


async def get_sale(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(sale_view.get_sale, shop_of(request), who, params.sale_id(request)))


async def add_item(request: Request) -> Response:
    who = await actor(request)
    sale_id = params.sale_id(request)
    body = await json_body(request, ADD_ITEM)
    shop = shop_of(request)

    def add() -> tuple[int, SaleView]:
        return 200, sales.add_item(
            shop,
            who,
            sale_id,
            barcode=body.get("barcode"),
            sku=body.get("sku"),
            plu=body.get("plu"),
            quantity=body.get("quantity", 1),
            grams=body.get("grams"),
        )

    # A scan re-sent after a lost answer (same Idempotency-Key) adds its item once.
    key = request.headers.get("idempotency-key")
    status, answer = await call(idempotency.run_once, shop, who, key, f"items:{sale_id}", body, add, durable=False)
    return ok(answer, status)


async def set_quantity(request: Request) -> Response:
    who = await actor(request)
    sale_id, line = params.sale_id(request), params.line(request)
    body = await json_body(request, SET_QUANTITY)
    return ok(await call(sales.set_quantity, shop_of(request), who, sale_id, line, body["quantity"]))


async def void_line(request: Request) -> Response:
    who = await actor(request)
    sale_id, line = params.sale_id(request), params.line(request)
    approval = request.headers.get("x-approval")
    return ok(await call(sales.void_line, shop_of(request), who, sale_id, line, approval))


async def cancel_sale(request: Request) -> Response:
    who = await actor(request)
    sale_id = params.sale_id(request)
    await json_body(request, EMPTY)
    return ok(await call(sales.cancel_sale, shop_of(request), who, sale_id))


async def add_payment(request: Request) -> Response:
    who = await actor(request)
    sale_id = params.sale_id(request)
    body = await json_body(request, PAYMENT)
    shop = shop_of(request)
    key = request.headers.get("idempotency-key")
    if body["method"] == "card":
        # A card payment commits its attempt before it calls the gateway, so it cannot run
        # inside the idempotency transaction: it keeps the key with the attempt itself.
        if key is not None:
            idempotency.check_key(key)
        desk = shop.devices.cards if shop.devices else None
        if desk is None:
            raise Invalid("card payments are not set up on this till (no gateway configured)", "tender_unavailable")
        card = body.get("card")
        if card is None:
            raise Invalid("a card payment needs card: {number, exp_month, exp_year}", "card_required")
        answer = await call(card_payments.pay_card, shop, who, desk, sale_id, body["amount"], card, key)
        return ok(answer, 201)

    # A gift card or points tender asks the office for its hold before the transaction that
    # keeps the answer for a retry (services/tenders.pay_once).
    status, tendered = await call(tenders.pay_once, shop, who, sale_id, body, request.headers.get("x-approval"), key)
    return ok(tendered, status)


async def get_receipt(request: Request) -> Response:
    who = await actor(request)
    sale_id = params.sale_id(request)
    fmt = request.query_params.get("format", "text")
    copy = request.query_params.get("copy", "false") in ("1", "true", "yes")
    if fmt not in ("text", "escpos"):
        raise BadRequest("format must be text or escpos", "invalid_request")
    shop = shop_of(request)
    found = await call(receipts.receipt, shop, who, sale_id, copy=copy)
    if fmt == "text":
        return PlainTextResponse(render_text(found))
    from appliance.app.services import printing

    return Response(printing.receipt_bytes(shop, found), media_type="application/octet-stream")


async def refund(request: Request) -> Response:
    who = await actor(request)
    sale_id = params.sale_id(request)
    body = await json_body(request, REFUND)
    shop = shop_of(request)
    approval = request.headers.get("x-approval")
    key = request.headers.get("idempotency-key")
    status, made = await call(returns.refund_once, shop, who, sale_id, body, approval, key)
    answer: dict[str, Any] = dict(made)  # with what the card's way back says, below
    desk = shop.devices.cards if shop.devices else None
    if desk is not None and any(t["method"] == "card" for t in answer["tenders"]):
        # The refund is committed; the card part goes back through its authorisation now
        # (and again at the next start if the gateway does not answer).
        answer = {**answer, "card_refunds": await call(card_payments.send_card_refunds, shop, desk, answer["id"])}
    terminal = shop.devices.terminal if shop.devices else None
    if terminal is not None and any(t["method"] == "card" for t in answer["tenders"]):
        # Those the terminal took go back to the same card through it (again by its resolver).
        sent = await call(terminal_payments.send_refunds, shop, terminal, answer["id"])
        if sent:
            answer = {**answer, "terminal_refunds": sent}
    return ok(answer, status)


# -- staff, reports, audit ------------------------------------------------------------------------


async def list_users(request: Request) -> Response:
    who = await actor(request)
    listed: users.Accounts = {"users": await call(users.list_users, shop_of(request), who)}
    return ok(listed)


async def create_user(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, NEW_USER)
    one_time = await call(users.add_user, shop_of(request), who, body["username"], body["role"], body.get("password"))
    answer: users.NewAccount = {"username": body["username"], "role": body["role"]}
    if one_time:
        answer["one_time_password"] = one_time
    return ok(answer, 201)


async def unlock_user(request: Request) -> Response:
    who = await actor(request)
    await json_body(request, EMPTY)
    await call(users.unlock, shop_of(request), who, request.path_params["username"])
    done: users.Unlocked = {"status": "unlocked"}
    return ok(done)


async def reset_password(request: Request) -> Response:
    who = await actor(request)
    await json_body(request, EMPTY)
    username = request.path_params["username"]
    password = await call(users.reset_password, shop_of(request), who, username)
    answer: users.OneTimePassword = {"username": username, "one_time_password": password}
    return ok(answer)


async def reset_pin(request: Request) -> Response:
    who = await actor(request)
    await json_body(request, EMPTY)
    username = request.path_params["username"]
    pin = await call(users.reset_pin, shop_of(request), who, username)
    answer: users.OneTimePin = {"username": username, "one_time_pin": pin}
    return ok(answer)


async def set_badge(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, BADGE_SET)
    await call(users.set_badge, shop_of(request), who, request.path_params["username"], body["badge"])
    done: users.BadgeSet = {"status": "badge_set"}
    return ok(done)


async def clear_badge(request: Request) -> Response:
    who = await actor(request)
    await call(users.clear_badge, shop_of(request), who, request.path_params["username"])
    done: users.BadgeCleared = {"status": "badge_cleared"}
    return ok(done)


async def change_user(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, USER_CHANGE)
    changed = await call(
        users.change_account,
        shop_of(request),
        who,
        request.path_params["username"],
        active=body.get("active"),
        role=body.get("role"),
    )
    return ok(changed)


async def sales_report(request: Request) -> Response:
    who = await actor(request)
    start, end = request.query_params.get("from"), request.query_params.get("to")
    return ok(await call(reports.sales_report, shop_of(request), who, start, end))


async def audit(request: Request) -> Response:
    who = await actor(request)
    shop = shop_of(request)
    after = int_param(request.query_params.get("after", "0"), "after")
    limit = min(int_param(request.query_params.get("limit", "500"), "limit"), 5000)

    def read() -> list[audit_log.AuditEntry]:
        auth.require(shop, who, Permission.VIEW_AUDIT)
        return audit_log.entries(shop, after, limit)

    return ok({"entries": await call(read)})


async def store_settings(request: Request) -> Response:
    await actor(request)
    s = shop_of(request).settings
    answer: TillSettings = {
        "store_name": s.store_name,
        "currency": s.currency,
        "prices_include_tax": s.prices_include_tax,
        "terminal_id": shop_of(request).config.terminal_id,
        "mode": shop_of(request).config.mode,
        "timezone": s.timezone,
        "currency_exponent": exponent(s.currency),
        "denominations": list(denominations(s.currency)),
        "discount_limits": s.discount_limits,
        "locale": s.locale,
        "cash_rounding": s.cash_rounding,
        "cash_increment": s.cash_increment,
        "keyed_card_payments": s.keyed_card_payments,
    }
    return ok(answer)


# -- the table ---------------------------------------------------------------------------------------


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "POST",
        "/auth/login",
        login,
        "Log in (password; a cashier's PIN or badge); returns a bearer token and sets the session cookie",
        "anyone",
        LOGIN,
        statuses=(200, 400, 401, 403, 422, 423, 429),
        returns=auth.Session,
    ),
    Endpoint(
        "POST",
        "/auth/kiosk",
        kiosk_login,
        "A customer session at a self-service till (only when the till's mode is self_service)",
        "anyone at a self-service till",
        statuses=(200, 403),
        returns=auth.Session,
    ),
    Endpoint(
        "POST",
        "/auth/logout",
        logout,
        "End the session; the open sales its user left on this till are parked (parked_sales: their ids)",
        "session",
        statuses=(200, 401),
        returns=auth.LoggedOut,
    ),
    Endpoint(
        "GET",
        "/auth/me",
        me,
        "Who is logged in, with their permissions",
        "session",
        statuses=(200, 401),
        returns=auth.Me,
    ),
    Endpoint(
        "POST",
        "/auth/password",
        change_password,
        "Change one's own password",
        "session",
        PASSWORD,
        statuses=(200, 400, 401, 422),
        returns=auth.PasswordChanged,
    ),
    Endpoint(
        "POST",
        "/auth/pin",
        change_pin,
        "Choose one's own PIN (a wrong current one counts toward the lockout)",
        "session",
        PIN_CHANGE,
        statuses=(200, 400, 401, 403, 422, 423, 429),
        returns=auth.PinChanged,
    ),
    Endpoint(
        "POST",
        "/auth/language",
        set_language,
        "Choose the language of one's own screens (en, fr, uk; null: the store's, from its locale)",
        "session",
        LANGUAGE,
        statuses=(200, 400, 401, 422),
        returns=auth.LanguageChosen,
    ),
    Endpoint(
        "POST",
        "/auth/approve",
        approve,
        "A supervisor approves one action on this session (password, PIN or badge)",
        "session",
        APPROVE,
        statuses=(200, 400, 401, 403, 422, 423, 429),
        returns=auth.Approval,
    ),
    Endpoint("GET", "/settings", store_settings, "Store name, currency and terminal", "session", returns=TillSettings),
    Endpoint(
        "GET",
        "/products",
        list_products,
        "Find products by barcode or PLU (on sale or withdrawn: see active) or by text: names starting with it, "
        "then names with a word starting with it, then skus starting with it (none: the first by name); on sale "
        "only unless withdrawn=true; at most limit",
        "cashier+",
        query=(
            ("barcode", "exact barcode"),
            ("plu", "exact PLU, 4 or 5 digits"),
            ("q", "what the person typed, at most 120 characters (the till asks for 3)"),
            ("withdrawn", "true to list withdrawn products too"),
            ("limit", "at most this many, 1 to 50 (50)"),
        ),
        statuses=(200, 400, 401, 422),
        returns=catalog.Products,
    ),
    Endpoint(
        "POST",
        "/products",
        create_product,
        "Create a product",
        "manage_products",
        PRODUCT,
        statuses=(201, 400, 401, 403, 409, 422),
        returns=catalog.ManagedProduct,
    ),
    Endpoint(
        "POST",
        "/products/import",
        import_products,
        "Import a catalogue CSV: all rows or none",
        "manage_products",
        statuses=(201, 401, 403, 422),
        content="text/csv",
        returns=catalog.Imported,
    ),
    Endpoint(
        "GET",
        "/products/{sku}",
        get_product,
        "One product by its exact sku, on sale or withdrawn, with its cost",
        "manage_products",
        statuses=(200, 401, 403, 404),
        returns=catalog.ManagedProduct,
    ),
    Endpoint(
        "PATCH",
        "/products/{sku}",
        change_product,
        "Change a product (any of name, price, tax_class, barcodes, category, cost, active, plu); active false "
        "withdraws it from sale, true puts it back; audited with before and after. Lines already scanned, "
        "on open or completed sales, keep the price they were scanned at",
        "manage_products",
        PRODUCT_CHANGE,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        returns=catalog.ManagedProduct,
    ),
    Endpoint(
        "GET",
        "/categories",
        list_categories,
        "The product categories, by name",
        "cashier+",
        statuses=(200, 401, 403),
        returns=catalog.Categories,
    ),
    Endpoint(
        "POST",
        "/categories",
        create_category,
        "Add a category (names are unique whatever their case)",
        "manage_products",
        CATEGORY,
        statuses=(201, 400, 401, 403, 409, 422),
        returns=catalog.CategoryJson,
    ),
    Endpoint(
        "POST",
        "/sales",
        open_sale,
        "Open a sale",
        "cashier+",
        statuses=(201, 401, 403),
        returns=SaleView,
    ),
    Endpoint(
        "GET",
        "/sales/{sale_id}",
        get_sale,
        "A sale with lines, totals, taxes and payments",
        "cashier+",
        statuses=(200, 401, 404),
        returns=SaleView,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/items",
        add_item,
        "Add an item by barcode, sku or PLU, with its grams when sold by weight; a retry with the same "
        "Idempotency-Key adds it once",
        "cashier+",
        ADD_ITEM,
        statuses=(200, 400, 401, 404, 409, 422),
        headers=("Idempotency-Key",),
        returns=SaleView,
    ),
    Endpoint(
        "PATCH",
        "/sales/{sale_id}/items/{line}",
        set_quantity,
        "Change a line's quantity",
        "cashier+",
        SET_QUANTITY,
        statuses=(200, 400, 401, 404, 409, 422),
        returns=SaleView,
    ),
    Endpoint(
        "DELETE",
        "/sales/{sale_id}/items/{line}",
        void_line,
        "Void a line (audited)",
        "void_line",
        statuses=(200, 401, 403, 404, 409),
        headers=("X-Approval",),
        returns=SaleView,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/cancel",
        cancel_sale,
        "Cancel an open sale with no payment (audited)",
        "cashier+",
        statuses=(200, 401, 404, 409),
        returns=SaleView,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/payments",
        add_payment,
        "Take a tender; the sale completes when due is 0. A card keyed in (card not present) needs the store "
        "rule keyed_card_payments (422 keyed_card_off) and the keyed_card permission, a manager's (403)",
        "cashier+",
        PAYMENT,
        statuses=(201, 400, 401, 403, 404, 409, 422),
        headers=("Idempotency-Key",),
        returns=PaidSale,
    ),
    Endpoint(
        "GET",
        "/sales/{sale_id}/receipt",
        get_receipt,
        "The receipt as text or ESC/POS bytes",
        "cashier+",
        query=(("format", "text or escpos"), ("copy", "true for a reprint marked COPY")),
        statuses=(200, 401, 404, 409),
        content="text/plain",
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/refunds",
        refund,
        "Refund lines of a completed sale to its tenders",
        "refund",
        REFUND,
        statuses=(201, 400, 401, 403, 404, 409, 422),
        headers=("Idempotency-Key", "X-Approval"),
        returns=returns.RefundAnswer,
    ),
    Endpoint(
        "GET", "/users", list_users, "Staff accounts", "manage_users", statuses=(200, 401, 403), returns=users.Accounts
    ),
    Endpoint(
        "POST",
        "/users",
        create_user,
        "Create a staff account (one-time password when none given)",
        "manage_users",
        NEW_USER,
        statuses=(201, 400, 401, 403, 409, 422),
        returns=users.NewAccount,
    ),
    Endpoint(
        "POST",
        "/users/{username}/unlock",
        unlock_user,
        "Unlock a locked-out account",
        "manage_users",
        statuses=(200, 401, 403, 404),
        returns=users.Unlocked,
    ),
    Endpoint(
        "PATCH",
        "/users/{username}",
        change_user,
        "Disable or enable an account, or change its role (its sessions end); never one's own",
        "manage_users",
        USER_CHANGE,
        statuses=(200, 400, 401, 403, 404, 422),
        returns=users.ChangedAccount,
    ),
    Endpoint(
        "POST",
        "/users/{username}/reset-password",
        reset_password,
        "A one-time password, shown once; the user's sessions end",
        "manage_users",
        statuses=(200, 400, 401, 403, 404),
        returns=users.OneTimePassword,
    ),
    Endpoint(
        "POST",
        "/users/{username}/pin",
        reset_pin,
        "A one-time 6-digit PIN, shown once, changed at its first use; the user's sessions end",
        "manage_users",
        statuses=(200, 400, 401, 403, 404, 422),
        returns=users.OneTimePin,
    ),
    Endpoint(
        "PUT",
        "/users/{username}/badge",
        set_badge,
        "Give the user the badge scanned (kept only as a hash)",
        "manage_users",
        BADGE_SET,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        returns=users.BadgeSet,
    ),
    Endpoint(
        "DELETE",
        "/users/{username}/badge",
        clear_badge,
        "Take the user's badge away",
        "manage_users",
        statuses=(200, 401, 403, 404),
        returns=users.BadgeCleared,
    ),
    Endpoint(
        "GET",
        "/reports/sales",
        sales_report,
        "Totals, by tender, by tax, top products",
        "view_reports",
        query=(("from", "ISO date or time, UTC"), ("to", "ISO date or time, UTC, exclusive")),
        statuses=(200, 401, 403, 422),
        returns=report_shapes.SalesReport,
    ),
    Endpoint(
        "GET",
        "/audit",
        audit,
        "Audit entries with their hash chain",
        "view_audit",
        query=(("after", "entry id to start after"), ("limit", "at most 5000")),
        statuses=(200, 401, 403),
        returns=audit_log.AuditEntries,
    ),
)
