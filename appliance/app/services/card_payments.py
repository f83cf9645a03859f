"""Card tenders keyed in at the till (card not present): no payment lost, none taken twice,
no card number kept.

A card the customer holds is read by the payment terminal (services/terminal_payments.py).
Typing its number here is the exception: the store rule `keyed_card_payments` (off on a new
store) must allow it, and only a role with the `keyed_card` permission (a manager) may take
one; self-service never does. A refusal comes before the card is read, the vault written or
the acquirer called.

A card payment is three steps with a commit between each, so that a crash at any line
leaves something that says what to do next:

1. validate the card, put it in the vault, and write a `pending` payment attempt with the
   idempotency key the gateway will see — committed before the gateway is called;
2. call the gateway (authorise and capture in one step) with that key;
3. in one transaction, record the tender on the sale (completing it when nothing is due)
   and mark the attempt `approved` — or `declined`, or `failed` when the gateway certainly
   never got the request.

Each send is stamped on the attempt (sends, first_sent_at, last_sent_at) and committed
before the request leaves. Once an attempt may have reached the acquirer, an unknown outcome
is never "nothing was charged": only the acquirer's definitive answer settles it — its
record, or a "not found" to a look-up asked after the protocol's in-flight window has passed
since the last send (docs/acquirer-protocol.md). A timeout, a dropped connection, an
unreachable acquirer or a younger "not found" leave the attempt `pending`; `resolve_pending`
(at start-up, and every few seconds by `PendingCardsResolver`, backing off) and a retry with
the same key settle it later. Only the very first send, refused before it left (connection
refused, 503 "not processed", a 4xx), is `failed` at once. While an attempt is pending, its
sale takes no other card tender (409 payment_pending). So a sale ends paid once, or not paid.

Refunds go back through the original authorisation (never a re-entered number): the refund's
transaction queues its card tenders in card_refunds, and `send_card_refunds` sends the
pending ones after the commit (again at start-up and by the resolver until confirmed).

Once an attempt is settled its number leaves the vault (`card_vault.forget_settled`, after
each payment and each resolve); a pending one keeps it until it is settled.

These functions call the network: they must not run inside an open transaction (the
attempt must be committed before the call), and they say so if they are.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any, cast

from appliance.app.domain.card import parse_card
from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.app.services import audit_log, card_vault, idempotency
from appliance.app.services.auth import require
from appliance.app.services.card_desk import CardDesk
from appliance.app.services.completion import announce_receipt, complete_if_settled
from appliance.app.services.resolver import Resolver
from appliance.app.services.sale_results import PaidSale
from appliance.app.services.sale_view import load, read, view
from appliance.app.services.shop import Actor, Shop, parse_iso
from appliance.app.store import card_refunds, card_tokens, payment_attempts
from appliance.app.store import sales as sales_store
from appliance.drivers.payment import (
    Authorisation,
    GatewayError,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
)
from appliance.security.rbac import Permission, can
from appliance.security.vault import Audit, VaultError

log = logging.getLogger(__name__)


class PaymentPending(Conflict):
    """The gateway did not answer: the outcome is being resolved. 409, retry later."""

    code = "payment_pending"


def _not_in_transaction(shop: Shop) -> None:
    if shop.db.conn.in_transaction:
        raise RuntimeError("card payments call the gateway: not inside a transaction")


def _auditor(shop: Shop, actor: Actor | str) -> Audit:
    def audit(action: str, outcome: str, obj: str, details: dict[str, Any]) -> None:
        audit_log.record(shop, actor=actor, action=action, outcome=outcome, object=obj, details=details)

    return audit


def _gateway_key(shop: Shop, actor: Actor, sale_id: int, client_key: str | None) -> str:
    if client_key is None:
        return "cmp-" + uuid.uuid4().hex
    digest = idempotency.sale_digest(shop, sale_id, actor.user_id, client_key)
    if digest is None:
        raise NotFound(f"no sale {sale_id}", "sale_not_found")
    return "cmp-" + digest[:32]


def pay_card(
    shop: Shop,
    actor: Actor,
    desk: CardDesk,
    sale_id: int,
    amount: int,
    card: dict[str, Any],
    idempotency_key: str | None = None,
) -> PaidSale:
    """A keyed card tender of `amount` on an open sale; the sale view with a `card` result."""
    require(shop, actor, Permission.SELL)
    if actor.role == "customer":
        # A customer alone at a self-service screen never types a card number on it: their
        # card is read by the payment terminal (services/terminal_payments.py).
        raise Invalid("at self-service a card is taken on the payment terminal", "tender_unavailable")
    keyed_allowed(shop, actor)
    _not_in_transaction(shop)
    key = _gateway_key(shop, actor, sale_id, idempotency_key)
    existing = payment_attempts.by_key(shop.db.conn, key)
    if existing is None:
        if not isinstance(card, dict):
            raise Invalid("card: {number, exp_month, exp_year}", "card_required")
        number, month, year = card.get("number"), card.get("exp_month"), card.get("exp_year")
        if not isinstance(number, str) or not isinstance(month, int) or not isinstance(year, int):
            raise Invalid("card: {number, exp_month, exp_year}", "card_required")
        parsed = parse_card(number, month, year, shop.clock().date())
        del number, card  # from here on the card is the vault's token
        # A card payment of this sale whose outcome is unknown may yet be charged: one more
        # look-up first, and no other card tender until it is settled.
        _check_sale(shop, desk, sale_id)
        with shop.db.transaction() as tx:
            found = read(tx, sale_id)
            if found.head["card_pending"]:  # the gateway's, or the payment terminal's
                raise PaymentPending(
                    "a card payment on this sale is still being checked with the card network;"
                    " take no other card payment until it is settled"
                )
            found.sale.take_tender("card", amount, shop.tax_classes, shop.settings.tax_rounding)
            info = desk.vault.tokenise(parsed)  # joins this transaction
            payment_attempts.insert(
                tx,
                sale_id=sale_id,
                user_id=actor.user_id,
                key=key,
                client_key=idempotency_key,
                token=info.token,
                amount=amount,
                currency=found.sale.currency,
                now=shop.now(),
            )
        existing = payment_attempts.by_key(shop.db.conn, key)
        assert existing is not None
    elif existing["sale_id"] != sale_id or existing["amount"] != amount:
        raise Conflict("this Idempotency-Key was used for another payment", "idempotency_key_reused")
    if existing["status"] == "pending":
        try:
            existing = _authorise(shop, actor, desk, existing)
        finally:
            card_vault.forget_settled(shop, desk.vault)
    return _answer(shop, existing)


def keyed_allowed(shop: Shop, actor: Actor) -> None:
    """Refuses a keyed card payment the store or the role does not allow: 422 with the rule
    off (for anybody), 403 for a role without `keyed_card`."""
    if not shop.settings.keyed_card_payments:
        raise Invalid(
            "card numbers are not keyed in at this store (the store rule keyed_card_payments is off):"
            " the customer presents the card on the payment terminal",
            "keyed_card_off",
        )
    if not can(actor.role, Permission.KEYED_CARD):
        raise Forbidden(
            f"the {actor.role} role may not key in a card's number (card not present): a manager takes it",
            "forbidden",
        )


def _check_sale(shop: Shop, desk: CardDesk, sale_id: int) -> None:
    """Looks up the sale's pending card payments that were sent (settling what the
    acquirer can answer for)."""
    for attempt in payment_attempts.sent_pending_on_sale(shop.db.conn, sale_id):
        _look_up(shop, desk, attempt)


def _mark_sent(shop: Shop, attempt: dict[str, Any]) -> dict[str, Any] | None:
    """Stamps a send on the attempt, committed before the request leaves; the attempt as it
    now is, or None when it is no longer pending (settled meanwhile: send nothing)."""
    with shop.db.transaction() as tx:
        now = shop.now()  # once the write lock is held: the request leaves right after the commit
        if not payment_attempts.mark_sent(tx, attempt["id"], now):
            return None
        current = payment_attempts.by_key(tx, attempt["idempotency_key"])
    assert current is not None
    return current


def _authorise(shop: Shop, actor: Actor | str, desk: CardDesk, attempt: dict[str, Any]) -> dict[str, Any]:
    """Step 2 and 3 for a pending attempt. Authorising again under the same key is safe:
    the gateway answers a retried key with its first record."""
    try:
        card = desk.vault.detokenise(
            attempt["token"],
            purpose="authorise",
            actor=actor.username if isinstance(actor, Actor) else actor,
            audit=_auditor(shop, actor),
        )
    except (NotFound, VaultError):
        if not attempt["sends"]:
            raise
        return _still_unknown(shop, desk, attempt)  # sent before: the acquirer's record says
    sent = _mark_sent(shop, attempt)
    if sent is None:
        del card
        current = payment_attempts.by_key(shop.db.conn, attempt["idempotency_key"])
        assert current is not None
        return current
    attempt = sent
    first_send = attempt["sends"] == 1
    try:
        result = desk.gateway.authorise(
            attempt["amount"],
            attempt["currency"],
            card,
            attempt["idempotency_key"],
            reference=f"{shop.config.terminal_id}:sale:{attempt['sale_id']}",
            capture=True,
            # The stamp the look-up rule counts from: the acquirer sees the same moment.
            sent_at=attempt["last_sent_at"],
        )
    except GatewayUnavailable:
        # This send never reached the acquirer. On the first send that settles it; after
        # that an earlier send may have been charged: only the acquirer can say.
        if first_send and _fail(shop, attempt, "gateway_unavailable"):
            raise Conflict("the card network cannot be reached; nothing was charged", "gateway_unavailable") from None
        return _still_unknown(shop, desk, attempt)
    except GatewayRejected as exc:
        if first_send and _fail(shop, attempt, exc.code):
            raise Invalid(f"the card payment was refused ({exc.code})", "card_refused") from None
        return _still_unknown(shop, desk, attempt)
    except GatewayTimeout:
        return _still_unknown(shop, desk, attempt)
    finally:
        del card
    return settle(shop, desk, attempt, result)


def _still_unknown(shop: Shop, desk: CardDesk, attempt: dict[str, Any]) -> dict[str, Any]:
    """The outcome is unknown: one look-up now; still unknown, 409 payment_pending."""
    current = _look_up(shop, desk, attempt)
    if current["status"] == "pending":
        raise PaymentPending("no answer from the card network; the payment is being checked")
    return current


def _look_up(shop: Shop, desk: CardDesk, attempt: dict[str, Any]) -> dict[str, Any]:
    """Asks the acquirer for a sent attempt by its key; the attempt as it then is.

    Found: settled by the record. Not found, asked after the in-flight window has passed
    since the last send: failed, nothing was charged. Anything else: still pending.
    """
    asked_at = shop.clock()
    try:
        found = desk.gateway.lookup(idempotency_key=attempt["idempotency_key"])
    except GatewayError:
        found = None
        definitive = False
    else:
        definitive = True
    if found is not None:
        return settle(shop, desk, attempt, found)
    if definitive and _window_passed(desk, attempt, asked_at):
        # Guarded by the send count read before the look-up: a send since then reopens it.
        _fail(shop, attempt, "not_received")
    current = payment_attempts.by_key(shop.db.conn, attempt["idempotency_key"])
    assert current is not None
    return current


def _window_passed(desk: CardDesk, attempt: dict[str, Any], asked_at: dt.datetime) -> bool:
    last = attempt.get("last_sent_at")
    if last is None:
        return False
    return asked_at - parse_iso(str(last)) > dt.timedelta(seconds=desk.in_flight_window)


def _fail(shop: Shop, attempt: dict[str, Any], decline_code: str) -> bool:
    """Fails a pending attempt (nothing was charged) that was sent no more than `attempt`
    says; False when it was settled or sent again meanwhile (nothing changed)."""
    with shop.db.transaction() as tx:
        return payment_attempts.fail(
            tx, attempt["id"], sends=attempt["sends"], decline_code=decline_code, now=shop.now()
        )


def settle(shop: Shop, desk: CardDesk, attempt: dict[str, Any], result: Authorisation) -> dict[str, Any]:
    """Step 3: the gateway's answer onto the sale, in one transaction."""
    void = completed = False
    with shop.db.transaction() as tx:
        current = payment_attempts.by_key(tx, attempt["idempotency_key"])
        assert current is not None
        if current["status"] != "pending":
            return current  # settled already (a retry or the recovery got here first)
        now = shop.now()
        if not result.approved:
            payment_attempts.record_decline(
                tx, current["id"], reference=result.reference, decline_code=result.decline_code, now=now
            )
        else:
            sale = load(tx, current["sale_id"])
            try:
                tender = sale.take_tender(
                    "card",
                    result.approved_amount,
                    shop.tax_classes,
                    shop.settings.tax_rounding,
                    reference=result.reference,
                )
            except (Conflict, Invalid):
                tender = None  # the sale was cancelled or paid meanwhile: give it back
            if tender is None:
                void = True
                status, payment_id = "voided", None
            else:
                info = desk.vault.info(current["token"])
                payment_id = sales_store.insert_payment(
                    tx,
                    current["sale_id"],
                    tender,
                    current["user_id"],
                    now,
                    details={
                        "brand": info.brand,
                        "last4": info.last_four,
                        "token": info.token,
                        "auth_code": result.auth_code,
                        "attempt": current["id"],
                        "partial": result.status == "partial",
                    },
                )
                completed = complete_if_settled(shop, tx, sale) is not None
                status = "approved"
            payment_attempts.record_approval(
                tx,
                current["id"],
                status=status,
                reference=result.reference,
                approved_amount=result.approved_amount,
                auth_code=result.auth_code,
                payment_id=payment_id,
                now=now,
            )
        settled = payment_attempts.by_key(tx, attempt["idempotency_key"])
        assert settled is not None
    if void:
        # After the commit: if this void is lost, the attempt still says "voided" with no
        # void_sent_at, and resolve_pending's sweep repeats it (voiding twice is harmless).
        _void(shop, desk, settled)
    elif completed:
        announce_receipt(shop, settled["sale_id"])
    return settled


