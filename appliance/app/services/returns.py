"""Refunds and returns: lines of a completed sale given back (the money to the sale's own
tenders, as store credit, or into an exchange), and goods taken back without a receipt (a
permission and a reason). Money back as store credit goes on a new gift card (a permission
too). Nothing is deleted: each refund or return is a new record; stock comes back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import Any, NamedTuple, NotRequired, TypedDict, cast

from appliance.app.domain import gift_card as card_rules
from appliance.app.domain import loyalty
from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.app.domain.money import Money, round_cash, round_fraction
from appliance.app.domain.receipt import RefundSlip
from appliance.app.domain.refund import RefundPart, TenderLeft, allocate
from appliance.app.domain.sale import COMPLETED, Sale, SaleLine, check_quantity
from appliance.app.domain.tax import Totals, compute_totals
from appliance.app.services import audit_log, gift_cards, idempotency, office_holds, outbox, printing, shifts
from appliance.app.services.auth import require, require_all
from appliance.app.services.completion import announce_receipt, complete_if_settled
from appliance.app.services.sale_results import SaleView, TaxAmount
from appliance.app.services.sale_view import load, view
from appliance.app.services.shop import Actor, Shop, iso
from appliance.app.services.terminal_refunds import TerminalRefund
from appliance.app.store import catalog as catalog_store
from appliance.app.store import customers as customers_store
from appliance.app.store import gift_cards as gift_cards_store
from appliance.app.store import refunds as refunds_store
from appliance.app.store import sales as sales_store
from appliance.app.store import settings as settings_store
from appliance.app.store.card_refunds import queue as queue_card_refunds
from appliance.app.store.db import Connection
from appliance.app.store.terminal_transactions import queue_refunds as queue_terminal_refunds
from appliance.security.rbac import Permission

REFUND_TO = ("cash", "gift_card")


class StoreCredit(TypedDict):
    code: str  # the new gift card's whole number, shown once to hand over
    balance: Money


class RefundTender(TypedDict):
    method: str
    amount: Money
    rounding: NotRequired[Money]  # cash only: what is handed back is amount + rounding


class RefundEffects(TypedDict, total=False):
    """What the refund undid elsewhere (Shop.effects.on_refund), when those effects are on."""

    gift_cards_taken_back: int
    points_taken_back: int
    points_short: int


class Refund(RefundEffects):
    id: int
    sale_id: int
    amount: Money
    tax: Money
    currency: str
    tenders: list[RefundTender]
    gift_card: StoreCredit | None
    sale: SaleView
    exchange_sale: SaleView | None


class RefundAnswer(Refund):
    """The refund's HTTP answer: the web layer adds, once the card part went back through
    the acquirer after the commit, each card refund's status."""

    card_refunds: NotRequired[list[str]]
    # Each card part the payment terminal took, given back to the same card through it.
    terminal_refunds: NotRequired[list[TerminalRefund]]


class QuotedLine(TypedDict):
    line: int
    quantity: int
    amount: Money


class RefundQuote(TypedDict):
    sale_id: int
    amount: Money
    tax: Money
    taxes: list[TaxAmount]
    lines: list[QuotedLine]
    currency: str


def issue_credit(shop: Shop, tx: Connection, amount: int, sale_id: int | None, actor: Actor) -> tuple[int, str]:
    """A new, active gift card holding `amount` of store credit, in the caller's transaction,
    with its slip queued (when the till has a printer): the slip is where its number goes."""
    card_id, code = gift_cards.new_card(shop, tx)
    gift_cards_store.activate_with(tx, card_id, amount, shop.now())
    outbox.gift_card_entry(
        shop, tx, card_id, "issue", amount, amount, iso(shop.clock()), sale_id=sale_id, user_id=actor.user_id
    )
    if shop.config.printer != "none":
        printing.queue_gift_card_slip(shop, tx, card_id, "store_credit", amount, sale_id)
    return card_id, code


def refund_once(
    shop: Shop, actor: Actor, sale_id: int, body: dict[str, Any], approval: str | None, key: str | None
) -> tuple[int, Refund]:
    """`refund` with its answer kept under the Idempotency-Key (services/idempotency.py). On
    an enrolled till the lines are held at the office first, with no transaction open (the
    office may take 3 s; a transaction would hold every till's writes that long); a retry whose
    answer was lost is answered from the store before the office is asked; only the refund
    commits with the stored answer."""
    return idempotency.run_after_network(
        shop,
        actor,
        key,
        f"refunds:{sale_id}",
        body,
        201,
        lambda commit: refund(
            shop,
            actor,
            sale_id,
            body["lines"],
            body["reason"],
            approval,
            body.get("refund_to", "original"),
            body.get("exchange_into"),
            client_key=key,
            commit=commit,
        ),
    )


