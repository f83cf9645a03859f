"""Stock: adjustments and counts with reasons, suppliers, purchase orders and receiving,
reorder points, the low-stock list and the draft orders suggested from it.

Sales and refunds move on-hand themselves (services/sales.py); everything here is the
other ways it moves, each one a `stock_movements` row and an audit entry.
"""

from __future__ import annotations

from typing import Any, TypedDict

from appliance.app.domain import stock as rules
from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.app.domain.money import Money
from appliance.app.domain.report_shapes import StockValueRow, StockValueTotals
from appliance.app.services import audit_log, outbox
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import purchase_orders as orders_store
from appliance.app.store import stock as stock_store
from appliance.app.store.db import Connection, IntegrityError
from appliance.security.rbac import Permission


class ProductStock(TypedDict):
    product_id: int
    sku: str
    name: str
    on_hand: int
    on_order: int
    reorder_point: int | None
    reorder_quantity: int | None
    supplier_id: int | None
    cost: Money
    low: bool
    suggested: int


class StockLevels(TypedDict):
    products: list[ProductStock]


class Adjustment(TypedDict):
    sku: str
    quantity: int
    on_hand: int
    reason: str


class CountedLine(TypedDict):
    sku: str
    expected: int
    counted: int
    variance: int
    variance_value: Money


class Count(TypedDict):
    reason: str
    lines: list[CountedLine]
    variance_value: Money


class Movement(TypedDict):
    id: int
    sku: str
    name: str
    kind: str  # adjustment, count or receipt
    quantity: int
    on_hand: int
    reason: str
    reference: str | None
    user: str
    at: str


class Movements(TypedDict):
    movements: list[Movement]


class Supplier(TypedDict):
    id: int
    name: str
    email: str | None
    phone: str | None
    created_at: str


class Suppliers(TypedDict):
    suppliers: list[Supplier]


class OrderLine(TypedDict):
    sku: str
    name: str
    ordered: int
    received: int
    outstanding: int
    unit_cost: Money


class PurchaseOrder(TypedDict):
    id: int
    supplier_id: int
    supplier: str
    status: str
    note: str
    created_at: str
    ordered_at: str | None
    closed_at: str | None
    lines: list[OrderLine]
    value: Money


class OrderSummary(TypedDict):
    """A row of the list of orders: no lines, their count."""

    id: int
    status: str
    created_at: str
    ordered_at: str | None
    supplier: str
    lines: int
    value: Money


class Orders(TypedDict):
    orders: list[OrderSummary]


class Unordered(TypedDict):
    """A low product with no supplier to order it from."""

    sku: str
    name: str
    suggested: int


class Suggested(TypedDict):
    orders: list[PurchaseOrder]
    without_supplier: list[Unordered]


class StockValue(TypedDict):
    currency: str
    columns: list[str]
    rows: list[StockValueRow]
    totals: StockValueTotals


def _product(conn: Connection, sku: object) -> Any:
    if not isinstance(sku, str) or not 1 <= len(sku) <= 64:
        raise Invalid("give the product's sku", "invalid_sku")
    row = stock_store.product(conn, sku)
    if row is None:
        raise NotFound(f"no product with sku {sku}", "product_not_found")
    if not row["stock_tracked"]:
        raise Invalid(f"{row['name']} is not kept in stock", "not_stocked")
    return row


def _level(row: Any) -> rules.StockLevel:
    return rules.StockLevel(
        product_id=row["id"],
        sku=row["sku"],
        name=row["name"],
        on_hand=row["stock_on_hand"],
        reorder_point=row["reorder_point"],
        reorder_quantity=row["reorder_quantity"],
        on_order=row["on_order"],
        supplier_id=row["supplier_id"],
        cost=row["cost"],
    )


def _level_json(level: rules.StockLevel) -> ProductStock:
    return {
        "product_id": level.product_id,
        "sku": level.sku,
        "name": level.name,
        "on_hand": level.on_hand,
        "on_order": level.on_order,
        "reorder_point": level.reorder_point,
        "reorder_quantity": level.reorder_quantity,
        "supplier_id": level.supplier_id,
        "cost": level.cost,
        "low": rules.is_low(level),
        "suggested": rules.suggested_quantity(level),
    }