def _answer(shop: Shop, attempt: dict[str, Any]) -> PaidSale:
    if attempt["status"] == "declined":
        raise Invalid(f"the card was declined ({attempt['decline_code']})", "card_declined")
    if attempt["status"] == "failed":
        raise Conflict("the card payment did not go through; nothing was charged", "card_failed")
    if attempt["status"] == "voided":
        raise Conflict("the sale could not take this payment; it was reversed", "card_reversed")
    result = cast(PaidSale, view(shop, attempt["sale_id"]))  # with its card, below
    result["card"] = {
        "status": attempt["status"],
        "amount": attempt["amount"],
        "approved_amount": attempt["approved_amount"] or 0,
        "last4": card_tokens.last_four(shop.db.conn, attempt["token"]),
    }
    return result


def resolve_pending(
    shop: Shop, desk: CardDesk, *, older_than: str | None = None, unsent_grace: float = 0.0
) -> list[str]:
    """Finishes what a crash or a timeout left: each pending attempt looked up by its key.

    Found: settled by the acquirer's record (an approval recorded on its sale, or voided when
    the sale can no longer take it). Not found: failed (nothing was charged) only if asked
    after the in-flight window has passed since its last send; sooner, or with the acquirer
    unreachable, it stays pending for the next run. An attempt never sent (a crash before
    its first send) is failed once `unsent_grace` seconds old: 0 at start-up, when nothing
    else can be sending it. Returns each attempt's new status (for the log and the tests).
    """
    _not_in_transaction(shop)
    outcomes = []
    for attempt in payment_attempts.pending(shop.db.conn, older_than):
        if attempt["sends"] == 0:
            age = shop.clock() - parse_iso(str(attempt["created_at"]))
            # Guarded by sends = 0: a send that starts meanwhile keeps it open.
            if age >= dt.timedelta(seconds=unsent_grace):
                _fail(shop, attempt, "not_sent")
            current = payment_attempts.by_key(shop.db.conn, attempt["idempotency_key"])
            assert current is not None
            outcomes.append(str(current["status"]))
            continue
        outcomes.append(str(_look_up(shop, desk, attempt)["status"]))
    for voided in payment_attempts.unsent_voids(shop.db.conn):
        _void(shop, desk, voided)
    card_vault.forget_settled(shop, desk.vault)
    return outcomes


