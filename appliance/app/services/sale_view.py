"""The sale as the till, the customer display and the API see it, and the lists of sales
the till looks a sale up in (by receipt number, by day, parked, left open). Reads only:
a change reads its sale once (`read`), changes it in memory and answers with `changed`,
built from what it read and wrote, after its commit."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, cast

from appliance.app.domain import loyalty
from appliance.app.domain.errors import Forbidden, Invalid, NotFound
from appliance.app.domain.money import round_cash
from appliance.app.domain.pricing import Discount
from appliance.app.domain.sale import COMPLETED, OPEN, Sale
from appliance.app.services.auth import require
from appliance.app.services.completion import Completion
from appliance.app.services.open_sales import OpenSales
from appliance.app.services.sale_results import (
    DaySale,
    LeftOpenSale,
    LineDiscount,
    ParkedSale,
    SaleCustomer,
    SaleTotals,
    SaleView,
)
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import customers as customers_store
from appliance.app.store import sales as sales_store
from appliance.app.store import settings as settings_store
from appliance.app.store.db import Connection
from appliance.app.store.sales import SaleRecord
from appliance.security.rbac import Permission


def load(conn: Connection, sale_id: int, actor: Actor | None = None) -> Sale:
    return read(conn, sale_id, actor).sale


def read(conn: Connection, sale_id: int, actor: Actor | None = None, held: OpenSales | None = None) -> SaleRecord:
    """The sale and what its view shows, read once for the whole request: the caller changes
    `.sale` and answers with `changed` (or `shown`), with no second read of the same rows.
    With `held` (the shop's open sales), inside the write transaction: this process's own
    copy when the store's revision is still the one it wrote, with the promotions live now."""
    found = None
    if held is not None and conn.in_transaction:
        stamp = sales_store.revision(conn, sale_id)
        found = held.get(sale_id, stamp) if stamp is not None else None
        if found is not None and found.sale.business_day is not None:
            found.sale.promotions = sales_store.live_promotions(conn, found.sale.business_day)
    if found is None:
        found = sales_store.record(conn, sale_id)
    if found is None:
        raise NotFound(f"no sale {sale_id}", "sale_not_found")
    if actor is not None and actor.role == "customer" and found.head["cashier_id"] != actor.user_id:
        # A customer at a self-service till sees and touches only the sales of that till's session.
        raise NotFound(f"no sale {sale_id}", "sale_not_found")
    return found


def view(shop: Shop, sale_id: int, conn: Connection | None = None) -> SaleView:
    """The sale as the API shows it, read now. Inside a transaction it is a change: the
    customer display hears of it once committed."""
    conn = conn or shop.db.conn
    answer = shown(shop, read(conn, sale_id), conn)
    if conn.in_transaction:
        _tell(shop, answer)
    return answer


def changed(shop: Shop, found: SaleRecord) -> SaleView:
    """The answer to a change of `found`, made from what the change read and wrote. Called
    after the change's `with transaction()`: when that was the outermost, it has committed
    and the answer is built outside the write lock; inside an outer one (an idempotent
    request, whose answer is stored with the change) it is built there, reading nothing more
    than its customer, if it has one. The customer display hears of it once committed."""
    answer = shown(shop, found, shop.db.conn)
    _tell(shop, answer)
    return answer


def remember(shop: Shop, tx: Connection, found: SaleRecord, stamp: tuple[int, str] | None = None) -> None:
    """`found` is now exactly what the store holds of the sale (the change wrote it so): the
    next change starts from it once this transaction commits, unless the sale moved since.
    The stamp (revision, opening time) is read after the writes, unless the caller knows it."""
    if found.sale.status != OPEN:
        shop.open_sales.forget(found.sale.id)
        return
    stamp = stamp or sales_store.revision(tx, found.sale.id)
    if stamp is None:
        return
    kept = found.copy()
    shop.db.after_commit(lambda: shop.open_sales.keep(stamp, kept))


def remember_line(shop: Shop, tx: Connection, found: SaleRecord, line_no: int) -> None:
    """`remember` after a line was written as the sale holds it (a new line frozen at no
    discount and no promotion until the sale completes, as the store reads it back)."""
    found.frozen.setdefault(line_no, (0, None))
    remember(shop, tx, found)


def _tell(shop: Shop, answer: SaleView) -> None:
    if shop.on_sale_change:
        shop.db.after_commit(lambda: shop.sale_changed(lambda: answer))


def freeze(found: SaleRecord, done: Completion) -> None:
    """`found` as the completion that just committed with it (or will) wrote it: what its
    view shows of a completed sale, without reading it back."""
    totals = done.totals
    found.head.update(
        status=COMPLETED,
        receipt_no=done.receipt_no,
        completed_at=done.completed_at,
        subtotal=totals.subtotal,
        discount=totals.discount,
        tax=totals.tax,
        total=totals.total,
    )
    found.taxes = list(totals.taxes.taxes)
    found.frozen = {p.line.line_no: (p.discount, p.promotion) for p in totals.lines}


def customer_may_change(found: SaleRecord) -> None:
    """What was done in the request may have named the sale's customer (points paid): its
    view reads who it is instead of trusting the first read."""
    found.head.pop("customer_id", None)


def shown(shop: Shop, found: SaleRecord, conn: Connection) -> SaleView:
    """The view of a sale as read (and changed) in memory. A completed sale shows what was
    frozen when it completed; an open one is priced now. Reads only the customer's points
    (when the sale has a customer) and a completed sale's taxes (when not just frozen)."""
    sale, head, payments = found.sale, found.head, found.payments
    if sale.status == COMPLETED:
        if found.taxes is None:
            found.taxes = sales_store.stored_taxes(conn, sale.id)
        taxes = found.taxes
        lines_off = found.frozen
        paid = sum(p["amount"] for p in payments)
        totals: SaleTotals = {
            "subtotal": head["subtotal"],
            "discount": head["discount"],
            "tax": head["tax"],
            "total": head["total"],
            "paid": paid,
            "due": max(head["total"] - paid, 0),
            "cash_due": 0,
        }
    else:
        live = sale.totals(shop.tax_classes, shop.settings.tax_rounding)
        taxes = list(live.taxes.taxes)
        lines_off = {p.line.line_no: (p.discount, p.promotion) for p in live.lines}
        totals = {
            "subtotal": live.subtotal,
            "discount": live.discount,
            "tax": live.tax,
            "total": live.total,
            "paid": live.paid,
            "due": max(live.due, 0),
            # What cash settles the sale with now: the due rounded to the store's smallest coin.
            "cash_due": max(round_cash(live.due, shop.settings.cash_increment), 0),
        }
    receipt_no = sale.receipt_no
    return {
        "id": sale.id,
        "status": sale.status,
        "parked": sale.parked,
        "currency": sale.currency,
        "prices_include_tax": sale.prices_include_tax,
        "terminal_id": head["terminal_id"],
        "receipt_no": receipt_no,
        "receipt_number": f"{head['terminal_id']}-{receipt_no:06d}" if receipt_no else None,
        "cashier": head["cashier"],
        "opened_at": head["opened_at"],
        "completed_at": head["completed_at"],
        "lines": [
            {
                "line": ln.line_no,
                "sku": ln.sku,
                "name": ln.name,
                "barcode": ln.barcode,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
                "amount": ln.unit_price * ln.quantity,
                "discount": lines_off.get(ln.line_no, (0, None))[0],
                "net": ln.unit_price * ln.quantity - lines_off.get(ln.line_no, (0, None))[0] if not ln.voided else 0,
                "promotion": lines_off.get(ln.line_no, (0, None))[1],
                "line_discount": discount_json(ln.discount),
                "original_price": ln.original_price,
                "measure": ln.measure or None,
                "age_restricted": ln.restricted,
                "awaiting_approval": ln.restricted and not ln.voided and ln.restricted_approved_by is None,
                "tax_class": ln.tax_class,
                "voided": ln.voided,
                "refunded_quantity": ln.refunded_qty,
            }
            for ln in sale.lines
        ],
        "order_discount": discount_json(sale.order_discount),
        "totals": totals,
        "taxes": [{"name": t.name, "rate": t.rate, "amount": t.amount} for t in taxes],
        "payments": [
            {
                "id": p["id"],
                "method": p["method"],
                "amount": p["amount"],
                "tendered": p["tendered"],
                "change": p["change"],
                "rounding": p["rounding"],
            }
            for p in payments
        ],
        "change": sum(p["change"] for p in payments),
        # Cash rounding: what the drawer kept beyond the total (negative: less), minor units.
        "rounding": sum(p["rounding"] for p in payments),
        # The first read names the customer, if any (None: no one); unknown, it is read now.
        "customer": _customer(conn, sale.id) if head.get("customer_id", True) is not None else None,
        # A card payment whose outcome the acquirer has not yet confirmed (minor units, 0 if
        # none): the till says it is being checked, and no other card tender is taken meanwhile.
        "card_pending": head["card_pending"],
    }


def _customer(conn: Connection, sale_id: int) -> SaleCustomer | None:
    """The sale's customer as the till needs them: who, their points, and what this sale
    earned them. No contact details: the customer display hears every sale view."""
    row = customers_store.on_sale(conn, sale_id)
    if row is None:
        return None
    rules = loyalty.LoyaltyRules.from_settings(settings_store.get_all(conn))
    return {
        "id": row["id"],
        "name": row["name"],
        "points": row["points"],
        "points_value": loyalty.value_of(rules, row["points"]),
        "points_owed": row["points_owed"],
        "points_earned": row["earned"],
    }


def discount_json(discount: Discount | None) -> LineDiscount | None:
    if discount is None:
        return None
    return {"kind": discount.kind, "value": discount.value, "reason": discount.reason}


def get_sale(shop: Shop, actor: Actor, sale_id: int) -> SaleView:
    require(shop, actor, Permission.SELL)
    conn = shop.db.conn
    return shown(shop, read(conn, sale_id, actor), conn)


def parked_sales(shop: Shop, actor: Actor) -> list[ParkedSale]:
    require(shop, actor, Permission.SELL)
    return cast(list[ParkedSale], _with_totals(shop, sales_store.parked(shop.db.conn, shop.config.terminal_id)))


def left_open(shop: Shop, actor: Actor, terminal: str | None = None) -> list[LeftOpenSale]:
    """The open, unparked sales of a till (this one unless `terminal` names another): after a
    reload, a crash of the browser or a new login the till shows the one it finds, or lets
    the cashier pick when there are several. Each with its total, what was paid and is due."""
    require(shop, actor, Permission.SELL)
    return cast(
        list[LeftOpenSale], _with_totals(shop, sales_store.left_open(shop.db.conn, terminal or shop.config.terminal_id))
    )


def _with_totals(shop: Shop, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        sale = load(shop.db.conn, int(row["id"]))
        totals = sale.totals(shop.tax_classes, shop.settings.tax_rounding)
        out.append({**row, "currency": sale.currency, "total": totals.total, "due": max(totals.due, 0)})
    return out


def find_sales(
    shop: Shop,
    actor: Actor,
    *,
    receipt: str | None = None,
    day: str | None = None,
    status: str | None = None,
    terminal: str | None = None,
    offset: int = 0,
    limit: int = 500,
) -> list[SaleView] | list[ParkedSale] | list[LeftOpenSale] | list[DaySale]:
    """Finds sales for a return or a resume: by the receipt's number (as its barcode reads,
    `T01-000042`), by day (a page of it: `offset`, `limit`; one till's with `terminal`), the
    parked ones of this lane, or the open ones no one parked (this lane's, or `terminal`'s)."""
    require(shop, actor, Permission.SELL)
    if actor.role == "customer":
        raise Forbidden("a self-service session cannot look up sales", "forbidden")
    conn = shop.db.conn
    if status not in (None, "parked", "open"):
        raise Invalid("status is open or parked", "invalid_status")
    if status == "parked":
        return parked_sales(shop, actor)
    if status == "open":
        return left_open(shop, actor, terminal)
    if receipt is not None:
        terminal, sep, number = receipt.strip().rpartition("-")
        if not sep or not re.fullmatch(r"[0-9]{1,18}", number) or not terminal:  # ASCII, within SQLite
            raise Invalid("a receipt number looks like T01-000042", "invalid_receipt_number")
        found = sales_store.by_receipt(conn, terminal, int(number))
        if found is None:
            raise NotFound(f"no receipt {receipt}", "receipt_not_found")
        return [view(shop, found)]
    if day is not None:
        try:
            date = dt.date.fromisoformat(day)
        except ValueError:
            raise Invalid("day must be a date YYYY-MM-DD", "invalid_date") from None
        rows = sales_store.completed_on(conn, date.isoformat(), terminal, max(1, min(limit, 1000)), max(0, offset))
        return [cast(DaySale, {**dict(r), "receipt_number": f"{r['terminal_id']}-{r['receipt_no']:06d}"}) for r in rows]
    raise Invalid("find sales by receipt, day, status=parked or status=open", "missing_query")
