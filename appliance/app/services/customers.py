"""Customers and their loyalty points.

Only what loyalty needs is kept: a name, and an email or phone if the customer gives one,
with their consent to be contacted. Erasing a customer (on their request) blanks those in
place: the row stays, so every sale that names it stays whole and no total moves.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypedDict

from appliance.app.domain import loyalty
from appliance.app.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from appliance.app.domain.money import Money, exponent
from appliance.app.domain.sale import COMPLETED
from appliance.app.services import audit_log, customers_office, gift_cards, outbox, sale_view, sales
from appliance.app.services.auth import require
from appliance.app.services.sale_results import Commit, SaleFigures, SaleView, at_once
from appliance.app.services.shop import Actor, Shop, iso
from appliance.app.store import customers as customers_store
from appliance.app.store import refunds as refunds_store
from appliance.app.store import sales as sales_store
from appliance.app.store import settings as settings_store
from appliance.app.store.db import Connection, IntegrityError
from appliance.security.rbac import Permission, can

ERASED_NAME = customers_office.ERASED_NAME
# Reasons on the points ledger for what refunds set off.
TAKEN_BACK = "earned on goods returned"
OWED_SETTLED = "owed from a return"
MIN_SEARCH = 3  # characters a till's customer search needs
FOUND_PER_SESSION = 200  # customers a session remembers having found
FOUND_SESSIONS = 1000
TILL_RESULTS = 20  # a till's search shows at most this many
# A loyalty card's number as its barcode reads: letters and digits, stored in capitals.
_LOYALTY_CARD = re.compile(r"[A-Z0-9]{6,32}")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s.]{2,}$")


class Customer(TypedDict):
    """A customer as the API shows them. At the till, email and phone are None and the
    loyalty card is masked: `contact_hint` tells two namesakes apart."""

    id: int
    name: str
    email: str | None
    phone: str | None
    contact_hint: str | None
    loyalty_card: str | None
    consent: bool
    points: int
    points_value: Money  # what the points would pay
    points_owed: int
    created_at: str
    erased: bool


class AttachedCustomer(Customer):
    """The customer named on a sale as naming them answers (sale_view.py's SaleCustomer is the
    sale view's shorter one)."""

    card_shown: bool  # their card was scanned: their points are spent without an approval


class SaleWithCustomer(SaleFigures):
    """Naming a sale's customer answers with the sale, the customer named as the till shows them."""

    customer: AttachedCustomer | None


class Found(TypedDict):
    customers: list[Customer]
    by_card: bool  # the text was a loyalty card's number
    from_office: bool  # none here: found at the office (made at another lane), now copied here


class Purchase(TypedDict):
    sale_id: int
    receipt_number: str
    completed_at: str
    total: Money
    lines: int
    points_earned: int


class Purchases(TypedDict):
    customer_id: int
    currency: str
    purchases: list[Purchase]


def rules(conn: Connection) -> loyalty.LoyaltyRules:
    return loyalty.LoyaltyRules.from_settings(settings_store.get_all(conn))


def _name(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 80:
        raise Invalid("a customer's name is 1 to 80 characters", "invalid_name")
    return " ".join(value.split())


def _email(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 254 or not _EMAIL.match(value.strip()):
        raise Invalid("that is not an email address", "invalid_email")
    return value.strip().lower()


def _phone(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 32 or not re.fullmatch(r"\+?[\d\s().-]+", value.strip()):
        raise Invalid("a phone number is digits, with an optional leading +", "invalid_phone")
    digits = re.sub(r"\D", "", value)
    if not 6 <= len(digits) <= 15:
        raise Invalid("a phone number has 6 to 15 digits", "invalid_phone")
    return ("+" if value.strip().startswith("+") else "") + digits


def _loyalty_card(value: object) -> str | None:
    if value is None or value == "":
        return None
    card = value.strip().upper() if isinstance(value, str) else ""
    if not _LOYALTY_CARD.fullmatch(card):
        raise Invalid("a loyalty card number is 6 to 32 letters or digits", "invalid_loyalty_card")
    return card


def masked_card(card: str | None) -> str | None:
    """Enough to tell which card it is, not enough to spend with it."""
    return None if card is None else "•••• " + card[-4:]


def _flag(value: object) -> int:
    return int(bool(value))


def _row(conn: Connection, customer_id: object) -> Any:
    if isinstance(customer_id, bool) or not isinstance(customer_id, int):
        raise Invalid("a customer is named by its id", "invalid_customer")
    row = customers_store.by_id(conn, customer_id)
    if row is None:
        raise NotFound(f"no customer {customer_id}", "customer_not_found")
    return row


def _manages(actor: Actor) -> bool:
    return can(actor.role, Permission.MANAGE_CUSTOMERS)


def contact_hint(email: str | None, phone: str | None) -> str | None:
    """Enough to tell two Jean Tremblays apart at the till, not enough to reach either."""
    if phone:
        return "•••• " + phone[-2:]
    if email:
        return email[0] + "•••@" + email.rpartition("@")[2]
    return None


def _json(row: Any, conn: Connection, *, contact: bool = True) -> Customer:
    """A customer as the API shows them; without `contact`, email and phone are withheld
    (a cashier serves customers, the back office keeps in touch with them)."""
    r = rules(conn)
    return {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"] if contact else None,
        "phone": row["phone"] if contact else None,
        "contact_hint": contact_hint(row["email"], row["phone"]),
        # The card's number spends points: only the back office sees it whole.
        "loyalty_card": row["loyalty_card"] if contact else masked_card(row["loyalty_card"]),
        "consent": bool(row["consent"]),
        "points": row["points"],
        "points_value": loyalty.value_of(r, row["points"]),
        "points_owed": row["points_owed"],
        "created_at": row["created_at"],
        "erased": row["erased_at"] is not None,
    }


def _unique(exc: IntegrityError) -> Conflict:
    which = next((k for k in ("email", "phone", "loyalty_card") if k in str(exc)), "phone")
    return Conflict(f"another customer has that {which.replace('_', ' ')}", f"customer_{which}_exists")


def create(
    shop: Shop,
    actor: Actor,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    consent: bool = False,
    loyalty_card: str | None = None,
) -> Customer:
    require(shop, actor, Permission.SERVE_CUSTOMERS)
    values = (_name(name), _email(email), _phone(phone), int(bool(consent)), _loyalty_card(loyalty_card))
    with shop.db.transaction() as tx:
        try:
            customer_id = customers_store.insert(tx, *values, shop.now(), customers_office.new_chain_id())
        except IntegrityError as exc:
            raise _unique(exc) from None
        customers_office.queue(tx, customer_id)
        # Which fields, not their values: the outbox is append-only, and an erased customer's
        # name must not outlive the erasure in it (docs/office.md).
        filled = [k for k, v in zip(("name", "email", "phone", "consent", "loyalty_card"), values, strict=True) if v]
        outbox.event(shop, "customer_created", actor, customer_id=customer_id, fields=filled)
        # Personal data: who created the record is on file, the data itself is not copied.
        audit_log.record(shop, actor=actor, action="customer_create", object=f"customer:{customer_id}")
        return _json(_row(tx, customer_id), tx, contact=_manages(actor))


def find(shop: Shop, actor: Actor, text: str, limit: int = 50) -> Found:
    """By a loyalty card's number, exact email or phone, or by the start of a name; erased
    customers never show.

    Only the back office lists customers without a search: at the till a search takes three
    characters at least, so that nobody pages through the customer list from a cashier's
    session."""
    require(shop, actor, Permission.SERVE_CUSTOMERS)
    conn = shop.db.conn
    text = (text or "").strip()[:120]
    manages = _manages(actor)
    if not manages:
        if len(text) < MIN_SEARCH:
            raise Invalid(
                f"type at least {MIN_SEARCH} characters of a name, or a phone number or email", "search_too_short"
            )
        limit = min(limit, TILL_RESULTS)
    # A scanned card is tried first: its digits would otherwise read as a phone number.
    carded = customers_store.by_loyalty_card(conn, text.upper()) if _LOYALTY_CARD.fullmatch(text.upper()) else None
    if carded is not None:
        rows = [carded]
    elif not text:
        rows = customers_store.newest(conn, limit)
    elif "@" in text:
        rows = customers_store.by_email(conn, text.lower())
    elif re.fullmatch(r"\+?[\d\s().-]{6,}", text):
        phone = _phone(text)
        rows = customers_store.by_phone(conn, phone)
    else:
        like = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = customers_store.by_name(conn, like, limit)
    from_office = False
    if not rows and text:
        rows, carded_there = _at_office(shop, text)
        from_office = bool(rows)
        carded = carded or (rows[0] if carded_there else None)
    if not manages:
        _remember_found(actor, [int(r["id"]) for r in rows])
    # `by_card` tells the till the text was the customer's card: naming them with it lets
    # them spend their points.
    return {
        "customers": [_json(r, conn, contact=manages) for r in rows],
        "by_card": carded is not None,
        "from_office": from_office,
    }


def _at_office(shop: Shop, text: str) -> tuple[list[Any], bool]:
    """A customer this till does not have, asked of the office by an exact phone, e-mail or
    loyalty card (never a name: that would page through the chain's customers) and copied
    here; whether they were found by their card. Nothing when not enrolled or silent."""
    asks: list[tuple[str, str]] = []
    if "@" in text:
        asks.append(("email", text.lower()))
    elif re.fullmatch(r"\+?[\d\s().-]{6,}", text):
        asks.append(("phone", str(_phone(text))))
    if _LOYALTY_CARD.fullmatch(text.upper()):
        asks.append(("loyalty_card", text.upper()))
    for key, value in asks:
        ids = customers_office.find_at_office(shop, key, value)
        if ids is None:
            return [], False  # silent, or not enrolled: no second try
        if ids:
            rows = [customers_store.by_id(shop.db.conn, i) for i in ids]
            return [r for r in rows if r is not None and r["erased_at"] is None], key == "loyalty_card"
    return [], False


# Which customers each session found by a search: the ids it may then read (their points,
# their purchases). Kept in memory: after a restart the search is simply made again.
_found: OrderedDict[str, OrderedDict[int, None]] = OrderedDict()
_found_lock = threading.Lock()


def _remember_found(actor: Actor, ids: list[int]) -> None:
    with _found_lock:
        seen = _found.pop(actor.session, OrderedDict())
        for customer_id in ids:
            seen.pop(customer_id, None)
            seen[customer_id] = None
        while len(seen) > FOUND_PER_SESSION:
            seen.popitem(last=False)
        _found[actor.session] = seen
        while len(_found) > FOUND_SESSIONS:
            _found.popitem(last=False)


def _was_found(actor: Actor, customer_id: int) -> bool:
    with _found_lock:
        return customer_id in _found.get(actor.session, ())


def _within_reach(shop: Shop, actor: Actor, customer_id: int) -> None:
    """Without the right to manage customers, one is read by id only once this session found
    them by a search, or they are on a sale of this till in the last day; otherwise ids would
    walk the whole list."""
    if _manages(actor) or _was_found(actor, customer_id):
        return
    since = iso(shop.clock() - dt.timedelta(days=1))
    if not customers_store.on_a_recent_sale(shop.db.conn, customer_id, shop.config.terminal_id, since):
        raise Forbidden("find the customer by name, phone or email first", "customer_search_required")


def get(shop: Shop, actor: Actor, customer_id: int) -> Customer:
    require(shop, actor, Permission.SERVE_CUSTOMERS)
    row = _row(shop.db.conn, customer_id)
    _within_reach(shop, actor, customer_id)
    return _json(row, shop.db.conn, contact=_manages(actor))


def update(shop: Shop, actor: Actor, customer_id: int, changes: dict[str, Any]) -> Customer:
    require(shop, actor, Permission.MANAGE_CUSTOMERS)
    checks: dict[str, Callable[[object], object]] = {
        "name": _name,
        "email": _email,
        "phone": _phone,
        "consent": _flag,
        "loyalty_card": _loyalty_card,
    }
    sets = {key: checks[key](value) for key, value in changes.items() if key in checks}
    if not sets:
        raise Invalid("nothing to change", "nothing_to_change")
    with shop.db.transaction() as tx:
        if _row(tx, customer_id)["erased_at"] is not None:
            raise Conflict("this customer was erased", "customer_erased")
        try:
            customers_store.update(tx, customer_id, sets, shop.now())
        except IntegrityError as exc:
            raise _unique(exc) from None
        customers_office.queue(tx, customer_id)
        outbox.event(shop, "customer_changed", actor, customer_id=customer_id, fields=sorted(sets))
        audit_log.record(
            shop,
            actor=actor,
            action="customer_update",
            object=f"customer:{customer_id}",
            details={"fields": sorted(sets)},
        )
        return _json(_row(tx, customer_id), tx)


def erase(shop: Shop, actor: Actor, customer_id: int, reason: str = "customer's request") -> Customer:
    """The right to erasure: the person's data goes, their points are forfeited, the record
    (and so every sale that names it) stays."""
    require(shop, actor, Permission.MANAGE_CUSTOMERS)
    with shop.db.transaction() as tx:
        row = _row(tx, customer_id)
        if row["erased_at"] is not None:
            raise Conflict("this customer was already erased", "customer_erased")
        if row["points"]:
            outbox.points_entry(
                shop, tx, customer_id, "adjust", -row["points"], shop.now(), user_id=actor.user_id, reason="erased"
            )
        customers_store.erase(tx, customer_id, ERASED_NAME, shop.now())
        customers_office.queue(tx, customer_id)  # the office erases its copy, and tells the other lanes
        # The id only: the office erases its copy too; what was erased is not sent again.
        outbox.event(shop, "customer_erased", actor, customer_id=customer_id)
        audit_log.record(
            shop,
            actor=actor,
            action="customer_erase",
            object=f"customer:{customer_id}",
            details={"reason": str(reason)[:200], "points_forfeited": row["points"]},
        )
        return _json(_row(tx, customer_id), tx)


def purchases(shop: Shop, actor: Actor, customer_id: int, limit: int = 100) -> Purchases:
    require(shop, actor, Permission.SERVE_CUSTOMERS)
    conn = shop.db.conn
    _row(conn, customer_id)
    _within_reach(shop, actor, customer_id)
    rows = customers_store.purchases(conn, customer_id, max(1, min(limit, 500)))
    return {
        "customer_id": customer_id,
        "currency": shop.settings.currency,
        "purchases": [
            {
                "sale_id": r["id"],
                "receipt_number": f"{r['terminal_id']}-{r['receipt_no']:06d}",
                "completed_at": r["completed_at"],
                "total": r["total"],
                "lines": r["lines"],
                "points_earned": r["earned"],
            }
            for r in rows
        ],
    }


def adjust_points(shop: Shop, actor: Actor, customer_id: int, points: int, reason: str) -> Customer:
    """A manager's correction of a balance (a goodwill gesture, a mistake put right)."""
    require(shop, actor, Permission.MANAGE_CUSTOMERS)
    if isinstance(points, bool) or not isinstance(points, int) or points == 0 or abs(points) > 10**7:
        raise Invalid("an adjustment is a whole number of points, not 0", "invalid_points")
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 200:
        raise Invalid("give a reason of 3 to 200 characters", "reason_required")
    with shop.db.transaction() as tx:
        row = _row(tx, customer_id)
        if row["erased_at"] is not None:
            raise Conflict("this customer was erased", "customer_erased")
        if row["points"] + points < 0:
            raise Invalid(f"the customer has only {row['points']} points", "insufficient_points")
        _entry(shop, tx, customer_id, "adjust", points, user_id=actor.user_id, reason=reason.strip())
        audit_log.record(
            shop,
            actor=actor,
            action="loyalty_adjust",
            object=f"customer:{customer_id}",
            details={"points": points, "reason": reason.strip()},
        )
        return _json(_row(tx, customer_id), tx)


def _entry(
    shop: Shop,
    tx: Connection,
    customer_id: int,
    kind: str,
    points: int,
    *,
    sale_id: int | None = None,
    user_id: int | None = None,
    reason: str = "",
) -> None:
    customers_store.add_points(tx, customer_id, points)
    outbox.points_entry(
        shop, tx, customer_id, kind, points, shop.now(), sale_id=sale_id, user_id=user_id, reason=reason
    )


# -- at the till ----------------------------------------------------------------------------------


def attach_to_sale(
    shop: Shop, actor: Actor, sale_id: int, customer_id: int | None, loyalty_card: str | None = None
) -> SaleWithCustomer:
    """Names the customer of an open sale (None takes them off), so it earns them points;
    named by a scan of their loyalty card, they may then spend points without an approval."""
    require(shop, actor, Permission.SELL)
    require(shop, actor, Permission.SERVE_CUSTOMERS)
    card = _loyalty_card(loyalty_card)
    with shop.db.transaction() as tx:
        sale = sales_store.figures(tx, sale_id)
        if sale is None:
            raise NotFound(f"no sale {sale_id}", "sale_not_found")
        if sale["status"] != "open":
            raise Conflict(f"sale {sale_id} is {sale['status']}", f"sale_{sale['status']}")
        if sales_store.has_payment(tx, sale_id, "loyalty"):
            raise Conflict("points were already redeemed on this sale", "loyalty_redeemed")
        if card is not None:
            holder = customers_store.by_loyalty_card(tx, card)
            if holder is None:
                raise NotFound("no customer holds that loyalty card", "loyalty_card_not_found")
            customer_id = int(holder["id"])
        if customer_id is None:
            customers_store.detach(tx, sale_id)
        else:
            if _row(tx, customer_id)["erased_at"] is not None:
                raise Conflict("this customer was erased", "customer_erased")
            customers_store.attach(tx, sale_id, customer_id, replace=True, card_shown=card is not None)
            if card is not None:
                _remember_found(actor, [customer_id])
        # The till's answer names the customer more fully than the sale view does.
        return {**sale_view.view(shop, sale_id, tx), "customer": sale_customer(tx, sale_id)}


def sale_customer(conn: Connection, sale_id: int) -> AttachedCustomer | None:
    row = customers_store.customer_row_of_sale(conn, sale_id)
    if row is None:
        return None
    # The till's answer: the sale shows who, never how to reach them, and whether their card
    # was scanned (then their points are spent without an approval).
    return {**_json(row, conn, contact=False), "card_shown": bool(row["card_shown"])}


def pay_with_points(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    amount: int,
    customer_id: int | None = None,
    loyalty_card: str | None = None,
    approval: str | None = None,
    client_key: str | None = None,
    commit: Commit = at_once,
) -> SaleView:
    """Points as a tender: the sale's customer (or the one named, who is then attached) pays
    `amount` with points, debited in the payment's own transaction. Points are spent by the
    one who shows the card (scanned now, or when the customer was named on the sale);
    without it a supervisor approves, so a cashier cannot spend a found customer's points."""
    require(shop, actor, Permission.SELL)
    card = _loyalty_card(loyalty_card)
    if customer_id is not None or card is not None:
        # Naming a customer by id (or by a card) is a search: a self-service kiosk, which may
        # not look customers up, could otherwise spend anyone's points by walking the ids.
        require(shop, actor, Permission.SERVE_CUSTOMERS)
    conn = shop.db.conn
    holder = None
    if card is not None:
        holder = customers_store.by_loyalty_card(conn, card)
        if holder is None:
            raise NotFound("no customer holds that loyalty card", "loyalty_card_not_found")
        if customer_id is None:
            customer_id = int(holder["id"])
    attached = customers_store.customer_of_sale(conn, sale_id)
    if customer_id is None:
        if attached is None:
            raise Invalid("name the customer whose points pay", "customer_required")
        customer_id = attached
    elif attached is not None and attached != customer_id:
        raise Conflict("the sale is for another customer", "customer_mismatch")
    approver = None
    if holder is not None:
        if holder["id"] != customer_id:
            raise Forbidden("that loyalty card is not this customer's", "loyalty_card_mismatch")
    elif not customers_store.card_shown(conn, sale_id, customer_id):
        approver = require(
            shop,
            actor,
            Permission.POINTS_WITHOUT_CARD,
            approval,
            refusal="scan the customer's loyalty card, or a supervisor approves spending points without it",
        )
    taken: dict[str, int] = {}
    # The office's hold first, with no transaction open; then `commit` runs the payment (in
    # the request's idempotency transaction, from tenders.pay_once).
    held, key, offline = _hold_at_office(shop, actor, sale_id, customer_id, amount, client_key)

    def charge(tx: Connection, applied: int) -> None:
        row = _row(tx, customer_id)
        if row["erased_at"] is not None:
            raise Conflict("this customer was erased", "customer_erased")
        if held is not None:
            customers_office.took_office_figure(tx, customer_id, held)
            row = _row(tx, customer_id)
        points = loyalty.redeem(rules(tx), row["points"], applied, shop.settings.currency)
        if offline:
            cap, spent = customers_office.points_offline_cap(tx), row["points_offline_spent"]
            if spent + points > cap:
                raise Conflict(
                    f"the office does not answer: {max(0, cap - spent)} more points of this customer may be "
                    "spent until it does",
                    "points_offline_cap",
                )
            customers_store.spent_offline(tx, customer_id, points)
        # Guarded in SQL too: the balance can never go below zero, whoever else is paying.
        if not customers_store.spend_points(tx, customer_id, points):
            raise Conflict("the points were spent meanwhile", "insufficient_points")
        outbox.points_entry(
            shop,
            tx,
            customer_id,
            "redeem",
            -points,
            shop.now(),
            sale_id=sale_id,
            user_id=actor.user_id,
            hold=key,
            offline=offline,
        )
        customers_store.attach(tx, sale_id, customer_id, replace=False, card_shown=holder is not None)
        taken["points"] = points

    details: dict[str, Any] = {"customer_id": customer_id, **({"approved_by": approver} if approver else {})}
    if offline:
        details["office"] = "offline"
    try:
        return commit(
            lambda: sales.pay_tender(
                shop,
                actor,
                sale_id,
                "loyalty",
                amount,
                reference=f"customer:{customer_id}",
                details=details,
                charge=charge,
            )
        )
    except DomainError:
        if held is not None:
            customers_office.release_points(shop, held.key)
        raise


def _hold_at_office(
    shop: Shop, actor: Actor, sale_id: int, customer_id: int, amount: int, client_key: str | None
) -> tuple[customers_office.PointsHeld | None, str | None, bool]:
    """On an enrolled till the office holds the points' ledger for the chain: it holds them
    first (held, its key, False); silent, the till spends under the chain's offline cap
    (None, a key, True); a customer it has not heard of yet was made here and not sent, so
    this till's ledger is all of theirs (None, None, False), as on a till not enrolled."""
    conn = shop.db.conn
    chain_id = _row(conn, customer_id)["chain_id"]
    if not chain_id or not customers_office.enrolled(shop):
        return None, None, False
    key = customers_office.new_key(shop, sale_id, client_key, actor.user_id)
    try:
        points = loyalty.points_to_pay(rules(conn), amount)
        held = customers_office.hold_points(shop, str(chain_id), points, key)
        return held, held.key, False  # its key is renewed when the first one's hold had ended
    except customers_office.Silent:
        return None, key, True
    except NotFound:
        return None, None, False


def earn_on_completion(shop: Shop, tx: Connection, sale_id: int) -> None:
    """Called as the sale completes: points on what the customer spent, less gift cards
    bought (money moved onto a card is not spent yet) and less what points paid."""
    attached = customers_store.customer_of_sale(tx, sale_id)
    if attached is None:
        return
    customer = _row(tx, attached)
    if customer["erased_at"] is not None:
        return
    head = sales_store.figures(tx, sale_id)
    if head is None or head["status"] != COMPLETED:
        return
    gift = sales_store.sold_of(tx, sale_id, gift_cards.PRODUCT_SKU)
    by_points = sales_store.paid_by(tx, sale_id, "loyalty")
    spent = head["total"] - gift - by_points
    points = loyalty.points_earned(rules(tx), spent, exponent(head["currency"]))
    if points > 0:
        _entry(shop, tx, customer["id"], "earn", points, sale_id=sale_id)
        settled = min(points, customer["points_owed"])
        if settled:
            _entry(shop, tx, customer["id"], "adjust", -settled, sale_id=sale_id, reason=OWED_SETTLED)
            customers_store.add_owed(tx, customer["id"], -settled)


def take_back_on_refund(shop: Shop, tx: Connection, actor: Actor, sale_id: int, refund_id: int) -> dict[str, int]:
    """Called as a refund is recorded: the points the sale earned go back in the share of its
    total refunded so far (all of them once everything is back; until then the customer keeps
    the fraction of a point). Points already spent are taken as far as the balance goes and
    the rest is owed, paid off by the customer's next earnings."""
    attached = customers_store.customer_of_sale(tx, sale_id)
    nothing = {"points_taken_back": 0, "points_short": 0}
    if attached is None:
        return nothing
    customer = _row(tx, attached)
    if customer["erased_at"] is not None:
        return nothing  # erasure forfeited every point already
    earned = customers_store.earned_on_sale(tx, sale_id, customer["id"])
    if not earned:
        return nothing
    total = sales_store.figures(tx, sale_id)["total"]
    refunded = refunds_store.refunded(tx, sale_id)
    due = earned if refunded >= total else earned * refunded // total
    before = customers_store.taken_back(tx, sale_id)
    wanted = due - before
    if wanted <= 0:
        return nothing
    take = min(wanted, customer["points"])
    short = wanted - take
    if take:
        _entry(shop, tx, customer["id"], "adjust", -take, sale_id=sale_id, user_id=actor.user_id, reason=TAKEN_BACK)
    customers_store.add_owed(tx, customer["id"], short)
    customers_store.add_take_back(tx, refund_id, sale_id, customer["id"], take, short)
    return {"points_taken_back": take, "points_short": short}
