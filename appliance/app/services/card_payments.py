"""Card tenders: no payment lost, none taken twice, no card number kept.

A card payment is three steps with a commit between each, so that a crash at any line
leaves something that says what to do next:

1. validate the card, put it in the vault, and write a `pending` payment attempt with the
   idempotency key the gateway will see — committed before the gateway is called;
2. call the gateway (authorise and capture in one step) with that key;
3. in one transaction, record the tender on the sale (completing it when nothing is due)
   and mark the attempt `approved` — or `declined`, or `failed` when the gateway never got
   the request.

A timeout or a dropped connection leaves the attempt `pending`: the outcome is unknown.
`resolve_pending` (run at start-up, and by a retry with the same key) looks it up at the
gateway: found approved, it is recorded on the sale (or voided if the sale can no longer
take it); not found, nothing was charged. So a sale ends paid once, or not paid.

Refunds go back through the original authorisation (never a re-entered number):
`send_card_refunds` after `sales.refund` has committed the refund and its card tenders.

Once an attempt is settled its number leaves the vault (`card_vault.forget_settled`, after
each payment and each resolve); a pending one keeps it until it is settled.

These functions call the network: they must not run inside an open transaction (the
attempt must be committed before the call), and they say so if they are.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from appliance.app.domain.card import parse_card
from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.app.services import audit_log, card_vault
from appliance.app.services.auth import require
from appliance.app.services.sales import _complete_if_settled, _load, view
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import sales as sales_store
from appliance.app.store.db import Connection
from appliance.drivers.payment import (
    Authorisation,
    GatewayError,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    PaymentGateway,
)
from appliance.security.rbac import Permission
from appliance.security.vault import Audit, TokenVault


@dataclass(frozen=True)
class CardDesk:
    """What a card tender needs besides the shop: the vault and the gateway."""

    vault: TokenVault
    gateway: PaymentGateway


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
    # The same request retried with the same Idempotency-Key reaches the gateway under
    # the same key; another user's, sale's or store's key never collides with it (the
    # sale's opening time tells apart two stores that both have a sale 1).
    head = sales_store.header(shop.db.conn, sale_id)
    if head is None:
        raise NotFound(f"no sale {sale_id}", "sale_not_found")
    seed = f"{shop.config.terminal_id}|{head['opened_at']}|{actor.user_id}|{sale_id}|{client_key}"
    return "cmp-" + hashlib.sha256(seed.encode()).hexdigest()[:32]


def _attempt(conn: Connection, key: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM payment_attempts WHERE idempotency_key = ?", (key,))
    found = row.fetchone()
    return dict(found) if found else None


def pay_card(
    shop: Shop,
    actor: Actor,
    desk: CardDesk,
    sale_id: int,
    amount: int,
    card: dict[str, Any],
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """A card tender of `amount` on an open sale; the sale view with a `card` result."""
    require(shop, actor, Permission.SELL)
    _not_in_transaction(shop)
    key = _gateway_key(shop, actor, sale_id, idempotency_key)
    existing = _attempt(shop.db.conn, key)
    if existing is None:
        if not isinstance(card, dict):
            raise Invalid("card: {number, exp_month, exp_year}", "card_required")
        number, month, year = card.get("number"), card.get("exp_month"), card.get("exp_year")
        if not isinstance(number, str) or not isinstance(month, int) or not isinstance(year, int):
            raise Invalid("card: {number, exp_month, exp_year}", "card_required")
        parsed = parse_card(number, month, year, shop.clock().date())
        del number, card  # from here on the card is the vault's token
        with shop.db.transaction() as tx:
            sale = _load(tx, sale_id)
            sale.take_tender("card", amount, shop.tax_classes, shop.settings.tax_rounding)
            info = desk.vault.tokenise(parsed)  # joins this transaction
            head = sales_store.header(tx, sale_id)
            assert head is not None
            tx.execute(
                "INSERT INTO payment_attempts (sale_id, user_id, idempotency_key, client_key,"
                " token, amount, currency, status, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
                (
                    sale_id,
                    actor.user_id,
                    key,
                    idempotency_key,
                    info.token,
                    amount,
                    head["currency"],
                    shop.now(),
                ),
            )
        existing = _attempt(shop.db.conn, key)
        assert existing is not None
    elif existing["sale_id"] != sale_id or existing["amount"] != amount:
        raise Conflict("this Idempotency-Key was used for another payment", "idempotency_key_reused")
    if existing["status"] == "pending":
        try:
            existing = _authorise(shop, actor, desk, existing)
        finally:
            card_vault.forget_settled(shop, desk.vault)
    return _answer(shop, existing)


def _authorise(shop: Shop, actor: Actor | str, desk: CardDesk, attempt: dict[str, Any]) -> dict[str, Any]:
    """Step 2 and 3 for a pending attempt. Authorising again under the same key is safe:
    the gateway answers a retried key with its first record."""
    card = desk.vault.detokenise(
        attempt["token"],
        purpose="authorise",
        actor=actor.username if isinstance(actor, Actor) else actor,
        audit=_auditor(shop, actor),
    )
    try:
        result = desk.gateway.authorise(
            attempt["amount"],
            attempt["currency"],
            card,
            attempt["idempotency_key"],
            reference=f"{shop.config.terminal_id}:sale:{attempt['sale_id']}",
            capture=True,
        )
    except GatewayUnavailable:
        _finish(shop, attempt, "failed", decline_code="gateway_unavailable")
        raise Conflict("the card network cannot be reached; nothing was charged", "gateway_unavailable") from None
    except GatewayRejected as exc:
        _finish(shop, attempt, "failed", decline_code=exc.code)
        raise Invalid(f"the card payment was refused ({exc.code})", "card_refused") from None
    except GatewayTimeout:
        found = _lookup(desk, attempt)
        if found is None:
            raise PaymentPending("no answer from the card network; the payment is being checked") from None
        result = found
    del card
    return settle(shop, desk, attempt, result)


def _lookup(desk: CardDesk, attempt: dict[str, Any]) -> Authorisation | None:
    try:
        return desk.gateway.lookup(idempotency_key=attempt["idempotency_key"])
    except GatewayError:
        return None


def _finish(shop: Shop, attempt: dict[str, Any], status: str, **fields: Any) -> None:
    columns = ", ".join(f"{name} = ?" for name in fields)
    extra = f", {columns}" if columns else ""
    with shop.db.transaction() as tx:
        tx.execute(
            f"UPDATE payment_attempts SET status = ?, resolved_at = ?{extra} "  # noqa: S608
            "WHERE id = ? AND status = 'pending'",
            (status, shop.now(), *fields.values(), attempt["id"]),
        )


def settle(shop: Shop, desk: CardDesk, attempt: dict[str, Any], result: Authorisation) -> dict[str, Any]:
    """Step 3: the gateway's answer onto the sale, in one transaction."""
    void = False
    with shop.db.transaction() as tx:
        current = _attempt(tx, attempt["idempotency_key"])
        assert current is not None
        if current["status"] != "pending":
            return current  # settled already (a retry or the recovery got here first)
        now = shop.now()
        if not result.approved:
            tx.execute(
                "UPDATE payment_attempts SET status = 'declined', gateway_ref = ?,"
                " decline_code = ?, resolved_at = ? WHERE id = ?",
                (result.reference, result.decline_code, now, current["id"]),
            )
        else:
            sale = _load(tx, current["sale_id"])
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
                _complete_if_settled(shop, tx, sale)
                status = "approved"
            tx.execute(
                "UPDATE payment_attempts SET status = ?, gateway_ref = ?, approved_amount = ?,"
                " auth_code = ?, payment_id = ?, resolved_at = ? WHERE id = ?",
                (
                    status,
                    result.reference,
                    result.approved_amount,
                    result.auth_code,
                    payment_id,
                    now,
                    current["id"],
                ),
            )
        settled = _attempt(tx, attempt["idempotency_key"])
        assert settled is not None
    if void:
        # After the commit: if this void is lost, the attempt still says "voided" and
        # resolve_pending's sweep of voided attempts repeats it (voiding twice is harmless).
        try:
            desk.gateway.void(result.reference)
        except GatewayError:
            pass
    elif settled["status"] == "approved":
        sale_row = sales_store.header(shop.db.conn, settled["sale_id"])
        if sale_row is not None and sale_row["status"] == "completed":
            for callback in shop.on_receipt:
                callback(settled["sale_id"])
    return settled