def _move(
    shop: Shop, tx: Connection, actor: Actor, product: Any, kind: str, delta: int, reason: str, ref: str | None
) -> int:
    """On-hand moves by `delta`, as a movement here and a `stock_moved` event for the office,
    whose ledger adds deltas (a count's on_hand is the figure counted, its delta what it
    changed)."""
    product_id = product["id"]
    on_hand = stock_store.move(tx, product_id, delta)
    if abs(on_hand) > rules.MAX_ON_HAND:
        raise Invalid("that would take on-hand out of range", "invalid_quantity")
    stock_store.add_movement(tx, product_id, kind, delta, on_hand, reason, ref, actor.user_id, shop.now())
    outbox.event(
        shop,
        "stock_moved",
        actor,
        product_id=product_id,
        sku=product["sku"],
        kind=kind,
        delta=delta,
        on_hand=on_hand,
        reason=reason,
        ref=ref,
    )
    return on_hand


def opening(shop: Shop, actor: Actor | str | None, product_id: int, sku: str, quantity: int) -> None:
    """A new product's opening stock goes up as a movement too: the office's ledger only adds."""
    fields = {"product_id": product_id, "sku": sku, "kind": "opening", "delta": quantity, "on_hand": quantity}
    outbox.event(shop, "stock_moved", actor, **fields, reason="opening stock", ref=None)


# -- levels ------------------------------------------------------------------------------------


def levels(shop: Shop, actor: Actor, *, text: str = "", low_only: bool = False, limit: int = 100) -> StockLevels:
    require(shop, actor, Permission.MANAGE_STOCK)
    limit = max(1, min(limit, 1000))
    if low_only:
        return {"products": [_level_json(lv) for lv in _low(shop.db.conn)][:limit]}
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = stock_store.levels_like(shop.db.conn, like, limit)
    return {"products": [_level_json(_level(r)) for r in rows]}


def _low(conn: Connection) -> list[rules.StockLevel]:
    rows = stock_store.at_reorder_point(conn)
    return [lv for lv in map(_level, rows) if rules.is_low(lv)]


def low_stock(shop: Shop, actor: Actor) -> StockLevels:
    require(shop, actor, Permission.MANAGE_STOCK)
    return {"products": [_level_json(lv) for lv in _low(shop.db.conn)]}


def level(shop: Shop, actor: Actor, sku: str) -> ProductStock:
    """One product's stock and its rules, by its exact sku."""
    require(shop, actor, Permission.MANAGE_STOCK)
    product = _product(shop.db.conn, sku)
    row = stock_store.level(shop.db.conn, product["id"])
    return _level_json(_level(row))


def set_rules(shop: Shop, actor: Actor, sku: str, changes: dict[str, Any]) -> ProductStock:
    """A product's cost, reorder point, reorder quantity and supplier."""
    require(shop, actor, Permission.MANAGE_STOCK)
    with shop.db.transaction() as tx:
        product = _product(tx, sku)
        sets: dict[str, Any] = {}
        if "cost" in changes:
            sets["cost"] = rules.check_cost(changes["cost"])
        for key in ("reorder_point", "reorder_quantity"):
            if key in changes:
                value = changes[key]
                if value is not None:
                    value = rules.check_count(value)
                sets[key] = value
        if "supplier_id" in changes:
            supplier = changes["supplier_id"]
            if supplier is not None:
                _supplier(tx, supplier)
            sets["supplier_id"] = supplier
        if not sets:
            raise Invalid("nothing to change", "nothing_to_change")
        stock_store.set_rules(tx, product["id"], sets)
        audit_log.record(shop, actor=actor, action="stock_rules", object=f"product:{product['sku']}", details=sets)
        row = stock_store.level(tx, product["id"])
        return _level_json(_level(row))


# -- adjustments and counts ---------------------------------------------------------------------


