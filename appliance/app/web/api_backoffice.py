"""The back office's part of the JSON API: stock and purchase orders, customers and
loyalty, gift cards, the time clock, the store rules they use, and the reports (JSON, or
CSV with ?format=csv). Same conventions as api.py: one table of endpoints."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from appliance.app.services import customers, gift_cards, reports, stock, store_rules, time_clock
from appliance.app.services.sale_results import SaleWithGiftCard
from appliance.app.web.endpoint import Endpoint
from appliance.app.web.http import BadRequest, actor, call, int_param, json_body, shop_of

# -- request schemas ------------------------------------------------------------------------------

STR = {"type": "string", "maxLength": 200}
SKU = {"type": "string", "minLength": 1, "maxLength": 64}
INT = {"type": "integer"}
NULLABLE_INT = {"type": ["integer", "null"]}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


STOCK_RULES = _object(
    {"cost": INT, "reorder_point": NULLABLE_INT, "reorder_quantity": NULLABLE_INT, "supplier_id": NULLABLE_INT}
)
ADJUSTMENT = _object({"sku": SKU, "quantity": INT, "reason": STR, "note": STR}, ["sku", "quantity", "reason"])
COUNT = _object(
    {
        "reason": STR,
        "lines": {
            "type": "array",
            "minItems": 1,
            "maxItems": 5000,
            "items": _object({"sku": SKU, "counted": INT}, ["sku", "counted"]),
        },
    },
    ["reason", "lines"],
)
SUPPLIER = _object({"name": STR, "email": STR, "phone": STR}, ["name"])
ORDER_LINES = {
    "type": "array",
    "minItems": 1,
    "maxItems": 1000,
    "items": _object({"sku": SKU, "quantity": INT, "unit_cost": INT}, ["sku", "quantity"]),
}
PURCHASE_ORDER = _object({"supplier_id": INT, "lines": ORDER_LINES, "note": STR}, ["supplier_id", "lines"])
RECEIPT = _object({"lines": ORDER_LINES}, ["lines"])
EMPTY = {"type": ["object", "null"], "properties": {}, "additionalProperties": False}
CUSTOMER = _object(
    {
        "name": STR,
        "email": {"type": ["string", "null"], "maxLength": 254},
        "phone": {"type": ["string", "null"], "maxLength": 32},
        "consent": {"type": "boolean"},
        "loyalty_card": {"type": ["string", "null"], "maxLength": 32},
    },
    ["name"],
)
CUSTOMER_CHANGE = _object(
    {
        "name": STR,
        "email": {"type": ["string", "null"], "maxLength": 254},
        "phone": {"type": ["string", "null"], "maxLength": 32},
        "consent": {"type": "boolean"},
        "loyalty_card": {"type": ["string", "null"], "maxLength": 32},
    }
)
ERASE = _object({"reason": STR})
POINTS = _object({"points": INT, "reason": STR}, ["points", "reason"])
SALE_CUSTOMER = _object({"customer_id": NULLABLE_INT, "loyalty_card": {"type": "string", "maxLength": 32}})
GIFT_CARD_SALE = _object({"amount": INT, "code": {"type": "string", "maxLength": 40}}, ["amount"])
GIFT_CARD_CODE = _object({"code": {"type": "string", "maxLength": 40}}, ["code"])
REASON = _object({"reason": STR}, ["reason"])
CLOCK = _object(
    {"action": {"type": "string", "enum": ["clock_in", "clock_out", "break_start", "break_end"]}}, ["action"]
)
RULES = _object(
    {
        "loyalty_enabled": {"type": "boolean"},
        "loyalty_points_per_unit": INT,
        "loyalty_point_value": INT,
        "gift_card_expiry_days": INT,
        "variable_measure_prefixes": {
            "type": "object",
            "description": 'scale labels: EAN-13 prefix 20-29 → "price" (minor units) or "weight" (grams); '
            "the whole map is replaced, {} reads no code as a scale label",
            "maxProperties": 100,
            "additionalProperties": {"type": "string", "maxLength": 20},
        },
        "variable_measure_layout": {
            "type": "string",
            "description": "the label's 13 digits: P prefix (2), I item (4+), C price check (optional), "
            "V value (4 or 5; 4 with C), K check digit last; e.g. PPIIIIICVVVVK",
            "maxLength": 64,
        },
        "card_number_keep_minutes": {
            "type": "integer",
            "description": "how long the card vault keeps an approved card number once the acquirer has "
            "answered: 0 (default) erases it at once, at most 60; a declined number is never kept",
        },
        "cash_rounding": {
            "type": "string",
            "enum": ["none", "0.05", "0.10", "1.00"],
            "description": "what cash that settles a sale rounds to (Swedish rounding; cards never round)",
        },
        "locale": {
            "type": "string",
            "description": "how the store writes amounts, a BCP 47 tag such as fr-CA or en-CA",
            "maxLength": 35,
        },
        "cash_requires_shift": {
            "type": "boolean",
            "description": "cash is taken or given back only on a till with an open shift (409 no_open_shift "
            "otherwise); on by default",
        },
        "idempotency_keep_hours": {
            "type": "integer",
            "description": "how long the first answer to an Idempotency-Key is kept for a retry: 1 to 720 hours, "
            "48 by default; older answers are purged at start-up and after a shift closes, and a key sent "
            "again after that is a new request",
        },
        "keyed_card_payments": {
            "type": "boolean",
            "description": "card not present: a manager may type a card's number at the till (the card vault "
            "keeps it until the acquirer answers); off by default, when every card goes to the payment "
            "terminal; turning it on or off is audited",
        },
        "update_window": {
            "type": "string",
            "description": "when the box may install a software update, HH:MM-HH:MM in the store's time zone "
            "(02:00-05:00 by default; it may run past midnight); never during an open shift or with events "
            "the office has not had",
            "maxLength": 11,
        },
    }
)


def ok(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def _id(request: Request, name: str) -> int:
    return int_param(request.path_params[name], name.replace("_", " "))


def _limit(request: Request, default: int) -> int:
    return min(int_param(request.query_params.get("limit", str(default)), "limit"), 1000) or 1


# -- stock -----------------------------------------------------------------------------------------


async def stock_levels(request: Request) -> Response:
    who = await actor(request)
    low = request.query_params.get("low", "false") in ("1", "true", "yes")
    q = request.query_params.get("q", "")[:64]
    return ok(await call(stock.levels, shop_of(request), who, text=q, low_only=low, limit=_limit(request, 100)))


async def low_stock(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(stock.low_stock, shop_of(request), who))


async def stock_level(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(stock.level, shop_of(request), who, request.path_params["sku"]))


async def stock_rules(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, STOCK_RULES)
    return ok(await call(stock.set_rules, shop_of(request), who, request.path_params["sku"], body))


async def stock_adjustment(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, ADJUSTMENT)
    shop = shop_of(request)
    return ok(
        await call(stock.adjust, shop, who, body["sku"], body["quantity"], body["reason"], body.get("note", "")), 201
    )


async def stock_count(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, COUNT)
    return ok(await call(stock.count, shop_of(request), who, body["lines"], body["reason"]), 201)


async def stock_movements(request: Request) -> Response:
    who = await actor(request)
    sku = request.query_params.get("sku") or None
    return ok(await call(stock.movements, shop_of(request), who, sku, _limit(request, 200)))


async def list_suppliers(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(stock.suppliers, shop_of(request), who))


async def add_supplier(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, SUPPLIER)
    return ok(
        await call(stock.add_supplier, shop_of(request), who, body["name"], body.get("email"), body.get("phone")), 201
    )


async def list_orders(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(stock.orders, shop_of(request), who, request.query_params.get("status") or None))


async def create_order(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, PURCHASE_ORDER)
    shop = shop_of(request)
    return ok(await call(stock.create_order, shop, who, body["supplier_id"], body["lines"], body.get("note", "")), 201)


async def suggest_orders(request: Request) -> Response:
    who = await actor(request)
    await json_body(request, EMPTY)
    return ok(await call(stock.suggest_orders, shop_of(request), who), 201)


async def get_order(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(stock.get_order, shop_of(request), who, _id(request, "po_id")))


async def send_order(request: Request) -> Response:
    who = await actor(request)
    po_id = _id(request, "po_id")
    await json_body(request, EMPTY)
    return ok(await call(stock.mark_ordered, shop_of(request), who, po_id))


async def cancel_order(request: Request) -> Response:
    who = await actor(request)
    po_id = _id(request, "po_id")
    await json_body(request, EMPTY)
    return ok(await call(stock.cancel_order, shop_of(request), who, po_id))


async def receive_order(request: Request) -> Response:
    who = await actor(request)
    po_id = _id(request, "po_id")
    body = await json_body(request, RECEIPT)
    return ok(await call(stock.receive, shop_of(request), who, po_id, body["lines"]), 201)


# -- customers --------------------------------------------------------------------------------------


async def find_customers(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(customers.find, shop_of(request), who, request.query_params.get("q", "")))


async def create_customer(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, CUSTOMER)
    return ok(
        await call(
            customers.create,
            shop_of(request),
            who,
            body["name"],
            body.get("email"),
            body.get("phone"),
            body.get("consent", False),
            body.get("loyalty_card"),
        ),
        201,
    )


async def get_customer(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(customers.get, shop_of(request), who, _id(request, "customer_id")))


async def update_customer(request: Request) -> Response:
    who = await actor(request)
    customer_id = _id(request, "customer_id")
    body = await json_body(request, CUSTOMER_CHANGE)
    return ok(await call(customers.update, shop_of(request), who, customer_id, body))


async def erase_customer(request: Request) -> Response:
    who = await actor(request)
    customer_id = _id(request, "customer_id")
    body = await json_body(request, ERASE)
    return ok(
        await call(customers.erase, shop_of(request), who, customer_id, body.get("reason") or "customer's request")
    )


async def customer_purchases(request: Request) -> Response:
    who = await actor(request)
    customer_id = _id(request, "customer_id")
    return ok(await call(customers.purchases, shop_of(request), who, customer_id, _limit(request, 100)))


async def adjust_points(request: Request) -> Response:
    who = await actor(request)
    customer_id = _id(request, "customer_id")
    body = await json_body(request, POINTS)
    shop = shop_of(request)
    return ok(await call(customers.adjust_points, shop, who, customer_id, body["points"], body["reason"]))


async def sale_customer(request: Request) -> Response:
    who = await actor(request)
    sale_id = _id(request, "sale_id")
    body = await json_body(request, SALE_CUSTOMER)
    if "customer_id" not in body and "loyalty_card" not in body:
        raise BadRequest("name the customer by customer_id (null takes them off) or loyalty_card", "invalid_request")
    card = body.get("loyalty_card")
    return ok(await call(customers.attach_to_sale, shop_of(request), who, sale_id, body.get("customer_id"), card))


# -- gift cards --------------------------------------------------------------------------------------


async def sell_gift_card(request: Request) -> Response:
    who = await actor(request)
    sale_id = _id(request, "sale_id")
    body = await json_body(request, GIFT_CARD_SALE)
    shop = shop_of(request)
    # A retry after a lost answer must not put a second card on the sale.
    key = request.headers.get("idempotency-key")
    status, answer = await call(gift_cards.sell_once, shop, who, sale_id, body, key)
    return ok(answer, status)


async def gift_card_balance(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, GIFT_CARD_CODE)
    return ok(await call(gift_cards.balance, shop_of(request), who, body["code"]))


async def list_gift_cards(request: Request) -> Response:
    who = await actor(request)
    status = request.query_params.get("status") or None
    return ok(await call(gift_cards.cards, shop_of(request), who, status, _limit(request, 200)))


async def void_gift_card(request: Request) -> Response:
    who = await actor(request)
    card_id = _id(request, "card_id")
    body = await json_body(request, REASON)
    return ok(await call(gift_cards.void, shop_of(request), who, card_id, body["reason"]))


# -- time clock and rules -----------------------------------------------------------------------------


async def clock_status(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(time_clock.status, shop_of(request), who))


async def clock(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, CLOCK)
    return ok(await call(time_clock.act, shop_of(request), who, body["action"]))


async def get_rules(request: Request) -> Response:
    who = await actor(request)
    return ok(await call(store_rules.get, shop_of(request), who))


async def put_rules(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, RULES)
    return ok(await call(store_rules.put, shop_of(request), who, body))


# -- reports --------------------------------------------------------------------------------------------


def _report(name: str) -> Any:
    async def report(request: Request) -> Response:
        who = await actor(request)
        fmt = request.query_params.get("format", "json")
        if fmt not in ("json", "csv"):
            raise BadRequest("format must be json or csv", "invalid_request")
        start, end = request.query_params.get("from"), request.query_params.get("to")
        found = await call(reports.run, shop_of(request), who, name, start, end, csv_rows=fmt == "csv")
        if fmt == "json":
            return ok(found)
        filename = f"{name}-{found['from'][:10]}-{found['to'][:10]}.csv"
        return Response(
            reports.to_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{filename}"'},
        )

    report.__name__ = "report_" + name.replace("-", "_")
    return report


REPORT_QUERY = (
    ("from", "a day (YYYY-MM-DD, the store's calendar) or an ISO 8601 time"),
    ("to", "a day, included, or an ISO 8601 time, excluded"),
    ("format", "json (default) or csv"),
)

_R = reports.REPORTS

# -- the table ---------------------------------------------------------------------------------------------

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        "/stock",
        stock_levels,
        "Stock levels, by text or only the low ones",
        "manage_stock",
        query=(
            ("q", "text in name or sku"),
            ("low", "true: only at or under the reorder point"),
            ("limit", "at most 1000"),
        ),
        statuses=(200, 400, 401, 403),
        returns=stock.StockLevels,
    ),
    Endpoint(
        "GET",
        "/stock/low",
        low_stock,
        "Products at or under their reorder point",
        "manage_stock",
        statuses=(200, 401, 403),
        returns=stock.StockLevels,
    ),
    Endpoint(
        "GET",
        "/stock/products/{sku}",
        stock_level,
        "One product's stock, on order and stock rules, by its exact sku",
        "manage_stock",
        statuses=(200, 401, 403, 404, 422),
        returns=stock.ProductStock,
    ),
    Endpoint(
        "PATCH",
        "/stock/products/{sku}",
        stock_rules,
        "A product's cost, reorder point and supplier",
        "manage_stock",
        STOCK_RULES,
        statuses=(200, 400, 401, 403, 404, 422),
        returns=stock.ProductStock,
    ),
    Endpoint(
        "POST",
        "/stock/adjustments",
        stock_adjustment,
        "Adjust on-hand with a reason (audited)",
        "manage_stock",
        ADJUSTMENT,
        statuses=(201, 400, 401, 403, 404, 422),
        returns=stock.Adjustment,
    ),
    Endpoint(
        "POST",
        "/stock/counts",
        stock_count,
        "A physical count sets on-hand; variances recorded (audited)",
        "manage_stock",
        COUNT,
        statuses=(201, 400, 401, 403, 404, 422),
        returns=stock.Count,
    ),
    Endpoint(
        "GET",
        "/stock/movements",
        stock_movements,
        "Adjustments, counts and receipts, newest first",
        "manage_stock",
        query=(("sku", "one product"), ("limit", "at most 1000")),
        statuses=(200, 400, 401, 403, 404),
        returns=stock.Movements,
    ),
    Endpoint(
        "GET",
        "/suppliers",
        list_suppliers,
        "Suppliers",
        "manage_stock",
        statuses=(200, 401, 403),
        returns=stock.Suppliers,
    ),
    Endpoint(
        "POST",
        "/suppliers",
        add_supplier,
        "Add a supplier",
        "manage_stock",
        SUPPLIER,
        statuses=(201, 400, 401, 403, 409, 422),
        returns=stock.Supplier,
    ),
    Endpoint(
        "GET",
        "/purchase-orders",
        list_orders,
        "Purchase orders, newest first",
        "manage_stock",
        query=(("status", "draft, ordered, partial, received or cancelled"),),
        statuses=(200, 401, 403, 422),
        returns=stock.Orders,
    ),
    Endpoint(
        "POST",
        "/purchase-orders",
        create_order,
        "A draft purchase order",
        "manage_stock",
        PURCHASE_ORDER,
        statuses=(201, 400, 401, 403, 404, 422),
        returns=stock.PurchaseOrder,
    ),
    Endpoint(
        "POST",
        "/purchase-orders/suggest",
        suggest_orders,
        "Draft orders, one per supplier, from the low-stock list",
        "manage_stock",
        statuses=(201, 400, 401, 403),
        returns=stock.Suggested,
    ),
    Endpoint(
        "GET",
        "/purchase-orders/{po_id}",
        get_order,
        "A purchase order with its lines",
        "manage_stock",
        statuses=(200, 400, 401, 403, 404),
        returns=stock.PurchaseOrder,
    ),
    Endpoint(
        "POST",
        "/purchase-orders/{po_id}/send",
        send_order,
        "Mark a draft as sent to the supplier",
        "manage_stock",
        statuses=(200, 400, 401, 403, 404, 409),
        returns=stock.PurchaseOrder,
    ),
    Endpoint(
        "POST",
        "/purchase-orders/{po_id}/cancel",
        cancel_order,
        "Cancel an order nothing was received on",
        "manage_stock",
        statuses=(200, 400, 401, 403, 404, 409),
        returns=stock.PurchaseOrder,
    ),
    Endpoint(
        "POST",
        "/purchase-orders/{po_id}/receipts",
        receive_order,
        "Receive goods against an order, all or some (audited)",
        "manage_stock",
        RECEIPT,
        statuses=(201, 400, 401, 403, 404, 409, 422),
        returns=stock.PurchaseOrder,
    ),
    Endpoint(
        "GET",
        "/customers",
        find_customers,
        "Find customers by email, phone, loyalty card or name; an enrolled till asks the office for an exact "
        "email, phone or card it does not hold, and keeps a copy (`from_office`)",
        "serve_customers",
        query=(("q", "an email, a phone number, a loyalty card or the start of a name"),),
        statuses=(200, 401, 403, 422),
        returns=customers.Found,
    ),
    Endpoint(
        "POST",
        "/customers",
        create_customer,
        "Enrol a customer (minimum data, consent flag)",
        "serve_customers",
        CUSTOMER,
        statuses=(201, 400, 401, 403, 409, 422),
        returns=customers.Customer,
    ),
    Endpoint(
        "GET",
        "/customers/{customer_id}",
        get_customer,
        "A customer with their points",
        "serve_customers",
        statuses=(200, 400, 401, 403, 404),
        returns=customers.Customer,
    ),
    Endpoint(
        "PATCH",
        "/customers/{customer_id}",
        update_customer,
        "Correct a customer's details (audited)",
        "manage_customers",
        CUSTOMER_CHANGE,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        returns=customers.Customer,
    ),
    Endpoint(
        "POST",
        "/customers/{customer_id}/erase",
        erase_customer,
        "Erase a customer's personal data on request; sales stay whole (audited)",
        "manage_customers",
        ERASE,
        statuses=(200, 400, 401, 403, 404, 409),
        returns=customers.Customer,
    ),
    Endpoint(
        "GET",
        "/customers/{customer_id}/purchases",
        customer_purchases,
        "A customer's purchase history",
        "serve_customers",
        query=(("limit", "at most 500"),),
        statuses=(200, 400, 401, 403, 404),
        returns=customers.Purchases,
    ),
    Endpoint(
        "POST",
        "/customers/{customer_id}/points",
        adjust_points,
        "Adjust a customer's points (audited)",
        "manage_customers",
        POINTS,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        returns=customers.Customer,
    ),
    Endpoint(
        "PUT",
        "/sales/{sale_id}/customer",
        sale_customer,
        "Name (or clear) the customer of an open sale",
        "serve_customers",
        SALE_CUSTOMER,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        returns=customers.SaleWithCustomer,
    ),
    Endpoint(
        "POST",
        "/sales/{sale_id}/gift-cards",
        sell_gift_card,
        "Sell a new gift card or top one up, as an untaxed line; active when the sale completes",
        "cashier+",
        GIFT_CARD_SALE,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        headers=("Idempotency-Key",),
        returns=SaleWithGiftCard,
    ),
    Endpoint(
        "POST",
        "/gift-cards/balance",
        gift_card_balance,
        "A gift card's balance (number in the body)",
        "cashier+",
        GIFT_CARD_CODE,
        statuses=(200, 400, 401, 403, 404, 422),
        returns=gift_cards.GiftCardBalance,
    ),
    Endpoint(
        "GET",
        "/gift-cards",
        list_gift_cards,
        "Gift cards, numbers masked",
        "manage_gift_cards",
        query=(("status", "pending, active or void"), ("limit", "at most 1000")),
        statuses=(200, 400, 401, 403, 422),
        returns=gift_cards.GiftCardList,
    ),
    Endpoint(
        "POST",
        "/gift-cards/{card_id}/void",
        void_gift_card,
        "Void a gift card (audited)",
        "manage_gift_cards",
        REASON,
        statuses=(200, 400, 401, 403, 404, 409, 422),
        returns=gift_cards.GiftCard,
    ),
    Endpoint(
        "GET",
        "/time-clock",
        clock_status,
        "Am I clocked in, on a break, or off?",
        "clock_in",
        statuses=(200, 401, 403),
        returns=time_clock.ClockStatus,
    ),
    Endpoint(
        "POST",
        "/time-clock",
        clock,
        "Clock in or out, start or end a break",
        "clock_in",
        CLOCK,
        statuses=(200, 400, 401, 403, 409),
        returns=time_clock.ClockStatus,
    ),
    Endpoint(
        "GET",
        "/settings/rules",
        get_rules,
        "Loyalty rules, gift card expiry, how scale labels are read, cash rounding, the store's locale, "
        "whether cash needs an open shift and whether a manager may key in a card's number",
        "cashier+",
        statuses=(200, 401, 403),
        returns=store_rules.StoreRules,
    ),
    Endpoint(
        "PUT",
        "/settings/rules",
        put_rules,
        "Change loyalty rules, gift card expiry, the scale-label prefixes and layout, cash rounding, the "
        "store's locale, whether cash needs an open shift or whether a manager may key in a card's number "
        "(audited)",
        "manage_settings",
        RULES,
        statuses=(200, 400, 401, 403, 422),
        returns=store_rules.StoreRules,
    ),
    *(
        Endpoint(
            "GET",
            f"/reports/{name}",
            _report(name),
            f"{summary} (JSON, or CSV with format=csv)",
            "view_reports",
            query=REPORT_QUERY,
            statuses=(200, 400, 401, 403, 422),
            returns=reports.SHAPES[name],
        )
        for name, (_, summary) in _R.items()
    ),
)
