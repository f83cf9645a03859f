"""What the payment terminal moved and the till could not put right on its own, for a manager
to settle (the back office's "Card terminal: to check").

The till never keeps a charge silently (services/terminal_payments.py), and three things it
leaves to a manager:

- a charge held with no sale (`charge_held`): reported after its sale was settled otherwise,
  and the terminal would not give it back (a payment, flagged);
- a refund the terminal refused (`refund_refused`): the customer is still owed it (a refund,
  flagged; a refund after a terminal reboot is flagged, never sent again blindly);
- an outcome the terminal cannot tell (`outcome_unknown`): a payment, refund or reversal
  last sent longer ago than the terminal takes, still pending (a Caisse-AP terminal whose
  consultation cannot tell says "in progress" for ever).

A manager decides, after looking at the terminal's own journal when it matters:

- `refund`: give it back on the terminal, through the same exactly-once path (a new
  reversal, or the refund again, under a new reference: the refused one moved nothing);
- `attach` (a held charge): it pays an open sale that is still due at least its amount;
- `keep` (note required): settled another way (cash given back, the customer's agreement);
- `approved` / `not_approved` (an unknown outcome; `not_approved` also for a held charge the
  journal does not show): what the terminal's journal says, put on the books as if the
  terminal had answered so.

Every decision is audited (who, what, the note) and kept in terminal_decisions. The same
decision as the transaction's last one answers the same; another on a transaction that no
longer waits for a manager is 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypedDict

from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.app.domain.money import Money
from appliance.app.services import audit_log
from appliance.app.services.auth import require
from appliance.app.services.completion import announce_receipt, complete_if_settled
from appliance.app.services.sale_view import load
from appliance.app.services.shop import Actor, Shop, iso
from appliance.app.services.terminal_desk import TerminalDesk
from appliance.app.services.terminal_payments import apply
from appliance.app.services.terminal_refunds import send_refund
from appliance.app.store import sales as sales_store
from appliance.app.store import terminal_transactions as store
from appliance.app.store.db import Connection
from appliance.drivers.terminal import TerminalError, TerminalResult
from appliance.security import pan_scan
from appliance.security.rbac import Permission

DECISIONS = ("refund", "attach", "keep", "approved", "not_approved")
NOTE_LIMIT = 500

# What a manager may decide, by why the transaction waits for one.
ALLOWED = {
    "charge_held": ("refund", "attach", "keep", "not_approved"),
    "refund_refused": ("refund", "keep"),
    "outcome_unknown": ("approved", "not_approved"),
}
KINDS = {"payment": "charge", "refund": "refund", "reversal": "reversal"}
# How long after its last send a pending transaction is the manager's when no terminal is set up.
NO_DESK_WAIT = 130.0


class TerminalCheck(TypedDict):
    """A terminal transaction that waits for a manager."""

    id: int
    kind: str  # charge, refund or reversal (a held charge given back to the card)
    sale_id: int
    amount: Money
    currency: str
    reference: str  # ours, as the terminal's journal shows it
    terminal_reference: str | None
    card: str | None  # brand and last four, as the terminal's ticket prints them
    status: str  # flagged or pending
    why: str  # charge_held, refund_refused or outcome_unknown
    reason: str | None  # the terminal's words, when it gave any
    created_at: str
    last_sent_at: str | None
    decisions: list[str]  # what a manager may decide on it
    last_decision: str | None  # a manager's earlier one that did not close it


class TerminalChecks(TypedDict):
    checks: list[TerminalCheck]
    unresolved: int  # transactions the till itself still asks the terminal about


class TerminalDecided(TypedDict):
    """A manager's decision and where it left the transaction."""

    transaction_id: int
    decision: str
    sale_id: int | None  # attach: the sale the charge pays
    note: str
    decided_by: str
    decided_at: str
    status: str  # the transaction's status now
    settled: bool  # false: it still waits for the terminal or for a manager
    replaced_by: int | None  # the new refund or reversal sent on the terminal


def _wait(desk: TerminalDesk | None) -> float:
    return NO_DESK_WAIT if desk is None else desk.timeout + desk.in_flight_window


def _why(row: dict[str, Any]) -> str:
    if row["status"] == "pending":
        return "outcome_unknown"
    return "charge_held" if row["kind"] == "payment" else "refund_refused"


def _reason(shop: Shop, row: dict[str, Any]) -> str | None:
    if row["kind"] == "payment" and row["status"] == "flagged":
        reversal = store.reversal_of(shop.db.conn, row["id"])
        return None if reversal is None else reversal["decline_reason"]
    return str(row["decline_reason"]) if row["decline_reason"] else None