def adjust(shop: Shop, actor: Actor, sku: str, quantity: int, reason: str, note: str = "") -> Adjustment:
    """Damaged, stolen, found…: on-hand goes up or down by `quantity`, with a reason."""
    require(shop, actor, Permission.MANAGE_STOCK)
    delta = rules.check_adjustment(quantity)
    why = rules.check_reason(reason, rules.ADJUSTMENT_REASONS)
    text = f"{why}: {note.strip()[:200]}" if note and note.strip() else why
    with shop.db.transaction() as tx:
        product = _product(tx, sku)
        on_hand = _move(shop, tx, actor, product, "adjustment", delta, text, None)
        audit_log.record(
            shop,
            actor=actor,
            action="stock_adjust",
            object=f"product:{product['sku']}",
            details={"quantity": delta, "reason": text, "on_hand": on_hand},
        )
    return {"sku": product["sku"], "quantity": delta, "on_hand": on_hand, "reason": text}


def count(shop: Shop, actor: Actor, lines: list[dict[str, Any]], reason: str) -> Count:
    """A physical count: each product's on-hand becomes what was counted; the difference is
    recorded as a movement. All lines or none."""
    require(shop, actor, Permission.MANAGE_STOCK)
    why = rules.check_reason(reason)
    if not lines:
        raise Invalid("count at least one product", "no_lines")
    if len(lines) > 5000:
        raise Invalid("at most 5000 products per count", "too_many_lines")
    out: list[CountedLine] = []
    with shop.db.transaction() as tx:
        seen: set[str] = set()
        for item in lines:
            sku, counted = item.get("sku"), rules.check_count(item.get("counted"))
            if sku in seen:
                raise Invalid(f"{sku} is counted twice", "duplicate_line")
            seen.add(str(sku))
            product = _product(tx, sku)
            variance = counted - product["stock_on_hand"]
            if variance:
                _move(shop, tx, actor, product, "count", variance, why, None)
            out.append(
                {
                    "sku": product["sku"],
                    "expected": product["stock_on_hand"],
                    "counted": counted,
                    "variance": variance,
                    "variance_value": variance * product["cost"],
                }
            )
        audit_log.record(
            shop,
            actor=actor,
            action="stock_count",
            object="stock",
            details={
                "reason": why,
                "lines": len(out),
                "variances": {o["sku"]: o["variance"] for o in out if o["variance"]},
            },
        )
    return {"reason": why, "lines": out, "variance_value": sum(o["variance_value"] for o in out)}


def movements(shop: Shop, actor: Actor, sku: str | None = None, limit: int = 200) -> Movements:
    require(shop, actor, Permission.MANAGE_STOCK)
    conn = shop.db.conn
    limit = max(1, min(limit, 1000))
    product_id = _product(conn, sku)["id"] if sku else None
    rows = stock_store.movements(conn, product_id, limit)
    return {
        "movements": [
            {
                "id": r[0],
                "sku": r[1],
                "name": r[2],
                "kind": r[3],
                "quantity": r[4],
                "on_hand": r[5],
                "reason": r[6],
                "reference": r[7],
                "user": r[8],
                "at": r[9],
            }
            for r in rows
        ]
    }


# -- suppliers ----------------------------------------------------------------------------------


def _supplier(conn: Connection, supplier_id: object) -> Any:
    if isinstance(supplier_id, bool) or not isinstance(supplier_id, int):
        raise Invalid("a supplier is named by its id", "invalid_supplier")
    row = orders_store.supplier(conn, supplier_id)
    if row is None:
        raise NotFound(f"no supplier {supplier_id}", "supplier_not_found")
    return row


def add_supplier(shop: Shop, actor: Actor, name: str, email: str | None = None, phone: str | None = None) -> Supplier:
    require(shop, actor, Permission.MANAGE_STOCK)
    name = (name or "").strip()
    if not 1 <= len(name) <= 120:
        raise Invalid("a supplier's name is 1 to 120 characters", "invalid_name")
    with shop.db.transaction() as tx:
        try:
            supplier_id = orders_store.add_supplier(
                tx, name, (email or "").strip()[:120] or None, (phone or "").strip()[:40] or None, shop.now()
            )
        except IntegrityError:
            raise Conflict(f"a supplier named {name} exists", "supplier_exists") from None
        audit_log.record(shop, actor=actor, action="supplier_add", object=f"supplier:{supplier_id}")
        return _supplier_json(_supplier(tx, supplier_id))


def suppliers(shop: Shop, actor: Actor) -> Suppliers:
    require(shop, actor, Permission.MANAGE_STOCK)
    return {"suppliers": [_supplier_json(r) for r in orders_store.suppliers(shop.db.conn)]}


