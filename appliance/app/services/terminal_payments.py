"""Card-present tenders through the payment terminal: exactly one charge, whatever dies.

The discipline of card_payments, for a terminal that the customer's card meets:

1. the intent — our reference (the sale's payment key), the amount — is written `pending`
   and committed before the terminal hears of it; each send is stamped and committed
   before it leaves;
2. the terminal is asked to take the card (in a worker thread: the customer may take a
   while; the screen follows its live state and may cancel);
3. its answer settles the transaction in one database transaction: an approval becomes a
   card tender on its sale (completing it when nothing is due), a decline or a
   cancellation is recorded with the terminal's reason.

A timeout, a lost answer or a crash leave the transaction `pending`: it is never paid
again under another reference, and never taken for "nothing was charged". Only the
terminal's status(reference) settles it — an outcome, or "not found" asked once the
in-flight window has passed since the send. While one is pending its sale takes no other
card tender (409 payment_pending); `resolve_open` (at start-up, and every few seconds by
`TerminalResolver`) asks. A charge the terminal reports after its sale was settled
otherwise (paid cash meanwhile, cancelled) is `unattached`: a reversal gives it back to the
same card through the terminal, or, if the terminal refuses, it is `flagged` for a manager.
Every such step is audited. Refunds of a terminal tender are queued in the refund's own
transaction and sent the same way (committed before, status after an unknown outcome).

These functions call the terminal: they must not run inside an open transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
import threading
import uuid
from typing import Any, TypedDict, cast

from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.app.domain.money import Money
from appliance.app.services import audit_log
from appliance.app.services.auth import require
from appliance.app.services.completion import announce_receipt, complete_if_settled
from appliance.app.services.sale_results import SaleView
from appliance.app.services.sale_view import load, view
from appliance.app.services.shop import Actor, Shop, parse_iso
from appliance.app.services.terminal_desk import TerminalDesk, TerminalLiveState, live_state
from appliance.app.services.terminal_refunds import RESOLVER, TerminalRefund, answer_fields, apply_refund, send_refund
from appliance.app.store import sales as sales_store
from appliance.app.store import terminal_transactions as store
from appliance.drivers.terminal import (
    TerminalError,
    TerminalRejected,
    TerminalResult,
    TerminalUnavailable,
)
from appliance.security.rbac import Permission

log = logging.getLogger(__name__)


class PaymentPending(Conflict):
    """A terminal payment on this sale has an unknown outcome: no other card tender yet."""

    code = "payment_pending"


class TerminalAttempt(TypedDict):
    """One terminal payment as the till's screen follows it."""

    id: int
    sale_id: int
    amount: Money
    approved_amount: Money
    currency: str
    # pending, approved, declined, cancelled, failed, unattached, reversed or flagged
    status: str
    # what the terminal's screen says: waiting_for_card, pin, processing while on its way;
    # checking when the outcome is unknown and the till asks the terminal; else the status
    state: str
    terminal_state: TerminalLiveState
    # the terminal's words when it declined (or why it did not take the payment)
    decline_reason: str | None
    brand: str | None
    last4: str | None


class TerminalAttempts(TypedDict):
    """A sale's terminal payments still in progress (a till reopens its dialog after a reload)."""

    in_progress: list[TerminalAttempt]


class TerminalPaid(SaleView):
    """A terminal tender whose outcome is known: the sale, and the terminal's payment."""

    terminal: TerminalAttempt


def _not_in_transaction(shop: Shop) -> None:
    if shop.db.conn.in_transaction:
        raise RuntimeError("terminal payments call the terminal: not inside a transaction")


def _own_sale(shop: Shop, actor: Actor, sale_id: int) -> None:
    """A customer at a self-service till touches only the sales of their session (as
    sale_view.read holds): another sale is not found, as it is everywhere else."""
    if actor.role != "customer":
        return
    head = sales_store.header(shop.db.conn, sale_id)
    if head is None or head["cashier_id"] != actor.user_id:
        raise NotFound(f"no sale {sale_id}", "sale_not_found")


