"""The till's grid of item buttons, for goods without a label (a croissant, a coffee): the
back office arranges which products show on which category's tab and in which order; the
till shows the tabs with the products on sale."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypedDict

from appliance.app.domain.errors import Conflict, Invalid
from appliance.app.domain.money import Money
from appliance.app.services import audit_log
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import catalog as catalog_store
from appliance.app.store import item_grid as grid_store
from appliance.app.store import office_prices
from appliance.app.store import settings as settings_store
from appliance.app.store.db import Connection
from appliance.security.rbac import Permission

MAX_TABS = 12
MAX_BUTTONS = 48  # on one tab
OFFICE_GRIDS = ("office_grid_chain", "office_grid_store")  # settings: the office's grids fed here


class Button(TypedDict):
    sku: str
    name: str
    price: Money
    sold_by: str  # unit or weight
    active: bool  # false: withdrawn from sale, its place kept (the back office's grid only)


class Tab(TypedDict):
    category: str
    category_id: int
    products: list[Button]


class Grid(TypedDict):
    """The web layer's answer: the tabs in order."""

    tabs: list[Tab]


def _tabs(buttons: list[grid_store.Button], *, withdrawn: bool) -> list[Tab]:
    tabs: dict[int, Tab] = {}
    for b in buttons:
        tab = tabs.setdefault(b.tab, {"category": b.category, "category_id": b.category_id, "products": []})
        if b.active or withdrawn:
            tab["products"].append(
                {"sku": b.sku, "name": b.name, "price": b.price, "sold_by": b.sold_by, "active": b.active}
            )
    return list(tabs.values())


def grid(shop: Shop, actor: Actor, *, withdrawn: bool = False) -> list[Tab]:
    """The tabs in order, each with its products in order: on sale only for the till (a
    withdrawn product's button is hidden, its place kept); withdrawn ones too for the back office."""
    require(shop, actor, Permission.MANAGE_PRODUCTS if withdrawn else Permission.SELL)
    conn, now = shop.db.conn, shop.now()
    # Each button at the price a scan now would charge (a dated price of the office's).
    found = [replace(b, price=office_prices.price_at(conn, b.sku, b.price, now)) for b in grid_store.buttons(conn)]
    return _tabs(found, withdrawn=withdrawn)


def set_grid(shop: Shop, actor: Actor, tabs: Any) -> list[Tab]:
    """The grid becomes exactly `tabs`: [{"category": name, "products": [sku, ...]}, ...].
    Each category once, each product once on a tab; a withdrawn product may keep its place
    (it shows again when put back on sale) but may not be newly added. Audited."""
    require(shop, actor, Permission.MANAGE_PRODUCTS)
    with shop.db.transaction() as tx:
        if any(settings_store.get_all(tx).get(k) is not None for k in OFFICE_GRIDS):
            raise Conflict("the office lays out this store's grid: change it there", "office_owned")
        return _replace(shop, tx, actor, tabs)


def apply_from_office(shop: Shop, tx: Connection, body: dict[str, Any], removed: bool) -> None:
    """A grid from the office's feed (docs/office.md, "Item grids"): the store's own when it
    has one, else the chain's, laid out like a manager's (same checks, audited as `office`).
    With neither left, the grid stays as it is, the store's again."""
    key = OFFICE_GRIDS[0] if body.get("store") is None else OFFICE_GRIDS[1]
    settings_store.put(tx, key, None if removed else body["tabs"])
    values = settings_store.get_all(tx)
    tabs = values.get(OFFICE_GRIDS[1]) or values.get(OFFICE_GRIDS[0])
    if tabs is not None:
        # What the office checked; a product this till never had (withdrawn before it came) is left out.
        on_sale = [
            {**tab, "products": [s for s in tab["products"] if (p := catalog_store.by_sku(tx, s)) and p.active]}
            for tab in tabs
        ]
        _replace(shop, tx, "office", on_sale, origin="office")


def _replace(shop: Shop, tx: Connection, actor: Actor | str, tabs: Any, *, origin: str | None = None) -> list[Tab]:
    if not isinstance(tabs, list) or len(tabs) > MAX_TABS:
        raise Invalid(f"tabs is a list of at most {MAX_TABS} tabs", "invalid_grid")
    before = _tabs(grid_store.buttons(tx), withdrawn=True)
    had = {(t["category"].casefold(), p["sku"]) for t in before for p in t["products"]}
    wanted: list[tuple[int, list[int]]] = []
    seen: set[int] = set()
    for n, tab in enumerate(tabs, 1):
        if not isinstance(tab, dict) or not isinstance(tab.get("category"), str):
            raise Invalid(f"tab {n}: give its category and its products", "invalid_grid")
        category = catalog_store.category_named(tx, tab["category"].strip())
        if category is None:
            raise Invalid(f"tab {n}: no category {tab['category']!r}", "unknown_category")
        if category.id in seen:
            raise Invalid(f"tab {n}: {category.name} is already a tab", "duplicate_tab")
        seen.add(category.id)
        skus = tab.get("products", [])
        if not isinstance(skus, list) or not all(isinstance(s, str) for s in skus):
            raise Invalid(f"tab {n} ({category.name}): products is a list of skus", "invalid_grid")
        if len(skus) > MAX_BUTTONS:
            raise Invalid(f"{category.name}: at most {MAX_BUTTONS} products on a tab", "too_many_buttons")
        ids: list[int] = []
        for sku in skus:
            product = catalog_store.by_sku(tx, sku)
            if product is None:
                raise Invalid(f"{category.name}: no product with sku {sku}", "unknown_sku")
            if product.id in ids:
                raise Invalid(f"{category.name}: {product.name} is twice on the tab", "duplicate_button")
            if not product.active and (category.name.casefold(), sku) not in had:
                raise Invalid(f"{category.name}: {product.name} is withdrawn from sale", "product_withdrawn")
            ids.append(product.id)
        wanted.append((category.id, ids))
    grid_store.replace(tx, wanted)
    after = _tabs(grid_store.buttons(tx), withdrawn=True)
    layout = [{"category": t["category"], "products": [p["sku"] for p in t["products"]]} for t in after]
    audit_log.record(
        shop,
        actor=actor,
        action="item_grid_change",
        object="item_grid",
        details={
            "before": [{"category": t["category"], "products": [p["sku"] for p in t["products"]]} for t in before],
            "after": layout,
        },
        origin=origin,
    )
    return after