def _open(shop: Shop, desk: TerminalDesk | None) -> list[dict[str, Any]]:
    """Everything that waits for a manager, oldest first."""
    cutoff = iso(shop.clock() - dt.timedelta(seconds=_wait(desk)))
    unknown = [
        row
        for row in store.sent_before(shop.db.conn, cutoff)
        if desk is None or not desk.in_flight(row["id"])  # still on its way in this process
    ]
    return sorted([*store.flagged(shop.db.conn), *unknown], key=lambda row: row["id"])


def _check(shop: Shop, row: dict[str, Any]) -> TerminalCheck:
    why = _why(row)
    earlier = store.latest_decision(shop.db.conn, row["id"])
    card = " ".join(part for part in (row["brand"], row["last_four"]) if part) or None
    if card is None and row["original_id"] is not None:
        original = store.by_id(shop.db.conn, row["original_id"])
        if original is not None:
            card = " ".join(part for part in (original["brand"], original["last_four"]) if part) or None
    return {
        "id": row["id"],
        "kind": KINDS[row["kind"]],
        "sale_id": row["sale_id"],
        "amount": row["approved_amount"] or row["amount"],
        "currency": row["currency"],
        "reference": row["reference"],
        "terminal_reference": row["terminal_reference"],
        "card": card,
        "status": row["status"],
        "why": why,
        "reason": _reason(shop, row),
        "created_at": row["created_at"],
        "last_sent_at": row["last_sent_at"],
        "decisions": list(ALLOWED[why]),
        "last_decision": None if earlier is None else str(earlier["decision"]),
    }


def checks(shop: Shop, actor: Actor, desk: TerminalDesk | None) -> TerminalChecks:
    """What waits for a manager, oldest first, and how many the till still asks about."""
    require(shop, actor, Permission.SETTLE_TERMINAL)
    waiting = _open(shop, desk)
    counted = store.counts(shop.db.conn)
    asked = counted.get("pending", 0) + counted.get("unattached", 0)
    unknown = sum(1 for row in waiting if row["status"] == "pending")
    return {"checks": [_check(shop, row) for row in waiting], "unresolved": asked - unknown}


# -- deciding ----------------------------------------------------------------------------------


def _decided(shop: Shop, transaction_id: int) -> TerminalDecided:
    row = store.by_id(shop.db.conn, transaction_id)
    last = store.latest_decision(shop.db.conn, transaction_id)
    assert row is not None and last is not None
    waiting = row["status"] in ("pending", "unattached") or (row["status"] == "flagged" and not last["closes"])
    if last["replaced_by"] is not None and row["kind"] == "refund":
        # A refused refund sent again is settled when the new one is.
        again = store.by_id(shop.db.conn, last["replaced_by"])
        closed = store.latest_decision(shop.db.conn, last["replaced_by"])
        waiting = again is not None and (
            again["status"] == "pending" or (again["status"] == "flagged" and not (closed and closed["closes"]))
        )
    return {
        "transaction_id": transaction_id,
        "decision": str(last["decision"]),
        "sale_id": last["sale_id"],
        "note": str(last["note"]),
        "decided_by": str(last["username"]),
        "decided_at": str(last["decided_at"]),
        "status": str(row["status"]),
        "settled": not waiting,
        "replaced_by": last["replaced_by"],
    }


def _checked_input(decision: str, note: str | None, sale_id: int | None) -> str:
    if decision not in DECISIONS:
        raise Invalid(f"unknown decision {decision!r}; one of {', '.join(DECISIONS)}", "invalid_decision")
    text = (note or "").strip()
    if len(text) > NOTE_LIMIT:
        raise Invalid(f"the note is longer than {NOTE_LIMIT} characters", "note_too_long")
    if decision == "keep" and not text:
        raise Invalid("say how it was settled (a note) to keep it", "note_required")
    if pan_scan.scan_bytes(text.encode("utf-8"), "note"):
        # The note is kept and audited for years: a card's number typed into it would be too.
        raise Invalid("a note may not hold a card number: name the card by its last four digits", "note_holds_card")
    if decision == "attach" and sale_id is None:
        raise Invalid("name the sale the charge pays (sale_id)", "sale_required")
    if decision != "attach" and sale_id is not None:
        raise Invalid("only attach names a sale", "sale_not_expected")
    return text


