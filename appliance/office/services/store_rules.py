"""The rules of a store that its chain decides (the till's store rules: keyed card payments,
gift card expiry, loyalty, cash rounding…), set at the office and fed to that store's lanes
(docs/office.md, "Store rules").

A store's row holds every rule the office decides for it, as it is now; a rule left out is
the store's own again. The office checks each value's kind and range here; the till checks
it again with its own rules (services/store_rules) before it applies the row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from appliance.app.domain import update_window
from appliance.app.domain.errors import Invalid, NotFound
from appliance.office.services import audit_log
from appliance.office.services.catalogue import Applied, apply_changes, changing
from appliance.office.services.office import Office
from appliance.office.store import catalogue as catalogue_store
from appliance.office.store import feed_rows
from appliance.office.store.catalogue import Change


def _flag(value: Any) -> bool:
    return isinstance(value, bool)


def _whole(low: int, high: int) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _text(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 40


def _prefixes(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and v in ("price", "weight") for k, v in value.items())


def _window(value: Any) -> bool:
    try:
        update_window.parse(value)
    except Invalid:
        return False
    return True


# The till's rules (services/store_rules.RULES) and what a value of each may be.
RULES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "loyalty_enabled": (_flag, "true or false"),
    "loyalty_points_per_unit": (_whole(0, 1_000_000), "a whole number, 0 or more"),
    "loyalty_point_value": (_whole(0, 1_000_000), "a whole number of minor units, 0 or more"),
    "gift_card_expiry_days": (_whole(0, 3650), "0 (never) to 3650 days"),
    "variable_measure_prefixes": (_prefixes, 'a map of prefixes to "price" or "weight"'),
    "variable_measure_layout": (_text, "a layout of 13 letters, e.g. PPIIIIICVVVVK"),
    "card_number_keep_minutes": (_whole(0, 1_000_000), "a whole number of minutes"),
    "cash_rounding": (_text, "one of the till's cash roundings"),
    "locale": (_text, "a language tag such as fr-CA"),
    "cash_requires_shift": (_flag, "true or false"),
    "idempotency_keep_hours": (_whole(1, 1_000_000), "a whole number of hours"),
    "keyed_card_payments": (_flag, "true or false"),
    "update_window": (_window, "HH:MM-HH:MM in the store's time, e.g. 02:00-05:00"),
}


def _check(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name not in RULES:
            raise Invalid(f"no store rule {name}; one of {', '.join(RULES)}", "unknown_rule")
        valid, kind = RULES[name]
        if not valid(value):
            raise Invalid(f"{name} is {kind}, not {value!r}", "invalid_rule")


def change(
    office: Office,
    store: str,
    values: dict[str, Any] | None = None,
    *,
    release: list[str] | None = None,
    actor: str,
    origin: str = "cli",
) -> Applied:
    """Sets `values` for `store`, and gives the rules named in `release` back to the store."""
    values, release = values or {}, release or []
    if not values and not release:
        raise Invalid("say which rules to set or release", "nothing_to_change")
    _check(values)
    unknown = sorted(set(release) - set(RULES))
    if unknown:
        raise Invalid(f"no store rule {', '.join(unknown)}", "unknown_rule")
    with changing(office) as conn:
        if not feed_rows.store_exists(conn, store):
            raise NotFound(f"the chain has no store {store}", "store_not_found")
        had = catalogue_store.current(conn, "store_rules", [store])
        rules = dict(had[store][0]["rules"]) if had else {}
        rules.update(values)
        for name in release:
            rules.pop(name, None)
        changed, version = apply_changes(
            office, conn, [Change("store_rules", store, {"rules": rules}, store=store)], actor
        )
        if changed:
            audit_log.record(
                office, conn, actor=actor, action="store_rules", object=f"store:{store}",
                details={"set": values, "released": sorted(release), "version": version}, origin=origin,
            )  # fmt: skip
    return Applied(changed, 1 - changed, version)


def rules(office: Office, store: str) -> dict[str, Any]:
    """The rules the office decides for `store` (the others are the store's own)."""
    with office.connection() as conn:
        had = catalogue_store.current(conn, "store_rules", [store])
    return dict(had[store][0]["rules"]) if had else {}
