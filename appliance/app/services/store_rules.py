"""The back office's store settings: loyalty rules and gift card expiry (changes audited)."""

from __future__ import annotations

from typing import Any

from appliance.app.domain import loyalty
from appliance.app.domain.errors import Invalid
from appliance.app.services import audit_log
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import settings as settings_store
from appliance.security.rbac import Permission

MAX_EXPIRY_DAYS = 3650


def get(shop: Shop, actor: Actor) -> dict[str, Any]:
    require(shop, actor, Permission.SELL)
    values = settings_store.get_all(shop.db.conn)
    rules = loyalty.LoyaltyRules.from_settings(values)
    return {
        "loyalty_enabled": rules.enabled,
        "loyalty_points_per_unit": rules.points_per_unit,
        "loyalty_point_value": rules.point_value,
        "gift_card_expiry_days": int(values.get("gift_card_expiry_days") or 0),
    }


def put(shop: Shop, actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    require(shop, actor, Permission.MANAGE_SETTINGS)
    if not changes:
        raise Invalid("nothing to change", "nothing_to_change")
    with shop.db.transaction() as tx:
        current = get(shop, actor)
        merged = {**current, **changes}
        loyalty.LoyaltyRules(
            enabled=bool(merged["loyalty_enabled"]),
            points_per_unit=merged["loyalty_points_per_unit"],
            point_value=merged["loyalty_point_value"],
        ).check()
        days = merged["gift_card_expiry_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_EXPIRY_DAYS:
            raise Invalid(f"gift card expiry is 0 (never) to {MAX_EXPIRY_DAYS} days", "invalid_expiry")
        for key, value in changes.items():
            settings_store.put(tx, key, value)
        audit_log.record(shop, actor=actor, action="settings_change", object="settings", details=changes)
    shop.forget_settings()
    return get(shop, actor)
