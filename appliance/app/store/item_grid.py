"""The till's grid of item buttons: tabs (categories) in order, each with its products."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from appliance.app.store.db import Connection


@dataclass(frozen=True)
class Button:
    tab: int
    category_id: int
    category: str
    position: int
    product_id: int
    sku: str
    name: str
    price: int
    sold_by: str
    active: bool


def buttons(conn: Connection) -> list[Button]:
    """Every button, tab by tab, each tab's in its order (withdrawn products too: `active`)."""
    rows = conn.execute(
        "SELECT g.tab, g.category_id, c.name AS category, g.position, g.product_id, p.sku, p.name, p.price, "
        "p.sold_by, p.active FROM item_grid g JOIN categories c ON c.id = g.category_id "
        "JOIN products p ON p.id = g.product_id ORDER BY g.tab, g.position"
    ).fetchall()
    return [
        Button(
            tab=r["tab"],
            category_id=r["category_id"],
            category=r["category"],
            position=r["position"],
            product_id=r["product_id"],
            sku=r["sku"],
            name=r["name"],
            price=r["price"],
            sold_by=r["sold_by"],
            active=bool(r["active"]),
        )
        for r in rows
    ]


def replace(conn: Connection, tabs: Sequence[tuple[int, Sequence[int]]]) -> None:
    """The grid becomes exactly these tabs: (category id, product ids in order), in order."""
    conn.execute("DELETE FROM item_grid")
    conn.executemany(
        "INSERT INTO item_grid(tab, category_id, position, product_id) VALUES (?, ?, ?, ?)",
        [
            (tab, category_id, position, product_id)
            for tab, (category_id, products) in enumerate(tabs)
            for position, product_id in enumerate(products)
        ],
    )
