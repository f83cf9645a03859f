"""Where a refund's money goes: spread over the tenders of the sale it refunds, the last
taken first, none past what it has left (what it paid less what earlier refunds gave back
of it). Pure: the caller reads the tenders and writes the parts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from appliance.app.domain.errors import Conflict


@dataclass(frozen=True)
class TenderLeft:
    payment_id: int  # the order tenders were taken in: a later tender has a higher id
    method: str
    left: int  # minor units the refunds have not yet given back of it


@dataclass(frozen=True)
class RefundPart:
    payment_id: int
    method: str
    amount: int  # minor units, more than zero


def allocate(amount: int, tenders: Iterable[TenderLeft]) -> list[RefundPart]:
    """The parts of a refund of `amount`, newest tender first. The last tender taken goes
    back first (the card that settled a sale after a gift card emptied, say), so what a
    customer paid last is what they see back. Raises Conflict when the tenders have less
    left than `amount`."""
    parts: list[RefundPart] = []
    remaining = amount
    for tender in sorted(tenders, key=lambda t: t.payment_id, reverse=True):
        if remaining <= 0:
            break
        part = min(remaining, tender.left)
        if part > 0:
            parts.append(RefundPart(tender.payment_id, tender.method, part))
            remaining -= part
    if remaining > 0:
        raise Conflict("the refund is more than the sale's tenders have left", "refund_exceeds_paid")
    return parts
