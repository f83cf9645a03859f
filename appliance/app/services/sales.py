"""Selling: open a sale, scan, change quantities, void, take cash, complete, refund.

Each function is one thing a cashier does and one transaction: it commits whole or not
at all. Completion takes the receipt number, freezes the taxes, moves the stock and
queues the receipt for the printer in that same transaction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appliance.app.domain.barcode import normalise, read_variable_measure
from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.app.domain.money import format_amount, round_cash, round_fraction
from appliance.app.domain.pricing import PERCENT, Discount, percent_of
from appliance.app.domain.receipt import Receipt, ReceiptLine, ReceiptTax, ReceiptTender, RefundSlip
from appliance.app.domain.sale import COMPLETED, Sale, SaleLine, check_quantity, stacked_share
from appliance.app.domain.tax import Totals, compute_totals
from appliance.app.domain.words import Words
from appliance.app.services import audit_log, hooks, shifts
from appliance.app.services.auth import approved_by, require, require_all
from appliance.app.services.shop import Actor, Shop, parse_iso
from appliance.app.store import catalog as catalog_store
from appliance.app.store import refunds as refunds_store
from appliance.app.store import sales as sales_store
from appliance.app.store import staff
from appliance.app.store.card_refunds import queue as queue_card_refunds
from appliance.app.store.catalog import Product
from appliance.app.store.db import Connection
from appliance.security.rbac import Permission

TENDER_METHODS = ("cash", "card", "gift_card", "loyalty")


def _load(conn: Connection, sale_id: int, actor: Actor | None = None) -> Sale:
    sale = sales_store.load(conn, sale_id)
    if sale is None:
        raise NotFound(f"no sale {sale_id}", "sale_not_found")
    if actor is not None and actor.role == "customer":
        # A customer at a self-service till sees and touches only the sales of that till's session.
        head = sales_store.header(conn, sale_id)
        if head is None or head["cashier_id"] != actor.user_id:
            raise NotFound(f"no sale {sale_id}", "sale_not_found")
    return sale


def view(shop: Shop, sale_id: int, conn: Connection | None = None, sale: Sale | None = None) -> dict[str, Any]:
    """The sale as the API shows it. A completed sale shows what was frozen when it
    completed; an open one is priced now. `sale` is the caller's copy when it just changed
    and saved it (no second read on the till's hot path)."""
    conn = conn or shop.db.conn
    answer = _view(shop, sale_id, conn, sale or _load(conn, sale_id))
    if conn.in_transaction and shop.on_sale_change:
        # A change: the customer display hears of it once committed, as it was answered.
        shop.db.after_commit(lambda: shop.sale_changed(lambda: answer))
    return answer


def _view(shop: Shop, sale_id: int, conn: Connection, sale: Sale) -> dict[str, Any]:
    head = sales_store.header(conn, sale_id)
    assert head is not None
    payments = sales_store.payments(conn, sale_id)
    if sale.status == COMPLETED:
        taxes = sales_store.stored_taxes(conn, sale_id)
        frozen = {r["line_no"]: (r["discount"], r["promotion"]) for r in sales_store.line_discounts(conn, sale_id)}
        paid = sum(p["amount"] for p in payments)
        totals = {
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
        frozen = {p.line.line_no: (p.discount, p.promotion) for p in live.lines}
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
    return {
        "id": sale.id,
        "status": sale.status,
        "parked": sale.parked,
        "currency": sale.currency,
        "prices_include_tax": sale.prices_include_tax,
        "terminal_id": head["terminal_id"],
        "receipt_no": sale.receipt_no,
        "receipt_number": f"{head['terminal_id']}-{sale.receipt_no:06d}" if sale.receipt_no else None,
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
                "discount": frozen.get(ln.line_no, (0, None))[0],
                "net": ln.unit_price * ln.quantity - frozen.get(ln.line_no, (0, None))[0] if not ln.voided else 0,
                "promotion": frozen.get(ln.line_no, (0, None))[1],
                "line_discount": _discount_json(ln.discount),
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
        "order_discount": _discount_json(sale.order_discount),
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
        "customer": _customer(conn, sale_id),
        # A card payment whose outcome the acquirer has not yet confirmed (minor units, 0 if
        # none): the till says it is being checked, and no other card tender is taken meanwhile.
        "card_pending": sales_store.card_pending(conn, sale_id),
    }


def _customer(conn: Connection, sale_id: int) -> dict[str, Any] | None:
    """The sale's customer as the till needs them: who, their points, and what this sale
    earned them. No contact details: the customer display hears every sale view."""
    from appliance.app.services.customers import on_sale

    return on_sale(conn, sale_id)


def _discount_json(discount: Discount | None) -> dict[str, Any] | None:
    if discount is None:
        return None
    return {"kind": discount.kind, "value": discount.value, "reason": discount.reason}


def business_day(shop: Shop) -> dt.date:
    """Today on the shop's own calendar: promotions start and end by it."""
    try:
        return shop.clock().astimezone(ZoneInfo(shop.settings.timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return shop.clock().date()


def open_sale(shop: Shop, actor: Actor) -> dict[str, Any]:
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        sale_id = sales_store.insert(
            tx,
            terminal_id=shop.config.terminal_id,
            cashier_id=actor.user_id,
            currency=shop.settings.currency,
            prices_include_tax=shop.settings.prices_include_tax,
            now=shop.now(),
            business_day=business_day(shop).isoformat(),
        )
        return view(shop, sale_id, tx)


def get_sale(shop: Shop, actor: Actor, sale_id: int) -> dict[str, Any]:
    require(shop, actor, Permission.SELL)
    _load(shop.db.conn, sale_id, actor)
    return view(shop, sale_id)


def add_item(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    *,
    barcode: str | None = None,
    sku: str | None = None,
    plu: str | None = None,
    quantity: int = 1,
    grams: int | None = None,
) -> dict[str, Any]:
    """Adds an item by barcode, sku or PLU (loose produce's 4-5 digits). A product sold by
    weight comes with its scale label's barcode, or with the `grams` the cashier weighed."""
    require(shop, actor, Permission.SELL)
    if [barcode, sku, plu].count(None) != 2:
        raise Invalid("give one of a barcode, a sku or a PLU", "barcode_or_sku")
    check_quantity(quantity)
    with shop.db.transaction() as tx:
        measure = ""
        code: str | None
        if barcode is not None and grams is None:
            code = normalise(barcode)
            product, unit_price, measure = _scan(shop, tx, code, quantity)
        else:
            code = normalise(barcode) if barcode is not None else None
            product = _by_code(tx, code, sku, plu)
            unit_price = product.price
            if product.sold_by == "weight":
                if grams is None:
                    raise Invalid(f"{product.name} is sold by weight: weigh it", "weigh_item")
                unit_price, measure = _weighed(shop, product, grams, quantity)
            elif grams is not None:
                raise Invalid(f"{product.name} is not sold by weight", "not_weighed")
        if not product.active:
            raise Invalid(f"product withdrawn: {product.name} ({product.sku}) is no longer sold", "product_withdrawn")
        sale = _load(tx, sale_id, actor)
        line = sale.add_item(
            product_id=product.id,
            sku=product.sku,
            name=product.name,
            unit_price=unit_price,
            tax_class=product.tax_class,
            quantity=quantity,
            barcode=code,
            category=product.category,
            measure=measure,
            restricted=product.age_restricted,
            # At a staffed till the cashier is the one who checks; a customer alone needs an attendant.
            restricted_approved_by=None if actor.role == "customer" else actor.username,
        )
        sales_store.save_line(tx, sale_id, line)
        return view(shop, sale_id, tx, sale)


MAX_GRAMS = 99_999  # what a scale label can carry


def _by_code(tx: Connection, code: str | None, sku: str | None, plu: str | None) -> Product:
    if code is not None:
        found = catalog_store.by_barcode(tx, code)
        what = f"unknown barcode {code}", "unknown_barcode"
    elif plu is not None:
        found = catalog_store.by_plu(tx, plu)
        what = f"no product has PLU {plu}", "unknown_plu"
    else:
        found = catalog_store.by_sku(tx, str(sku))
        what = f"unknown sku {sku}", "unknown_sku"
    if found is None:
        raise Invalid(*what)
    return found


def _weighed(shop: Shop, product: Product, grams: int, quantity: int) -> tuple[int, str]:
    """The price of `grams` of a product priced per kilogram, and the line's measure."""
    if isinstance(grams, bool) or not isinstance(grams, int) or not 1 <= grams <= MAX_GRAMS:
        raise Invalid(f"the weight is 1 to {MAX_GRAMS} grams", "invalid_weight")
    if quantity != 1:
        raise Invalid("a weighed item is one line; weigh the next one", "invalid_quantity")
    price = round_fraction(Fraction(product.price * grams, 1000), shop.settings.tax_rounding)
    return price, f"{grams / 1000:.3f} kg @ {format_amount(product.price, shop.settings.currency)}/kg"


def _scan(shop: Shop, tx: Connection, code: str, quantity: int) -> tuple[Product, int, str]:
    """The product behind a scanned code and its price; a scale label (EAN-13 with a 2x
    prefix) carries the item and its weight or price in the code itself."""
    product = catalog_store.by_barcode(tx, code)
    if product is not None:
        if product.sold_by == "weight":
            raise Invalid(f"{product.name} is sold by weight: weigh it or scan the scale's label", "weigh_item")
        return product, product.price, ""
    settings = shop.settings
    measured = read_variable_measure(code, settings.variable_measure_prefixes, settings.variable_measure_layout)
    if measured is None:
        raise Invalid(f"unknown barcode {code}", "unknown_barcode")
    product = catalog_store.by_barcode(tx, measured.item_key)
    if product is None:
        raise Invalid(f"unknown item {measured.item_key} in scale label {code}", "unknown_barcode")
    if quantity != 1:
        raise Invalid("a weighed or priced label is one item; scan it again for another", "invalid_quantity")
    if measured.kind == "price":
        return product, measured.value, ""
    if product.sold_by != "weight":
        raise Invalid(f"{product.name} is not sold by weight", "not_weighed")
    if measured.value <= 0:
        raise Invalid("the label weighs nothing", "invalid_weight")
    price, measure = _weighed(shop, product, measured.value, quantity)
    return product, price, measure


def add_priced_line(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    *,
    sku: str,
    unit_price: int,
    name: str | None = None,
    quantity: int = 1,
) -> dict[str, Any]:
    """A line whose price is set at the till, not on the shelf (a gift card's value, say):
    the product gives the name and tax class, the caller the price."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        product = catalog_store.by_sku(tx, sku)
        if product is None:
            raise Invalid(f"unknown sku {sku}", "unknown_sku")
        sale = _load(tx, sale_id, actor)
        line = sale.add_item(
            product_id=product.id,
            sku=product.sku,
            name=name or product.name,
            unit_price=unit_price,
            tax_class=product.tax_class,
            quantity=quantity,
        )
        sales_store.save_line(tx, sale_id, line)
        return view(shop, sale_id, tx, sale)


def set_quantity(shop: Shop, actor: Actor, sale_id: int, line_no: int, quantity: int) -> dict[str, Any]:
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        sale = _load(tx, sale_id, actor)
        line = sale.set_quantity(line_no, quantity)
        sales_store.save_line(tx, sale_id, line)
        return view(shop, sale_id, tx, sale)


def void_line(shop: Shop, actor: Actor, sale_id: int, line_no: int, approval: str | None = None) -> dict[str, Any]:
    with shop.db.transaction() as tx:
        approver = require(shop, actor, Permission.VOID_LINE, approval)
        sale = _load(tx, sale_id, actor)
        line = sale.void_line(line_no)
        sales_store.save_line(tx, sale_id, line)
        sales_store.mark_voided_by(tx, sale_id, line_no, actor.user_id)
        audit_log.record(
            shop,
            actor=actor,
            action="void_line",
            object=f"sale:{sale_id}/line:{line_no}",
            details={
                "sku": line.sku,
                "quantity": line.quantity,
                "amount": line.unit_price * line.quantity,
                "approved_by": approver,
            },
        )
        return view(shop, sale_id, tx, sale)


def _check_limit(
    shop: Shop, actor: Actor, discount: Discount, granted: int, base: int, approval: str | None, stacked: Fraction
) -> str | None:
    """A discount above the role's own limit needs a supervisor's approval; the approver's
    limit must cover it too. Returns the approver, if one was needed. A percentage is
    judged as given (10 % is 10 % even when a cent of rounding makes it 10.03 %). The limit
    holds for the sale as a whole too: `stacked` is what its line and sale discounts take
    off together, so 10 % on a line and 10 % on the sale is judged as the 19 % it is."""
    share = Fraction(discount.value, 100) if discount.kind == PERCENT else percent_of(granted, base)
    share = max(share, stacked)
    limits = shop.settings.discount_limits
    if share <= limits.get(actor.role, 0):
        return None
    if not approval:
        raise Forbidden(
            f"a {float(share):.1f} % discount is over the {actor.role}'s limit of {limits.get(actor.role, 0)} %; "
            "a supervisor can approve it",
            "discount_needs_approval",
        )
    approver = approved_by(shop, actor, Permission.DISCOUNT_OVER_LIMIT, approval)
    approver_user = staff.by_name(shop.db.conn, approver)
    if approver_user is None or share > limits.get(approver_user.role, 0):
        raise Forbidden(f"{approver} may not approve a {float(share):.1f} % discount", "forbidden")
    return approver


def discount_line(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    line_no: int,
    discount: Discount | None,
    approval: str | None = None,
) -> dict[str, Any]:
    """Sets (or with None, removes) the cashier's discount on one line."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        sale = _load(tx, sale_id, actor)
        line = sale.set_line_discount(line_no, discount)
        lines = sale.totals(shop.tax_classes, shop.settings.tax_rounding).lines
        priced = next(p for p in lines if p.line == line)
        approver = None
        if discount is not None:
            approver = _check_limit(
                shop,
                actor,
                discount,
                priced.line_off,
                line.amount - priced.promotion_off,
                approval,
                stacked_share(lines),
            )
        sales_store.save_line(tx, sale_id, line)
        audit_log.record(
            shop,
            actor=actor,
            action="discount_line" if discount else "discount_line_removed",
            object=f"sale:{sale_id}/line:{line_no}",
            details={"discount": _discount_json(discount), "amount_off": priced.line_off, "approved_by": approver},
        )
        return view(shop, sale_id, tx, sale)


def discount_order(
    shop: Shop, actor: Actor, sale_id: int, discount: Discount | None, approval: str | None = None
) -> dict[str, Any]:
    """Sets (or removes) a discount on the whole sale, spread over its lines."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        sale = _load(tx, sale_id, actor)
        sale.set_order_discount(discount)
        priced = sale.totals(shop.tax_classes, shop.settings.tax_rounding).lines
        off = sum(p.order_off for p in priced)
        approver = None
        if discount is not None:
            approver = _check_limit(
                shop, actor, discount, off, sum(p.net + p.order_off for p in priced), approval, stacked_share(priced)
            )
        sales_store.save_order_discount(tx, sale_id, discount)
        audit_log.record(
            shop,
            actor=actor,
            action="discount_order" if discount else "discount_order_removed",
            object=f"sale:{sale_id}",
            details={"discount": _discount_json(discount), "amount_off": off, "approved_by": approver},
        )
        return view(shop, sale_id, tx, sale)


def override_price(
    shop: Shop, actor: Actor, sale_id: int, line_no: int, price: int, reason: str, approval: str | None = None
) -> dict[str, Any]:
    """Charges another price than the shelf's for one line (permission, reason, audited)."""
    with shop.db.transaction() as tx:
        approver = require(shop, actor, Permission.PRICE_OVERRIDE, approval)
        sale = _load(tx, sale_id, actor)
        before = sale.line(line_no).unit_price
        line = sale.override_price(line_no, price, reason)
        sales_store.save_line(tx, sale_id, line)
        audit_log.record(
            shop,
            actor=actor,
            action="price_override",
            object=f"sale:{sale_id}/line:{line_no}",
            details={
                "sku": line.sku,
                "from": before,
                "to": price,
                "shelf": line.original_price,
                "reason": line.override_reason,
                "approved_by": approver,
            },
        )
        return view(shop, sale_id, tx, sale)


def approve_restricted(shop: Shop, actor: Actor, sale_id: int, approval: str | None = None) -> dict[str, Any]:
    """An attendant approves the age-restricted items on a self-service sale (audited)."""
    with shop.db.transaction() as tx:
        approver = require(shop, actor, Permission.APPROVE_RESTRICTED, approval) or actor.username
        sale = _load(tx, sale_id, actor)
        approved = sale.approve_restricted(approver)
        for line in approved:
            sales_store.save_line(tx, sale_id, sale.line(line.line_no))
        audit_log.record(
            shop,
            actor=actor,
            action="approve_restricted",
            object=f"sale:{sale_id}",
            details={"approved_by": approver, "lines": [ln.line_no for ln in approved]},
        )
        return view(shop, sale_id, tx, sale)


def park(shop: Shop, actor: Actor, sale_id: int) -> dict[str, Any]:
    """Sets a sale aside so that the next customer can be served on this lane."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        sale = _load(tx, sale_id, actor)
        sale.park()
        if sales_store.card_pending(tx, sale_id):
            # Parked, its card's approval could not land on it and would be given back.
            raise Conflict("a card payment on this sale waits for its answer; park it after", "payment_pending")
        sales_store.set_parked(tx, sale_id, actor.user_id, shop.now())
        return view(shop, sale_id, tx, sale)


def resume(shop: Shop, actor: Actor, sale_id: int) -> dict[str, Any]:
    """Takes a parked sale back up, on the lane where it was parked."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        sale = _load(tx, sale_id, actor)
        head = sales_store.header(tx, sale_id)
        assert head is not None
        if head["terminal_id"] != shop.config.terminal_id:
            raise Conflict(f"sale {sale_id} was parked on lane {head['terminal_id']}", "parked_elsewhere")
        sale.resume()
        sales_store.set_parked(tx, sale_id, None, None)
        return view(shop, sale_id, tx, sale)


def parked_sales(shop: Shop, actor: Actor) -> list[dict[str, Any]]:
    require(shop, actor, Permission.SELL)
    return _with_totals(shop, sales_store.parked(shop.db.conn, shop.config.terminal_id))


def left_open(shop: Shop, actor: Actor, terminal: str | None = None) -> list[dict[str, Any]]:
    """The open, unparked sales of a till (this one unless `terminal` names another): after a
    reload, a crash of the browser or a new login the till shows the one it finds, or lets
    the cashier pick when there are several. Each with its total, what was paid and is due."""
    require(shop, actor, Permission.SELL)
    return _with_totals(shop, sales_store.left_open(shop.db.conn, terminal or shop.config.terminal_id))


def _with_totals(shop: Shop, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        sale = _load(shop.db.conn, int(row["id"]))
        totals = sale.totals(shop.tax_classes, shop.settings.tax_rounding)
        out.append({**row, "currency": sale.currency, "total": totals.total, "due": max(totals.due, 0)})
    return out


def park_on_logout(shop: Shop, tx: Connection, actor: Actor) -> list[int]:
    """A cashier logging out parks the open sales they opened on this till (inside the
    logout's transaction), so the next person finds them in the parked list, payments and
    all. An empty one is left as it is: it holds nothing, and the next login takes it up."""
    parked: list[int] = []
    if actor.role == "customer":
        return parked  # a self-service session's sale is the kiosk's to time out
    for row in sales_store.left_open(tx, shop.config.terminal_id, actor.user_id):
        if not row["lines"] or sales_store.card_pending(tx, int(row["id"])):
            continue  # nothing on it; or a card's answer still to land on it (it stays listed as open)
        sale = _load(tx, int(row["id"]))
        sale.park()
        sales_store.set_parked(tx, sale.id, actor.user_id, shop.now())
        parked.append(sale.id)
    return parked


def cancel_sale(shop: Shop, actor: Actor, sale_id: int) -> dict[str, Any]:
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        sale = _load(tx, sale_id, actor)
        sale.cancel()
        sales_store.cancel(tx, sale_id)
        audit_log.record(
            shop,
            actor=actor,
            action="sale_cancel",
            object=f"sale:{sale_id}",
            details={"lines": len([ln for ln in sale.lines if not ln.voided])},
        )
        return view(shop, sale_id, tx, sale)


def pay_cash(shop: Shop, actor: Actor, sale_id: int, amount: int) -> dict[str, Any]:
    """Cash tender: the change and the cash rounding come back in the answer (`change`,
    `rounding`); the sale completes when nothing is due. Cash that settles the sale is
    rounded to the store's smallest coin (rule cash_rounding); a partial tender is not."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        sale = _load(tx, sale_id, actor)
        tender = sale.take_cash(amount, shop.tax_classes, shop.settings.tax_rounding, shop.settings.cash_increment)
        sales_store.insert_payment(tx, sale_id, tender, actor.user_id, shop.now())
        completed = _complete_if_settled(shop, tx, sale)
        result = view(shop, sale_id, tx, sale)
    if completed:
        for callback in shop.on_receipt:
            callback(sale_id)
    return result


def pay_tender(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    method: str,
    amount: int,
    *,
    reference: str | None = None,
    details: dict[str, Any] | None = None,
    charge: Callable[[Connection, int], None] | None = None,
) -> dict[str, Any]:
    """A non-cash tender (gift card, loyalty points…) that is settled inside the store:
    `charge` debits its source in the same transaction as the payment row, so the two
    commit together or not at all. Card payments, which wait on a gateway, go through
    the card payment service instead."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        sale = _load(tx, sale_id, actor)
        tender = sale.take_tender(method, amount, shop.tax_classes, shop.settings.tax_rounding, reference)
        if charge is not None:
            charge(tx, tender.amount)
        sales_store.insert_payment(tx, sale_id, tender, actor.user_id, shop.now(), details)
        completed = _complete_if_settled(shop, tx, sale)
        result = view(shop, sale_id, tx, sale)
    if completed:
        for callback in shop.on_receipt:
            callback(sale_id)
    return result


def _complete_if_settled(shop: Shop, tx: Connection, sale: Sale) -> bool:
    if not sale.is_settled(shop.tax_classes, shop.settings.tax_rounding):
        return False
    totals = sale.totals(shop.tax_classes, shop.settings.tax_rounding)
    receipt_no = sales_store.next_receipt_no(tx, shop.config.terminal_id)
    sale.complete(receipt_no)
    sales_store.complete(
        tx,
        sale.id,
        receipt_no,
        totals.subtotal,
        totals.tax,
        totals.total,
        totals.taxes.taxes,
        shop.now(),
        discount=totals.discount,
        line_discounts=tuple((p.line.line_no, p.discount, p.promotion) for p in totals.lines),
        cash_rounding=sale.cash_rounding,
    )
    for line in sale.lines:
        if not line.voided:
            catalog_store.adjust_stock(tx, line.product_id, -line.quantity)
    hooks.on_sale_completed(shop, tx, sale.id)
    if shop.config.printer != "none":
        from appliance.app.services import printing as receipts_printing

        receipts_printing.queue_receipt(shop, tx, sale.id)
        receipts_printing.queue_gift_card_slips(shop, tx, sale.id)
    return True


def receipt(shop: Shop, actor: Actor, sale_id: int, *, copy: bool = False) -> Receipt:
    require(shop, actor, Permission.SELL)
    _load(shop.db.conn, sale_id, actor)
    return build_receipt(shop, shop.db.conn, sale_id, copy=copy)


def build_receipt(shop: Shop, conn: Connection, sale_id: int, *, copy: bool = False) -> Receipt:
    """The receipt of a completed sale, from what was stored when it completed."""
    sale = _load(conn, sale_id)
    if sale.status != COMPLETED or sale.receipt_no is None:
        raise Conflict(
            f"sale {sale_id} is {sale.status}; a receipt needs a completed sale",
            "sale_not_completed",
        )
    head = sales_store.header(conn, sale_id)
    assert head is not None
    settings = shop.settings
    frozen = {r["line_no"]: (r["discount"], r["promotion"]) for r in sales_store.line_discounts(conn, sale_id)}
    return Receipt(
        store_name=settings.store_name,
        header=settings.header,
        terminal_id=head["terminal_id"],
        receipt_no=sale.receipt_no,
        completed_at=Words(settings.locale).moment(parse_iso(head["completed_at"]), settings.timezone),
        cashier=head["cashier"],
        currency=sale.currency,
        prices_include_tax=sale.prices_include_tax,
        lines=tuple(
            ReceiptLine(
                name=ln.name,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                amount=ln.amount,
                sku=ln.sku,
                discount=frozen.get(ln.line_no, (0, None))[0],
                promotion=frozen.get(ln.line_no, (0, None))[1],
                measure=ln.measure,
                original_price=ln.original_price,
            )
            for ln in sale.lines
            if not ln.voided
        ),
        discount=head["discount"],
        subtotal=head["subtotal"],
        taxes=tuple(ReceiptTax(t.name, t.rate, t.amount) for t in sales_store.stored_taxes(conn, sale_id)),
        total=head["total"],
        rounding=head["cash_rounding"],
        tenders=tuple(
            ReceiptTender(
                method=p["method"],
                amount=p["amount"],
                tendered=p["tendered"],
                change=p["change"],
                detail=_tender_detail(p),
            )
            for p in sales_store.payments(conn, sale_id)
        ),
        footer=settings.footer,
        copy=copy,
        locale=settings.locale,
    )


def _tender_detail(payment: dict[str, Any]) -> str:
    import json

    details = json.loads(payment.get("details") or "{}")
    if details.get("brand") and details.get("last4"):
        return f"{details['brand'].upper()} **** {details['last4']}"
    return ""


def local_time(utc_text: str, timezone: str) -> str:
    import datetime as dt
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from appliance.app.services.shop import parse_iso

    moment = parse_iso(utc_text)
    try:
        moment = moment.astimezone(ZoneInfo(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M")


def refund(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    lines: list[dict[str, int]],
    reason: str,
    approval: str | None = None,
    refund_to: str = "original",
    exchange_into: int | None = None,
) -> dict[str, Any]:
    """Returns some lines of a completed sale; the money goes back to the sale's tenders,
    newest first (or, with the store_credit permission, onto a new gift card; or, for an
    exchange, as a tender on the open sale `exchange_into`, any rest to the original
    tenders); the stock comes back. The sale itself is never changed but for the refunded
    quantities it records."""
    if refund_to not in ("original", "gift_card", "exchange"):
        raise Invalid("refund_to is original, gift_card or exchange", "invalid_refund_to")
    if (refund_to == "exchange") != (exchange_into is not None):
        raise Invalid("an exchange names the new sale (exchange_into), and only an exchange does", "invalid_exchange")
    if exchange_into == sale_id:
        raise Invalid("a sale cannot be exchanged into itself", "invalid_exchange")
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 200:
        raise Invalid("a refund needs a reason of 3 to 200 characters", "reason_required")
    if not lines:
        raise Invalid("name at least one line to refund", "no_lines")
    answer = _refund(shop, actor, sale_id, lines, reason, approval, refund_to, exchange_into)
    if shop.devices is not None and shop.devices.printer is not None:
        shop.devices.printer.wake()  # the refund's slip (and the drawer, for cash) now, not at the next poll
    if answer.pop("_completed_exchange", None) is not None:
        for callback in shop.on_receipt:
            callback(int(exchange_into or 0))
    return answer


def _refund(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    lines: list[dict[str, int]],
    reason: str,
    approval: str | None,
    refund_to: str,
    exchange_into: int | None,
) -> dict[str, Any]:
    completed_exchange: int | None = None
    with shop.db.transaction() as tx:
        # Store credit is the stronger permission: one manager's approval of it covers the refund.
        needs = (Permission.STORE_CREDIT, Permission.REFUND) if refund_to == "gift_card" else (Permission.REFUND,)
        approver = require_all(shop, actor, needs, approval)
        sale = _load(tx, sale_id, actor)
        if sale.status != COMPLETED:
            raise Conflict(
                f"sale {sale_id} is {sale.status}; only a completed sale can be refunded",
                "sale_not_completed",
            )
        wanted, returned, paid_for, totals, amount = _refund_figures(shop, tx, sale, lines)
        cur = tx.execute(
            "INSERT INTO refunds(sale_id, user_id, reason, amount, tax, created_at, terminal_id, approved_by) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sale_id, actor.user_id, reason.strip(), amount, totals.tax, shop.now(), shop.config.terminal_id, approver),
        )
        refund_id = int(cur.lastrowid)
        refunds_store.insert_taxes(tx, refund_id, totals.taxes)
        for ln in returned:
            tx.execute(
                "INSERT INTO refund_lines(refund_id, line_id, quantity, amount) "
                "SELECT ?, id, ?, ? FROM sale_lines WHERE sale_id = ? AND line_no = ?",
                (refund_id, ln.quantity, paid_for[ln.line_no], sale_id, ln.line_no),
            )
            tx.execute(
                "UPDATE sale_lines SET refunded_qty = refunded_qty + ? WHERE sale_id = ? AND line_no = ?",
                (ln.quantity, sale_id, ln.line_no),
            )
            catalog_store.adjust_stock(tx, ln.product_id, ln.quantity)
        undone = hooks.on_refund(shop, tx, actor, sale_id, refund_id, wanted)
        credit = None
        if refund_to == "gift_card":
            from appliance.app.domain import gift_card as card_rules
            from appliance.app.services.returns import issue_credit

            card_id, code = issue_credit(shop, tx, amount, sale_id, actor)
            tx.execute(
                "INSERT INTO store_credits(refund_id, gift_card_id, amount) VALUES (?, ?, ?)",
                (refund_id, card_id, amount),
            )
            credit = {"code": card_rules.display(code), "balance": amount}
            back = []
        elif exchange_into is not None:
            into = _load(tx, exchange_into, actor)
            due = into.totals(shop.tax_classes, shop.settings.tax_rounding).due
            applied = min(amount, max(due, 0))
            if applied > 0:
                tender = into.take_tender(
                    "exchange", applied, shop.tax_classes, shop.settings.tax_rounding, reference=f"refund:{refund_id}"
                )
                sales_store.insert_payment(
                    tx, exchange_into, tender, actor.user_id, shop.now(), {"refund": refund_id, "from_sale": sale_id}
                )
                if _complete_if_settled(shop, tx, into):
                    completed_exchange = exchange_into
            # Whatever the new goods do not use up goes back the way it came.
            back = _allocate_refund(tx, sale_id, amount - applied) if amount > applied else []
        else:
            back = _allocate_refund(tx, sale_id, amount)
        if any(method == "cash" and part for _, method, part in back):
            # Cash given back leaves a drawer someone counts: the till's open shift, whoever's it
            # is (a supervisor refunds from the cashier's drawer).
            shifts.check_shift_open(shop, tx)
        given: list[dict[str, Any]] = []
        for payment_id, method, part in back:
            # Cash leaves the drawer in whole coins: the part rounds as a sale's cash does.
            rounding = round_cash(part, shop.settings.cash_increment) - part if method == "cash" else 0
            tx.execute(
                "INSERT INTO refund_tenders(refund_id, payment_id, method, amount, rounding) VALUES (?, ?, ?, ?, ?)",
                (refund_id, payment_id, method, part, rounding),
            )
            _give_back(shop, tx, actor, sale_id, payment_id, method, part)
            given.append({"method": method, "amount": part, **({"rounding": rounding} if method == "cash" else {})})
        # The card part goes back through the acquirer after the commit; what sends it is
        # written here, so a crash after the commit still sends it at the next start.
        queue_card_refunds(tx, refund_id, shop.now())
        if shop.config.printer != "none":
            from appliance.app.services import printing as refund_printing

            refund_printing.queue_refund_slip(shop, tx, refund_id, sale_id)
        audit_log.record(
            shop,
            actor=actor,
            action="refund",
            object=f"sale:{sale_id}",
            details={
                "refund": refund_id,
                "amount": amount,
                "lines": wanted,
                "reason": reason.strip(),
                "approved_by": approver,
                "refund_to": refund_to,
                **undone,
            },
        )
        return {
            **undone,
            "id": refund_id,
            "sale_id": sale_id,
            "amount": amount,
            "tax": totals.tax,
            "currency": sale.currency,
            # A cash tender's `rounding`: what is handed back is amount + rounding.
            "tenders": given,
            "gift_card": credit,
            "sale": view(shop, sale_id, tx),
            "exchange_sale": view(shop, exchange_into, tx) if exchange_into is not None else None,
            "_completed_exchange": completed_exchange,
        }


def refund_slip(shop: Shop, actor: Actor, refund_id: int) -> RefundSlip:
    """A refund's slip, as printed when it was made (a self-service session reads none)."""
    require(shop, actor, Permission.SELL)
    if actor.role == "customer":
        raise NotFound(f"no refund {refund_id}", "refund_not_found")
    from appliance.app.services import printing as refund_printing

    return refund_printing.build_refund_slip(shop, shop.db.conn, refund_id)


class RefundFigures(NamedTuple):
    wanted: dict[int, int]  # line number → quantity coming back
    returned: list[SaleLine]  # those lines, with the quantities coming back
    paid_for: dict[int, int]  # line number → what the customer paid for those units
    totals: Totals  # their taxes, from paid_for
    amount: int  # what goes back: the last refund of a sale takes what is left


def _refund_figures(shop: Shop, tx: Connection, sale: Sale, lines: list[dict[str, int]]) -> RefundFigures:
    """What a refund of `lines` of a completed sale gives back; writes nothing (the refund
    and the till's figure as quantities change both come from here)."""
    wanted: dict[int, int] = {}
    for item in lines:
        line_no, qty = item.get("line"), item.get("quantity")
        if not isinstance(line_no, int) or isinstance(line_no, bool):
            raise Invalid("each refund line needs a line number", "invalid_line")
        line = sale.line(line_no)
        quantity = line.quantity - line.refunded_qty if qty is None else check_quantity(qty)
        if line.voided:
            raise Conflict(f"line {line_no} was voided", "line_voided")
        if quantity + wanted.get(line_no, 0) > line.quantity - line.refunded_qty:
            raise Invalid(
                f"line {line_no}: {quantity} is more than the {line.quantity - line.refunded_qty} left to refund",
                "refund_exceeds_sold",
            )
        if quantity < 1:
            raise Invalid(f"line {line_no} has nothing left to refund", "refund_exceeds_sold")
        wanted[line_no] = wanted.get(line_no, 0) + quantity
    returned = [replace(sale.line(n), quantity=q) for n, q in wanted.items()]
    # What the customer paid for those units: the frozen discount goes back pro rata.
    frozen = {r["line_no"]: r["discount"] for r in sales_store.line_discounts(tx, sale.id)}
    paid_for = {
        ln.line_no: ln.amount
        - round_fraction(Fraction(frozen.get(ln.line_no, 0) * ln.quantity, sale.line(ln.line_no).quantity))
        for ln in returned
    }
    totals = compute_totals(
        ((ln.tax_class, paid_for[ln.line_no]) for ln in returned),
        shop.tax_classes,
        prices_include_tax=sale.prices_include_tax,
        rounding=shop.settings.tax_rounding,
    )
    head = sales_store.header(tx, sale.id)
    assert head is not None
    already = tx.execute("SELECT coalesce(sum(amount), 0) FROM refunds WHERE sale_id = ?", (sale.id,)).fetchone()[0]
    everything = all(ln.voided or ln.quantity - ln.refunded_qty == wanted.get(ln.line_no, 0) for ln in sale.lines)
    # The last refund takes what is left, so rounding never leaves a cent behind.
    amount = head["total"] - already if everything else min(totals.total, head["total"] - already)
    return RefundFigures(wanted, returned, paid_for, totals, amount)


def refund_quote(shop: Shop, actor: Actor, sale_id: int, lines: list[dict[str, int]]) -> dict[str, Any]:
    """What refunding `lines` would give back, as the refund would work it out; nothing is
    written, no approval is used. The till shows it as the quantities change."""
    require(shop, actor, Permission.SELL)
    if actor.role == "customer":
        raise NotFound(f"no sale {sale_id}", "sale_not_found")
    if not lines:
        raise Invalid("name at least one line to refund", "no_lines")
    conn = shop.db.conn
    sale = _load(conn, sale_id, actor)
    if sale.status != COMPLETED:
        raise Conflict(f"sale {sale_id} is {sale.status}; only a completed sale can be refunded", "sale_not_completed")
    figures = _refund_figures(shop, conn, sale, lines)
    return {
        "sale_id": sale_id,
        "amount": figures.amount,
        "tax": figures.totals.tax,
        "taxes": [{"name": t.name, "rate": t.rate, "amount": t.amount} for t in figures.totals.taxes],
        "lines": [{"line": n, "quantity": q, "amount": figures.paid_for[n]} for n, q in figures.wanted.items()],
        "currency": sale.currency,
    }


def _give_back(shop: Shop, tx: Connection, actor: Actor, sale_id: int, payment_id: int, method: str, part: int) -> None:
    """Money refunded to a tender settled inside the store goes back where it came from: the
    gift card that paid is credited, the points that paid are returned. (Cash leaves the
    drawer; a card is queued in card_refunds and goes back through the gateway after the
    commit.)"""
    if method == "gift_card":
        # Each gift card payment debited its card in its own transaction, in order: the n-th
        # gift card payment of the sale is its n-th redemption.
        card = tx.execute(
            "SELECT card_id FROM gift_card_entries WHERE sale_id = ? AND kind = 'redeem' ORDER BY id LIMIT 1 OFFSET "
            "(SELECT count(*) FROM payments WHERE sale_id = ? AND method = 'gift_card' AND id < ?)",
            (sale_id, sale_id, payment_id),
        ).fetchone()
        if card is None:
            raise Conflict("the gift card that paid this sale is not on record", "gift_card_missing")
        tx.execute("UPDATE gift_cards SET balance = balance + ? WHERE id = ?", (part, card[0]))
        balance = tx.execute("SELECT balance FROM gift_cards WHERE id = ?", (card[0],)).fetchone()[0]
        tx.execute(
            "INSERT INTO gift_card_entries(card_id, kind, amount, balance, sale_id, user_id, at) "
            "VALUES (?, 'top_up', ?, ?, ?, ?, ?)",
            (card[0], part, balance, sale_id, actor.user_id, shop.now()),
        )
    elif method == "loyalty":
        from appliance.app.domain import loyalty
        from appliance.app.services.customers import rules

        reference = tx.execute("SELECT reference FROM payments WHERE id = ?", (payment_id,)).fetchone()[0] or ""
        _, _, customer = reference.partition("customer:")
        if not customer.isdigit():
            raise Conflict("the customer whose points paid is not on record", "customer_missing")
        points = loyalty.points_to_pay(rules(tx), part)
        tx.execute("UPDATE customers SET points = points + ? WHERE id = ?", (points, int(customer)))
        tx.execute(
            "INSERT INTO loyalty_entries(customer_id, kind, points, sale_id, payment_id, user_id, reason, at) "
            "VALUES (?, 'adjust', ?, ?, ?, ?, 'refund', ?)",
            (int(customer), points, sale_id, payment_id, actor.user_id, shop.now()),
        )


def _allocate_refund(tx: Connection, sale_id: int, amount: int) -> list[tuple[int, str, int]]:
    """Spreads a refund over the sale's tenders, the last taken first, none past what it paid."""
    rows = tx.execute(
        "SELECT p.id, p.method, p.amount - coalesce((SELECT sum(rt.amount) FROM refund_tenders rt "
        "WHERE rt.payment_id = p.id), 0) AS left FROM payments p WHERE p.sale_id = ? ORDER BY p.id DESC",
        (sale_id,),
    ).fetchall()
    out: list[tuple[int, str, int]] = []
    remaining = amount
    for row in rows:
        if remaining <= 0:
            break
        part = min(remaining, row["left"])
        if part > 0:
            out.append((row["id"], row["method"], part))
            remaining -= part
    if remaining > 0:
        raise Conflict("the refund is more than the sale's tenders have left", "refund_exceeds_paid")
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
) -> list[dict[str, Any]]:
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
        row = conn.execute(
            "SELECT id FROM sales WHERE terminal_id = ? AND receipt_no = ?", (terminal, int(number))
        ).fetchone()
        if row is None:
            raise NotFound(f"no receipt {receipt}", "receipt_not_found")
        return [view(shop, int(row[0]))]
    if day is not None:
        try:
            date = dt.date.fromisoformat(day)
        except ValueError:
            raise Invalid("day must be a date YYYY-MM-DD", "invalid_date") from None
        rows = conn.execute(
            "SELECT s.id, s.terminal_id, s.receipt_no, s.completed_at, s.total, u.username AS cashier "
            "FROM sales s JOIN users u ON u.id = s.cashier_id "
            "WHERE s.status = 'completed' AND s.business_day = ? AND (? IS NULL OR s.terminal_id = ?) "
            "ORDER BY s.completed_at, s.id LIMIT ? OFFSET ?",
            (date.isoformat(), terminal, terminal, max(1, min(limit, 1000)), max(0, offset)),
        )
        return [{**dict(r), "receipt_number": f"{r['terminal_id']}-{r['receipt_no']:06d}"} for r in rows]
    raise Invalid("find sales by receipt, day, status=parked or status=open", "missing_query")