def decide(
    shop: Shop,
    actor: Actor,
    desk: TerminalDesk | None,
    transaction_id: int,
    decision: str,
    *,
    note: str | None = None,
    sale_id: int | None = None,
) -> TerminalDecided:
    """A manager's decision on one transaction that waits for one (see the module's words)."""
    require(shop, actor, Permission.SETTLE_TERMINAL)
    if shop.db.conn.in_transaction:
        raise RuntimeError("a decision may call the terminal: not inside a transaction")
    text = _checked_input(decision, note, sale_id)
    row = store.by_id(shop.db.conn, transaction_id)
    if row is None:
        raise NotFound(f"no terminal transaction {transaction_id}", "transaction_not_found")
    last = store.latest_decision(shop.db.conn, transaction_id)
    if last is not None and (last["decision"], last["sale_id"]) == (decision, sale_id):
        return _decided(shop, transaction_id)  # the same decision again: its answer
    waiting = {r["id"]: r for r in _open(shop, desk)}
    if transaction_id not in waiting:
        raise Conflict(
            f"terminal transaction {transaction_id} is {row['status']}"
            + (f" (a manager decided {last['decision']})" if last is not None else "")
            + ": it does not wait for a manager",
            "transaction_settled",
        )
    row = waiting[transaction_id]
    why = _why(row)
    if decision not in ALLOWED[why]:
        raise Invalid(
            f"a {why.replace('_', ' ')} takes {', '.join(ALLOWED[why])}, not {decision}", "decision_not_allowed"
        )
    if desk is None and (decision == "refund" or why == "outcome_unknown"):
        raise Invalid("no payment terminal is set up on this till (terminal_url)", "tender_unavailable")
    steps = {
        "refund": _refund,
        "attach": _attach,
        "keep": _close,
        "approved": _journal,
        "not_approved": _journal if why == "outcome_unknown" else _close,
    }
    try:
        steps[decision](shop, actor, desk, row, decision, text, sale_id)
    except Conflict:
        now = store.latest_decision(shop.db.conn, transaction_id)
        twin = now is not None and (last is None or now["id"] != last["id"])
        if twin and now is not None and (now["decision"], now["sale_id"]) == (decision, sale_id):
            return _decided(shop, transaction_id)  # the same request, answered first by another thread
        raise
    return _decided(shop, transaction_id)


def _record(
    shop: Shop,
    tx: Connection,
    actor: Actor,
    row: dict[str, Any],
    decision: str,
    note: str,
    *,
    closes: bool,
    sale_id: int | None = None,
    replaced_by: int | None = None,
) -> None:
    assert actor.user_id is not None
    store.insert_decision(
        tx,
        transaction_id=row["id"],
        decision=decision,
        sale_id=sale_id,
        note=note,
        user_id=actor.user_id,
        now=shop.now(),
        closes=closes,
        replaced_by=replaced_by,
    )
    audit_log.record(
        shop,
        actor=actor,
        action="terminal_decision",
        object=f"sale:{row['sale_id']}",
        details={
            "transaction": row["id"],
            "kind": row["kind"],
            "amount": row["approved_amount"] or row["amount"],
            "why": _why(row),
            "decision": decision,
            "note": note,
            **({"to_sale": sale_id} if sale_id is not None else {}),
            **({"sent_as": replaced_by} if replaced_by is not None else {}),
        },
    )


def _moved(what: str) -> Conflict:
    return Conflict(f"the transaction changed meanwhile ({what}): look again", "transaction_settled")


def _close(
    shop: Shop,
    actor: Actor,
    desk: TerminalDesk | None,
    row: dict[str, Any],
    decision: str,
    note: str,
    sale_id: int | None,
) -> None:
    """Kept, or not in the journal: nothing for the terminal to do, and no one waits."""
    with shop.db.transaction() as tx:
        if _flagged_open(tx, row["id"]) is None:
            raise _moved("no longer flagged")
        _record(shop, tx, actor, row, decision, note, closes=True)


def _flagged_open(tx: Connection, transaction_id: int) -> dict[str, Any] | None:
    current = store.by_id(tx, transaction_id)
    if current is None or current["status"] != "flagged":
        return None
    last = store.latest_decision(tx, transaction_id)
    return None if last is not None and last["closes"] else current


