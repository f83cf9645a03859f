"""Which service takes which tender. Each method's service owns its own checks (a gift
card's balance, a card's gateway); this only routes the request."""

from __future__ import annotations

from typing import Any

from appliance.app.domain.errors import Invalid
from appliance.app.services import sales, shifts
from appliance.app.services.sale_results import SaleView
from appliance.app.services.shop import Actor, Shop


def pay(shop: Shop, actor: Actor, sale_id: int, body: dict[str, Any], approval: str | None = None) -> SaleView:
    method = body["method"]
    if method == "cash" and actor.role == "customer":
        raise Invalid("cash is taken at a staffed till; please pay by card here", "tender_unavailable")
    if method == "cash":
        shifts.check_drawer(shop, actor, shop.db.conn)
        return sales.pay_cash(shop, actor, sale_id, body["amount"])
    if method == "gift_card":
        from appliance.app.services import gift_cards

        if not body.get("gift_card"):
            raise Invalid("give the gift card's number", "gift_card_required")
        return gift_cards.redeem(shop, actor, sale_id, body["amount"], body["gift_card"])
    if method == "loyalty":
        from appliance.app.services import customers

        return customers.pay_with_points(
            shop, actor, sale_id, body["amount"], body.get("customer"), body.get("loyalty_card"), approval
        )
    raise Invalid(f"{method.replace('_', ' ')} payments are not set up on this till", "tender_unavailable")
