"""The chain's offers (N for a price, buy N get one, a percentage off a category), set at the
office for every store or one, and fed to the lanes, which apply them like their own
(docs/office.md, "Promotions"). An offer is named by a code of the office's choosing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from appliance.app.domain.errors import Invalid, NotFound
from appliance.app.domain.money import parse_amount
from appliance.app.domain.pricing import BASIS, Promotion, check_promotion
from appliance.office.services import audit_log
from appliance.office.services.catalogue import Applied, apply_changes, changing
from appliance.office.services.office import Office
from appliance.office.store import catalogue as catalogue_store
from appliance.office.store import feed_rows
from appliance.office.store.catalogue import Change

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
CHAIN = "*"


def _date(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{name} is a date YYYY-MM-DD, not {text!r}", "invalid_date") from None


def put(
    office: Office,
    code: str,
    *,
    name: str,
    kind: str,
    starts: str,
    ends: str,
    sku: str | None = None,
    category: str | None = None,
    quantity: int = 0,
    price: str = "0",
    percent: str = "0",
    store: str | None = None,
    currency: str = "EUR",
    actor: str,
    origin: str = "cli",
) -> Applied:
    """Makes or changes the offer `code` of `store` (or of every store). Dates are the
    stores' calendars, the last day included; a percentage is like '12.5'."""
    if not _CODE.match(code):
        raise Invalid("a promotion's code is 1-40 lower-case letters, digits, - or _", "invalid_promotion")
    try:
        basis = int(float(percent) * BASIS / 100)
    except ValueError:
        raise Invalid(f"{percent!r} is not a percentage", "invalid_promotion") from None
    offer = check_promotion(
        Promotion(
            id=0, name=name.strip(), kind=kind, starts=_date(starts, "starts"), ends=_date(ends, "ends"),
            product_id=0 if sku else None, category=category, quantity=quantity,
            price=parse_amount(price, currency), percent=basis,
        )
    )  # fmt: skip
    body = {
        "code": code, "store": store, "name": offer.name, "kind": kind, "sku": sku, "category": category,
        "quantity": quantity, "price": offer.price, "percent": basis, "starts": starts, "ends": ends,
    }  # fmt: skip
    with changing(office) as conn:
        if store is not None and not feed_rows.store_exists(conn, store):
            raise NotFound(f"the chain has no store {store}", "store_not_found")
        if sku and not any(not gone for _, gone in catalogue_store.current(conn, "product", [sku]).values()):
            raise NotFound(f"the chain has no product on sale {sku}", "product_not_found")
        if category and not catalogue_store.current(conn, "category", [category]):
            raise NotFound(f"the chain has no category {category}", "unknown_category")
        change = Change("promotion", f"{store or CHAIN}|{code}", body, store=store)
        changed, version = apply_changes(office, conn, [change], actor)
        if changed:
            audit_log.record(
                office, conn, actor=actor, action="promotion", object=f"promotion:{store or CHAIN}/{code}",
                details={**body, "version": version}, origin=origin,
            )  # fmt: skip
    return Applied(changed, 1 - changed, version)


def end(office: Office, code: str, *, store: str | None = None, actor: str, origin: str = "cli") -> Applied:
    """Ends the offer at the tills (sales already made keep the price they were given)."""
    key = f"{store or CHAIN}|{code}"
    with changing(office) as conn:
        had = catalogue_store.current(conn, "promotion", [key])
        if key not in had or had[key][1]:
            raise NotFound(f"no running promotion {code}", "promotion_not_found")
        changed, version = apply_changes(
            office, conn, [Change("promotion", key, had[key][0], removed=True, store=store)], actor
        )
        audit_log.record(
            office, conn, actor=actor, action="promotion_end", object=f"promotion:{store or CHAIN}/{code}",
            details={"version": version}, origin=origin,
        )  # fmt: skip
    return Applied(changed, 1 - changed, version)


def offers(office: Office) -> list[dict[str, Any]]:
    with office.connection() as conn:
        return [r["body"] for r in feed_rows.rows(conn, "promotion")]
