"""Returns across lanes: a receipt made at another lane (of this store or another) found
through the office and given back here (docs/office.md, "Returns across lanes").

The receipt is found only online: the office keeps every lane's sales from their events, and
answers the sale's lines, prices, taxes, tenders' methods and what is still returnable of
each line across all lanes. Before any money moves, the till holds the quantities at the
office (refused there as a conflict beyond what remains, so two lanes cannot give the same
goods back twice), then writes the return in one transaction; if that fails, the hold is
given back. Its event `refund_across_lanes` names the original lane's sale and the hold, so
the office counts it against that sale.

The money: what the customer paid for those units (the line's discount back pro rata), in
cash from this drawer or as store credit on a new gift card. Never to the card that paid:
that card's reference stays at the lane that took it, so a card sale returned here is paid
back in cash or credit (the store's rule for a receipt return without the card present). In
this till's books it is a return on its ledger of returns (`receiptless_returns`), so the
drawer, the Z report, the slip and the stock count it as they count any return, and
`returns_across_lanes` names the sale it was.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from fractions import Fraction
from typing import Any, NotRequired, Protocol, TypedDict

from appliance.app.domain import gift_card as card_rules
from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.app.domain.money import Money, round_cash, round_fraction
from appliance.app.domain.product import Product
from appliance.app.domain.sale import check_quantity
from appliance.app.domain.tax import compute_totals
from appliance.app.services import audit_log, idempotency, outbox, outbox_push, printing, shifts, tender_holds
from appliance.app.services.auth import require, require_all
from appliance.app.services.returns import StoreCredit, issue_credit
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import catalog as catalog_store
from appliance.app.store import refunds as refunds_store
from appliance.app.store import returns_across as store
from appliance.security.rbac import Permission

REFUND_TO = ("cash", "gift_card")
_KEY = re.compile(r"[A-Za-z0-9_:-]{8,64}")  # as the office takes it


class OfficeReturns(Protocol):
    """The office's side (lane/returns.py over mutual TLS; a test may hand in its own)."""

    def lookup(self, number: str, store: str | None) -> dict[str, Any]: ...

    def hold(self, key: str, sale: dict[str, Any], lines: list[dict[str, int]]) -> dict[str, Any]: ...

    def release(self, key: str) -> dict[str, Any]: ...


class ForeignLine(TypedDict):
    line_no: int
    product_id: int | None
    sku: str
    name: str  # this till's name for the sku (the office keeps skus): what the cashier reads
    quantity: int
    unit_price: Money
    discount: Money
    tax_class: str
    refunded: int  # given back at any lane
    held: int  # held right now by a lane refunding it
    returnable: int  # quantity - refunded - held


class ForeignTender(TypedDict):
    method: str  # cash, card, gift_card…: the method and amount only, never a card's reference
    amount: Money


class ForeignTax(TypedDict):
    name: str
    rate: str  # a percentage as written: "9.975"
    base: Money
    amount: Money


class ForeignReceipt(TypedDict):
    """Another lane's receipt as the office answers it."""

    store: str
    till: str
    sale_id: int
    own: bool  # the asking lane's own sale
    receipt_number: str
    currency: str
    completed_at: str
    subtotal: Money
    tax: Money
    total: Money
    discount: Money
    taxes: list[ForeignTax]
    tenders: list[ForeignTender]
    lines: list[ForeignLine]


class Origin(TypedDict):
    store: str
    till: str
    sale_id: int


class ReturnAcross(TypedDict):
    id: int  # the return on this till's ledger of returns
    hold_key: str
    receipt_number: str
    origin: Origin
    amount: Money
    tax: Money
    currency: str
    refund_to: str  # cash or gift_card
    lines: list[dict[str, int]]
    rounding: NotRequired[Money]  # cash only: what is handed back is amount + rounding
    gift_card: NotRequired[StoreCredit]


# Runs the till's side of a return (the request's idempotency transaction, from the web).
Commit = Callable[[Callable[[], ReturnAcross]], ReturnAcross]


def office_of(shop: Shop) -> OfficeReturns:
    if not outbox_push.enrolled(shop):
        raise Conflict(
            "this till is not enrolled at an office: a receipt of another lane is found only through one",
            "not_enrolled",
        )
    from appliance.lane.returns import OfficeReturns as Link  # httpx only on an enrolled till

    return Link(shop.data_dir)