def _reference(shop: Shop, actor: Actor, sale_id: int, client_key: str | None) -> str:
    """Our reference: the sale's payment key. A retried request (same Idempotency-Key) gets
    the same one; another user's, sale's or store's never collides with it."""
    if client_key is None:
        return "trm-" + _short(uuid.uuid4().bytes)
    head = sales_store.header(shop.db.conn, sale_id)
    if head is None:
        raise NotFound(f"no sale {sale_id}", "sale_not_found")
    seed = f"{shop.config.terminal_id}|{head['opened_at']}|{actor.user_id}|{sale_id}|{client_key}"
    return "trm-" + _short(hashlib.sha256(seed.encode()).digest())


def _short(raw: bytes) -> str:
    # Caisse-AP carries our reference in CF, 1-32 characters, and a reversal or refund adds
    # "-reversal" or "-refund-ID" to it: 16 characters here (72 bits, base64url) leave room.
    return base64.urlsafe_b64encode(raw[:9]).decode()


def attempt_view(desk: TerminalDesk | None, row: dict[str, Any]) -> TerminalAttempt:
    state = row["status"]
    if row["status"] == "pending":
        live = desk.state(row["id"]) if desk is not None else None
        state = live if live is not None else "checking"
    return {
        "id": row["id"],
        "sale_id": row["sale_id"],
        "amount": row["amount"],
        "approved_amount": row["approved_amount"] or 0,
        "currency": row["currency"],
        "status": row["status"],
        "state": state,
        "terminal_state": live_state(desk, row["id"], row["status"]),
        "decline_reason": row["decline_reason"],
        "brand": row["brand"],
        "last4": row["last_four"],
    }


# -- paying ------------------------------------------------------------------------------------


def pay(
    shop: Shop,
    actor: Actor,
    desk: TerminalDesk,
    sale_id: int,
    amount: int,
    idempotency_key: str | None = None,
    *,
    wait: float | None = None,
) -> TerminalAttempt:
    """A card-present tender of `amount` on an open sale. Waits up to `wait` seconds (the
    desk's answer_wait) for the outcome; the attempt as it then is (still `pending` when
    the customer or the terminal takes longer: follow it with `attempt`)."""
    require(shop, actor, Permission.SELL)
    _not_in_transaction(shop)
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise Invalid("the amount must be positive", "invalid_amount")
    # Before anything asks the terminal about this sale: a customer pays only their own.
    _own_sale(shop, actor, sale_id)
    reference = _reference(shop, actor, sale_id, idempotency_key)
    row = store.by_reference(shop.db.conn, reference)
    if row is None:
        # An earlier terminal payment of this sale with an unknown outcome may yet have
        # charged the card: ask the terminal first, and take no other card until it is known.
        for earlier in store.pending_payments_on_sale(shop.db.conn, sale_id):
            resolve_one(shop, desk, earlier)
        with shop.db.transaction() as tx:
            if sales_store.card_pending(tx, sale_id):  # the terminal's or the gateway's
                raise PaymentPending(
                    "a card payment on this sale is still being checked with the terminal;"
                    " take no other card payment until it is settled"
                )
            sale = load(tx, sale_id, actor)
            sale.take_tender("card", amount, shop.tax_classes, shop.settings.tax_rounding)  # checks only
            store.insert(
                tx,
                kind="payment",
                sale_id=sale_id,
                user_id=actor.user_id,
                reference=reference,
                client_key=idempotency_key,
                amount=amount,
                currency=sale.currency,
                now=shop.now(),
            )
        row = store.by_reference(shop.db.conn, reference)
        assert row is not None
    elif row["sale_id"] != sale_id or row["amount"] != amount or row["kind"] != "payment":
        raise Conflict("this Idempotency-Key was used for another payment", "idempotency_key_reused")
    if row["status"] == "pending" and row["sends"] == 0 and desk.begin(row["id"]):
        threading.Thread(
            target=_send_payment, args=(shop, desk, row), name=f"terminal-pay-{row['id']}", daemon=True
        ).start()
    elif row["status"] == "pending" and not desk.in_flight(row["id"]):
        resolve_one(shop, desk, row)  # sent before (a crash, a lost answer): never again, ask
    desk.wait(row["id"], desk.answer_wait if wait is None else wait)
    current = store.by_id(shop.db.conn, row["id"])
    assert current is not None
    return attempt_view(desk, current)