def _void(shop: Shop, desk: CardDesk, attempt: dict[str, Any]) -> None:
    """Releases a voided attempt's approval at the acquirer; once it answers, never again."""
    try:
        desk.gateway.void(str(attempt["gateway_ref"]))
    except GatewayRejected:
        pass  # its definitive answer: nothing there to release
    except GatewayError:
        return  # unknown: the next sweep sends it again
    with shop.db.transaction() as tx:
        payment_attempts.mark_void_sent(tx, attempt["id"], shop.now())


def send_card_refunds(shop: Shop, desk: CardDesk, refund_id: int) -> list[str]:
    """Sends a committed refund's card tenders back through their authorisations.

    The refund's own transaction queued them (card_refunds); this sends the pending ones,
    each under a key made of the refund, the payment and its authorisation, so a retry (or a
    restart) never refunds twice. Returns each one's status: refunded, failed, or pending to retry.
    """
    _not_in_transaction(shop)
    if not card_refunds.refund_exists(shop.db.conn, refund_id):
        raise NotFound(f"no refund {refund_id}", "refund_not_found")
    statuses = []
    for row in card_refunds.of_refund(shop.db.conn, refund_id):
        if row["status"] != "pending":
            statuses.append(str(row["status"]))
            continue
        try:
            done = desk.gateway.refund(str(row["reference"]), int(row["amount"]), row["idempotency_key"])
            status, ref, error = "refunded", done.reference, None
        except GatewayRejected as exc:
            status, ref, error = "failed", None, exc.code
        except GatewayError as exc:
            status, ref, error = "pending", None, type(exc).__name__
        with shop.db.transaction() as tx:
            card_refunds.record_answer(
                tx,
                refund_id,
                row["payment_id"],
                status=status,
                gateway_ref=ref,
                last_error=error,
                resolved_at=None if status == "pending" else shop.now(),
            )
        statuses.append(status)
    return statuses


