"""The back office's store settings: loyalty rules, gift card expiry, how the scale's
labels are read, cash rounding and the store's locale, whether cash needs an open shift, and
how long the card vault may keep a settled card number and how long an idempotency answer
is kept for a retry, whether a manager may key a card's number in at the till (card not
present; off on a new store), and the hours when the box may install an update. Changes
audited; turning keyed cards on or off has its own entry."""

from __future__ import annotations

import re
from typing import Any, TypedDict

from appliance.app.domain import loyalty, update_window
from appliance.app.domain.barcode import check_layout, check_prefixes
from appliance.app.domain.card import KEYED_RULE
from appliance.app.domain.errors import Conflict, Invalid
from appliance.app.domain.money import CASH_ROUNDINGS, cash_increment
from appliance.app.services import audit_log, card_vault, idempotency, shifts
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop, StoreSettings
from appliance.app.store import settings as settings_store
from appliance.app.store.db import Connection
from appliance.security.rbac import Permission

MAX_EXPIRY_DAYS = 3650
OFFICE_OWNED = "office_rules"  # the setting that lists the rules the office decides here
ACTOR_OFFICE = "office"
RULES = (
    "loyalty_enabled",
    "loyalty_points_per_unit",
    "loyalty_point_value",
    "gift_card_expiry_days",
    "variable_measure_prefixes",
    "variable_measure_layout",
    card_vault.KEEP_RULE,
    "cash_rounding",
    "locale",
    shifts.CASH_NEEDS_SHIFT,
    idempotency.KEEP_RULE,
    KEYED_RULE,
    update_window.RULE,
)
# A BCP 47 tag as the screens' Intl.NumberFormat takes it: language, then script or region.
_LOCALE = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?$")


class StoreRules(TypedDict):
    loyalty_enabled: bool
    loyalty_points_per_unit: int
    loyalty_point_value: int
    gift_card_expiry_days: int
    variable_measure_prefixes: dict[str, str]  # EAN-13 prefix → "price" or "weight"
    variable_measure_layout: str
    card_number_keep_minutes: int  # card_vault.KEEP_RULE
    cash_rounding: str
    locale: str
    cash_requires_shift: bool  # shifts.CASH_NEEDS_SHIFT
    idempotency_keep_hours: int  # idempotency.KEEP_RULE
    keyed_card_payments: bool  # card.KEYED_RULE: off unless a manager turned it on
    update_window: str  # update_window.RULE: HH:MM-HH:MM in the store's time, when updates install


def get(shop: Shop, actor: Actor) -> StoreRules:
    require(shop, actor, Permission.SELL)
    return _read(shop.db.conn)


def _read(conn: Connection) -> StoreRules:
    values = settings_store.get_all(conn)
    rules = loyalty.LoyaltyRules.from_settings(values)
    labels = StoreSettings.from_mapping(values)  # the same defaults the till reads labels with
    return {
        "loyalty_enabled": rules.enabled,
        "loyalty_points_per_unit": rules.points_per_unit,
        "loyalty_point_value": rules.point_value,
        "gift_card_expiry_days": int(values.get("gift_card_expiry_days") or 0),
        "variable_measure_prefixes": dict(sorted(labels.variable_measure_prefixes.items())),
        "variable_measure_layout": labels.variable_measure_layout,
        "card_number_keep_minutes": int(values.get(card_vault.KEEP_RULE) or 0),
        "cash_rounding": labels.cash_rounding,
        "locale": labels.locale,
        "cash_requires_shift": shifts.cash_needs_shift(values),
        "idempotency_keep_hours": idempotency.keep_hours(values),
        "keyed_card_payments": values.get(KEYED_RULE) is True,
        "update_window": str(values.get(update_window.RULE) or update_window.DEFAULT),
    }


def _shown(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 20 else text[:20] + "…")


def _scale_labels(changes: dict[str, Any]) -> dict[str, Any]:
    """The scale-label settings as the till will read them, or Invalid: a layout or prefix
    map that read_variable_measure cannot use is never stored."""
    checked = dict(changes)
    if "variable_measure_layout" in changes:
        layout = changes["variable_measure_layout"]
        if not isinstance(layout, str):
            raise Invalid("the scale-label layout is 13 letters, e.g. PPIIIIICVVVVK", "invalid_layout")
        try:
            checked["variable_measure_layout"] = check_layout(layout.strip().upper())
        except Invalid as exc:
            raise Invalid(f"scale-label layout {_shown(layout)} refused: {exc.message}", exc.code) from None
    if "variable_measure_prefixes" in changes:
        prefixes = changes["variable_measure_prefixes"]
        if not isinstance(prefixes, dict):
            raise Invalid('scale-label prefixes map each prefix to its kind, e.g. {"20": "price"}', "invalid_prefix")
        checked["variable_measure_prefixes"] = check_prefixes(prefixes)
    return checked


