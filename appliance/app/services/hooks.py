"""What a completed sale or a refund sets off beyond the sale itself (gift cards activated or
taken back, loyalty points earned or given back…), run inside the sale's or the refund's own
transaction so that all of it commits together."""

from __future__ import annotations

from typing import Any

from appliance.app.services.shop import Actor, Shop
from appliance.app.store.db import Connection


def on_sale_completed(shop: Shop, tx: Connection, sale_id: int) -> None:
    """Called once per sale, after its receipt number is taken and its stock moved."""
    from appliance.app.services import customers, gift_cards

    gift_cards.activate_on_completion(shop, tx, sale_id)
    customers.earn_on_completion(shop, tx, sale_id)


def on_refund(
    shop: Shop, tx: Connection, actor: Actor, sale_id: int, refund_id: int, lines: dict[int, int]
) -> dict[str, Any]:
    """Called once per refund, after its lines and amount are recorded; what it answers joins
    the refund's answer and its audit entry."""
    from appliance.app.services import customers, gift_cards

    cards = gift_cards.take_back_on_refund(shop, tx, actor, sale_id, lines)
    return {"gift_cards_taken_back": cards, **customers.take_back_on_refund(shop, tx, actor, sale_id, refund_id)}


def on_logout(shop: Shop, tx: Connection, actor: Actor) -> dict[str, Any]:
    """Called inside the logout's transaction, before the session ends; what it answers
    joins the logout's audit entry (the sales it parked)."""
    from appliance.app.services import sales

    parked = sales.park_on_logout(shop, tx, actor)
    return {"parked_sales": parked} if parked else {}