def answer(shop: Shop, desk: TerminalDesk, attempt: TerminalAttempt) -> TerminalPaid:
    """The tender's answer: the sale with its terminal payment (approved, or still pending),
    or the 4xx that says why nothing was taken."""
    status = attempt["status"]
    if status == "declined":
        raise Invalid(f"the card was declined ({attempt['decline_reason'] or 'no reason given'})", "card_declined")
    if status == "cancelled":
        raise Conflict("the payment was cancelled on the terminal; nothing was charged", "payment_cancelled")
    if status == "failed":
        raise Conflict(
            f"the terminal did not take the payment ({attempt['decline_reason']}); nothing was charged",
            "terminal_unavailable",
        )
    if status in ("unattached", "reversed"):
        raise Conflict("the sale could not take this payment; it is given back to the card", "card_reversed")
    if status == "flagged":
        raise Conflict(
            "the sale could not take this payment and the terminal would not give it back: a manager must",
            "card_reversed",
        )
    result = cast(TerminalPaid, view(shop, attempt["sale_id"]))
    result["terminal"] = attempt
    return result


def attempt(shop: Shop, actor: Actor, desk: TerminalDesk | None, sale_id: int, attempt_id: int) -> TerminalAttempt:
    """A terminal payment of the sale, with the terminal's live state."""
    require(shop, actor, Permission.SELL)
    load(shop.db.conn, sale_id, actor)  # a customer sees only their own sale
    row = store.by_id(shop.db.conn, attempt_id)
    if row is None or row["sale_id"] != sale_id or row["kind"] != "payment":
        raise NotFound(f"no terminal payment {attempt_id} on sale {sale_id}", "attempt_not_found")
    return attempt_view(desk, row)


def in_progress(shop: Shop, actor: Actor, desk: TerminalDesk | None, sale_id: int) -> TerminalAttempts:
    """The sale's terminal payments whose outcome is not known yet, oldest first: a screen
    reloaded meanwhile follows them again instead of offering another card tender."""
    require(shop, actor, Permission.SELL)
    load(shop.db.conn, sale_id, actor)  # a customer sees only their own sale
    return {"in_progress": [attempt_view(desk, row) for row in store.pending_payments_on_sale(shop.db.conn, sale_id)]}


def cancel(shop: Shop, actor: Actor, desk: TerminalDesk, sale_id: int, attempt_id: int) -> TerminalAttempt:
    """Asks the terminal to stop a payment that waits for the card or the PIN. Its outcome
    still comes from the terminal: a card charged before the cancel arrived stays charged
    (and lands on the sale)."""
    current = attempt(shop, actor, desk, sale_id, attempt_id)
    if current["status"] != "pending":
        raise Conflict(f"the payment is {current['status']}: nothing to cancel", "payment_settled")
    row = store.by_id(shop.db.conn, attempt_id)
    assert row is not None
    try:
        desk.terminal.cancel(row["reference"])
    except TerminalError as exc:
        raise Conflict(f"the terminal did not take the cancel ({type(exc).__name__})", "terminal_unavailable") from None
    audit_log.record(
        shop, actor=actor, action="terminal_payment_cancel", object=f"sale:{sale_id}", details={"attempt": attempt_id}
    )
    desk.wait(attempt_id, min(desk.answer_wait, 5.0))
    if not desk.in_flight(attempt_id):
        now = store.by_id(shop.db.conn, attempt_id)
        if now is not None and now["status"] == "pending":
            resolve_one(shop, desk, now)
    return attempt(shop, actor, desk, sale_id, attempt_id)