def refund(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    lines: list[dict[str, int]],
    reason: str,
    approval: str | None = None,
    refund_to: str = "original",
    exchange_into: int | None = None,
    *,
    client_key: str | None = None,
    commit: Callable[[Callable[[], Refund]], Refund] | None = None,
) -> Refund:
    """Returns some lines of a completed sale; the money goes back to the sale's tenders,
    newest first (or, with the store_credit permission, onto a new gift card; or, for an
    exchange, as a tender on the open sale `exchange_into`, any rest to the original
    tenders); the stock comes back. The sale itself is never changed but for the refunded
    quantities it records."""
    if refund_to not in ("original", "gift_card", "exchange"):
        raise Invalid("refund_to is original, gift_card or exchange", "invalid_refund_to")
    if (refund_to == "exchange") != (exchange_into is not None):
        raise Invalid("an exchange names the new sale (exchange_into), and only an exchange does", "invalid_exchange")
    if exchange_into == sale_id:
        raise Invalid("a sale cannot be exchanged into itself", "invalid_exchange")
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 200:
        raise Invalid("a refund needs a reason of 3 to 200 characters", "reason_required")
    if not lines:
        raise Invalid("name at least one line to refund", "no_lines")
    exchanged: list[int | None] = []

    def local() -> Refund:
        answer, completed = _refund(shop, actor, sale_id, lines, reason, approval, refund_to, exchange_into)
        exchanged.append(completed)
        return answer

    # Held at the office first, with no transaction open: not what another lane gave back
    # (docs/office.md).
    with office_holds.holding_own(shop, sale_id, lines, client_key, actor.user_id):
        answer = local() if commit is None else commit(local)
    completed_exchange = exchanged[-1] if exchanged else None
    if shop.devices is not None and shop.devices.printer is not None:
        shop.devices.printer.wake()  # the refund's slip (and the drawer, for cash) now, not at the next poll
    if completed_exchange is not None:
        announce_receipt(shop, completed_exchange)
    return answer


