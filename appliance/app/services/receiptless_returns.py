"""Goods taken back with no sale to point to (a return without a receipt): at today's shelf
price or lower, tax included as the shelf would charge it; cash from the drawer or store credit
on a new gift card. Beside `returns`, which refunds lines of a sale."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from appliance.app.domain import gift_card as card_rules
from appliance.app.domain.barcode import normalise
from appliance.app.domain.errors import Invalid
from appliance.app.domain.money import Money, round_cash
from appliance.app.domain.sale import check_quantity
from appliance.app.domain.tax import compute_totals
from appliance.app.services import audit_log, gift_cards, outbox, printing, shifts
from appliance.app.services.auth import require_all
from appliance.app.services.returns import REFUND_TO, StoreCredit, issue_credit
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import catalog as catalog_store
from appliance.app.store import refunds as refunds_store
from appliance.security.rbac import Permission


def _reason(reason: str) -> str:
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 200:
        raise Invalid("a return needs a reason of 3 to 200 characters", "reason_required")
    return reason.strip()


class ReceiptlessReturn(TypedDict):
    id: int
    amount: Money
    tax: Money
    currency: str
    refund_to: str  # cash or gift_card
    gift_card: NotRequired[StoreCredit]
    rounding: NotRequired[Money]  # cash only: what is handed back is amount + rounding


def without_receipt(
    shop: Shop,
    actor: Actor,
    lines: list[dict[str, Any]],
    reason: str,
    refund_to: str = "cash",
    approval: str | None = None,
) -> ReceiptlessReturn:
    """Takes goods back with no sale to point to: at today's shelf price (or a lower price
    the staff member gives), tax included as the shelf would charge it."""
    why = _reason(reason)
    if refund_to not in REFUND_TO:
        raise Invalid("refund_to is cash or gift_card", "invalid_refund_to")
    if not lines or len(lines) > 100:
        raise Invalid("return 1 to 100 lines", "no_lines")
    with shop.db.transaction() as tx:
        needs: tuple[Permission, ...] = (Permission.RETURN_WITHOUT_RECEIPT,)
        if refund_to == "gift_card":
            needs = (Permission.STORE_CREDIT, *needs)  # one manager's approval of the credit covers both
        approver = require_all(shop, actor, needs, approval)
        returned = []
        for item in lines:
            code, sku = item.get("barcode"), item.get("sku")
            product = (
                catalog_store.by_barcode(tx, normalise(str(code))) if code else catalog_store.by_sku(tx, str(sku or ""))
            )
            if product is None:
                raise Invalid(f"unknown item {code or sku}", "unknown_item")
            if product.sku == gift_cards.PRODUCT_SKU:
                # Its money is on a card only its sale can name; see gift_cards.take_back_on_refund.
                raise Invalid(
                    "a gift card is returned on its sale's receipt, not without one", "gift_card_needs_receipt"
                )
            quantity = check_quantity(item.get("quantity", 1))
            price = item.get("unit_price", product.price)
            if isinstance(price, bool) or not isinstance(price, int) or not 0 <= price <= product.price:
                raise Invalid(
                    f"{product.name}: the price may be lowered, not raised above the shelf's", "invalid_price"
                )
            returned.append((product, quantity, price))
        totals = compute_totals(
            ((p.tax_class, q * price) for p, q, price in returned),
            shop.tax_classes,
            prices_include_tax=shop.settings.prices_include_tax,
            rounding=shop.settings.tax_rounding,
        )
        # Cash leaves the drawer in whole coins, as a refund's cash does (refund_tenders.rounding).
        rounding = round_cash(totals.total, shop.settings.cash_increment) - totals.total if refund_to == "cash" else 0
        if refund_to == "cash":
            shifts.check_drawer(shop, actor, tx)
        return_id = refunds_store.insert_receiptless(
            tx,
            terminal_id=shop.config.terminal_id,
            user_id=actor.user_id,
            approved_by=approver,
            reason=why,
            amount=totals.total,
            tax=totals.tax,
            refund_to=refund_to,
            created_at=shop.now(),
            cash_rounding=rounding,
        )
        for product, quantity, price in returned:
            refunds_store.insert_receiptless_line(tx, return_id, product.id, quantity, price, quantity * price)
            catalog_store.adjust_stock(tx, product.id, quantity)
        answer: ReceiptlessReturn = {
            "id": return_id,
            "amount": totals.total,
            "tax": totals.tax,
            "currency": shop.settings.currency,
            "refund_to": refund_to,
        }
        if refund_to == "cash":
            answer["rounding"] = rounding
        if refund_to == "gift_card":
            card_id, code = issue_credit(shop, tx, totals.total, None, actor)
            refunds_store.set_receiptless_card(tx, return_id, card_id)
            answer["gift_card"] = {"code": card_rules.display(code), "balance": totals.total}
        outbox.returned_without_receipt(shop, actor, return_id, totals, rounding, refund_to, approver, returned)
        if shop.config.printer != "none":
            # A slip as a refund's, and the drawer opens for the cash (printing.queue_refund_slip).
            printing.queue_return_slip(shop, tx, return_id)
        audit_log.record(
            shop,
            actor=actor,
            action="return_without_receipt",
            object=f"return:{return_id}",
            details={
                "amount": totals.total,
                "rounding": rounding,
                "reason": why,
                "refund_to": refund_to,
                "approved_by": approver,
                "items": [{"sku": p.sku, "quantity": q, "unit_price": price} for p, q, price in returned],
            },
        )
    if shop.devices is not None and shop.devices.printer is not None:
        shop.devices.printer.wake()  # the slip (and the drawer, for cash) now, not at the next poll
    return answer