def _seller(shop: Shop, actor: Actor) -> None:
    require(shop, actor, Permission.SELL)
    if actor.role == "customer":
        raise Forbidden("a self-service session cannot look up sales", "forbidden")


def _number(number: object) -> str:
    if not isinstance(number, str) or "-" not in number.strip() or len(number.strip()) > 60:
        raise Invalid("a receipt number looks like T01-000042", "invalid_receipt_number")
    return number.strip()


def find_receipt(
    shop: Shop, actor: Actor, number: object, store_name: str | None = None, office: OfficeReturns | None = None
) -> dict[str, Any]:
    """Another lane's receipt, as the office knows it, with what is still returnable, each
    line named as this till's catalogue names its sku (the sku itself when it has none)."""
    _seller(shop, actor)
    found = (office or office_of(shop)).lookup(_number(number), store_name)
    for line in found.get("lines") or ():
        product = catalog_store.by_sku(shop.db.conn, str(line.get("sku")))
        line["name"] = product.name if product is not None else str(line.get("sku"))
    return found


def hold_key_for(idempotency_key: str) -> str:
    """The office hold of a return asked with this Idempotency-Key: a retry after the office's
    answer was lost takes the same hold again instead of a second one that finds the units
    already held (the office keys holds by lane and key, so no other lane's key can meet it)."""
    return "idem-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]


def _key(hold_key: object) -> str:
    if hold_key is None:
        return "ret-" + secrets.token_hex(12)
    if (
        not isinstance(hold_key, str)
        or not 8 <= len(hold_key) <= 64
        or not all(c.isalnum() or c in "_:-" for c in hold_key)
    ):
        raise Invalid("hold_key is 8 to 64 letters, digits, _ : or -", "invalid_hold_key")
    return hold_key


def _wanted(sale: dict[str, Any], lines: object, *, held_by_us: bool = False) -> dict[int, int]:
    """Line → quantity coming back. `held_by_us`: the office may already hold these units
    for this return's key (a retry after its answer was lost), so what it says is returnable
    is not checked here: the office's hold, idempotent by key, is the last word."""
    if not isinstance(lines, list) or not 1 <= len(lines) <= 100:
        raise Invalid("return 1 to 100 lines", "no_lines")
    held = {int(ln["line_no"]): ln for ln in sale["lines"]}
    wanted: dict[int, int] = {}
    for item in lines:
        line_no = item.get("line") if isinstance(item, dict) else None
        if not isinstance(line_no, int) or isinstance(line_no, bool):
            raise Invalid("each refund line needs a line number", "invalid_line")
        if line_no not in held:
            raise NotFound(f"the receipt has no line {line_no}", "line_not_found")
        # No quantity: all that is still returnable, as a refund of the till's own sale takes it.
        asked = item.get("quantity")
        quantity = int(held[line_no]["returnable"]) if asked is None else check_quantity(asked)
        if quantity < 1:
            raise Conflict(f"line {line_no} has nothing left to return across all lanes", "refund_exceeds_returnable")
        wanted[line_no] = wanted.get(line_no, 0) + quantity
        if not held_by_us and wanted[line_no] > int(held[line_no]["returnable"]):
            raise Conflict(
                f"line {line_no}: {wanted[line_no]} is more than the {held[line_no]['returnable']} "
                "still returnable across all lanes",
                "refund_exceeds_returnable",
            )
    return wanted


