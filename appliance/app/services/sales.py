"""Selling: open a sale, scan, change quantities, void, discount, park, take cash and the
tenders settled inside the store.

Each function is one thing a cashier does and one transaction: it commits whole or not
at all. The tender that settles a sale completes it in that same transaction
(`completion.complete_if_settled`). Each reads its sale once (`sale_view.read`; opening,
scans, quantities and tenders from the copy this process kept, open_sales.py, while the
store's revision is the one it wrote) and answers with `sale_view.changed`, built from what
it read and wrote, after the commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appliance.app.domain.barcode import normalise, read_variable_measure
from appliance.app.domain.errors import Conflict, Forbidden, Invalid
from appliance.app.domain.money import format_amount, round_fraction
from appliance.app.domain.pricing import PERCENT, Discount, percent_of
from appliance.app.domain.product import Product
from appliance.app.domain.sale import check_quantity, stacked_share
from appliance.app.services import audit_log, outbox, sale_view
from appliance.app.services.auth import approved_by, require
from appliance.app.services.completion import announce_receipt, complete_if_settled
from appliance.app.services.sale_results import SaleView
from appliance.app.services.sale_view import changed, customer_may_change, discount_json, freeze, load, read
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import catalog as catalog_store
from appliance.app.store import sales as sales_store
from appliance.app.store import staff
from appliance.app.store.db import Connection
from appliance.app.store.sales import SaleRecord
from appliance.security.rbac import Permission

TENDER_METHODS = ("cash", "card", "gift_card", "loyalty")


def business_day(shop: Shop) -> dt.date:
    """Today on the shop's own calendar: promotions start and end by it."""
    try:
        return shop.clock().astimezone(ZoneInfo(shop.settings.timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return shop.clock().date()


def open_sale(shop: Shop, actor: Actor) -> SaleView:
    require(shop, actor, Permission.SELL)
    with shop.db.transaction(durable=False) as tx:
        opened = sales_store.insert(
            tx,
            terminal_id=shop.config.terminal_id,
            cashier_id=actor.user_id,
            cashier=actor.username,
            currency=shop.settings.currency,
            prices_include_tax=shop.settings.prices_include_tax,
            now=shop.now(),
            business_day=business_day(shop).isoformat(),
        )
        # Just inserted: revision 0 (no trigger moves a sale on its insert).
        sale_view.remember(shop, tx, opened, (opened.head["revision"], opened.head["opened_at"]))
    return changed(shop, opened)


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
) -> SaleView:
    """Adds an item by barcode, sku or PLU (loose produce's 4-5 digits). A product sold by
    weight comes with its scale label's barcode, or with the `grams` the cashier weighed."""
    require(shop, actor, Permission.SELL)
    if [barcode, sku, plu].count(None) != 2:
        raise Invalid("give one of a barcode, a sku or a PLU", "barcode_or_sku")
    check_quantity(quantity)
    with shop.db.transaction(durable=False) as tx:
        measure = ""
        code: str | None
        if barcode is not None and grams is None:
            code = normalise(barcode)
            product, unit_price, measure = _scan(shop, tx, code, quantity)
        else:
            code = normalise(barcode) if barcode is not None else None
            product = _by_code(tx, code, sku, plu, shop.now())
            unit_price = product.price
            if product.sold_by == "weight":
                if grams is None:
                    raise Invalid(f"{product.name} is sold by weight: weigh it", "weigh_item")
                unit_price, measure = _weighed(shop, product, grams, quantity)
            elif grams is not None:
                raise Invalid(f"{product.name} is not sold by weight", "not_weighed")
        if not product.active:
            raise Invalid(f"product withdrawn: {product.name} ({product.sku}) is no longer sold", "product_withdrawn")
        found = read(tx, sale_id, actor, shop.open_sales)
        sale = found.sale
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
        sale_view.remember_line(shop, tx, found, line.line_no)
    return changed(shop, found)


MAX_GRAMS = 99_999  # what a scale label can carry


def _by_code(tx: Connection, code: str | None, sku: str | None, plu: str | None, at: str) -> Product:
    if code is not None:
        found = catalog_store.by_barcode(tx, code, at)
        what = f"unknown barcode {code}", "unknown_barcode"
    elif plu is not None:
        found = catalog_store.by_plu(tx, plu, at)
        what = f"no product has PLU {plu}", "unknown_plu"
    else:
        found = catalog_store.by_sku(tx, str(sku), at)
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
    product = catalog_store.by_barcode(tx, code, shop.now())  # at the price in force now
    if product is not None:
        if product.sold_by == "weight":
            raise Invalid(f"{product.name} is sold by weight: weigh it or scan the scale's label", "weigh_item")
        return product, product.price, ""
    settings = shop.settings
    measured = read_variable_measure(code, settings.variable_measure_prefixes, settings.variable_measure_layout)
    if measured is None:
        raise Invalid(f"unknown barcode {code}", "unknown_barcode")
    product = catalog_store.by_barcode(tx, measured.item_key, shop.now())
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
) -> SaleView:
    """A line whose price is set at the till, not on the shelf (a gift card's value, say):
    the product gives the name and tax class, the caller the price."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction(durable=False) as tx:
        product = catalog_store.by_sku(tx, sku)
        if product is None:
            raise Invalid(f"unknown sku {sku}", "unknown_sku")
        found = read(tx, sale_id, actor, shop.open_sales)
        sale = found.sale
        line = sale.add_item(
            product_id=product.id,
            sku=product.sku,
            name=name or product.name,
            unit_price=unit_price,
            tax_class=product.tax_class,
            quantity=quantity,
        )
        sales_store.save_line(tx, sale_id, line)
        sale_view.remember_line(shop, tx, found, line.line_no)
    return changed(shop, found)


def set_quantity(shop: Shop, actor: Actor, sale_id: int, line_no: int, quantity: int) -> SaleView:
    require(shop, actor, Permission.SELL)
    with shop.db.transaction(durable=False) as tx:
        found = read(tx, sale_id, actor, shop.open_sales)
        sale = found.sale
        line = sale.set_quantity(line_no, quantity)
        sales_store.save_line(tx, sale_id, line)
        sale_view.remember_line(shop, tx, found, line.line_no)
    return changed(shop, found)


def void_line(shop: Shop, actor: Actor, sale_id: int, line_no: int, approval: str | None = None) -> SaleView:
    with shop.db.transaction() as tx:
        approver = require(shop, actor, Permission.VOID_LINE, approval)
        found = read(tx, sale_id, actor)
        sale = found.sale
        line = sale.void_line(line_no)
        sales_store.save_line(tx, sale_id, line)
        sales_store.mark_voided_by(tx, sale_id, line_no, actor.user_id)
        outbox.line_voided(shop, actor, sale, line, approver)
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
    return changed(shop, found)


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
) -> SaleView:
    """Sets (or with None, removes) the cashier's discount on one line."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        found = read(tx, sale_id, actor)
        sale = found.sale
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
            details={"discount": discount_json(discount), "amount_off": priced.line_off, "approved_by": approver},
        )
    return changed(shop, found)