def _send_payment(shop: Shop, desk: TerminalDesk, row: dict[str, Any]) -> None:
    """Step 2 and 3, in the worker that `pay` started (it holds the desk's claim on `row`)."""
    try:
        with shop.db.transaction() as tx:
            if not store.mark_sent(tx, row["id"], shop.now()):
                return
        sends = row["sends"] + 1
        try:
            result = desk.terminal.pay(
                row["reference"],
                row["amount"],
                row["currency"],
                timeout=desk.timeout,
                on_state=lambda state: desk.set_state(row["id"], state),
            )
        except (TerminalUnavailable, TerminalRejected) as exc:
            # This send never reached the terminal, or it refused it unread: on the first
            # send that is the whole story. Later ones say nothing of an earlier send.
            if sends == 1:
                reason = exc.code if isinstance(exc, TerminalRejected) else "terminal_unavailable"
                with shop.db.transaction() as tx:
                    store.settle(
                        tx, row["id"], status="failed", now=shop.now(), sends=sends, answer={"decline_reason": reason}
                    )
            return
        except TerminalError:
            result = None  # TerminalTimeout: the outcome is unknown
        except Exception:
            log.exception("the terminal driver failed on %s; its status is asked", row["reference"])
            result = None
        if result is not None and result.settled:
            apply(shop, desk, row, result)
            return
        # Unknown: one status() now, still holding the claim (the screen waits for it).
        current = store.by_id(shop.db.conn, row["id"])
        if current is not None and current["status"] == "pending":
            resolve_one(shop, desk, current, claimed=True)
    except Exception:
        log.exception("a terminal payment's worker failed; the resolver asks the terminal")
    finally:
        desk.end(row["id"])


def apply(shop: Shop, desk: TerminalDesk, row: dict[str, Any], result: TerminalResult) -> dict[str, Any]:
    """The terminal's settled answer for a transaction, onto the books in one transaction."""
    if row["kind"] != "payment":
        return apply_refund(shop, row, result)
    reversal: dict[str, Any] | None = None
    completed = False
    with shop.db.transaction() as tx:
        current = store.by_id(tx, row["id"])
        assert current is not None
        if current["status"] != "pending":
            return current  # settled already (the worker or the resolver got here first)
        now = shop.now()
        fields = answer_fields(result)
        if not result.approved:
            store.settle(tx, row["id"], status=result.outcome, now=now, answer=fields)
        else:
            sale = load(tx, row["sale_id"])
            try:
                tender = sale.take_tender(
                    "card",
                    result.amount,
                    shop.tax_classes,
                    shop.settings.tax_rounding,
                    reference=f"terminal:{result.terminal_reference or row['reference']}",
                )
            except (Conflict, Invalid) as exc:
                # Paid otherwise, cancelled or parked meanwhile: the charge is given back.
                store.settle(tx, row["id"], status="unattached", now=now, answer=fields)
                reversal_id = store.insert(
                    tx,
                    kind="reversal",
                    sale_id=row["sale_id"],
                    user_id=row["user_id"],
                    reference=row["reference"] + "-reversal",
                    amount=result.amount,
                    currency=row["currency"],
                    now=now,
                    original_id=row["id"],
                )
                reversal = store.by_id(tx, reversal_id)
                audit_log.record(
                    shop,
                    actor=RESOLVER,
                    action="terminal_charge_unattached",
                    outcome="failure",
                    object=f"sale:{row['sale_id']}",
                    details={"attempt": row["id"], "amount": result.amount, "why": getattr(exc, "code", str(exc))},
                )
            else:
                payment_id = sales_store.insert_payment(
                    tx,
                    row["sale_id"],
                    tender,
                    row["user_id"],
                    now,
                    details={
                        "brand": result.brand,
                        "last4": result.last_four,
                        "auth_code": result.auth_code,
                        "terminal": row["id"],
                        "terminal_reference": result.terminal_reference,
                        # Printed on the receipt under the tender, as the terminal requires.
                        "terminal_receipt": list(result.customer_receipt),
                    },
                )
                completed = complete_if_settled(shop, tx, sale) is not None
                store.settle(tx, row["id"], status="approved", now=now, answer=fields, payment_id=payment_id)
        settled = store.by_id(tx, row["id"])
        assert settled is not None
    if reversal is not None:
        send_refund(shop, desk, reversal)
        settled = store.by_id(shop.db.conn, row["id"]) or settled  # reversed, or flagged
    if completed:
        announce_receipt(shop, row["sale_id"])
    return settled


