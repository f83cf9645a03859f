"""API for the till's finer points: discounts, price overrides, parked sales, finding a
sale again, promotions, the grid of item buttons."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from appliance.app.domain.pricing import check_discount
from appliance.app.domain.receipt import render_refund_text
from appliance.app.services import (
    idempotency,
    item_grid,
    printing,
    promotions,
    receiptless_returns,
    returns,
    sale_view,
    sales,
)
from appliance.app.services.sale_results import FoundSales, SaleView
from appliance.app.web import params
from appliance.app.web.api import EMPTY, INT, REFUND_LINES, STR, ok
from appliance.app.web.endpoint import Endpoint
from appliance.app.web.http import BadRequest, actor, call, int_param, json_body, shop_of

DISCOUNT = {
    "type": "object",
    "description": "kind percent: value in basis points (1250 = 12.5 %); kind amount: value in minor units",
    "properties": {
        "kind": {"type": "string", "enum": ["percent", "amount"]},
        "value": INT,
        "reason": {"type": "string", "maxLength": 200},
    },
    "required": ["kind", "value"],
    "additionalProperties": False,
}
PRICE = {
    "type": "object",
    "properties": {"price": INT, "reason": {"type": "string", "maxLength": 200}},
    "required": ["price", "reason"],
    "additionalProperties": False,
}
ITEM_GRID = {
    "type": "object",
    "description": "The whole grid, tabs in order: each a category (by name) and its products' skus in order",
    "properties": {
        "tabs": {
            "type": "array",
            "maxItems": item_grid.MAX_TABS,
            "items": {
                "type": "object",
                "properties": {
                    "category": {"type": "string", "maxLength": 40},
                    "products": {
                        "type": "array",
                        "maxItems": item_grid.MAX_BUTTONS,
                        "items": {"type": "string", "maxLength": 64},
                    },
                },
                "required": ["category", "products"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["tabs"],
    "additionalProperties": False,
}
PROMOTION = {
    "type": "object",
    "description": "multi_price: sku, quantity N, price for N; buy_n_get_one: sku, quantity N; "
    "category_percent: category, percent in basis points. Dates are the shop's calendar, inclusive.",
    "properties": {
        "name": STR,
        "kind": {"type": "string", "enum": ["multi_price", "buy_n_get_one", "category_percent"]},
        "sku": STR,
        "category": STR,
        "quantity": INT,
        "price": INT,
        "percent": INT,
        "starts": {"type": "string", "format": "date"},
        "ends": {"type": "string", "format": "date"},
    },
    "required": ["name", "kind", "starts", "ends"],
    "additionalProperties": False,
}


async def discount_line(request: Request) -> Response:
    who = await actor(request)
    sale_id, line = params.sale_id(request), params.line(request)
    shop = shop_of(request)
    approval = request.headers.get("x-approval")
    if request.method == "DELETE":
        return ok(await call(sales.discount_line, shop, who, sale_id, line, None))
    body = await json_body(request, DISCOUNT)
    discount = check_discount(body["kind"], body["value"], body.get("reason", ""))
    return ok(await call(sales.discount_line, shop, who, sale_id, line, discount, approval))


async def discount_order(request: Request) -> Response:
    who = await actor(request)
    sale_id = params.sale_id(request)
    shop = shop_of(request)
    approval = request.headers.get("x-approval")
    if request.method == "DELETE":
        return ok(await call(sales.discount_order, shop, who, sale_id, None))
    body = await json_body(request, DISCOUNT)
    discount = check_discount(body["kind"], body["value"], body.get("reason", ""))
    return ok(await call(sales.discount_order, shop, who, sale_id, discount, approval))


async def override_price(request: Request) -> Response:
    who = await actor(request)
    sale_id, line = params.sale_id(request), params.line(request)
    body = await json_body(request, PRICE)
    return ok(
        await call(
            sales.override_price,
            shop_of(request),
            who,
            sale_id,
            line,
            body["price"],
            body["reason"],
            request.headers.get("x-approval"),
        )
    )


RETURN = {
    "type": "object",
    "properties": {
        "lines": {
            "type": "array",
            "minItems": 1,
            "maxItems": 100,
            "items": {
                "type": "object",
                "properties": {"barcode": STR, "sku": STR, "quantity": INT, "unit_price": INT},
                "additionalProperties": False,
            },
        },
        "reason": {"type": "string", "maxLength": 200},
        "refund_to": {"type": "string", "enum": ["cash", "gift_card"]},
    },
    "required": ["lines", "reason"],
    "additionalProperties": False,
}


async def return_without_receipt(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, RETURN)
    shop = shop_of(request)
    approval = request.headers.get("x-approval")
    status, answer = await call(
        idempotency.run_once,
        shop,
        who,
        request.headers.get("idempotency-key"),
        "returns",
        body,
        lambda: (
            201,
            receiptless_returns.without_receipt(
                shop, who, body["lines"], body["reason"], body.get("refund_to", "cash"), approval
            ),
        ),
    )
    return ok(answer, status)


REFUND_QUOTE = {
    "type": "object",
    "properties": {"lines": REFUND_LINES},
    "required": ["lines"],
    "additionalProperties": False,
}


async def refund_quote(request: Request) -> Response:
    who = await actor(request)
    sale_id = params.sale_id(request)
    body = await json_body(request, REFUND_QUOTE)
    return ok(await call(returns.refund_quote, shop_of(request), who, sale_id, body["lines"]))


async def refund_slip(request: Request) -> Response:
    who = await actor(request)
    refund_id = int_param(request.path_params["refund_id"], "refund id")
    fmt = request.query_params.get("format", "text")
    if fmt not in ("text", "escpos"):
        raise BadRequest("format must be text or escpos", "invalid_request")
    shop = shop_of(request)
    slip = await call(returns.refund_slip, shop, who, refund_id)
    if fmt == "text":
        return PlainTextResponse(render_refund_text(slip))
    return Response(printing.refund_slip_bytes(shop, slip), media_type="application/octet-stream")


async def approve_restricted(request: Request) -> Response:
    who = await actor(request)
    sale_id = params.sale_id(request)
    await json_body(request, EMPTY)
    return ok(await call(sales.approve_restricted, shop_of(request), who, sale_id, request.headers.get("x-approval")))


async def park(request: Request) -> Response:
    who = await actor(request)
    sale_id = params.sale_id(request)
    await json_body(request, EMPTY)
    return ok(await call(sales.park, shop_of(request), who, sale_id))


async def resume(request: Request) -> Response:
    who = await actor(request)
    sale_id = params.sale_id(request)
    await json_body(request, EMPTY)
    return ok(await call(sales.resume, shop_of(request), who, sale_id))


async def find_sales(request: Request) -> Response:
    who = await actor(request)
    q = request.query_params
    offset = int_param(q.get("offset", "0"), "offset")
    limit = min(int_param(q.get("limit", "500"), "limit"), 500) or 1
    found = await call(
        sale_view.find_sales,
        shop_of(request),
        who,
        receipt=q.get("receipt"),
        day=q.get("day"),
        status=q.get("status"),
        terminal=q.get("terminal") or None,
        offset=offset,
        limit=limit + 1,  # one more says whether a next page exists
    )
    more = q.get("day") is not None and len(found) > limit
    return ok({"sales": found[:limit], "next_offset": offset + limit if more else None})


async def list_promotions(request: Request) -> Response:
    who = await actor(request)
    return ok({"promotions": await call(promotions.list_active, shop_of(request), who)})


async def create_promotion(request: Request) -> Response:
    who = await actor(request)
    body: dict[str, Any] = await json_body(request, PROMOTION)
    return ok(await call(promotions.create, shop_of(request), who, body), 201)


async def end_promotion(request: Request) -> Response:
    who = await actor(request)
    promotion_id = int_param(request.path_params["promotion_id"], "promotion id")
    await call(promotions.end, shop_of(request), who, promotion_id)
    return ok({"status": "ended"})


async def get_item_grid(request: Request) -> Response:
    who = await actor(request)
    withdrawn = request.query_params.get("withdrawn", "false")
    if withdrawn not in ("true", "false"):
        raise BadRequest("withdrawn must be true or false", "invalid_request")
    tabs = await call(item_grid.grid, shop_of(request), who, withdrawn=withdrawn == "true")
    return ok({"tabs": tabs})


async def put_item_grid(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, ITEM_GRID)
    tabs = await call(item_grid.set_grid, shop_of(request), who, body["tabs"])
    return ok({"tabs": tabs})


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "POST",
        "/returns",
        return_without_receipt,
        "Take goods back without a receipt (permission, reason; cash or store credit on a gift card)",
        "return_without_receipt",
        RETURN,
        statuses=(201, 400, 401, 403, 409, 422),
        headers=("Idempotency-Key", "X-Approval"),
        returns=receiptless_returns.ReceiptlessReturn,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/refund-quote",
        refund_quote,
        "What refunding these lines would give back (amount, taxes, each line's part), worked out as the "
        "refund would; nothing is written and no approval is needed",
        "cashier+",
        REFUND_QUOTE,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        returns=returns.RefundQuote,
    ),
    Endpoint(
        "GET",
        "/refunds/{refund_id}/slip",
        refund_slip,
        "A refund's slip (the original receipt's number, the lines and taxes given back, where the money "
        "went: a card by brand and last four only) as text or ESC/POS bytes",
        "cashier+",
        query=(("format", "text or escpos"),),
        statuses=(200, 400, 401, 403, 404),
        content="text/plain",
    ),
    Endpoint(
        "GET",
        "/sales",
        find_sales,
        "Find sales: ?receipt=T01-000042, ?day=YYYY-MM-DD (paged; next_offset), ?status=parked (this till's "
        "parked sales) or ?status=open (this till's open sales nobody parked: what its screen shows again after "
        "a reload, a crash or a new login)",
        "cashier+",
        query=(
            ("receipt", "the receipt number"),
            ("day", "business day"),
            ("terminal", "with day: one till's sales; with status=open: that till's (this one by default)"),
            ("offset", "with day: where the page starts"),
            ("limit", "with day: at most 500 a page"),
            ("status", "parked or open"),
        ),
        statuses=(200, 400, 401, 404, 422),
        returns=FoundSales,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/items/{line}/discount",
        discount_line,
        "Discount one line; over the role's limit needs X-Approval",
        "cashier+",
        DISCOUNT,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        headers=("X-Approval",),
        returns=SaleView,
    ),
    Endpoint(
        "DELETE",
        "/sales/{sale_id}/items/{line}/discount",
        discount_line,
        "Remove a line's discount",
        "cashier+",
        statuses=(200, 401, 404, 409),
        returns=SaleView,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/discount",
        discount_order,
        "Discount the whole sale; over the role's limit needs X-Approval",
        "cashier+",
        DISCOUNT,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        headers=("X-Approval",),
        returns=SaleView,
    ),
    Endpoint(
        "DELETE",
        "/sales/{sale_id}/discount",
        discount_order,
        "Remove the sale's discount",
        "cashier+",
        statuses=(200, 401, 404, 409),
        returns=SaleView,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/items/{line}/price",
        override_price,
        "Override a line's price (reason, audited)",
        "price_override",
        PRICE,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        headers=("X-Approval",),
        returns=SaleView,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/approve",
        approve_restricted,
        "An attendant approves the sale's age-restricted items (X-Approval from a customer's screen)",
        "approve_restricted",
        statuses=(200, 401, 403, 404, 409),
        headers=("X-Approval",),
        returns=SaleView,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/park",
        park,
        "Park a sale to serve the next customer (a part-paid one too; 409 payment_pending while a card's "
        "answer is awaited)",
        "cashier+",
        statuses=(200, 401, 404, 409),
        returns=SaleView,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/resume",
        resume,
        "Resume a parked sale on its lane",
        "cashier+",
        statuses=(200, 401, 404, 409),
        returns=SaleView,
    ),
    Endpoint(
        "GET",
        "/promotions",
        list_promotions,
        "Running promotions",
        "cashier+",
        statuses=(200, 401),
        returns=promotions.Promotions,
    ),
    Endpoint(
        "POST",
        "/promotions",
        create_promotion,
        "Create a promotion",
        "manage_products",
        PROMOTION,
        statuses=(201, 400, 401, 403, 422),
        returns=promotions.PromotionJson,
    ),
    Endpoint(
        "DELETE",
        "/promotions/{promotion_id}",
        end_promotion,
        "End a promotion now",
        "manage_products",
        statuses=(200, 401, 403, 404),
        returns=promotions.Ended,
    ),
    Endpoint(
        "GET",
        "/item-grid",
        get_item_grid,
        "The till's item buttons for goods without a label: tabs (categories) in order, each with its products "
        "on sale in order (withdrawn=true, for manage_products: withdrawn ones too, active false)",
        "cashier+",
        query=(("withdrawn", "true to list withdrawn products too (manage_products)"),),
        statuses=(200, 400, 401, 403),
        returns=item_grid.Grid,
    ),
    Endpoint(
        "PUT",
        "/item-grid",
        put_item_grid,
        f"Arrange the till's item buttons: the whole grid, at most {item_grid.MAX_TABS} tabs of "
        f"{item_grid.MAX_BUTTONS} products, each category and each product on a tab once; audited",
        "manage_products",
        ITEM_GRID,
        statuses=(200, 400, 401, 403, 422),
        returns=item_grid.Grid,
    ),
)
