"""Gift cards: sold and topped up as an untaxed sale line, active once that sale completes,
redeemed as a tender, with a balance enquiry, expiry by store setting, and the liability
the store carries for what is still on them.

Redemption debits the card inside the payment's own transaction, which takes the store's
write lock first (BEGIN IMMEDIATE): two tills redeeming one card at the same moment are
served one after the other, and the second sees what the first left.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any, TypedDict

from appliance.app.domain import gift_card as card_rules
from appliance.app.domain.errors import Conflict, DomainError, Invalid, NotFound
from appliance.app.domain.gift_card import PRODUCT_SKU as PRODUCT_SKU
from appliance.app.domain.money import Money, money_words
from appliance.app.services import audit_log, gift_card_office, idempotency, outbox, sales
from appliance.app.services.auth import require
from appliance.app.services.sale_results import Commit, GiftCardOnSale, SaleView, SaleWithGiftCard, at_once
from appliance.app.services.shop import Actor, Shop, iso, parse_iso
from appliance.app.store import gift_cards as cards_store
from appliance.app.store import settings as settings_store
from appliance.app.store.db import Connection, IntegrityError
from appliance.security.rbac import Permission

PRODUCT_NAME = "Gift card"


class GiftCard(TypedDict):
    id: int
    code: str  # masked (****-****-****-1234) but where it is shown once to hand over
    status: str  # pending (its sale not yet completed), active or void
    balance: Money
    currency: str
    activated_at: str | None
    expires_at: str | None


class GiftCardBalance(GiftCard):
    expired: bool


class PaidOffline(SaleView):
    """A gift card tender the till took while the office did not answer, under the chain's
    offline cap: the answer says so, for the cashier to see."""

    office: str  # "offline"


class GiftCardList(TypedDict):
    gift_cards: list[GiftCardBalance]


def expiry_days(conn: Connection) -> int | None:
    value = settings_store.get_all(conn).get("gift_card_expiry_days")
    return int(value) if value else None


def ensure_product(tx: Connection, now: str) -> None:
    """The product a gift card line is sold as: exempt from tax (the tax is due when the card
    is spent on goods, not when money is loaded), not kept in stock, and inactive so that
    nobody can scan it at the shelf price; only this service puts it on a sale."""
    cards_store.ensure_product(tx, PRODUCT_SKU, PRODUCT_NAME, now)


def _card(conn: Connection, code: str) -> Any:
    row = cards_store.by_code(conn, card_rules.normalise(code))
    if row is None:
        raise NotFound("no gift card with that number", "gift_card_not_found")
    return row


def _expires(row: Any) -> dt.datetime | None:
    return parse_iso(row["expires_at"]) if row["expires_at"] else None


def _json(row: Any, *, full_code: bool = False) -> GiftCard:
    return {
        "id": row["id"],
        "code": card_rules.display(row["code"]) if full_code else card_rules.masked(row["code"]),
        "status": row["status"],
        "balance": row["balance"],
        "currency": row["currency"],
        "activated_at": row["activated_at"],
        "expires_at": row["expires_at"],
    }


# -- selling and topping up -----------------------------------------------------------------------


def sell_once(
    shop: Shop, actor: Actor, sale_id: int, body: dict[str, Any], key: str | None
) -> tuple[int, SaleWithGiftCard]:
    """`sell` with its answer kept under the Idempotency-Key (services/idempotency.py). A
    top-up on an enrolled till asks the office first, with no transaction open (the office
    may take 3 s, and a transaction would hold every till's writes that long); a retry whose
    answer was lost is answered from the store before the office is asked; only the line on
    the sale commits with the stored answer, so a retry never puts a second card on it."""
    return idempotency.run_after_network(
        shop,
        actor,
        key,
        f"gift-cards:{sale_id}",
        body,
        200,
        lambda commit: sell(shop, actor, sale_id, body["amount"], body.get("code"), commit=commit),
    )


def sell(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    amount: int,
    code: str | None = None,
    commit: Callable[[Callable[[], SaleWithGiftCard]], SaleWithGiftCard] | None = None,
) -> SaleWithGiftCard:
    """Puts a gift card on an open sale: a new card (no code) or a top-up of a live one.
    The money reaches the card only when the sale completes. `commit` runs the till's
    transaction (the request's idempotency transaction, from `sell_once`)."""
    require(shop, actor, Permission.SELL)
    value = card_rules.check_value(amount)
    # Asked before the transaction: a cashier may wait on the office, the store's lock may not.
    found = _ask_office_for_top_up(shop, code) if code is not None else None

    def local() -> SaleWithGiftCard:
        return _put_on_sale(shop, actor, sale_id, value, code, found)

    return local() if commit is None else commit(local)


def _put_on_sale(
    shop: Shop, actor: Actor, sale_id: int, value: int, code: str | None, found: gift_card_office.Held | None
) -> SaleWithGiftCard:
    with shop.db.transaction() as tx:
        ensure_product(tx, shop.now())
        if code is None:
            card_id, new_code = new_card(shop, tx)
            kind, name = "issue", f"{PRODUCT_NAME} {card_rules.masked(new_code)}"
        else:
            if found is not None:
                _office_copy(shop, tx, card_rules.normalise(code), found)
            row = _card(tx, code)
            if row["status"] != "active":
                raise Conflict("only an active gift card can be topped up", "gift_card_inactive")
            expires = _expires(row)
            if expires is not None and expires <= shop.clock():
                raise Invalid("this gift card has expired", "gift_card_expired")
            if row["balance"] + value > card_rules.MAX_CARD_VALUE:
                raise Invalid("that would put more on the card than it may hold", "invalid_amount")
            card_id, new_code = row["id"], row["code"]
            kind, name = "top_up", f"{PRODUCT_NAME} top-up {card_rules.masked(new_code)}"
        view = sales.add_priced_line(shop, actor, sale_id, sku=PRODUCT_SKU, unit_price=value, name=name)
        # add_priced_line adds to the last live line of the same product and price: that line.
        line_no = max(
            ln["line"]
            for ln in view["lines"]
            if ln["sku"] == PRODUCT_SKU and ln["unit_price"] == value and not ln["voided"]
        )
        cards_store.add_pending(tx, sale_id, line_no, card_id, kind, value)
        on_sale: GiftCardOnSale = {"code": card_rules.display(new_code), "kind": kind, "amount": value, "line": line_no}
        return {**view, "gift_card": on_sale}


def _ask_office_for_top_up(shop: Shop, code: str) -> gift_card_office.Held | None:
    """On an enrolled till, the office's word on a card about to be topped up: a card sold at
    another lane is found there (the till then keeps a copy, as for a tender), and any card's
    copy takes the chain's balance before the top-up is weighed against the most a card may
    hold. None when the till's own card is enough: the office is silent about a card the till
    knows, or has not heard yet of one it sold. A card the till never saw, with the office
    silent, cannot be topped up: nobody could say it exists."""
    if not gift_card_office.enrolled(shop):
        return None
    normal = card_rules.normalise(code)
    try:
        found = gift_card_office.lookup(shop, normal)
    except gift_card_office.Silent:
        if cards_store.by_code(shop.db.conn, normal) is None:
            raise Conflict(
                "the office does not answer, and this gift card was sold at another lane: "
                "top it up when the office answers",
                "office_unavailable",
            ) from None
        return None
    except NotFound:
        known = cards_store.by_code(shop.db.conn, normal)
        if known is None or known["office_held"]:
            raise
        return None
    if found.currency != shop.settings.currency:
        raise Conflict(
            f"this gift card holds {found.currency}; this till sells in {shop.settings.currency}",
            "gift_card_currency",
        )
    return found


def new_card(shop: Shop, tx: Connection) -> tuple[int, str]:
    for _ in range(5):  # 75 random bits: a clash is all but impossible, but never fatal
        code = card_rules.new_code(secrets.randbelow)
        try:
            card_id = cards_store.insert(tx, code, shop.settings.currency, shop.now())
        except IntegrityError:
            continue
        return card_id, code
    raise Conflict("could not draw a fresh gift card number; try again", "gift_card_retry")  # pragma: no cover


def activate_on_completion(shop: Shop, tx: Connection, sale_id: int) -> None:
    """Called as the sale completes: every card sold or topped up on a live line gets its
    money; cards on voided lines (or beyond a line's final quantity) are voided, unused."""
    pending = cards_store.pending_on_sale(tx, sale_id)
    if not pending:
        return
    now = shop.clock()
    expires = card_rules.expiry(now, expiry_days(tx))
    for p, live_used in zip(pending, card_rules.loading(pending), strict=True):
        if live_used:
            if p["kind"] == "issue":
                cards_store.activate(tx, p["card_id"], p["amount"], iso(now), iso(expires) if expires else None)
            else:
                cards_store.top_up(tx, p["card_id"], p["amount"])
            balance = cards_store.balance(tx, p["card_id"])
            outbox.gift_card_entry(shop, tx, p["card_id"], p["kind"], p["amount"], balance, iso(now), sale_id=sale_id)
        elif p["kind"] == "issue":
            cards_store.void_unsold(tx, p["card_id"])
        cards_store.mark_applied(tx, p["id"], live_used)


def take_back_on_refund(shop: Shop, tx: Connection, actor: Actor, sale_id: int, lines: dict[int, int]) -> int:
    """Called as a refund returns `lines` (line number: quantity): the money the gift cards sold on them got
    comes off them again (a card sold on the line is voided; a top-up leaves the card live).
    A card that no longer holds that money was spent: the return is refused, since the
    customer would otherwise have the goods it bought and the money back. Gives the total
    taken off."""
    rows = [
        row
        for line_no, quantity in sorted(lines.items())
        for row in cards_store.activated_on_line(tx, sale_id, line_no, quantity)
    ]
    taken = 0
    for r in rows:
        if r["status"] != "active" or r["balance"] < r["amount"]:
            left = r["balance"] if r["status"] == "active" else 0
            raise Conflict(
                f"gift card {card_rules.masked(r['code'])} holds {money_words(left, shop.settings.currency)} "
                f"of the {money_words(r['amount'], shop.settings.currency)} put on it: it was spent or voided, "
                "so it cannot be returned for money",
                "gift_card_spent",
            )
        status = "void" if r["kind"] == "issue" else "active"
        balance = r["balance"] - r["amount"]
        cards_store.set_balance(tx, r["card_id"], balance, status)
        outbox.gift_card_entry(
            shop, tx, r["card_id"], "void", -r["amount"], balance, shop.now(), sale_id=sale_id, user_id=actor.user_id
        )
        cards_store.mark_returned(tx, r["id"])
        taken += r["amount"]
    return taken


# -- redeeming --------------------------------------------------------------------------------------


def redeem(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    amount: int,
    code: str,
    client_key: str | None = None,
    commit: Commit = at_once,
) -> SaleView:
    """A gift card tender. `commit` runs the local payment (in the request's idempotency
    transaction, from tenders.pay_once); the office's hold comes before it, outside any."""
    require(shop, actor, Permission.SELL)
    normal = card_rules.normalise(code)
    if gift_card_office.enrolled(shop):
        return _redeem_through_office(shop, actor, sale_id, amount, normal, client_key, commit)

    def charge(tx: Connection, applied: int) -> None:
        _debit(shop, actor, tx, _card(tx, normal), sale_id, applied)

    return commit(lambda: _pay(shop, actor, sale_id, amount, normal, charge))


def _pay(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    amount: int,
    code: str,
    charge: Callable[[Connection, int], None],
    *,
    offline: bool = False,
) -> SaleView:
    # An offline spend says so where the tender is shown (the receipt, the sale's answer).
    reference = card_rules.masked(code) + (" (office offline)" if offline else "")
    details: dict[str, Any] = {"gift_card": card_rules.masked(code)}
    if offline:
        details["office"] = "offline"
    view = sales.pay_tender(
        shop, actor, sale_id, "gift_card", amount, reference=reference, details=details, charge=charge
    )
    if offline:
        answer: PaidOffline = {**view, "office": "offline"}
        return answer
    return view


def _debit(
    shop: Shop,
    actor: Actor,
    tx: Connection,
    row: Any,
    sale_id: int,
    applied: int,
    *,
    hold: str | None = None,
    offline: bool = False,
) -> None:
    card_rules.check_redeemable(
        row["status"], row["balance"], _expires(row), shop.clock(), applied, shop.settings.currency
    )
    # The balance guard in SQL is the last word: never below zero, whatever raced us.
    if not cards_store.debit(tx, row["id"], applied):
        raise Conflict("the gift card was used meanwhile", "gift_card_insufficient")
    outbox.gift_card_entry(
        shop,
        tx,
        row["id"],
        "redeem",
        -applied,
        row["balance"] - applied,
        shop.now(),
        sale_id=sale_id,
        user_id=actor.user_id,
        hold=hold,
        offline=offline,
    )


def _redeem_through_office(
    shop: Shop, actor: Actor, sale_id: int, amount: int, code: str, client_key: str | None, commit: Commit
) -> SaleView:
    """An enrolled till asks the office for a hold before every gift card tender: the office
    holds the card's ledger for the whole chain (docs/office.md, "Shared balances"). A hold
    whose payment never commits (the till stopped between) reserves the amount until it
    expires, an hour; the same request retried finds the same hold by its key."""
    key = gift_card_office.new_key(shop, sale_id, client_key, actor.user_id)
    known = cards_store.by_code(shop.db.conn, code)
    try:
        held: gift_card_office.Held | None = gift_card_office.hold(shop, code, amount, key)
    except gift_card_office.Silent:
        held = None
    except NotFound:
        if known is None or known["office_held"]:
            raise

        # Sold here and not yet pushed: nobody else can have found it, this till's ledger is
        # the whole of it.
        def charge_own(tx: Connection, applied: int) -> None:
            _debit(shop, actor, tx, _card(tx, code), sale_id, applied)

        return commit(lambda: _pay(shop, actor, sale_id, amount, code, charge_own))

    if held is None:
        if known is None:
            raise Conflict(
                "the office does not answer, and this gift card was sold at another lane: "
                "take another tender, or try again when the office answers",
                "office_unavailable",
            )

        def charge_offline(tx: Connection, applied: int) -> None:
            row = _card(tx, code)
            cap = gift_card_office.offline_cap(tx)
            card_rules.check_offline_spend(applied, cap, row["offline_spent"], shop.settings.currency)
            # The key goes up too: an office that took the hold and whose answer was lost
            # ends it when the spend arrives, instead of keeping the amount aside an hour.
            _debit(shop, actor, tx, row, sale_id, applied, hold=key, offline=True)
            cards_store.spent_offline(tx, row["id"], applied)

        return commit(lambda: _pay(shop, actor, sale_id, amount, code, charge_offline, offline=True))

    answered = held

    def charge_held(tx: Connection, applied: int) -> None:
        card_id = _office_copy(shop, tx, code, answered)
        _debit(shop, actor, tx, cards_store.by_id(tx, card_id), sale_id, applied, hold=answered.key)

    try:
        return commit(lambda: _pay(shop, actor, sale_id, amount, code, charge_held))
    except DomainError:
        gift_card_office.release(shop, answered.key)
        raise


def balance(shop: Shop, actor: Actor, code: str) -> GiftCardBalance:
    """The card's balance: on an enrolled till, what the office says it has free (a card
    sold at another lane is found there, and this till keeps a copy); the till's own
    figure when the office does not answer, or has not heard of a card sold here yet."""
    require(shop, actor, Permission.SELL)
    if gift_card_office.enrolled(shop):
        normal = card_rules.normalise(code)
        try:
            found = gift_card_office.lookup(shop, normal)
        except gift_card_office.Silent:
            pass
        except NotFound:
            if (known := cards_store.by_code(shop.db.conn, normal)) is None or known["office_held"]:
                raise
        else:
            with shop.db.transaction() as tx:
                _office_copy(shop, tx, normal, found)
    row = _card(shop.db.conn, code)
    return {**_json(row), "expired": _expired(row, shop.clock())}


def _office_copy(shop: Shop, tx: Connection, code: str, found: gift_card_office.Held) -> int:
    """This till's copy of a card as the office answered for it: made for a card sold at
    another lane, its balance the office's figure (the chain's) for any card."""
    gift_card_office.remember_cap(tx, found.offline_cap)
    row = cards_store.by_code(tx, code)
    if row is None:
        return cards_store.insert_office_card(tx, code, found.currency, found.available, found.expires_at, shop.now())
    cards_store.office_answered(tx, row["id"], found.available)
    return int(row["id"])


def cards(shop: Shop, actor: Actor, status: str | None = None, limit: int = 200) -> GiftCardList:
    require(shop, actor, Permission.MANAGE_GIFT_CARDS)
    if status is not None and status not in ("pending", "active", "void"):
        raise Invalid("status is pending, active or void", "invalid_status")
    rows = cards_store.listed(shop.db.conn, status, max(1, min(limit, 1000)))
    now = shop.clock()
    return {"gift_cards": [{**_json(r), "expired": _expired(r, now)} for r in rows]}


def _expired(row: Any, now: dt.datetime) -> bool:
    expires = _expires(row)
    return expires is not None and expires <= now


def void(shop: Shop, actor: Actor, card_id: int, reason: str) -> GiftCard:
    """Takes a card out of use (lost and replaced, fraud): its balance leaves the liability."""
    require(shop, actor, Permission.MANAGE_GIFT_CARDS)
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 200:
        raise Invalid("give a reason of 3 to 200 characters", "reason_required")
    with shop.db.transaction() as tx:
        row = cards_store.by_id(tx, card_id)
        if row is None:
            raise NotFound(f"no gift card {card_id}", "gift_card_not_found")
        if row["status"] == "void":
            raise Conflict("this gift card is already void", "gift_card_void")
        cards_store.void(tx, card_id)
        outbox.gift_card_entry(shop, tx, card_id, "void", -row["balance"], 0, shop.now(), user_id=actor.user_id)
        audit_log.record(
            shop,
            actor=actor,
            action="gift_card_void",
            object=f"gift_card:{card_id}",
            details={"balance": row["balance"], "reason": reason.strip()},
        )
        return _json(cards_store.by_id(tx, card_id))


def liability(shop: Shop, actor: Actor) -> dict[str, Any]:
    """What the store owes on live cards, and what sits on expired ones (kept apart: whether
    it may be taken as income depends on the law where the store is)."""
    require(shop, actor, Permission.VIEW_REPORTS)
    now = shop.now()
    rows = cards_store.liability(shop.db.conn, now)
    found = {r[0]: {"cards": r[1], "balance": r[2]} for r in rows}
    outstanding = found.get("outstanding", {"cards": 0, "balance": 0})
    expired = found.get("expired", {"cards": 0, "balance": 0})
    return {
        "currency": shop.settings.currency,
        "at": now,
        "columns": ["state", "cards", "balance"],
        "rows": [{"state": "outstanding", **outstanding}, {"state": "expired", **expired}],
        "totals": {"liability": outstanding["balance"], "expired_balance": expired["balance"]},
    }
