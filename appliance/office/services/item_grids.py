"""The till's grid of item buttons, laid out at the office for the chain or one store and fed
to the lanes (docs/office.md, "Item grids"): a store's own grid, when it has one, else the
chain's."""

from __future__ import annotations

from typing import Any

from appliance.app.domain.errors import Invalid, NotFound
from appliance.office.services import audit_log
from appliance.office.services.catalogue import Applied, apply_changes, changing
from appliance.office.services.office import Office
from appliance.office.store import catalogue as catalogue_store
from appliance.office.store import feed_rows
from appliance.office.store.catalogue import Change
from appliance.office.store.db import Connection

MAX_TABS = 12  # the till's (services/item_grid)
MAX_BUTTONS = 48
CHAIN = "*"


def _check(conn: Connection, tabs: Any) -> list[dict[str, Any]]:
    if not isinstance(tabs, list) or not 1 <= len(tabs) <= MAX_TABS:
        raise Invalid(f"a grid is a list of 1 to {MAX_TABS} tabs", "invalid_grid")
    categories = {k for k, (_, gone) in catalogue_store.current(conn, "category").items() if not gone}
    checked, seen = [], set()
    for n, tab in enumerate(tabs, 1):
        if not isinstance(tab, dict) or not isinstance(tab.get("category"), str):
            raise Invalid(f"tab {n}: give its category and its products", "invalid_grid")
        category, skus = tab["category"].strip(), tab.get("products", [])
        if category not in categories:
            raise Invalid(f"tab {n}: the chain has no category {category!r}", "unknown_category")
        if category in seen:
            raise Invalid(f"tab {n}: {category} is already a tab", "duplicate_tab")
        seen.add(category)
        if not isinstance(skus, list) or not all(isinstance(s, str) for s in skus) or len(skus) > MAX_BUTTONS:
            raise Invalid(f"{category}: products is a list of at most {MAX_BUTTONS} skus", "invalid_grid")
        if len(set(skus)) != len(skus):
            raise Invalid(f"{category}: a product is twice on the tab", "duplicate_button")
        on_sale = {k for k, (_, gone) in catalogue_store.current(conn, "product", skus).items() if not gone}
        missing = [s for s in skus if s not in on_sale]
        if missing:
            raise Invalid(f"{category}: the chain has no product on sale {', '.join(missing)}", "unknown_sku")
        checked.append({"category": category, "products": list(skus)})
    return checked


def set_grid(office: Office, tabs: Any, *, store: str | None = None, actor: str, origin: str = "cli") -> Applied:
    """The grid of every store (or of `store`, over the chain's): tabs of a category's products."""
    with changing(office) as conn:
        if store is not None and not feed_rows.store_exists(conn, store):
            raise NotFound(f"the chain has no store {store}", "store_not_found")
        body = {"store": store, "tabs": _check(conn, tabs)}
        change = Change("item_grid", store or CHAIN, body, store=store)
        changed, version = apply_changes(office, conn, [change], actor)
        if changed:
            audit_log.record(
                office, conn, actor=actor, action="item_grid", object=f"item_grid:{store or CHAIN}",
                details={"tabs": body["tabs"], "version": version}, origin=origin,
            )  # fmt: skip
    return Applied(changed, 1 - changed, version)


def release(office: Office, store: str, *, actor: str, origin: str = "cli") -> Applied:
    """`store` takes the chain's grid again (or, with none, keeps the one it has as its own)."""
    with changing(office) as conn:
        had = catalogue_store.current(conn, "item_grid", [store])
        if store not in had or had[store][1]:
            raise NotFound(f"{store} has no grid of its own", "grid_not_found")
        change = Change("item_grid", store, had[store][0], removed=True, store=store)
        changed, version = apply_changes(office, conn, [change], actor)
        audit_log.record(
            office, conn, actor=actor, action="item_grid_release", object=f"item_grid:{store}",
            details={"version": version}, origin=origin,
        )  # fmt: skip
    return Applied(changed, 1 - changed, version)


def grids(office: Office) -> list[dict[str, Any]]:
    """The chain's grid (store None) and each store's own, the chain's first."""
    with office.connection() as conn:
        found = [r["body"] for r in feed_rows.rows(conn, "item_grid")]
    return sorted(found, key=lambda g: (g["store"] is not None, g["store"] or ""))
