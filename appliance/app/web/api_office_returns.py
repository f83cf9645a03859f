"""API for returns across lanes: a receipt of another lane found through the office, and
given back here (services/returns_across.py; docs/office.md, "Returns across lanes")."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from appliance.app.services import returns_across
from appliance.app.web.api import REFUND_LINES, ok
from appliance.app.web.endpoint import Endpoint
from appliance.app.web.http import actor, call, json_body, shop_of

RETURN_ACROSS = {
    "type": "object",
    "properties": {
        "receipt": {"type": "string", "minLength": 3, "maxLength": 60, "description": "as printed: T01-000042"},
        "store": {"type": "string", "maxLength": 64, "description": "when two stores printed that number"},
        "lines": REFUND_LINES,
        "reason": {"type": "string", "maxLength": 200},
        "refund_to": {"type": "string", "enum": list(returns_across.REFUND_TO)},
        "hold_key": {"type": "string", "minLength": 8, "maxLength": 64},
    },
    "required": ["receipt", "lines", "reason"],
    "additionalProperties": False,
}


async def find_receipt(request: Request) -> Response:
    who = await actor(request)
    store = request.query_params.get("store") or None
    number = request.path_params["number"]
    return ok(await call(returns_across.find_receipt, shop_of(request), who, number, store))


async def return_across(request: Request) -> Response:
    who = await actor(request)
    body = await json_body(request, RETURN_ACROSS)
    shop = shop_of(request)
    approval = request.headers.get("x-approval")
    retry_key = request.headers.get("idempotency-key")
    hold_key = body.get("hold_key")
    if hold_key is None and retry_key:
        hold_key = returns_across.hold_key_for(retry_key)
    status, answer = await call(returns_across.refund_once, shop, who, retry_key, body, approval, hold_key)
    return ok(answer, status)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET",
        "/office/receipts/{number}",
        find_receipt,
        "A receipt of another lane or store, found through the office: its lines, prices, taxes, tenders' "
        "methods and what is still returnable of each line across all lanes (409 office_unreachable offline, "
        "not_enrolled on a till with no office, receipt_ambiguous when two stores printed the number)",
        "cashier+",
        query=(("store", "the store, when two stores printed that number"),),
        statuses=(200, 401, 403, 404, 409, 422),
        returns=returns_across.ForeignReceipt,
    ),
    Endpoint(
        "POST",
        "/office/returns",
        return_across,
        "Give back lines of another lane's receipt: the permissions and approval checked, then held at the "
        "office (409 refund_exceeds_returnable beyond what remains across all lanes; 409 hold_not_live for a "
        "hold key whose hold was released or used), then paid here in cash or as store credit (never to the "
        "card that paid at the other lane); the same key after the return was made answers that return",
        "supervisor+",
        RETURN_ACROSS,
        statuses=(201, 400, 401, 403, 404, 409, 422),
        headers=("Idempotency-Key", "X-Approval"),
        returns=returns_across.ReturnAcross,
    ),
)
