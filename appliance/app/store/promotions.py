"""The shop's offers (table promotions), as the back office writes and lists them. What a
sale is priced with is read with the sale (`store/sales.py`, `live_promotions`)."""

from __future__ import annotations

import datetime as dt

from appliance.app.domain.pricing import Promotion
from appliance.app.store.db import Connection
from appliance.app.store.sales import promotion


def insert(conn: Connection, offer: Promotion, *, category_id: int | None, at: str) -> int:
    """A running offer; its id. The category is named by id here (the offer carries its name)."""
    cur = conn.execute(
        "INSERT INTO promotions(name, kind, product_id, category_id, quantity, price, percent, starts, ends, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            offer.name,
            offer.kind,
            offer.product_id,
            category_id,
            offer.quantity,
            offer.price,
            offer.percent,
            offer.starts.isoformat(),
            offer.ends.isoformat(),
            at,
        ),
    )
    return int(cur.lastrowid)


def running_or_planned(conn: Connection, day: dt.date) -> list[tuple[Promotion, str | None]]:
    """Offers not ended by `day`, each with the sku of its product (None for a category's)."""
    rows = conn.execute(
        "SELECT p.*, products.sku AS product_sku, c.name AS category FROM promotions p "
        "LEFT JOIN products ON products.id = p.product_id LEFT JOIN categories c ON c.id = p.category_id "
        "WHERE p.active AND p.ends >= ? ORDER BY p.starts, p.id",
        (day.isoformat(),),
    ).fetchall()
    return [(promotion(r), r["product_sku"]) for r in rows]


def end(conn: Connection, promotion_id: int) -> bool:
    """Stops a running offer; False when there is no such running offer."""
    return bool(conn.execute("UPDATE promotions SET active = 0 WHERE id = ? AND active", (promotion_id,)).rowcount)