def _refund(
    shop: Shop,
    actor: Actor,
    sale_id: int,
    lines: list[dict[str, int]],
    reason: str,
    approval: str | None,
    refund_to: str,
    exchange_into: int | None,
) -> tuple[Refund, int | None]:
    """The refund's answer, and the exchange's sale when the refund completed it."""
    completed_exchange: int | None = None
    with shop.db.transaction() as tx:
        # Store credit is the stronger permission: one manager's approval of it covers the refund.
        needs = (Permission.STORE_CREDIT, Permission.REFUND) if refund_to == "gift_card" else (Permission.REFUND,)
        approver = require_all(shop, actor, needs, approval)
        sale = load(tx, sale_id, actor)
        if sale.status != COMPLETED:
            raise Conflict(
                f"sale {sale_id} is {sale.status}; only a completed sale can be refunded",
                "sale_not_completed",
            )
        wanted, returned, paid_for, totals, amount = _refund_figures(shop, tx, sale, lines)
        refund_id = refunds_store.insert(
            tx,
            sale_id=sale_id,
            user_id=actor.user_id,
            reason=reason.strip(),
            amount=amount,
            tax=totals.tax,
            created_at=shop.now(),
            terminal_id=shop.config.terminal_id,
            approved_by=approver,
        )
        refunds_store.insert_taxes(tx, refund_id, totals.taxes)
        for ln in returned:
            refunds_store.insert_line(tx, refund_id, sale_id, ln.line_no, ln.quantity, paid_for[ln.line_no])
            sales_store.add_refunded(tx, sale_id, ln.line_no, ln.quantity)
            catalog_store.adjust_stock(tx, ln.product_id, ln.quantity)
        credit: StoreCredit | None = None
        paid: list[dict[str, int | str]] = []  # where the money went (the refund's event)
        if refund_to == "gift_card":
            card_id, code = issue_credit(shop, tx, amount, sale_id, actor)
            refunds_store.insert_store_credit(tx, refund_id, card_id, amount)
            credit = {"code": card_rules.display(code), "balance": amount}
            paid.append({"method": "store_credit", "amount": amount, "rounding": 0})
            back: list[RefundPart] = []
        elif exchange_into is not None:
            into = load(tx, exchange_into, actor)
            due = into.totals(shop.tax_classes, shop.settings.tax_rounding).due
            applied = min(amount, max(due, 0))
            if applied > 0:
                tender = into.take_tender(
                    "exchange", applied, shop.tax_classes, shop.settings.tax_rounding, reference=f"refund:{refund_id}"
                )
                sales_store.insert_payment(
                    tx, exchange_into, tender, actor.user_id, shop.now(), {"refund": refund_id, "from_sale": sale_id}
                )
                if complete_if_settled(shop, tx, into):
                    completed_exchange = exchange_into
                paid.append({"method": "exchange", "amount": applied, "rounding": 0})
            # Whatever the new goods do not use up goes back the way it came.
            back = _tenders_back(tx, sale_id, amount - applied) if amount > applied else []
        else:
            back = _tenders_back(tx, sale_id, amount)
        if any(part.method == "cash" and part.amount for part in back):
            # Cash given back leaves a counted drawer: the till's open shift, whoever's it is.
            shifts.check_shift_open(shop, tx)
        given: list[RefundTender] = []
        for part in back:
            # Cash leaves the drawer in whole coins: the part rounds as a sale's cash does.
            cash = part.method == "cash"
            rounding = round_cash(part.amount, shop.settings.cash_increment) - part.amount if cash else 0
            refunds_store.insert_tender(tx, refund_id, part.payment_id, part.method, part.amount, rounding)
            _give_back(shop, tx, actor, sale_id, part.payment_id, part.method, part.amount)
            given_back: RefundTender = {"method": part.method, "amount": part.amount}
            if cash:
                given_back["rounding"] = rounding
            given.append(given_back)
            paid.append({"method": part.method, "amount": part.amount, "rounding": rounding})
        undone = shop.effects.on_refund(shop, tx, actor, sale_id, refund_id, wanted)  # once the money's way is known
        outbox.refunded(shop, tx, actor, sale_id, refund_id, wanted, paid, undone.get("gift_cards_taken_back", 0))
        # The card part goes back through the acquirer after the commit; what sends it is
        # written here, so a crash after the commit still sends it at the next start.
        queue_card_refunds(tx, refund_id, shop.now())
        queue_terminal_refunds(tx, refund_id, shop.now())  # to the same card, through the terminal
        if shop.config.printer != "none":
            printing.queue_refund_slip(shop, tx, refund_id, sale_id)
        audit_log.record(
            shop,
            actor=actor,
            action="refund",
            object=f"sale:{sale_id}",
            details={
                "refund": refund_id,
                "amount": amount,
                "lines": wanted,
                "reason": reason.strip(),
                "approved_by": approver,
                "refund_to": refund_to,
                **undone,
            },
        )
        answer: Refund = {
            **cast(RefundEffects, undone),
            "id": refund_id,
            "sale_id": sale_id,
            "amount": amount,
            "tax": totals.tax,
            "currency": sale.currency,
            # A cash tender's `rounding`: what is handed back is amount + rounding.
            "tenders": given,
            "gift_card": credit,
            "sale": view(shop, sale_id, tx),
            "exchange_sale": view(shop, exchange_into, tx) if exchange_into is not None else None,
        }
        return answer, completed_exchange


def refund_slip(shop: Shop, actor: Actor, refund_id: int) -> RefundSlip:
    """A refund's slip, as printed when it was made (a self-service session reads none)."""
    require(shop, actor, Permission.SELL)
    if actor.role == "customer":
        raise NotFound(f"no refund {refund_id}", "refund_not_found")
    return printing.build_refund_slip(shop, shop.db.conn, refund_id)


class RefundFigures(NamedTuple):
    wanted: dict[int, int]  # line number → quantity coming back
    returned: list[SaleLine]  # those lines, with the quantities coming back
    paid_for: dict[int, int]  # line number → what the customer paid for those units
    totals: Totals  # their taxes, from paid_for
    amount: int  # what goes back: the last refund of a sale takes what is left


