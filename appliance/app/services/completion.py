"""Completion: the moment a settled sale becomes a receipt. Whoever takes the tender that
settles a sale (cash and in-store tenders in `sales`, a card in `card_payments`, an
exchange in `returns`) calls `complete_if_settled` inside the transaction that wrote the
tender, so the receipt number, the frozen taxes, the stock and the sale's effects commit
with it; `announce_receipt` runs after the commit."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.app.domain.sale import Sale, SaleTotals
from appliance.app.services import outbox
from appliance.app.services.shop import Shop
from appliance.app.store import catalog as catalog_store
from appliance.app.store import sales as sales_store
from appliance.app.store.db import Connection


@dataclass(frozen=True)
class Completion:
    """What a completion wrote: the sale's view shows it without reading it back."""

    receipt_no: int
    completed_at: str
    totals: SaleTotals


def complete_if_settled(shop: Shop, tx: Connection, sale: Sale) -> Completion | None:
    """Completes `sale` when nothing is due on it, in the caller's transaction; None when
    something is still due."""
    if not sale.is_settled(shop.tax_classes, shop.settings.tax_rounding):
        return None
    totals = sale.totals(shop.tax_classes, shop.settings.tax_rounding)
    receipt_no = sales_store.next_receipt_no(tx, shop.config.terminal_id)
    sale.complete(receipt_no)
    now = shop.now()
    sales_store.complete(
        tx,
        sale.id,
        receipt_no,
        totals.subtotal,
        totals.tax,
        totals.total,
        totals.taxes.taxes,
        now,
        discount=totals.discount,
        line_discounts=tuple((p.line.line_no, p.discount, p.promotion) for p in totals.lines),
        cash_rounding=sale.cash_rounding,
    )
    for line in sale.lines:
        if not line.voided:
            catalog_store.adjust_stock(tx, line.product_id, -line.quantity)
    outbox.sale_completed(shop, tx, sale, totals, now)  # before its effects' own events
    shop.effects.on_sale_completed(shop, tx, sale.id)
    return Completion(receipt_no, now, totals)


def announce_receipt(shop: Shop, sale_id: int) -> None:
    """The receipt's listeners (the print worker, the customer display), once the completion
    has committed: at once when called after it, at the commit when called inside (an
    idempotent request's transaction holds the payment's until its answer is stored)."""

    def announce() -> None:
        for callback in shop.on_receipt:
            callback(sale_id)

    shop.db.after_commit(announce)