def _supplier_json(row: Any) -> Supplier:
    return {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "phone": row["phone"],
        "created_at": row["created_at"],
    }


# -- purchase orders ----------------------------------------------------------------------------


def _order(conn: Connection, po_id: int) -> Any:
    row = orders_store.order(conn, po_id)
    if row is None:
        raise NotFound(f"no purchase order {po_id}", "purchase_order_not_found")
    return row


def order_view(conn: Connection, po_id: int) -> PurchaseOrder:
    head = _order(conn, po_id)
    lines = orders_store.order_lines(conn, po_id)
    return {
        "id": head["id"],
        "supplier_id": head["supplier_id"],
        "supplier": head["supplier"],
        "status": head["status"],
        "note": head["note"],
        "created_at": head["created_at"],
        "ordered_at": head["ordered_at"],
        "closed_at": head["closed_at"],
        "lines": [
            {
                "sku": r["sku"],
                "name": r["name"],
                "ordered": r["quantity_ordered"],
                "received": r["quantity_received"],
                "outstanding": r["quantity_ordered"] - r["quantity_received"],
                "unit_cost": r["unit_cost"],
            }
            for r in lines
        ],
        "value": sum(r["quantity_ordered"] * r["unit_cost"] for r in lines),
    }


def _insert_order(shop: Shop, tx: Connection, actor: Actor, supplier_id: int, note: str) -> int:
    return orders_store.insert_order(tx, supplier_id, note, actor.user_id, shop.now())


def create_order(
    shop: Shop, actor: Actor, supplier_id: int, lines: list[dict[str, Any]], note: str = ""
) -> PurchaseOrder:
    require(shop, actor, Permission.MANAGE_STOCK)
    if not lines:
        raise Invalid("an order needs at least one line", "no_lines")
    if len(lines) > 1000:
        raise Invalid("at most 1000 lines per order", "too_many_lines")
    with shop.db.transaction() as tx:
        _supplier(tx, supplier_id)
        po_id = _insert_order(shop, tx, actor, supplier_id, (note or "").strip()[:200])
        for item in lines:
            product = _product(tx, item.get("sku"))
            qty = rules.check_positive(item.get("quantity"))
            cost = rules.check_cost(item.get("unit_cost", product["cost"]))
            try:
                orders_store.add_line(tx, po_id, product["id"], qty, cost)
            except IntegrityError:
                raise Invalid(f"{product['sku']} is on the order twice", "duplicate_line") from None
        audit_log.record(
            shop,
            actor=actor,
            action="purchase_order_create",
            object=f"purchase_order:{po_id}",
            details={"supplier": supplier_id, "lines": len(lines)},
        )
        return order_view(tx, po_id)


def suggest_orders(shop: Shop, actor: Actor) -> Suggested:
    """Draft orders, one per supplier, for every low product not already covered by an open
    order. Products with no supplier are listed, not ordered."""
    require(shop, actor, Permission.MANAGE_STOCK)
    with shop.db.transaction() as tx:
        grouped = rules.suggestions(_low(tx))
        created = []
        for supplier_id, items in grouped.items():
            if supplier_id is None:
                continue
            po_id = _insert_order(shop, tx, actor, supplier_id, "suggested from the low-stock list")
            orders_store.add_lines(tx, po_id, [(level.product_id, qty, level.cost) for level, qty in items])
            created.append(po_id)
        if created:
            audit_log.record(
                shop, actor=actor, action="purchase_order_suggest", object="stock", details={"orders": created}
            )
        return {
            "orders": [order_view(tx, po_id) for po_id in created],
            "without_supplier": [
                {"sku": level.sku, "name": level.name, "suggested": qty} for level, qty in grouped.get(None, [])
            ],
        }


def orders(shop: Shop, actor: Actor, status: str | None = None) -> Orders:
    require(shop, actor, Permission.MANAGE_STOCK)
    conn = shop.db.conn
    if status is not None and status not in ("draft", "ordered", "partial", "received", "cancelled"):
        raise Invalid("unknown status", "invalid_status")
    return {
        "orders": [
            {
                "id": r["id"],
                "status": r["status"],
                "created_at": r["created_at"],
                "ordered_at": r["ordered_at"],
                "supplier": r["supplier"],
                "lines": r["lines"],
                "value": r["value"],
            }
            for r in orders_store.orders(conn, status)
        ]
    }