def send_pending_card_refunds(shop: Shop, desk: CardDesk) -> dict[int, list[str]]:
    """Sends every refund's card tenders still waiting (at start-up and by the resolver)."""
    _not_in_transaction(shop)
    waiting = card_refunds.pending_refunds(shop.db.conn)
    return {refund_id: send_card_refunds(shop, desk, refund_id) for refund_id in waiting}


def anything_pending(shop: Shop) -> bool:
    """Whether a card payment, a void or a card refund still waits for the acquirer."""
    conn = shop.db.conn
    if payment_attempts.anything_waiting(conn):
        return True
    return card_refunds.anything_pending(conn)


class PendingCardsResolver(Resolver):
    """A background thread that settles pending card payments and sends pending card
    refunds (services.resolver: soon while something waits, backing off while the acquirer
    is down, a cheap check when nothing waits). Started with the devices, stopped with them."""

    name = "card-resolver"

    def __init__(
        self,
        shop: Shop,
        desk: CardDesk,
        *,
        first: float = 1.0,
        longest: float | None = None,
        idle: float = 5.0,
    ) -> None:
        # Past the window a "not found" is final: never wait much longer than it to ask.
        super().__init__(
            first=first,
            longest=longest if longest is not None else max(first, min(30.0, desk.in_flight_window / 2)),
            idle=idle,
        )
        self.shop = shop
        self.desk = desk
        # A send stamps its attempt within milliseconds of writing it: an attempt unsent for
        # this long was left by a crash, and is failed (nothing was charged).
        self.unsent_grace = max(30.0, desk.in_flight_window)
        self.rounds = 0

    def start(self) -> PendingCardsResolver:
        super().start()
        return self

    def run_once(self) -> bool:
        """One round; True when something is still pending after it."""
        outcomes = resolve_pending(self.shop, self.desk, unsent_grace=self.unsent_grace)
        settled = [o for o in outcomes if o != "pending"]
        if settled:
            log.warning("card payments whose outcome was unknown are settled: %s", settled)
        send_pending_card_refunds(self.shop, self.desk)
        self.rounds += 1
        return anything_pending(self.shop)

    def waiting(self) -> frozenset[str]:
        conn = self.shop.db.conn
        return frozenset([*payment_attempts.waiting_keys(conn), *card_refunds.pending_keys(conn)])
