"""A product's price from a date and time, for the chain or for one store (docs/office.md,
"Prices from a date").

The catalogue's price is the product's price until the first of these starts. Each is a row
of the feed, sent ahead of its start: a lane keeps them and, at each scan, takes the price in
force at that moment, so midnight needs neither a pull nor a restart. In force: the one with
the latest start at or before the moment; at the same start a store's beats the chain's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from appliance.app.domain import product_rules as rules
from appliance.app.domain.errors import Invalid, NotFound
from appliance.app.domain.money import parse_amount
from appliance.office.services import audit_log
from appliance.office.services.catalogue import Applied, apply_changes, changing, stamp
from appliance.office.services.office import Office
from appliance.office.store import catalogue as catalogue_store
from appliance.office.store import feed_rows
from appliance.office.store.catalogue import Change
from appliance.office.store.db import Connection

CHAIN = "*"  # a key's store part for a price of every store


def moment(text: str) -> dt.datetime:
    """An ISO date and time with its offset ('2026-12-07T00:00+01:00'): a store's midnight is
    not the office's, so a time without one is refused rather than guessed."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{text!r} is not a date and time (2026-12-07T00:00+01:00)", "invalid_start") from None
    if value.tzinfo is None:
        raise Invalid(f"{text!r} lacks its offset from UTC: 2026-12-07T00:00+01:00, or Z", "invalid_start")
    return value


def _key(store: str | None, sku: str, starts: str) -> str:
    return f"{store or CHAIN}|{sku}|{starts}"


def _check(conn: Connection, sku: str, store: str | None) -> None:
    if not catalogue_store.current(conn, "product", [sku]):
        raise NotFound(f"the chain has no product {sku}", "product_not_found")
    if store is not None and not feed_rows.store_exists(conn, store):
        raise NotFound(f"the chain has no store {store}", "store_not_found")


def set_price(
    office: Office,
    sku: str,
    price: str,
    starts: str,
    *,
    store: str | None = None,
    actor: str,
    currency: str = "EUR",
    origin: str = "cli",
) -> Applied:
    """`sku` costs `price` (major units, '2.99') from `starts` on, in `store` or every store."""
    sku = rules.check_sku(sku)
    amount = rules.check_price(parse_amount(price, currency))
    at = stamp(moment(starts))
    body = {"sku": sku, "price": amount, "from": at, "store": store}
    with changing(office) as conn:
        _check(conn, sku, store)
        change = Change("price", _key(store, sku, at), body, store=store)
        changed, version = apply_changes(office, conn, [change], actor)
        if changed:
            audit_log.record(
                office, conn, actor=actor, action="catalogue_price", object=f"product:{sku}",
                details={"price": amount, "from": at, "store": store, "version": version}, origin=origin,
            )  # fmt: skip
    return Applied(changed, 1 - changed, version)


def cancel_price(
    office: Office, sku: str, starts: str, *, store: str | None = None, actor: str, origin: str = "cli"
) -> Applied:
    """Takes back a price set from `starts` (one not yet started, usually): the lanes drop it."""
    at = stamp(moment(starts))
    key = _key(store, sku, at)
    with changing(office) as conn:
        had = catalogue_store.current(conn, "price", [key])
        if key not in had or had[key][1]:
            where = f"in {store}" if store else "for the chain"
            raise NotFound(f"no price of {sku} from {at} {where}", "price_not_found")
        changed, version = apply_changes(
            office, conn, [Change("price", key, had[key][0], removed=True, store=store)], actor
        )
        audit_log.record(
            office, conn, actor=actor, action="catalogue_price_cancel", object=f"product:{sku}",
            details={"from": at, "store": store, "version": version}, origin=origin,
        )  # fmt: skip
    return Applied(changed, 1 - changed, version)


def prices(office: Office, sku: str) -> list[dict[str, Any]]:
    """The prices of `sku` set from a date, for the chain and each store, by start."""
    with office.connection() as conn:
        found = [r["body"] for r in feed_rows.rows(conn, "price")]
    return sorted((b for b in found if b["sku"] == sku), key=lambda b: (b["from"], b["store"] or ""))
