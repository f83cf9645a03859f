"""Stock: each stocked product's level and reordering rules, and the movements that change
its on-hand (`stock_movements`: sale, refund, adjustment, count, receipt of an order).
Suppliers and purchase orders still keep their SQL in services/stock.py."""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection

# A product's level with what its open purchase orders still bring.
_LEVEL = (
    "SELECT p.id, p.sku, p.name, p.stock_on_hand, p.reorder_point, p.reorder_quantity, p.supplier_id, p.cost, "
    "p.price, coalesce((SELECT sum(l.quantity_ordered - l.quantity_received) FROM purchase_order_lines l "
    "JOIN purchase_orders o ON o.id = l.po_id WHERE l.product_id = p.id "
    "AND o.status IN ('draft', 'ordered', 'partial')), 0) AS on_order FROM products p"
)

RULES = frozenset({"cost", "reorder_point", "reorder_quantity", "supplier_id"})


def product(conn: Connection, sku: str) -> Any:
    """id, sku, name, stock_on_hand, cost and stock_tracked of the product, or None."""
    return conn.execute(
        "SELECT id, sku, name, stock_on_hand, cost, stock_tracked FROM products WHERE sku = ?", (sku,)
    ).fetchone()


def move(conn: Connection, product_id: int, delta: int) -> int:
    """Changes on-hand by `delta`; answers on-hand after."""
    conn.execute("UPDATE products SET stock_on_hand = stock_on_hand + ? WHERE id = ?", (delta, product_id))
    return int(conn.execute("SELECT stock_on_hand FROM products WHERE id = ?", (product_id,)).fetchone()[0])


def add_movement(
    conn: Connection,
    product_id: int,
    kind: str,
    quantity: int,
    on_hand: int,
    reason: str,
    reference: str | None,
    user_id: int,
    at: str,
) -> None:
    conn.execute(
        "INSERT INTO stock_movements(product_id, kind, quantity, on_hand, reason, reference, user_id, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (product_id, kind, quantity, on_hand, reason, reference, user_id, at),
    )


def level(conn: Connection, product_id: int) -> Any:
    return conn.execute(_LEVEL + " WHERE p.id = ?", (product_id,)).fetchone()


def levels_like(conn: Connection, like: str, limit: int) -> list[Any]:
    """Stocked, active products whose name or sku matches `like` (escaped with \\), by name."""
    return list(
        conn.execute(
            _LEVEL + " WHERE p.stock_tracked AND p.active AND (p.name LIKE ? ESCAPE '\\' OR p.sku LIKE ? ESCAPE '\\') "
            "ORDER BY p.name LIMIT ?",
            (like, like, limit),
        ).fetchall()
    )


def at_reorder_point(conn: Connection) -> list[Any]:
    """Stocked, active products at or under their reorder point, by supplier and name. The
    reorder point is checked in SQL first so only candidates pay for the on-order sum."""
    return list(
        conn.execute(
            _LEVEL + " WHERE p.stock_tracked AND p.active AND p.reorder_point IS NOT NULL "
            "AND p.stock_on_hand <= p.reorder_point ORDER BY p.supplier_id, p.name"
        ).fetchall()
    )


def set_rules(conn: Connection, product_id: int, changes: dict[str, Any]) -> None:
    """Sets the given reordering rules (of RULES) of a product."""
    if not changes or not set(changes) <= RULES:
        raise ValueError(f"only {sorted(RULES)} change here")
    assignments = ", ".join(f"{k} = ?" for k in changes)  # keys checked against RULES above
    conn.execute(f"UPDATE products SET {assignments} WHERE id = ?", (*changes.values(), product_id))  # noqa: S608


_MOVEMENTS = (
    "SELECT m.id, p.sku, p.name, m.kind, m.quantity, m.on_hand, m.reason, m.reference, u.username, m.at "
    "FROM stock_movements m JOIN products p ON p.id = m.product_id JOIN users u ON u.id = m.user_id "
)


def movements(conn: Connection, product_id: int | None, limit: int) -> list[Any]:
    """The newest movements first, of one product or all (id, sku, name, kind, quantity,
    on_hand, reason, reference, username, at)."""
    if product_id is not None:
        return list(conn.execute(_MOVEMENTS + "WHERE m.product_id = ? ORDER BY m.id DESC LIMIT ?", (product_id, limit)))
    return list(conn.execute(_MOVEMENTS + "ORDER BY m.id DESC LIMIT ?", (limit,)))


def set_cost(conn: Connection, product_id: int, cost: int) -> None:
    conn.execute("UPDATE products SET cost = ? WHERE id = ?", (cost, product_id))


def value_totals(conn: Connection) -> Any:
    """count, units, cost value and retail value of the stocked products with something on hand (a row)."""
    return conn.execute(
        "SELECT count(*), coalesce(sum(stock_on_hand), 0), coalesce(sum(stock_on_hand * cost), 0), "
        "coalesce(sum(stock_on_hand * price), 0) FROM products WHERE stock_tracked AND stock_on_hand > 0"
    ).fetchone()


def values(conn: Connection, limit: int | None) -> list[Any]:
    """sku, name, on-hand, cost, value and retail value of those products, the most valuable first."""
    query = (
        "SELECT sku, name, stock_on_hand, cost, stock_on_hand * cost AS value, stock_on_hand * price AS retail "
        "FROM products WHERE stock_tracked AND stock_on_hand > 0 ORDER BY value DESC, sku"
    )
    return list(conn.execute(query + (" LIMIT ?" if limit else ""), (limit,) if limit else ()).fetchall())
