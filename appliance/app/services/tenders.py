"""Which service takes which tender. Each method's service owns its own checks (a gift
card's balance, a card's gateway); this only routes the request, and keeps its answer for
a retry under the till's Idempotency-Key (`pay_once`)."""

from __future__ import annotations

from typing import Any

from appliance.app.domain.errors import Invalid
from appliance.app.services import idempotency, sales, shifts
from appliance.app.services.sale_results import Commit, SaleView, at_once
from appliance.app.services.shop import Actor, Shop

# Tenders whose service asks the office for a hold first, over the network (docs/office.md,
# "Shared balances"): on an enrolled till, with the office silent, that takes 3 s.
HELD_AT_OFFICE = ("gift_card", "loyalty")


def pay_once(
    shop: Shop, actor: Actor, sale_id: int, body: dict[str, Any], approval: str | None, key: str | None
) -> tuple[int, SaleView]:
    """`pay` with its answer kept under the Idempotency-Key (services/idempotency.py).

    A gift card or points tender takes the office's hold first, with no transaction open: a
    transaction waiting on the office would hold the process's one writer queue (every till
    this box serves, the outbox push) for as long. Then the local payment and the stored
    answer commit together. A retry whose answer was lost is answered from the store before
    any hold; one that comes while the first is still under way asks for the same hold (its
    key is made from the Idempotency-Key) and then finds the first's answer in the
    transaction, and repeats it: the money is taken once."""
    route = f"payments:{sale_id}"
    if key is None or body["method"] not in HELD_AT_OFFICE:
        return idempotency.run_once(
            shop, actor, key, route, body, lambda: (201, pay(shop, actor, sale_id, body, approval))
        )
    return idempotency.run_after_network(
        shop,
        actor,
        key,
        route,
        body,
        201,
        lambda commit: pay(shop, actor, sale_id, body, approval, client_key=key, commit=commit),
    )


def pay(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    body: dict[str, Any],
    approval: str | None = None,
    *,
    client_key: str | None = None,
    commit: Commit = at_once,
) -> SaleView:
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
        return gift_cards.redeem(shop, actor, sale_id, body["amount"], body["gift_card"], client_key, commit)
    if method == "loyalty":
        from appliance.app.services import customers

        return customers.pay_with_points(
            shop,
            actor,
            sale_id,
            body["amount"],
            body.get("customer"),
            body.get("loyalty_card"),
            approval,
            client_key,
            commit,
        )
    raise Invalid(f"{method.replace('_', ' ')} payments are not set up on this till", "tender_unavailable")
