"""What the back office's people may do to the feed (docs/office.md, "The back office"):
prices from a date, the people of a store, a store's rules. The work is the feed's own
services' (prices, store_staff, store_rules, each audited there); here is who may do it. A
chain admin changes the chain and any store; a store manager their own store only (a price
of theirs, never the chain's); an auditor reads everything and changes nothing.
"""

from __future__ import annotations

from typing import Any

from appliance.app.domain.errors import Forbidden, NotFound
from appliance.app.domain.money import format_amount
from appliance.office.services import item_grids, prices, promotions, store_rules, store_staff
from appliance.office.services.catalogue import Applied
from appliance.office.services.office import Office
from appliance.office.services.sign_in import Person
from appliance.office.store import feed_rows, stores


def stores_of(office: Office, who: Person) -> list[str]:
    """The stores this person sees: their own, or every store of the chain."""
    with office.connection() as conn:
        found = stores.all_stores(conn)
    return [s for s in found if who.scope in (None, s)]


def _reads(office: Office, who: Person, store: str) -> None:
    if who.scope is not None and who.scope != store:
        raise Forbidden(f"a store manager of {who.scope} sees only {who.scope}", "forbidden")
    with office.connection() as conn:
        if not feed_rows.store_exists(conn, store):
            raise NotFound(f"the chain has no store {store}", "store_not_found")


def _changes(who: Person, store: str | None, what: str) -> None:
    if who.changes_the_chain:
        return
    if who.role == "store_manager" and store is not None and store == who.scope:
        return
    if who.role == "store_manager":
        mine = f"only those of {who.scope}" if store is None else f"not those of {store}"
        raise Forbidden(f"a store manager changes {what} of their own store, {mine}", "forbidden")
    raise Forbidden(f"an {who.role} reads {what} and changes none", "forbidden")


# -- prices from a date ----------------------------------------------------------------------


def price_list(office: Office, who: Person, sku: str) -> list[dict[str, Any]]:
    """The prices of `sku` from a date this person sees: the chain's, and each store's (a
    store manager's own store only)."""
    return [p for p in prices.prices(office, sku) if who.scope is None or p["store"] in (None, who.scope)]


def schedule_price(
    office: Office, who: Person, sku: str, amount: int, starts: str, store: str | None, currency: str, origin: str
) -> Applied:
    """`sku` costs `amount` (minor units) from `starts`, in `store` or every store."""
    _changes(who, store, "prices")
    text = format_amount(amount, currency)
    return prices.set_price(
        office, sku, text, starts, store=store, actor=who.actor, currency=currency, origin=origin
    )  # fmt: skip


def cancel_price(office: Office, who: Person, sku: str, starts: str, store: str | None, origin: str) -> Applied:
    _changes(who, store, "prices")
    return prices.cancel_price(office, sku, starts, store=store, actor=who.actor, origin=origin)


# -- the people of a store -------------------------------------------------------------------


def people(office: Office, who: Person, store: str) -> list[dict[str, Any]]:
    _reads(office, who, store)
    return store_staff.people(office, store)


def add_person(
    office: Office, who: Person, store: str, username: str, role: str, password: str, pin: str | None, origin: str
) -> Applied:
    _changes(who, store, "the people")
    return store_staff.add(office, store, username, role, password, pin=pin, actor=who.actor, origin=origin)


def set_active(office: Office, who: Person, store: str, username: str, active: bool, origin: str) -> Applied:
    """Disabled (the store's tills log them out and refuse them after their next pull) or
    enabled again: a person is never deleted, their sales keep naming them."""
    _changes(who, store, "the people")
    return store_staff.change(office, store, username, active=active, actor=who.actor, origin=origin)


# -- a store's rules -------------------------------------------------------------------------


def rules(office: Office, who: Person, store: str) -> dict[str, Any]:
    _reads(office, who, store)
    return store_rules.rules(office, store)


def change_rules(office: Office, who: Person, store: str, wanted: dict[str, Any], origin: str) -> Applied | None:
    """The rules the office decides for `store` become `wanted` (a rule left out is the
    store's own again); None when they already were."""
    _changes(who, store, "the rules")
    had = store_rules.rules(office, store)
    values = {k: v for k, v in wanted.items() if k not in had or (type(had[k]), had[k]) != (type(v), v)}
    release = sorted(set(had) - set(wanted))
    if not values and not release:
        return None
    return store_rules.change(office, store, values, release=release, actor=who.actor, origin=origin)


# -- promotions and item grids ---------------------------------------------------------------


def offers(office: Office, who: Person) -> list[dict[str, Any]]:
    """The chain's offers and each store's (a store manager's own store only)."""
    return [o for o in promotions.offers(office) if who.scope is None or o["store"] in (None, who.scope)]


def put_offer(office: Office, who: Person, code: str, store: str | None, origin: str, **offer: Any) -> Applied:
    """Makes or changes an offer (promotions.put's fields; the price in major units)."""
    _changes(who, store, "offers")
    return promotions.put(office, code, store=store, actor=who.actor, origin=origin, **offer)


def end_offer(office: Office, who: Person, code: str, store: str | None, origin: str) -> Applied:
    _changes(who, store, "offers")
    return promotions.end(office, code, store=store, actor=who.actor, origin=origin)


def grids(office: Office, who: Person) -> list[dict[str, Any]]:
    """The chain's grid and each store's own (a store manager's own store only)."""
    return [g for g in item_grids.grids(office) if who.scope is None or g["store"] in (None, who.scope)]


def set_grid(office: Office, who: Person, tabs: list[dict[str, Any]], store: str | None, origin: str) -> Applied:
    _changes(who, store, "item grids")
    return item_grids.set_grid(office, tabs, store=store, actor=who.actor, origin=origin)


def release_grid(office: Office, who: Person, store: str, origin: str) -> Applied:
    _changes(who, store, "item grids")
    return item_grids.release(office, store, actor=who.actor, origin=origin)