def _money_rules(shop: Shop, changes: dict[str, Any]) -> None:
    """Cash rounding is one of the named rules the currency has coins for; the locale is a
    tag the screens can format and read amounts with."""
    if "cash_rounding" in changes:
        rule = changes["cash_rounding"]
        if rule not in CASH_ROUNDINGS:
            raise Invalid(
                f"cash rounding {_shown(rule)} refused: one of {', '.join(CASH_ROUNDINGS)}", "invalid_cash_rounding"
            )
        cash_increment(rule, shop.settings.currency)
    if "locale" in changes:
        tag = changes["locale"]
        if not isinstance(tag, str) or not _LOCALE.match(tag):
            raise Invalid(f"locale {_shown(tag)} refused: a language tag such as fr-CA or en-CA", "invalid_locale")
    if shifts.CASH_NEEDS_SHIFT in changes and not isinstance(changes[shifts.CASH_NEEDS_SHIFT], bool):
        raise Invalid("whether cash needs an open shift is true or false", "invalid_rule")
    if idempotency.KEEP_RULE in changes and not idempotency.valid_keep_hours(changes[idempotency.KEEP_RULE]):
        raise Invalid(
            f"an idempotency answer is kept {idempotency.MIN_KEEP_HOURS} to {idempotency.MAX_KEEP_HOURS} hours"
            f" (a whole number; {idempotency.DEFAULT_KEEP_HOURS} by default), so that a till's retry still finds it",
            "invalid_keep",
        )
    if KEYED_RULE in changes and not isinstance(changes[KEYED_RULE], bool):
        raise Invalid("whether a manager may key in a card's number is true or false", "invalid_rule")
    if update_window.RULE in changes:
        update_window.parse(changes[update_window.RULE])


def put(shop: Shop, actor: Actor, changes: dict[str, Any]) -> StoreRules:
    require(shop, actor, Permission.MANAGE_SETTINGS)
    if not changes:
        raise Invalid("nothing to change", "nothing_to_change")
    changes = _checked(shop, changes)
    with shop.db.transaction() as tx:
        owned = sorted(set(changes) & set(settings_store.get_all(tx).get(OFFICE_OWNED) or ()))
        if owned:
            raise Conflict(f"{', '.join(owned)}: the office decides it for this store", "office_owned")
        _write(shop, tx, actor, changes)
    shop.forget_settings()  # the till reads the new rules (and label layout) at its next scan
    return get(shop, actor)


def apply_from_office(shop: Shop, tx: Connection, rules: dict[str, Any], version: int) -> None:
    """The rules the office decides for this store (docs/office.md, "Store rules"), in the feed's
    transaction, checked like a manager's change; from now on the till refuses to change
    them (409 `office_owned`), and a rule the office stops deciding is the store's again.
    The caller forgets the cached settings after its commit."""
    checked = _checked(shop, rules)
    _write(shop, tx, ACTOR_OFFICE, checked, origin="office", version=version)
    settings_store.put(tx, OFFICE_OWNED, sorted(checked))


def _checked(shop: Shop, changes: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(changes) - set(RULES))
    if unknown:
        raise Invalid(f"no store rule {', '.join(unknown)}; one of {', '.join(RULES)}", "unknown_rule")
    changes = _scale_labels(changes)
    _money_rules(shop, changes)
    return changes


def _write(
    shop: Shop,
    tx: Connection,
    actor: Actor | str,
    changes: dict[str, Any],
    *,
    origin: str | None = None,
    version: int | None = None,
) -> None:
    """Checks the rules as they would be after `changes`, writes and audits them."""
    current = _read(tx)
    merged: dict[str, Any] = {**current, **changes}
    loyalty.LoyaltyRules(
        enabled=bool(merged["loyalty_enabled"]),
        points_per_unit=merged["loyalty_points_per_unit"],
        point_value=merged["loyalty_point_value"],
    ).check()
    days = merged["gift_card_expiry_days"]
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_EXPIRY_DAYS:
        raise Invalid(f"gift card expiry is 0 (never) to {MAX_EXPIRY_DAYS} days", "invalid_expiry")
    keep = merged[card_vault.KEEP_RULE]
    if isinstance(keep, bool) or not isinstance(keep, int) or not 0 <= keep <= card_vault.MAX_KEEP_MINUTES:
        raise Invalid(
            f"a settled card number is kept 0 (not at all) to {card_vault.MAX_KEEP_MINUTES} minutes;"
            " a declined one never",
            "invalid_keep",
        )
    for key, value in changes.items():
        settings_store.put(tx, key, value)
    # The office sends all its rules each time: its entry names those that changed here.
    details = changes if version is None else {**_changed(current, changes), "version": version}
    audit_log.record(shop, actor=actor, action="settings_change", object="settings", details=details, origin=origin)
    if KEYED_RULE in changes and changes[KEYED_RULE] != current["keyed_card_payments"]:
        # Card numbers typed at the till bring the vault into play (docs/pci-scope.md): an
        # auditor finds who allowed it, and when, without reading every settings change.
        audit_log.record(
            shop,
            actor=actor,
            action="keyed_cards_on" if changes[KEYED_RULE] else "keyed_cards_off",
            object="settings",
            details={KEYED_RULE: changes[KEYED_RULE]},
            origin=origin,
        )


def _changed(current: StoreRules, changes: dict[str, Any]) -> dict[str, Any]:
    before: dict[str, Any] = dict(current)
    return {k: v for k, v in changes.items() if before.get(k) != v}