def _answer(shop: Shop, attempt: dict[str, Any]) -> dict[str, Any]:
    if attempt["status"] == "declined":
        raise Invalid(f"the card was declined ({attempt['decline_code']})", "card_declined")
    if attempt["status"] == "failed":
        raise Conflict("the card payment did not go through; nothing was charged", "card_failed")
    if attempt["status"] == "voided":
        raise Conflict("the sale could not take this payment; it was reversed", "card_reversed")
    result = view(shop, attempt["sale_id"])
    result["card"] = {
        "status": attempt["status"],
        "amount": attempt["amount"],
        "approved_amount": attempt["approved_amount"] or 0,
        "last4": _last_four(shop, attempt["token"]),
    }
    return result


def _last_four(shop: Shop, token: str) -> str:
    row = shop.db.conn.execute("SELECT last_four FROM card_tokens WHERE token = ?", (token,))
    return str(row.fetchone()[0])


def resolve_pending(shop: Shop, desk: CardDesk, *, older_than: str | None = None) -> list[str]:
    """Finishes what a crash or a timeout left: each pending attempt looked up by its key.

    Found approved: recorded on its sale, or voided when the sale can no longer take it.
    Not found: the gateway never saw it, nothing was charged. Gateway down: left pending
    for the next run. Returns each attempt's new status (for the log and the tests).
    """
    _not_in_transaction(shop)
    query = "SELECT * FROM payment_attempts WHERE status = 'pending'"
    params: tuple[Any, ...] = ()
    if older_than is not None:
        query += " AND created_at < ?"
        params = (older_than,)
    outcomes = []
    for row in shop.db.conn.execute(query + " ORDER BY id", params).fetchall():
        attempt = dict(row)
        try:
            found = desk.gateway.lookup(idempotency_key=attempt["idempotency_key"])
        except GatewayError:
            outcomes.append("pending")
            continue
        if found is None:
            _finish(shop, attempt, "failed", decline_code="not_received")
            outcomes.append("failed")
        else:
            outcomes.append(str(settle(shop, desk, attempt, found)["status"]))
    for row in shop.db.conn.execute("SELECT gateway_ref FROM payment_attempts WHERE status = 'voided'").fetchall():
        try:
            desk.gateway.void(str(row[0]))
        except GatewayError:
            pass
    card_vault.forget_settled(shop, desk.vault)
    return outcomes