def _refund(
    shop: Shop,
    actor: Actor,
    desk: TerminalDesk | None,
    row: dict[str, Any],
    decision: str,
    note: str,
    sale_id: int | None,
) -> None:
    """Back to the card on the terminal: a held charge's reversal once more, or a refused
    refund once more, each under a new reference and committed before it is sent."""
    assert desk is not None
    kind = "reversal" if row["kind"] == "payment" else "refund"
    with shop.db.transaction() as tx:
        if _flagged_open(tx, row["id"]) is None:
            raise _moved("no longer flagged")
        original_id = row["id"] if kind == "reversal" else row["original_id"]
        tries = store.resends_of(tx, original_id, kind)
        base = row["reference"] + "-reversal" if kind == "reversal" else row["reference"]
        new_id = store.insert(
            tx,
            kind=kind,
            sale_id=row["sale_id"],
            user_id=actor.user_id,
            reference=f"{base}-{tries + 1}",
            amount=row["approved_amount"] or row["amount"],
            currency=row["currency"],
            now=shop.now(),
            payment_id=row["payment_id"],
            refund_id=row["refund_id"],
            original_id=original_id,
        )
        if kind == "reversal":
            # The reversal's answer settles its charge: reversed, or flagged again.
            store.reopen_for_reversal(tx, row["id"])
        # A refused refund sent again is the new row's story from now on.
        _record(shop, tx, actor, row, decision, note, closes=kind == "refund", replaced_by=new_id)
        sent = store.by_id(tx, new_id)
        assert sent is not None
    send_refund(shop, desk, sent)  # an unknown outcome stays pending: the resolver asks


def _attach(
    shop: Shop,
    actor: Actor,
    desk: TerminalDesk | None,
    row: dict[str, Any],
    decision: str,
    note: str,
    sale_id: int | None,
) -> None:
    """A held charge pays an open sale (the customer's, rung again): a card tender on it."""
    assert sale_id is not None
    completed = False
    with shop.db.transaction() as tx:
        if _flagged_open(tx, row["id"]) is None:
            raise _moved("no longer flagged")
        if sales_store.card_pending(tx, sale_id):
            raise Conflict(f"a card payment on sale {sale_id} is still being checked", "payment_pending")
        sale = load(tx, sale_id)
        amount = row["approved_amount"] or row["amount"]
        tender = sale.take_tender(
            "card",
            amount,
            shop.tax_classes,
            shop.settings.tax_rounding,
            reference=f"terminal:{row['terminal_reference'] or row['reference']}",
        )
        now = shop.now()
        payment_id = sales_store.insert_payment(
            tx,
            sale_id,
            tender,
            row["user_id"],
            now,
            details={
                "brand": row["brand"],
                "last4": row["last_four"],
                "auth_code": row["auth_code"],
                "terminal": row["id"],
                "terminal_reference": row["terminal_reference"],
                "terminal_receipt": list(row["customer_receipt"]),
            },
        )
        completed = complete_if_settled(shop, tx, sale) is not None
        if not store.attach(tx, row["id"], sale_id=sale_id, payment_id=payment_id, now=now):
            raise _moved("no longer flagged")
        _record(shop, tx, actor, row, decision, note, closes=True, sale_id=sale_id)
    if completed:
        announce_receipt(shop, sale_id)


def _journal(
    shop: Shop,
    actor: Actor,
    desk: TerminalDesk | None,
    row: dict[str, Any],
    decision: str,
    note: str,
    sale_id: int | None,
) -> None:
    """What the terminal's journal shows for an unknown outcome, onto the books as the
    terminal's own answer would have put it: approved lands on its sale (or goes back to the
    card when the sale no longer takes it); not approved frees the sale, or, for a refund,
    flags it (still owed)."""
    assert desk is not None
    try:
        told = desk.terminal.status(row["reference"])
    except TerminalError:
        told = None
    if told is not None and told.settled:
        # The terminal's own answer beats a reading of its journal.
        apply(shop, desk, row, told)
        raise Conflict(
            f"the terminal now answers {told.outcome}: the till settled it so; look again", "transaction_settled"
        )
    approved = decision == "approved"
    amount = row["amount"] if approved else 0
    result = TerminalResult(
        reference=row["reference"],
        kind="payment" if row["kind"] == "payment" else "refund",
        outcome="approved" if approved else "declined",
        amount=amount,
        currency=row["currency"],
        decline_reason=None if approved else "not in the terminal's journal (a manager checked)",
    )
    with shop.db.transaction() as tx:
        current = store.by_id(tx, row["id"])
        if current is None or current["status"] != "pending" or current["sends"] != row["sends"]:
            raise _moved("the terminal answered or it was sent again")
        # Before the books move: the decision is what put them so.
        _record(shop, tx, actor, row, decision, note, closes=False)
    apply(shop, desk, row, result)