def _refund_figures(shop: Shop, tx: Connection, sale: Sale, lines: list[dict[str, int]]) -> RefundFigures:
    """What a refund of `lines` of a completed sale gives back; writes nothing (the refund
    and the till's figure as quantities change both come from here)."""
    wanted: dict[int, int] = {}
    for item in lines:
        line_no, qty = item.get("line"), item.get("quantity")
        if not isinstance(line_no, int) or isinstance(line_no, bool):
            raise Invalid("each refund line needs a line number", "invalid_line")
        line = sale.line(line_no)
        quantity = line.quantity - line.refunded_qty if qty is None else check_quantity(qty)
        if line.voided:
            raise Conflict(f"line {line_no} was voided", "line_voided")
        if quantity + wanted.get(line_no, 0) > line.quantity - line.refunded_qty:
            raise Invalid(
                f"line {line_no}: {quantity} is more than the {line.quantity - line.refunded_qty} left to refund",
                "refund_exceeds_sold",
            )
        if quantity < 1:
            raise Invalid(f"line {line_no} has nothing left to refund", "refund_exceeds_sold")
        wanted[line_no] = wanted.get(line_no, 0) + quantity
    returned = [replace(sale.line(n), quantity=q) for n, q in wanted.items()]
    # What the customer paid for those units: the frozen discount goes back pro rata.
    frozen = {r["line_no"]: r["discount"] for r in sales_store.line_discounts(tx, sale.id)}
    paid_for = {
        ln.line_no: ln.amount
        - round_fraction(Fraction(frozen.get(ln.line_no, 0) * ln.quantity, sale.line(ln.line_no).quantity))
        for ln in returned
    }
    totals = compute_totals(
        ((ln.tax_class, paid_for[ln.line_no]) for ln in returned),
        shop.tax_classes,
        prices_include_tax=sale.prices_include_tax,
        rounding=shop.settings.tax_rounding,
    )
    head = sales_store.header(tx, sale.id)
    assert head is not None
    already = refunds_store.refunded(tx, sale.id)
    everything = all(ln.voided or ln.quantity - ln.refunded_qty == wanted.get(ln.line_no, 0) for ln in sale.lines)
    # The last refund takes what is left, so rounding never leaves a cent behind.
    amount = head["total"] - already if everything else min(totals.total, head["total"] - already)
    return RefundFigures(wanted, returned, paid_for, totals, amount)


def refund_quote(shop: Shop, actor: Actor, sale_id: int, lines: list[dict[str, int]]) -> RefundQuote:
    """What refunding `lines` would give back, as the refund would work it out; nothing is
    written, no approval is used. The till shows it as the quantities change."""
    require(shop, actor, Permission.SELL)
    if actor.role == "customer":
        raise NotFound(f"no sale {sale_id}", "sale_not_found")
    if not lines:
        raise Invalid("name at least one line to refund", "no_lines")
    conn = shop.db.conn
    sale = load(conn, sale_id, actor)
    if sale.status != COMPLETED:
        raise Conflict(f"sale {sale_id} is {sale.status}; only a completed sale can be refunded", "sale_not_completed")
    figures = _refund_figures(shop, conn, sale, lines)
    return {
        "sale_id": sale_id,
        "amount": figures.amount,
        "tax": figures.totals.tax,
        "taxes": [{"name": t.name, "rate": t.rate, "amount": t.amount} for t in figures.totals.taxes],
        "lines": [{"line": n, "quantity": q, "amount": figures.paid_for[n]} for n, q in figures.wanted.items()],
        "currency": sale.currency,
    }


def _give_back(shop: Shop, tx: Connection, actor: Actor, sale_id: int, payment_id: int, method: str, part: int) -> None:
    """Money refunded to a tender settled inside the store goes back where it came from: the
    gift card that paid is credited, the points that paid are returned. (Cash leaves the
    drawer; a card is queued in card_refunds and goes back through the gateway after the
    commit.)"""
    if method == "gift_card":
        card = gift_cards_store.card_of_payment(tx, sale_id, payment_id)
        if card is None:
            raise Conflict("the gift card that paid this sale is not on record", "gift_card_missing")
        balance = gift_cards_store.credit(tx, card, part)
        outbox.gift_card_entry(
            shop, tx, card, "top_up", part, balance, shop.now(), sale_id=sale_id, user_id=actor.user_id
        )
    elif method == "loyalty":
        reference = sales_store.payment_reference(tx, payment_id) or ""
        _, _, customer = reference.partition("customer:")
        if not customer.isdigit():
            raise Conflict("the customer whose points paid is not on record", "customer_missing")
        points = loyalty.points_to_pay(loyalty.LoyaltyRules.from_settings(settings_store.get_all(tx)), part)
        customers_store.add_points(tx, int(customer), points)
        outbox.points_entry(
            shop,
            tx,
            int(customer),
            "adjust",
            points,
            shop.now(),
            sale_id=sale_id,
            payment_id=payment_id,
            user_id=actor.user_id,
            reason="refund",
        )


def _tenders_back(tx: Connection, sale_id: int, amount: int) -> list[RefundPart]:
    """Where `amount` of the sale's refund goes (domain.refund.allocate): its tenders, the
    last taken first, none past what it has left."""
    left = refunds_store.tenders_left(tx, sale_id)
    return allocate(amount, (TenderLeft(t["id"], t["method"], t["left"]) for t in left))
