"""Returns: without a receipt (a permission and a reason), and money back as store credit on
a gift card instead of the original tenders (a permission too). Nothing is deleted: each
return is a new record; stock comes back."""

from __future__ import annotations

from typing import Any

from appliance.app.domain import gift_card as card_rules
from appliance.app.domain.barcode import normalise
from appliance.app.domain.errors import Invalid
from appliance.app.domain.sale import check_quantity
from appliance.app.domain.tax import compute_totals
from appliance.app.services import audit_log, gift_cards, shifts
from appliance.app.services.auth import require_all
from appliance.app.services.shop import Actor, Shop, iso
from appliance.app.store import catalog as catalog_store
from appliance.app.store.db import Connection
from appliance.security.rbac import Permission

REFUND_TO = ("cash", "gift_card")


def _reason(reason: str) -> str:
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 200:
        raise Invalid("a return needs a reason of 3 to 200 characters", "reason_required")
    return reason.strip()


def issue_credit(shop: Shop, tx: Connection, amount: int, sale_id: int | None, actor: Actor) -> tuple[int, str]:
    """A new, active gift card holding `amount` of store credit, in the caller's transaction,
    with its slip queued (when the till has a printer): the slip is where its number goes."""
    card_id, code = gift_cards.new_card(shop, tx)
    tx.execute(
        "UPDATE gift_cards SET status = 'active', balance = ?, activated_at = ? WHERE id = ?",
        (amount, shop.now(), card_id),
    )
    tx.execute(
        "INSERT INTO gift_card_entries(card_id, kind, amount, balance, sale_id, user_id, at) "
        "VALUES (?, 'issue', ?, ?, ?, ?, ?)",
        (card_id, amount, amount, sale_id, actor.user_id, iso(shop.clock())),
    )
    if shop.config.printer != "none":
        from appliance.app.services import printing

        printing.queue_gift_card_slip(shop, tx, card_id, "store_credit", amount, sale_id)
    return card_id, code


def without_receipt(
    shop: Shop,
    actor: Actor,
    lines: list[dict[str, Any]],
    reason: str,
    refund_to: str = "cash",
    approval: str | None = None,
) -> dict[str, Any]:
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
        if refund_to == "cash":
            shifts.check_drawer(shop, actor, tx)
        cur = tx.execute(
            "INSERT INTO receiptless_returns(terminal_id, user_id, approved_by, reason, amount, tax, refund_to, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (shop.config.terminal_id, actor.user_id, approver, why, totals.total, totals.tax, refund_to, shop.now()),
        )
        return_id = int(cur.lastrowid)
        for product, quantity, price in returned:
            tx.execute(
                "INSERT INTO receiptless_return_lines(return_id, product_id, quantity, unit_price, amount) "
                "VALUES (?, ?, ?, ?, ?)",
                (return_id, product.id, quantity, price, quantity * price),
            )
            catalog_store.adjust_stock(tx, product.id, quantity)
        answer: dict[str, Any] = {
            "id": return_id,
            "amount": totals.total,
            "tax": totals.tax,
            "currency": shop.settings.currency,
            "refund_to": refund_to,
        }
        if refund_to == "gift_card":
            card_id, code = issue_credit(shop, tx, totals.total, None, actor)
            tx.execute("UPDATE receiptless_returns SET gift_card_id = ? WHERE id = ?", (card_id, return_id))
            answer["gift_card"] = {"code": card_rules.display(code), "balance": totals.total}
        audit_log.record(
            shop,
            actor=actor,
            action="return_without_receipt",
            object=f"return:{return_id}",
            details={
                "amount": totals.total,
                "reason": why,
                "refund_to": refund_to,
                "approved_by": approver,
                "items": [{"sku": p.sku, "quantity": q, "unit_price": price} for p, q, price in returned],
            },
        )
        return answer
