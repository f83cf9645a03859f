"""What sold, per product, over a period: the top and slow products reports and the sales
summary's best sellers. Sales are found by id range as in `store/reports.py` (`id_range`):
the lines of a year are read in one pass of the covering index `sale_lines_by_product`."""

from __future__ import annotations

from appliance.app.store.db import Connection, Row
from appliance.app.store.reports import Bounds, id_range

# Lines sold per product (?1, ?2: the id range; ?3, ?4: the period), ranked in SQL: sorting
# 100,000 products' sums in Python cost twice as much. A line that loaded a gift card is no
# goods, and its product sells nothing else (it cannot be scanned or picked at the till): it
# goes as a whole, the card loads read first (CROSS JOIN), few as they are.
_SOLD = (
    "SELECT product_id, sum(quantity) AS quantity, sum(quantity * unit_price) AS amount "
    "FROM sale_lines INDEXED BY sale_lines_by_product WHERE sale_id BETWEEN ?1 AND ?2 AND voided = 0 "
    "AND sale_id NOT IN (SELECT id FROM sales INDEXED BY sales_state WHERE id BETWEEN ?1 AND ?2 "
    "AND NOT (status = 'completed' AND completed_at >= ?3 AND completed_at < ?4)) "
    "AND product_id NOT IN (SELECT l.product_id FROM gift_card_pending g "
    "CROSS JOIN sale_lines l ON l.sale_id = g.sale_id AND l.line_no = g.line_no) "
    "GROUP BY product_id HAVING quantity OR amount"
)


def top_sold(conn: Connection, bounds: Bounds, limit: int) -> list[Row]:
    """(product id, quantity, amount) of the goods that sold for most in bounds, best first."""
    found = id_range(conn, *bounds)
    if found is None:
        return []
    rows: list[Row] = conn.execute(
        f"{_SOLD} ORDER BY amount DESC, product_id LIMIT ?5", (*found, *bounds, limit)
    ).fetchall()
    return rows


# One product's lines (p) sold in the period, as in _SOLD: a seek in the same covering index.
_LINES_OF = (
    "FROM sale_lines AS l INDEXED BY sale_lines_by_product WHERE l.product_id = p.id "
    "AND l.sale_id BETWEEN ?1 AND ?2 AND l.voided = 0 AND l.sale_id NOT IN "
    "(SELECT id FROM sales INDEXED BY sales_state WHERE id BETWEEN ?1 AND ?2 "
    "AND NOT (status = 'completed' AND completed_at >= ?3 AND completed_at < ?4))"
)
# The same for the few products kept: each line's sale looked up, not the period's outsiders
# listed a second time (a pass over the id range of a year).
_KEPT_LINES_OF = (
    "FROM sale_lines AS l INDEXED BY sale_lines_by_product JOIN sales s ON s.id = l.sale_id "
    "WHERE l.product_id = p.id AND l.sale_id BETWEEN ?1 AND ?2 AND l.voided = 0 "
    "AND s.status = 'completed' AND s.completed_at >= ?3 AND s.completed_at < ?4"
)
# A gift card product sold nothing (as in _SOLD), asked once per product, not once per line.
_CARD_PRODUCT = (
    "p.id IN (SELECT g.product_id FROM gift_card_pending c "
    "CROSS JOIN sale_lines g ON g.sale_id = c.sale_id AND g.line_no = c.line_no)"
)


def least_sold(conn: Connection, bounds: Bounds, limit: int) -> list[Row]:
    """(product id, quantity, amount) of the stocked products on sale that sold fewest in bounds
    (none first), the most on hand first among equals. Each product sums its own lines (a seek
    each): cheaper than joining 100,000 products to the sums of all, and a short period reads
    only its own lines. The amount is summed for the few products kept."""
    found = id_range(conn, *bounds) or (0, -1)
    rows: list[Row] = conn.execute(
        f"SELECT id, quantity, CASE WHEN {_CARD_PRODUCT} THEN 0 ELSE "  # noqa: S608
        f"coalesce((SELECT sum(l.quantity * l.unit_price) {_KEPT_LINES_OF}), 0) END FROM "
        f"(SELECT p.id, p.stock_on_hand, CASE WHEN {_CARD_PRODUCT} THEN 0 ELSE "
        f"coalesce((SELECT sum(l.quantity) {_LINES_OF}), 0) END AS quantity FROM products p "
        "WHERE p.active AND p.stock_tracked ORDER BY quantity, p.stock_on_hand DESC, p.id LIMIT ?5) p "
        "ORDER BY quantity, stock_on_hand DESC, id",
        (*found, *bounds, limit),
    ).fetchall()
    return rows


def products(conn: Connection, ids: list[int]) -> dict[int, Row]:
    """id → (id, sku, name, stock_on_hand)."""
    if not ids:
        return {}
    rows = conn.execute(
        f"SELECT id, sku, name, stock_on_hand FROM products WHERE id IN ({','.join('?' * len(ids))})",  # noqa: S608
        ids,
    )
    return {r[0]: r for r in rows}