def send_card_refunds(shop: Shop, desk: CardDesk, refund_id: int) -> list[str]:
    """Sends a committed refund's card tenders back through their authorisations.

    Each goes under a key made of the refund and the payment, so a retry (or a restart)
    never refunds twice. Returns each one's status: refunded, or pending to retry.
    """
    _not_in_transaction(shop)
    with shop.db.transaction() as tx:
        if tx.execute("SELECT 1 FROM refunds WHERE id = ?", (refund_id,)).fetchone() is None:
            raise NotFound(f"no refund {refund_id}", "refund_not_found")
        tx.execute(
            "INSERT OR IGNORE INTO card_refunds (refund_id, payment_id, amount, idempotency_key,"
            " status, created_at) SELECT refund_id, payment_id, amount,"
            " 'cmp-refund-' || refund_id || '-' || payment_id, 'pending', ? FROM refund_tenders"
            " WHERE refund_id = ? AND method = 'card'",
            (shop.now(), refund_id),
        )
    rows = shop.db.conn.execute(
        "SELECT c.*, p.reference FROM card_refunds c JOIN payments p ON p.id = c.payment_id"
        " WHERE c.refund_id = ? ORDER BY c.payment_id",
        (refund_id,),
    ).fetchall()
    statuses = []
    for row in rows:
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
            tx.execute(
                "UPDATE card_refunds SET status = ?, gateway_ref = ?, last_error = ?,"
                " resolved_at = ? WHERE refund_id = ? AND payment_id = ?",
                (
                    status,
                    ref,
                    error,
                    None if status == "pending" else shop.now(),
                    refund_id,
                    row["payment_id"],
                ),
            )
        statuses.append(status)
    return statuses