def discount_order(
    shop: Shop, actor: Actor, sale_id: int, discount: Discount | None, approval: str | None = None
) -> SaleView:
    """Sets (or removes) a discount on the whole sale, spread over its lines."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        found = read(tx, sale_id, actor)
        sale = found.sale
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
            details={"discount": discount_json(discount), "amount_off": off, "approved_by": approver},
        )
    return changed(shop, found)


def override_price(
    shop: Shop, actor: Actor, sale_id: int, line_no: int, price: int, reason: str, approval: str | None = None
) -> SaleView:
    """Charges another price than the shelf's for one line (permission, reason, audited)."""
    with shop.db.transaction() as tx:
        approver = require(shop, actor, Permission.PRICE_OVERRIDE, approval)
        found = read(tx, sale_id, actor)
        sale = found.sale
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
    return changed(shop, found)


def approve_restricted(shop: Shop, actor: Actor, sale_id: int, approval: str | None = None) -> SaleView:
    """An attendant approves the age-restricted items on a self-service sale (audited)."""
    with shop.db.transaction() as tx:
        approver = require(shop, actor, Permission.APPROVE_RESTRICTED, approval) or actor.username
        found = read(tx, sale_id, actor)
        sale = found.sale
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
    return changed(shop, found)


def park(shop: Shop, actor: Actor, sale_id: int) -> SaleView:
    """Sets a sale aside so that the next customer can be served on this lane."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction(durable=False) as tx:
        found = read(tx, sale_id, actor)
        sale = found.sale
        sale.park()
        if found.head["card_pending"]:
            # Parked, its card's approval could not land on it and would be given back.
            raise Conflict("a card payment on this sale waits for its answer; park it after", "payment_pending")
        sales_store.set_parked(tx, sale_id, actor.user_id, shop.now())
    return changed(shop, found)


def resume(shop: Shop, actor: Actor, sale_id: int) -> SaleView:
    """Takes a parked sale back up, on the lane where it was parked."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction(durable=False) as tx:
        found = read(tx, sale_id, actor)
        sale, head = found.sale, found.head
        if head["terminal_id"] != shop.config.terminal_id:
            raise Conflict(f"sale {sale_id} was parked on lane {head['terminal_id']}", "parked_elsewhere")
        sale.resume()
        sales_store.set_parked(tx, sale_id, None, None)
    return changed(shop, found)


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
        sale = load(tx, int(row["id"]))
        sale.park()
        sales_store.set_parked(tx, sale.id, actor.user_id, shop.now())
        parked.append(sale.id)
    return parked