def refund(
    shop: Shop,
    actor: Actor,
    number: object,
    lines: object,
    reason: object,
    refund_to: str = "cash",
    approval: str | None = None,
    store_name: str | None = None,
    hold_key: object = None,
    office: OfficeReturns | None = None,
    commit: Commit | None = None,
) -> ReturnAcross:
    """Gives back lines of another lane's receipt: found and held at the office, then the
    return written here; the same hold_key again answers the return already made. `commit`
    runs the till's transaction (the request's idempotency transaction, from the web)."""
    _seller(shop, actor)
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 200:
        raise Invalid("a refund needs a reason of 3 to 200 characters", "reason_required")
    if refund_to not in REFUND_TO:
        raise Invalid(
            "refund_to is cash or gift_card: a card that paid at another lane is not refunded from here",
            "invalid_refund_to",
        )
    key = _key(hold_key)
    done = store.by_hold(shop.db.conn, key)
    if done is not None:
        return _again(shop, key, done)
    link = office or office_of(shop)
    sale = link.lookup(_number(number), store_name)
    if sale.get("own"):
        raise Conflict("this receipt is this lane's own: refund it from its sale", "own_receipt")
    if sale["currency"] != shop.settings.currency:
        raise Conflict(
            f"the receipt is in {sale['currency']}, this till sells in {shop.settings.currency}", "currency_differs"
        )
    try:
        wanted = _wanted(sale, lines)
    except Conflict as exc:
        explicit = isinstance(lines, list) and all(isinstance(i, dict) and "quantity" in i for i in lines)
        if exc.code != "refund_exceeds_returnable" or not explicit:
            raise
        wanted = _wanted(sale, lines, held_by_us=True)
    asked = [{"line": n, "quantity": q} for n, q in sorted(wanted.items())]
    origin = {"store": sale["store"], "till": sale["till"], "sale_id": sale["sale_id"]}
    needs = (Permission.STORE_CREDIT, Permission.REFUND) if refund_to == "gift_card" else (Permission.REFUND,)
    # Checked before the office is asked, the approval only looked at: a refused actor,
    # approval or drawer takes no hold (none taken and given back for nothing).
    require_all(shop, actor, needs, approval, use_up=False)
    if refund_to == "cash":
        shifts.check_drawer(shop, actor, shop.db.conn)
    # The hold is asked with no transaction open: the office may take its 3 s, and a
    # transaction waiting on it would hold the process's one writer queue (every till this
    # box serves) as long. The same hold key asks for the same hold, so a retry holds once.
    tender_holds.not_in_transaction(shop)
    _live(link.hold(key, origin, asked), key, origin, asked)

    def local() -> ReturnAcross:
        with shop.db.transaction():
            twin = store.by_hold(shop.db.conn, key)
            if twin is not None:  # the same return asked twice at once: the first one made it
                return _again(shop, key, twin)
            # Checked again, and the approval used up, only with the return it approved.
            approver = require_all(shop, actor, needs, approval)
            if refund_to == "cash":
                shifts.check_drawer(shop, actor, shop.db.conn)
            return _write(shop, actor, sale, wanted, reason.strip(), refund_to, approver, key)

    try:
        return local() if commit is None else commit(local)
    except BaseException:
        if store.by_hold(shop.db.conn, key) is not None:
            raise  # committed before it failed (its sync): the return uses its hold
        try:
            link.release(key)
        except Conflict:
            pass  # unreachable now: the hold stays, and the office lists it as held (docs/office.md)
        raise


def refund_once(
    shop: Shop, who: Actor, retry_key: str | None, body: dict[str, Any], approval: str | None, hold_key: object
) -> tuple[int, ReturnAcross]:
    """The return with its answer kept under the Idempotency-Key. The office's hold is asked
    with no transaction open (`refund`); only the till's side commits with the
    stored answer. A retry whose answer was lost is answered from the store before any hold."""
    return idempotency.run_after_network(
        shop,
        who,
        retry_key,
        "returns_across",
        body,
        201,
        lambda commit: refund(
            shop,
            who,
            body["receipt"],
            body["lines"],
            body["reason"],
            body.get("refund_to", "cash"),
            approval,
            body.get("store"),
            hold_key,
            commit=commit,
        ),
    )


def _live(answer: dict[str, Any], key: str, origin: dict[str, Any], asked: list[dict[str, int]]) -> None:
    """No money without a hold that holds exactly these lines of this sale under this key:
    an office answering anything else (a hold released or used, another sale's) pays nothing."""
    if answer.get("status") != "held":
        raise Conflict(
            f"the office does not hold these lines under {key} ({answer.get('status')}): nothing was paid",
            "hold_not_live",
            {"hold_key": key, "status": answer.get("status")},
        )
    # An office from before the hold named its sale answers no `sale`; its key is the lane's
    # own and refused there for another sale (hold_key_reused), so its lines are the check.
    if answer.get("hold_key") != key or answer.get("sale", origin) != origin or answer.get("lines") != asked:
        raise Conflict(
            f"the office's hold {key} is not for these lines of this receipt: nothing was paid",
            "hold_not_live",
            {"hold_key": key, "status": "other_lines"},
        )