# -- finding out -------------------------------------------------------------------------------


def _window_passed(desk: TerminalDesk, row: dict[str, Any], asked_at: dt.datetime) -> bool:
    last = row.get("last_sent_at")
    return last is not None and asked_at - parse_iso(str(last)) > dt.timedelta(seconds=desk.in_flight_window)


def resolve_one(
    shop: Shop, desk: TerminalDesk, row: dict[str, Any], *, unsent_grace: float = 0.0, claimed: bool = False
) -> dict[str, Any]:
    """Asks the terminal what became of one open transaction, and settles what it can say;
    the transaction as it then is. Never sends a payment again. One on its way in this
    process is left to its sender, unless the caller is that sender (`claimed`)."""
    if (desk.in_flight(row["id"]) and not claimed) or row["status"] not in store.OPEN:
        return row
    if row["status"] == "unattached":
        reversal = store.reversal_of(shop.db.conn, row["id"])
        if reversal is not None and reversal["status"] == "pending":
            resolve_one(shop, desk, reversal)
        return store.by_id(shop.db.conn, row["id"]) or row
    if row["sends"] == 0:
        if row["kind"] != "payment":
            return send_refund(shop, desk, row)
        # Written, never sent (a crash between the commit and the send): nothing was charged.
        age = shop.clock() - parse_iso(str(row["created_at"]))
        if age >= dt.timedelta(seconds=unsent_grace):
            with shop.db.transaction() as tx:
                store.settle(
                    tx, row["id"], status="failed", now=shop.now(), sends=0, answer={"decline_reason": "not_sent"}
                )
        return store.by_id(shop.db.conn, row["id"]) or row
    asked_at = shop.clock()
    try:
        found = desk.terminal.status(row["reference"])
    except TerminalError:
        return row  # unknown still: ask again later
    if found.settled:
        return apply(shop, desk, row, found)
    if found.outcome == "not_found" and _window_passed(desk, row, asked_at):
        if row["kind"] != "payment":
            return send_refund(shop, desk, row)  # never reached it: send it again, same reference
        with shop.db.transaction() as tx:
            # Guarded by the sends read before asking: a send since then reopens it.
            store.settle(
                tx,
                row["id"],
                status="failed",
                now=shop.now(),
                sends=row["sends"],
                answer={"decline_reason": "not_received"},
            )
    return store.by_id(shop.db.conn, row["id"]) or row


def resolve_open(shop: Shop, desk: TerminalDesk, *, unsent_grace: float = 0.0) -> list[str]:
    """Every open transaction asked about once (at start-up with unsent_grace 0: nothing else
    can be sending); each one's status after, for the log and the tests."""
    _not_in_transaction(shop)
    outcomes = []
    for row in store.open_transactions(shop.db.conn):
        if row["kind"] == "reversal" and row["status"] == "pending":
            continue  # its charge's row asks for it
        try:
            outcomes.append(str(resolve_one(shop, desk, row, unsent_grace=unsent_grace)["status"]))
        except Exception:
            log.exception("could not resolve terminal transaction %s; asked again later", row["reference"])
            outcomes.append("pending")
    return outcomes


def send_refunds(shop: Shop, desk: TerminalDesk, refund_id: int) -> list[TerminalRefund]:
    """Sends a committed refund's terminal parts (queued in the refund's own transaction)."""
    _not_in_transaction(shop)
    answers: list[TerminalRefund] = []
    for row in store.of_refund(shop.db.conn, refund_id):
        if row["status"] == "pending":
            row = resolve_one(shop, desk, row)
        answers.append(
            {"id": row["id"], "amount": row["amount"], "status": row["status"], "decline_reason": row["decline_reason"]}
        )
    return answers