def get_order(shop: Shop, actor: Actor, po_id: int) -> PurchaseOrder:
    require(shop, actor, Permission.MANAGE_STOCK)
    return order_view(shop.db.conn, po_id)


def mark_ordered(shop: Shop, actor: Actor, po_id: int) -> PurchaseOrder:
    """The draft was sent to the supplier: its lines can no longer change."""
    require(shop, actor, Permission.MANAGE_STOCK)
    with shop.db.transaction() as tx:
        if _order(tx, po_id)["status"] != "draft":
            raise Conflict("only a draft order can be sent", "purchase_order_not_draft")
        orders_store.mark_ordered(tx, po_id, shop.now())
        audit_log.record(shop, actor=actor, action="purchase_order_send", object=f"purchase_order:{po_id}")
        return order_view(tx, po_id)


def cancel_order(shop: Shop, actor: Actor, po_id: int) -> PurchaseOrder:
    require(shop, actor, Permission.MANAGE_STOCK)
    with shop.db.transaction() as tx:
        if _order(tx, po_id)["status"] not in ("draft", "ordered"):
            raise Conflict("goods were received on this order, or it is closed", "purchase_order_closed")
        orders_store.cancel(tx, po_id, shop.now())
        audit_log.record(shop, actor=actor, action="purchase_order_cancel", object=f"purchase_order:{po_id}")
        return order_view(tx, po_id)


def receive(shop: Shop, actor: Actor, po_id: int, lines: list[dict[str, Any]]) -> PurchaseOrder:
    """Goods arrived against an order, perhaps only some: on-hand goes up, the product's
    cost becomes the weighted average, the order is partial until every line is in."""
    require(shop, actor, Permission.MANAGE_STOCK)
    if not lines:
        raise Invalid("receive at least one line", "no_lines")
    with shop.db.transaction() as tx:
        order = _order(tx, po_id)
        if order["status"] not in ("ordered", "partial", "draft"):
            raise Conflict(f"purchase order {po_id} is {order['status']}", "purchase_order_closed")
        received = {}
        for item in lines:
            product = _product(tx, item.get("sku"))
            line = orders_store.line_of(tx, po_id, product["id"])
            if line is None:
                raise Invalid(f"{product['sku']} is not on purchase order {po_id}", "not_on_order")
            qty = rules.receivable(line["quantity_ordered"], line["quantity_received"], item.get("quantity"))
            unit_cost = rules.check_cost(item.get("unit_cost", line["unit_cost"]))
            new_cost = rules.average_cost(product["stock_on_hand"], product["cost"], qty, unit_cost)
            orders_store.receive_line(tx, line["id"], qty, unit_cost)
            stock_store.set_cost(tx, product["id"], new_cost)
            _move(shop, tx, actor, product, "receipt", qty, "received", f"po:{po_id}")
            received[product["sku"]] = qty
        outstanding = orders_store.outstanding(tx, po_id)
        status = "received" if outstanding == 0 else "partial"
        orders_store.set_received(tx, po_id, status, shop.now(), shop.now() if status == "received" else None)
        audit_log.record(
            shop,
            actor=actor,
            action="stock_receive",
            object=f"purchase_order:{po_id}",
            details={"received": received, "status": status},
        )
        return order_view(tx, po_id)


# -- stock value ----------------------------------------------------------------------------------


def stock_value(shop: Shop, actor: Actor, limit: int | None = 200) -> StockValue:
    """What the goods on the shelf cost (on-hand × cost) and would sell for; products with
    nothing on hand are left out, stock below zero counts as none."""
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    totals = stock_store.value_totals(conn)
    rows = stock_store.values(conn, limit)
    return {
        "currency": shop.settings.currency,
        "columns": ["sku", "name", "on_hand", "cost", "value", "retail_value"],
        "rows": [
            {"sku": r[0], "name": r[1], "on_hand": r[2], "cost": r[3], "value": r[4], "retail_value": r[5]}
            for r in rows
        ],
        "totals": {"products": totals[0], "units": totals[1], "value": totals[2], "retail_value": totals[3]},
    }
