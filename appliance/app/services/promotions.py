"""The shop's own offers: N for a price, buy N get one, a percentage off a category for a
while. They apply by themselves at the till; the best one for a line wins."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.app.domain.money import Money
from appliance.app.domain.pricing import Promotion, check_promotion
from appliance.app.services import audit_log
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import catalog as catalog_store
from appliance.app.store import office_promotions
from appliance.app.store import promotions as promotions_store
from appliance.app.store.db import Connection
from appliance.security.rbac import Permission


def _date(text: Any, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise Invalid(f"{name} must be a date YYYY-MM-DD", "invalid_date") from None


class PromotionJson(TypedDict):
    id: int
    name: str
    kind: str
    sku: str | None  # the product it is on, if one
    product_id: int | None
    category: str | None  # the category it is on, if one
    quantity: int
    price: Money
    percent: int  # basis points
    starts: str
    ends: str  # inclusive


class Promotions(TypedDict):
    """The web layer's answer: the offers running or planned."""

    promotions: list[PromotionJson]


class Ended(TypedDict):
    status: str  # ended


def promotion_json(p: Promotion) -> PromotionJson:
    return {
        "id": p.id,
        "name": p.name,
        "kind": p.kind,
        "sku": None,
        "product_id": p.product_id,
        "category": p.category,
        "quantity": p.quantity,
        "price": p.price,
        "percent": p.percent,
        "starts": p.starts.isoformat(),
        "ends": p.ends.isoformat(),
    }


def create(shop: Shop, actor: Actor, data: dict[str, Any]) -> PromotionJson:
    require(shop, actor, Permission.MANAGE_PRODUCTS)
    product_id = None
    if data.get("sku"):
        product = catalog_store.by_sku(shop.db.conn, str(data["sku"]))
        if product is None:
            raise Invalid(f"unknown sku {data['sku']}", "unknown_sku")
        product_id = product.id
    category = None
    if data.get("category") is not None:
        name = str(data["category"]).strip()
        category = catalog_store.category_named(shop.db.conn, name) if name else None
        if name and category is None:
            raise Invalid(f"no category {name!r}: add it to the categories first", "unknown_category")
    promotion = check_promotion(
        Promotion(
            id=0,
            name=str(data.get("name", "")).strip(),
            kind=str(data.get("kind", "")),
            starts=_date(data.get("starts"), "starts"),
            ends=_date(data.get("ends"), "ends"),
            product_id=product_id,
            category=category.name if category else None,
            quantity=int(data.get("quantity", 0)),
            price=int(data.get("price", 0)),
            percent=int(data.get("percent", 0)),
        )
    )
    with shop.db.transaction() as tx:
        promotion_id = promotions_store.insert(
            tx, promotion, category_id=category.id if category else None, at=shop.now()
        )
        audit_log.record(
            shop, actor=actor, action="promotion_create", object=f"promotion:{promotion_id}", details=dict(data)
        )
    return {**promotion_json(promotion), "id": promotion_id, "sku": data.get("sku")}


def list_active(shop: Shop, actor: Actor) -> list[PromotionJson]:
    """Offers running today or planned, by the shop's calendar; one past its last day prices
    nothing any more and is left out (its sales keep the price they were given)."""
    from appliance.app.services.sales import business_day

    require(shop, actor, Permission.SELL)
    offers = promotions_store.running_or_planned(shop.db.conn, business_day(shop))
    return [{**promotion_json(offer), "sku": sku} for offer, sku in offers]


def end(shop: Shop, actor: Actor, promotion_id: int) -> None:
    """Ends an offer now. Sales already completed keep the price they were given."""
    require(shop, actor, Permission.MANAGE_PRODUCTS)
    with shop.db.transaction() as tx:
        if office_promotions.office_owned(tx, promotion_id):
            raise Conflict("the office runs this promotion: end it there", "office_owned")
        if not promotions_store.end(tx, promotion_id):
            raise NotFound(f"no running promotion {promotion_id}", "promotion_not_found")
        audit_log.record(shop, actor=actor, action="promotion_end", object=f"promotion:{promotion_id}")


def apply_from_office(shop: Shop, tx: Connection, key: str, body: dict[str, Any], removed: bool) -> None:
    """An offer from the office's feed (docs/office.md, "Promotions"): the till's row of that
    offer ends and, unless the office ended it, a new one starts with the office's terms."""
    office_promotions.end_office(tx, key)
    if removed:
        audit_log.record(shop, actor="office", action="promotion_end", object=f"office:{key}", origin="office")
        return
    product = catalog_store.by_sku(tx, str(body["sku"])) if body.get("sku") else None
    if body.get("sku") and product is None:
        return  # withdrawn at the office before it ever reached this till: nothing to price
    category = catalog_store.category_named(tx, str(body["category"])) if body.get("category") else None
    if body.get("category") and category is None:
        raise Invalid(f"no category {body['category']!r}", "unknown_category")
    offer = check_promotion(
        Promotion(
            id=0, name=str(body["name"]), kind=str(body["kind"]), starts=_date(body["starts"], "starts"),
            ends=_date(body["ends"], "ends"), product_id=product.id if product else None,
            category=category.name if category else None, quantity=int(body["quantity"]),
            price=int(body["price"]), percent=int(body["percent"]),
        )
    )  # fmt: skip
    promotion_id = promotions_store.insert(tx, offer, category_id=category.id if category else None, at=shop.now())
    office_promotions.tag(tx, promotion_id, key)
    audit_log.record(
        shop, actor="office", action="promotion_create", object=f"promotion:{promotion_id}",
        details={**body, "office_key": key}, origin="office",
    )  # fmt: skip