def cancel_sale(shop: Shop, actor: Actor, sale_id: int) -> SaleView:
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        found = read(tx, sale_id, actor)
        sale = found.sale
        sale.cancel()
        sales_store.cancel(tx, sale_id)
        audit_log.record(
            shop,
            actor=actor,
            action="sale_cancel",
            object=f"sale:{sale_id}",
            details={"lines": len([ln for ln in sale.lines if not ln.voided])},
        )
    return changed(shop, found)


def pay_cash(shop: Shop, actor: Actor, sale_id: int, amount: int) -> SaleView:
    """Cash tender: the change and the cash rounding come back in the answer (`change`,
    `rounding`); the sale completes when nothing is due. Cash that settles the sale is
    rounded to the store's smallest coin (rule cash_rounding); a partial tender is not."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        found = read(tx, sale_id, actor, shop.open_sales)
        sale = found.sale
        tender = sale.take_cash(amount, shop.tax_classes, shop.settings.tax_rounding, shop.settings.cash_increment)
        payment_id = sales_store.insert_payment(tx, sale_id, tender, actor.user_id, shop.now())
        found.payments.append(sales_store.payment_row(payment_id, tender))
        completed = complete_if_settled(shop, tx, sale)
        if completed:
            freeze(found, completed)
    return _paid(shop, found, completed is not None)


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
) -> SaleView:
    """A non-cash tender (gift card, loyalty points…) that is settled inside the store:
    `charge` debits its source in the same transaction as the payment row, so the two
    commit together or not at all. Card payments, which wait on a gateway, go through
    the card payment service instead."""
    require(shop, actor, Permission.SELL)
    with shop.db.transaction() as tx:
        found = read(tx, sale_id, actor, shop.open_sales)
        sale = found.sale
        tender = sale.take_tender(method, amount, shop.tax_classes, shop.settings.tax_rounding, reference)
        if charge is not None:
            charge(tx, tender.amount)
            customer_may_change(found)  # points name the customer who pays with them
        payment_id = sales_store.insert_payment(tx, sale_id, tender, actor.user_id, shop.now(), details)
        found.payments.append(sales_store.payment_row(payment_id, tender))
        completed = complete_if_settled(shop, tx, sale)
        if completed:
            freeze(found, completed)
    return _paid(shop, found, completed is not None)


def _paid(shop: Shop, found: SaleRecord, completed: bool) -> SaleView:
    """The answer to a tender. The display hears of the sale before the receipt's listeners
    do, so that it has the completed sale already and need not read it again."""
    answer = changed(shop, found)
    if completed:
        shop.open_sales.forget(found.sale.id)
        announce_receipt(shop, found.sale.id)
    return answer
