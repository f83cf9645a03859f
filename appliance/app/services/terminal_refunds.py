"""Giving money back to the card through the payment terminal: a refund of a terminal
tender, or the reversal of a charge that no sale could take (see terminal_payments).

The row is committed before the request leaves, each send stamped; an unknown outcome
stays pending for status(). A refund the terminal refuses is `flagged`: a manager gives
the money back another way, and the audit log says so.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, NotRequired, TypedDict

from appliance.app.domain.money import Money
from appliance.app.services import audit_log
from appliance.app.services.shop import Shop
from appliance.app.services.terminal_desk import TerminalDesk
from appliance.app.store import terminal_transactions as store
from appliance.drivers.terminal import TerminalError, TerminalRejected, TerminalResult

log = logging.getLogger(__name__)

RESOLVER = "terminal-resolver"  # the actor of what the till settles on its own


class TerminalRefund(TypedDict):
    id: int
    amount: Money
    status: str
    decline_reason: NotRequired[str | None]


def answer_fields(result: TerminalResult) -> dict[str, Any]:
    return {
        "approved_amount": result.amount if result.approved else 0,
        "terminal_reference": result.terminal_reference,
        "brand": result.brand,
        "last_four": result.last_four,
        "card_token": result.card_token,
        "auth_code": result.auth_code,
        "decline_reason": result.decline_reason,
        "customer_receipt": result.customer_receipt,
        "merchant_receipt": result.merchant_receipt,
    }


def _original(row: dict[str, Any]) -> TerminalResult:
    """The approved payment a refund or reversal goes back through, as the terminal told it."""
    return TerminalResult(
        reference=row["reference"],
        kind="payment",
        outcome="approved",
        amount=row["approved_amount"] or row["amount"],
        currency=row["currency"],
        terminal_reference=row["terminal_reference"],
        brand=row["brand"],
        last_four=row["last_four"],
        card_token=row["card_token"],
        auth_code=row["auth_code"],
    )


def send_refund(shop: Shop, desk: TerminalDesk, row: dict[str, Any]) -> dict[str, Any]:
    """Sends a committed refund or reversal to the same card (the original's token and
    reference); the row as it then is. Unknown outcomes stay pending for status()."""
    if not desk.begin(row["id"]):
        return row
    try:
        with shop.db.transaction() as tx:
            if not store.mark_sent(tx, row["id"], shop.now()):
                return store.by_id(shop.db.conn, row["id"]) or row
        original = store.by_id(shop.db.conn, row["original_id"])
        assert original is not None
        try:
            result = desk.terminal.refund(
                row["reference"], row["amount"], row["currency"], original=_original(original), timeout=desk.timeout
            )
        except TerminalRejected as exc:
            result = TerminalResult(row["reference"], "refund", "declined", 0, row["currency"], decline_reason=exc.code)
        except TerminalError:
            return store.by_id(shop.db.conn, row["id"]) or row  # unknown, or not reached: asked again later
        if not result.settled:
            return store.by_id(shop.db.conn, row["id"]) or row
    finally:
        desk.end(row["id"])
    return apply_refund(shop, row, result)


def apply_refund(shop: Shop, row: dict[str, Any], result: TerminalResult) -> dict[str, Any]:
    """A refund's or a reversal's answer. Given back: done. Refused: a manager must give the
    money back another way (flagged, audited), and the till says so."""
    with shop.db.transaction() as tx:
        current = store.by_id(tx, row["id"])
        assert current is not None
        if current["status"] != "pending":
            return current
        now = shop.now()
        fields = answer_fields(dataclasses.replace(result, amount=result.amount if result.approved else 0))
        given_back = result.approved
        # A refused reversal flags its charge (one thing for the manager), not itself too.
        refused = "declined" if row["kind"] == "reversal" else "flagged"
        store.settle(tx, row["id"], status="approved" if given_back else refused, now=now, answer=fields)
        what = "charge" if row["kind"] == "reversal" else "refund"
        if row["kind"] == "reversal":
            store.settle(tx, row["original_id"], status="reversed" if given_back else "flagged", now=now)
        audit_log.record(
            shop,
            actor=RESOLVER,
            action=f"terminal_{what}_{'refunded' if given_back else 'flagged'}",
            outcome="success" if given_back else "failure",
            object=f"sale:{row['sale_id']}",
            details={
                "transaction": row["id"],
                "original": row["original_id"],
                "amount": row["amount"],
                "reason": result.decline_reason or result.outcome,
            },
        )
        settled = store.by_id(tx, row["id"])
        assert settled is not None
    if not given_back:
        log.error(
            "terminal %s %s of sale %s was refused (%s): a manager must give it back",
            row["kind"],
            row["reference"],
            row["sale_id"],
            result.decline_reason,
        )
    return settled
