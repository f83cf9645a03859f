"""The day check's figures (services/books.day_check): what a lane's Z says and what the
office's books hold of the same shift, in the same terms, to compare to the cent. Pure: the
books' queries bring the office's side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Said:
    """What the lanes' events of a shift told: gift card loads on every sale, the tenders of
    every refund. A till older than either did not: the check then compares what it can (the
    sales gross of the cards they loaded, the refunds gross of the cards they took back, and
    neither the cash refunded nor the cash rounding)."""

    cards: bool
    refund_tenders: bool


def of_z(z: dict[str, Any], said: Said) -> dict[str, int]:
    """What a Z says, in the office's terms: its sales net of the gift cards they loaded, the
    loads, its refunds net of the cards they took back, each tender taken, the cash refunded
    (with returns without a receipt) and the drawer's cash rounding."""

    def part(name: str) -> dict[str, Any]:
        # A Z frozen before a part of it was added has none: nothing of it to compare.
        found = z.get(name)
        return found if isinstance(found, dict) else {}

    def whole(value: Any) -> int:
        return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0

    sales, refunds, cash, receiptless = part("sales"), part("refunds"), part("cash"), part("returns_without_receipt")
    loaded, back = part("gift_cards"), part("gift_cards_returned")
    figures = {
        "sales_total": whole(sales.get("total")) + (0 if said.cards else whole(loaded.get("amount"))),
        "tax": whole(sales.get("tax")),
        "refunds_count": whole(refunds.get("count")),
        "refunds_amount": whole(refunds.get("amount")) + (0 if said.refund_tenders else whole(back.get("amount"))),
        "returns_without_receipt_count": whole(receiptless.get("count")),
        "returns_without_receipt_amount": whole(receiptless.get("amount")),
        "paid_in": whole(cash.get("paid_in")),
        "paid_out": whole(cash.get("paid_out")),
    }
    if said.cards:
        figures["gift_cards_count"] = whole(loaded.get("count"))
        figures["gift_cards_amount"] = whole(loaded.get("amount"))
    if said.refund_tenders:
        figures["gift_cards_returned"] = whole(back.get("amount"))
        figures["cash_refunded"] = whole(cash.get("refunds"))
        figures["cash_rounding"] = whole(cash.get("rounding"))
    tenders = z.get("tenders")
    for t in tenders if isinstance(tenders, list) else []:
        if isinstance(t, dict):
            figures[f"tender_{t.get('method')}_count"] = whole(t.get("count"))
            figures[f"tender_{t.get('method')}_amount"] = whole(t.get("amount"))
    return figures


def said(held: dict[str, Any]) -> Said:
    """From the books' takings of a shift (queries.shift_takings): what its events told."""
    refunds = [r for r in held["refunds"] if r["receipted"]]  # a receiptless return always said
    return Said(int(held["sales"]["unsaid"]) == 0, all(int(r["unsaid"]) == 0 for r in refunds))


def of_office(held: dict[str, Any], said: Said) -> dict[str, int]:
    sales = held["sales"]
    cards = int(sales["gift_cards"])
    figures = {
        "sales_total": int(sales["total"]) - (cards if said.cards else 0),
        "tax": int(sales["tax"]),
        "refunds_count": 0,
        "refunds_amount": 0,
        "returns_without_receipt_count": 0,
        "returns_without_receipt_amount": 0,
        "paid_in": 0,
        "paid_out": 0,
    }
    if said.cards:
        figures["gift_cards_count"] = int(sales["gift_card_count"])
        figures["gift_cards_amount"] = cards
    if said.refund_tenders:
        figures["gift_cards_returned"] = 0
        figures["cash_refunded"] = 0
        figures["cash_rounding"] = int(sales["cash_rounding"])
    for r in held["refunds"]:
        prefix = "refunds" if r["receipted"] else "returns_without_receipt"
        back = int(r["gift_cards"]) if said.refund_tenders else 0
        figures[f"{prefix}_count"] = int(r["count"])
        figures[f"{prefix}_amount"] = int(r["amount"]) - back
        if said.refund_tenders:
            figures["gift_cards_returned"] += back
            figures["cash_refunded"] += int(r["cash"])
            figures["cash_rounding"] -= int(r["rounding"])
    for m in held["moved"]:
        figures[str(m["kind"])] = int(m["amount"])
    for t in held["tenders"]:
        figures[f"tender_{t['method']}_count"] = int(t["count"])
        figures[f"tender_{t['method']}_amount"] = int(t["amount"])
    return figures