def _write(
    shop: Shop,
    actor: Actor,
    sale: dict[str, Any],
    wanted: dict[int, int],
    reason: str,
    refund_to: str,
    approver: str | None,
    key: str,
) -> ReturnAcross:
    """The return on this till's books, in the caller's transaction, once the office holds it."""
    sold = {int(ln["line_no"]): ln for ln in sale["lines"]}
    with shop.db.transaction() as tx:
        returned: list[tuple[Product, int, int, int]] = []  # product, quantity, unit price, paid for them
        for line_no, quantity in sorted(wanted.items()):
            ln = sold[line_no]
            product = catalog_store.by_sku(tx, str(ln["sku"]))
            if product is None:
                raise Conflict(f"{ln['sku']} is not in this till's catalogue", "unknown_item")
            # What the customer paid for those units: the line's discount goes back pro rata.
            off = round_fraction(Fraction(int(ln["discount"]) * quantity, int(ln["quantity"])))
            returned.append((product, quantity, int(ln["unit_price"]), int(ln["unit_price"]) * quantity - off))
        totals = compute_totals(
            ((str(sold[n]["tax_class"]), paid) for n, (_, _, _, paid) in zip(sorted(wanted), returned, strict=True)),
            shop.tax_classes,
            prices_include_tax=shop.settings.prices_include_tax,
            rounding=shop.settings.tax_rounding,
        )
        cash = refund_to == "cash"
        rounding = round_cash(totals.total, shop.settings.cash_increment) - totals.total if cash else 0
        number = str(sale["receipt_number"])
        return_id = refunds_store.insert_receiptless(
            tx,
            terminal_id=shop.config.terminal_id,
            user_id=actor.user_id,
            approved_by=approver,
            reason=f"{number} ({sale['store']}/{sale['till']}): {reason}"[:300],
            amount=totals.total,
            tax=totals.tax,
            refund_to=refund_to,
            created_at=shop.now(),
            cash_rounding=rounding,
        )
        for product, quantity, price, paid in returned:
            refunds_store.insert_receiptless_line(tx, return_id, product.id, quantity, price, paid)
            catalog_store.adjust_stock(tx, product.id, quantity)
        lines = [{"line": n, "quantity": q} for n, q in sorted(wanted.items())]
        origin = (str(sale["store"]), str(sale["till"]), int(sale["sale_id"]))
        store.insert(tx, return_id, key, origin, number, lines)
        answer: ReturnAcross = {
            "id": return_id,
            "hold_key": key,
            "receipt_number": number,
            "origin": {"store": origin[0], "till": origin[1], "sale_id": origin[2]},
            "amount": totals.total,
            "tax": totals.tax,
            "currency": shop.settings.currency,
            "refund_to": refund_to,
            "lines": lines,
        }
        if cash:
            answer["rounding"] = rounding
        else:
            card_id, code = issue_credit(shop, tx, totals.total, None, actor)
            refunds_store.set_receiptless_card(tx, return_id, card_id)
            answer["gift_card"] = {"code": card_rules.display(code), "balance": totals.total}
        # The money as any return's (the office's books read it as the Z does), then which
        # sale it was: the office counts the lines against that sale and marks the hold used.
        outbox.returned_without_receipt(
            shop,
            actor,
            return_id,
            totals,
            rounding,
            refund_to,
            approver,
            [(p, q, price) for p, q, price, _ in returned],
        )
        outbox.refunded_across_lanes(shop, actor, return_id, key, origin, number, lines)
        if shop.config.printer != "none":
            printing.queue_return_slip(shop, tx, return_id)
        audit_log.record(
            shop,
            actor=actor,
            action="refund_across_lanes",
            object=f"return:{return_id}",
            details={
                "receipt": number,
                "origin": answer["origin"],
                "hold_key": key,
                "amount": totals.total,
                "rounding": rounding,
                "reason": reason,
                "refund_to": refund_to,
                "approved_by": approver,
                "lines": lines,
            },
        )
    if shop.devices is not None and shop.devices.printer is not None:
        shop.devices.printer.wake()
    return answer


def _again(shop: Shop, key: str, done: dict[str, Any]) -> ReturnAcross:
    """The return already made under this hold key (a retry after a lost answer); the store
    credit's number is not shown twice."""
    answer: ReturnAcross = {
        "id": int(done["return_id"]),
        "hold_key": key,
        "receipt_number": str(done["receipt_number"]),
        "origin": {
            "store": str(done["origin_store"]),
            "till": str(done["origin_till"]),
            "sale_id": int(done["origin_sale_id"]),
        },
        "amount": int(done["amount"]),
        "tax": int(done["tax"]),
        "currency": shop.settings.currency,
        "refund_to": str(done["refund_to"]),
        "lines": json.loads(done["lines"]),
    }
    if answer["refund_to"] == "cash":
        answer["rounding"] = int(done["cash_rounding"] or 0)
    return answer
