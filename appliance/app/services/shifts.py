"""Shifts and cash-up: open a drawer with a counted float, pay in and out, read an X
report mid-shift, close with a blind count and a Z report.

One drawer (terminal), one operator at a time. The expected cash is never shown to the
person counting before they have counted; a variance over the store's limit needs a
manager to close the shift.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

from appliance.app.domain import report as report_rules
from appliance.app.domain.cashup import DrawerBalance, count_total, denominations, needs_manager, variance
from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.app.domain.money import Money, format_amount, money_words
from appliance.app.domain.report_shapes import ShiftFigures, WithoutReceipt
from appliance.app.services import audit_log, idempotency, office_link, outbox
from appliance.app.services.auth import approved_by, require
from appliance.app.services.shop import CASH_NEEDS_SHIFT as CASH_NEEDS_SHIFT  # the rule is read with the settings
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import reports as reports_store
from appliance.app.store import sales as sales_store
from appliance.app.store import settings as settings_store
from appliance.app.store import shifts as shifts_store
from appliance.app.store.db import Connection, IntegrityError
from appliance.security.rbac import Permission, can


class OpenShift(TypedDict):
    id: int
    terminal_id: str
    operator: str
    opened_at: str
    opening_float: Money
    currency: str
    denominations: list[Money]


class CashMoved(TypedDict):
    shift: int
    kind: str  # paid_in or paid_out
    amount: Money
    reason: str


class DrawerCash(TypedDict):
    opening_float: Money
    sales: Money
    refunds: Money
    paid_in: Money
    paid_out: Money
    rounding: Money
    expected: NotRequired[Money]  # left out of an X report for the person who will count


class ShiftReport(ShiftFigures):
    """What an X and a Z report share. The store's clock (`timezone`, `opened_local`,
    `until_local`) is missing from a Z report frozen before it was added."""

    shift: int
    terminal_id: str
    opened_at: str
    until: str
    timezone: NotRequired[str]
    opened_local: NotRequired[str]
    until_local: NotRequired[str]
    currency: str
    # Goods taken back with no sale to point to, apart from the refunds (none in a Z report
    # frozen before them). Their cash is in cash.refunds and cash.rounding: it left the drawer.
    returns_without_receipt: NotRequired[WithoutReceipt]
    cash: DrawerCash


class SaleHolding(TypedDict):
    """An open sale of this till with money on it: the shift cannot close over it."""

    id: int
    parked: bool
    paid: Money
    cash: Money


class XReport(ShiftReport):
    kind: Literal["X"]
    open_sales: list[SaleHolding]
    office: NotRequired[office_link.OfficeAtClose]  # an enrolled till's link now, as a Z keeps it


class ZReport(ShiftReport):
    kind: Literal["Z"]
    counted: Money
    count: dict[str, int]  # denomination → how many
    variance: Money
    approved_by: str | None
    office: NotRequired[office_link.OfficeAtClose]  # an enrolled till's link at the close


class PrintedReport(TypedDict):
    job: int
    kind: str  # X or Z
    shift: int
    reprint: bool


DEFAULT_VARIANCE_LIMIT = 500  # minor units: 5.00


def cash_needs_shift(values: dict[str, Any]) -> bool:
    """The rule as stored, on for a store that never set it (new or older stores alike)."""
    return bool(values.get(CASH_NEEDS_SHIFT, True))


def variance_limit(conn: Connection) -> int:
    return int(settings_store.get_all(conn).get("variance_limit", DEFAULT_VARIANCE_LIMIT))


def open_row(conn: Connection, terminal_id: str) -> Any:
    return shifts_store.open_row(conn, terminal_id)


def check_shift_open(shop: Shop, conn: Connection) -> Any:
    """Before cash moves at this till: a shift is open on it, unless the store rule lets cash
    move without one. Returns the open shift's row, or None."""
    row = open_row(conn, shop.config.terminal_id)
    if row is None and shop.settings.cash_needs_shift:
        raise Conflict(
            "no shift is open on this till: open a shift with a counted float before taking or giving back cash",
            "no_open_shift",
        )
    return row


def check_drawer(shop: Shop, actor: Actor, conn: Connection) -> int | None:
    """Before the actor takes cash at this till: a shift is open (check_shift_open) and the
    drawer is the actor's, or nobody's when the store rule lets cash move without a shift.
    Returns the open shift's id, if any."""
    row = check_shift_open(shop, conn)
    if row is None:
        return None
    if row["user_id"] != actor.user_id:
        raise _in_use(conn, row)
    return int(row["id"])


def _in_use(conn: Connection, row: Any) -> Conflict:
    name = shifts_store.operator(conn, row["user_id"])
    return Conflict(f"this drawer is in {name}'s shift", "drawer_in_use", {"operator": name})


def _reason(reason: str) -> str:
    if not isinstance(reason, str) or not 3 <= len(reason.strip()) <= 200:
        raise Invalid("give a reason of 3 to 200 characters", "reason_required")
    return reason.strip()


def open_shift(shop: Shop, actor: Actor, count: dict[str, int]) -> OpenShift:
    require(shop, actor, Permission.SELL)
    if actor.role == "customer":
        raise Forbidden("a self-service till has no drawer", "forbidden")
    opening = count_total(count, shop.settings.currency)
    # The store's clock rides on the opening as on the Z: until a lane's first Z comes, the
    # office has no other way to know which of the store's days its takings fall on.
    zone = str(report_rules.zone_named(shop.settings.timezone))
    try:
        with shop.db.transaction() as tx:
            shift_id = shifts_store.insert(
                tx, shop.config.terminal_id, actor.user_id, shop.now(), opening, json.dumps(count, sort_keys=True)
            )
            outbox.event(shop, "shift_opened", actor, shift_id=shift_id, float=opening, timezone=zone)
            audit_log.record(
                shop, actor=actor, action="shift_open", object=f"shift:{shift_id}", details={"float": opening}
            )
    except IntegrityError:
        raise Conflict("a shift is already open on this drawer", "drawer_in_use") from None
    return current(shop, actor)


def _shift(shop: Shop, actor: Actor, conn: Connection) -> Any:
    row = open_row(conn, shop.config.terminal_id)
    if row is None:
        raise NotFound("no shift is open on this drawer", "no_open_shift")
    if row["user_id"] != actor.user_id and not can(actor.role, Permission.VIEW_REPORTS):
        raise _in_use(conn, row)
    return row


def current(shop: Shop, actor: Actor) -> OpenShift:
    require(shop, actor, Permission.SELL)
    row = _shift(shop, actor, shop.db.conn)
    operator = shifts_store.operator(shop.db.conn, row["user_id"])
    return {
        "id": row["id"],
        "terminal_id": row["terminal_id"],
        "operator": operator,
        "opened_at": row["opened_at"],
        "opening_float": row["opening_float"],
        "currency": shop.settings.currency,
        "denominations": list(denominations(shop.settings.currency)),
    }


def move_cash(shop: Shop, actor: Actor, kind: str, amount: int, reason: str) -> CashMoved:
    """Paid in (change brought from the safe) or paid out (a delivery paid from the till)."""
    require(shop, actor, Permission.SELL)
    if kind not in ("paid_in", "paid_out"):
        raise Invalid("kind is paid_in or paid_out", "invalid_kind")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= 10**9:
        raise Invalid("the amount must be more than zero", "invalid_amount")
    why = _reason(reason)
    with shop.db.transaction() as tx:
        row = _shift(shop, actor, tx)
        if row["user_id"] != actor.user_id:
            raise _in_use(tx, row)
        shifts_store.add_movement(tx, row["id"], kind, amount, why, actor.user_id, shop.now())
        outbox.event(shop, kind, actor, shift_id=row["id"], amount=amount, reason=why)
        audit_log.record(
            shop, actor=actor, action=kind, object=f"shift:{row['id']}", details={"amount": amount, "reason": why}
        )
    return {"shift": row["id"], "kind": kind, "amount": amount, "reason": why}


NO_RETURNS = {"count": 0, "amount": 0, "tax": 0, "rounding": 0}


def _receiptless(conn: Connection, row: Any, until: str) -> dict[str, dict[str, int]]:
    """The returns without a receipt of this till's shift, by where the money went (cash,
    gift_card): count, amount, tax, cash rounding."""
    found = reports_store.shift_receiptless(conn, row["terminal_id"], row["opened_at"], until)
    return {
        r[0]: {"count": int(r[1]), "amount": int(r[2] or 0), "tax": int(r[3] or 0), "rounding": int(r[4] or 0)}
        for r in found
    }


def _balance(conn: Connection, row: Any, until: str, receiptless: dict[str, dict[str, int]]) -> DrawerBalance:
    moved = reports_store.shift_cash(conn, row["id"], row["terminal_id"], row["opened_at"], until)
    # Goods taken back without a receipt for cash: that cash left this drawer too.
    cash_back = receiptless.get("cash", NO_RETURNS)
    return DrawerBalance(
        opening_float=row["opening_float"],
        cash_sales=moved["sales"],
        cash_refunds=moved["refunds"] + cash_back["amount"],
        paid_in=moved["paid_in"],
        paid_out=moved["paid_out"],
        rounding=moved["rounding"] - cash_back["rounding"],
    )


def _without_receipt(receiptless: dict[str, dict[str, int]]) -> WithoutReceipt:
    """The X and Z reports' line for returns without a receipt: their count and amount (tax
    included), and how much of it went back as cash (and its rounding) and as store credit."""
    cash, credit = receiptless.get("cash", NO_RETURNS), receiptless.get("gift_card", NO_RETURNS)
    return {
        "count": cash["count"] + credit["count"],
        "amount": cash["amount"] + credit["amount"],
        "tax": cash["tax"] + credit["tax"],
        "cash": cash["amount"],
        "cash_rounding": cash["rounding"],
        "store_credit": credit["amount"],
    }


def _report(conn: Connection, row: Any, until: str, shop: Shop) -> ShiftReport:
    """The figures of an X or Z report: the report engine's queries over this till's shift,
    with the times also on the store's clock (`timezone`, `opened_local`, `until_local`)."""
    terminal, start = row["terminal_id"], row["opened_at"]
    figures = report_rules.shift_figures(
        reports_store.shift_sales(conn, terminal, start, until),
        reports_store.shift_gift_cards(conn, terminal, start, until),
        reports_store.shift_tenders(conn, terminal, start, until),
        reports_store.shift_refunds(conn, terminal, start, until),
        reports_store.shift_voids(conn, start, until),
        reports_store.shift_gift_cards_returned(conn, terminal, start, until),
    )
    receiptless = _receiptless(conn, row, until)  # read once: the drawer and its own line
    balance = _balance(conn, row, until, receiptless)
    zone = report_rules.zone_named(shop.settings.timezone)
    return {
        "shift": row["id"],
        "terminal_id": terminal,
        "opened_at": start,
        "until": until,
        "timezone": str(zone),
        "opened_local": report_rules.wall_clock(start, zone),
        "until_local": report_rules.wall_clock(until, zone),
        "currency": shop.settings.currency,
        **figures,
        "returns_without_receipt": _without_receipt(receiptless),
        "cash": {
            "opening_float": balance.opening_float,
            "sales": balance.cash_sales,
            "refunds": balance.cash_refunds,
            "paid_in": balance.paid_in,
            "paid_out": balance.paid_out,
            "rounding": balance.rounding,
            "expected": balance.expected,
        },
    }


def x_report(shop: Shop, actor: Actor) -> XReport:
    """Mid-shift figures. The expected cash is left out for the person who will count it.
    `open_sales` warns of the sales still open on this till that hold money: the shift
    cannot close over them."""
    require(shop, actor, Permission.SELL)
    row = _shift(shop, actor, shop.db.conn)
    report = _report(shop.db.conn, row, shop.now(), shop)
    if not can(actor.role, Permission.VIEW_REPORTS):
        cash = report["cash"].copy()
        del cash["expected"]
        report["cash"] = cash
    return {**report, "kind": "X", "open_sales": _holding(shop, shop.db.conn), **office_link.at_close(shop)}


def _holding(shop: Shop, conn: Connection) -> list[SaleHolding]:
    return [
        {"id": s["id"], "parked": s["parked"], "paid": s["paid"], "cash": s["cash"]}
        for s in sales_store.open_with_payments(conn, shop.config.terminal_id)
    ]


def _refuse_open_sales(shop: Shop, conn: Connection) -> None:
    """A shift never closes over a sale still open on its till with money on it (cash in the
    drawer for goods not yet sold, or a card already charged): 409 naming each."""
    holding = _holding(shop, conn)
    if not holding:
        return
    currency = shop.settings.currency

    def held(s: SaleHolding) -> str:
        paid = money_words(s["paid"], currency)
        if s["cash"] == s["paid"]:
            paid += " in cash"
        elif s["cash"]:
            paid += f", {money_words(s['cash'], currency)} of it in cash"
        return f"sale {s['id']} ({'parked' if s['parked'] else 'open'}) holds {paid}"

    raise Conflict(
        "finish these sales before closing the shift: " + "; ".join(held(s) for s in holding),
        "open_sales_hold_payments",
        {"sales": holding},
    )


def close_shift(shop: Shop, actor: Actor, count: dict[str, int], approval: str | None = None) -> ZReport:
    """The blind count: the answer gives the variance only now. Over the store's limit, a
    manager's approval (X-Approval, permission approve_variance) is needed to close."""
    require(shop, actor, Permission.SELL)
    counted = count_total(count, shop.settings.currency)
    now = shop.now()
    with shop.db.transaction() as tx:
        row = _shift(shop, actor, tx)
        _refuse_open_sales(shop, tx)
        shifts_store.add_count(tx, row["id"], json.dumps(count, sort_keys=True), counted, actor.user_id, now)
        report = _report(tx, row, now, shop)
        expected = report["cash"]["expected"]
        off = variance(counted, expected)
        audit_log.record(
            shop,
            actor=actor,
            action="shift_count",
            object=f"shift:{row['id']}",
            details={"counted": counted, "expected": expected, "variance": off},
        )
    limit = variance_limit(shop.db.conn)
    approver = None
    if needs_manager(off, limit) and not can(actor.role, Permission.APPROVE_VARIANCE):
        if not approval:
            raise Forbidden(
                f"counted {counted}, expected {expected}: a variance of {off} is over the limit of {limit}; "
                "a manager must approve the close",
                "variance_needs_manager",
                {"counted": counted, "expected": expected, "variance": off, "limit": limit},
            )
    with shop.db.transaction() as tx:
        if needs_manager(off, limit) and not can(actor.role, Permission.APPROVE_VARIANCE):
            approver = approved_by(shop, actor, Permission.APPROVE_VARIANCE, approval or "")
        z: ZReport = {
            **report,
            "kind": "Z",
            "counted": counted,
            "count": count,
            "variance": off,
            "approved_by": approver,
            **office_link.at_close(shop),  # before the Z's own event: what waited at the close
        }
        done = shifts_store.close(
            tx,
            row["id"],
            closed_at=now,
            closing_count=json.dumps(count, sort_keys=True),
            counted=counted,
            expected=expected,
            variance=off,
            approved_by=approver,
            z_report=json.dumps(z),
        )
        if not done:
            raise Conflict("the shift was closed meanwhile", "shift_closed")
        # The Z goes whole: the office checks its day against the sum of the lanes' Z reports.
        outbox.event(shop, "shift_closed", actor, shift_id=row["id"], currency=shop.settings.currency, z=z)
        audit_log.record(
            shop,
            actor=actor,
            action="shift_close",
            object=f"shift:{row['id']}",
            details={"counted": counted, "expected": expected, "variance": off, "approved_by": approver},
        )
    idempotency.purge_quietly(shop)  # the day's housekeeping: a till left running is never restarted
    return z


def z_report(shop: Shop, actor: Actor, shift_id: int) -> ZReport:
    require(shop, actor, Permission.VIEW_REPORTS)
    text = reports_store.z_report(shop.db.conn, shift_id)
    if text is None:
        raise NotFound(f"no closed shift {shift_id}", "shift_not_found")
    report: ZReport = json.loads(text)  # as frozen at close (see ShiftReport)
    return report


def report_rows(report: Mapping[str, Any]) -> list[tuple[str, str]]:
    """An X or Z report as label/amount rows for paper (a row without amount is a heading)."""
    currency = report["currency"]

    def money(amount: int) -> str:
        return format_amount(amount, currency)

    rows: list[tuple[str, str]] = [("Sales", ""), ("  count", str(report["sales"]["count"]))]
    rows += [("  net of gift cards", money(report["sales"]["total"])), ("  tax", money(report["sales"]["tax"]))]
    rows += [("  discounts", money(report["sales"]["discount"]))]
    cards = report.get("gift_cards")
    if cards and cards["count"]:
        rows += [(f"{report_rules.GIFT_CARDS_SOLD} ({cards['count']})", money(cards["amount"]))]
    returned = report.get("gift_cards_returned")  # a Z report frozen before it had them has none
    if returned and returned["count"]:
        rows += [(f"Gift cards returned ({returned['count']})", money(returned["amount"]))]
    rows += [("Tenders", "")]
    rows += [(f"  {t['method'].replace('_', ' ')} ({t['count']})", money(t["amount"])) for t in report["tenders"]]
    rows += [("Refunds", money(report["refunds"]["amount"]))]
    receiptless = report.get("returns_without_receipt")  # a Z report frozen before it had them has none
    if receiptless and receiptless["count"]:
        rows += [(f"Returns without receipt ({receiptless['count']})", money(receiptless["amount"]))]
    rows += [("Voided lines", str(report["voids"])), ("Cash", "")]
    rows += [(f"  {k.replace('_', ' ')}", money(v)) for k, v in report["cash"].items()]
    if report.get("kind") == "Z":
        rows += [("Counted", money(report["counted"])), ("Variance", money(report["variance"]))]
        if report.get("approved_by"):
            rows.append(("Approved by", str(report["approved_by"])))
    if report.get("office"):  # an X's link now, a Z's at its close
        rows += office_link.report_rows(report["office"], report.get("timezone") or "UTC")
    return rows


def _times(shop: Shop, report: Mapping[str, Any]) -> tuple[str, str]:
    """The shift's span on the store's clock, and the clock's name (a Z report frozen before
    it carried local times is put on the store's clock now). ASCII: a printer's code page may
    have no arrow."""
    zone = report_rules.zone_named(report.get("timezone") or shop.settings.timezone)
    start = report.get("opened_local") or report_rules.wall_clock(report["opened_at"], zone)
    end = report.get("until_local") or report_rules.wall_clock(report["until"], zone)
    if end[:10] == start[:10]:
        end = end[11:]
    return f"{start} - {end}", str(zone)


def print_report(shop: Shop, actor: Actor, shift_id: int | None) -> PrintedReport:
    """Queues the X report of the open shift (shift_id None) or a closed shift's Z report.
    A Z report printed before is marked REPRINT."""
    if shop.config.printer == "none":
        raise Conflict("no receipt printer is set up on this till", "no_printer")
    report: XReport | ZReport = x_report(shop, actor) if shift_id is None else z_report(shop, actor, shift_id)
    from appliance.app.services import print_queue
    from appliance.drivers.escpos_receipt import render_report
    from appliance.drivers.profiles import profile_named

    reprint = shift_id is not None and reports_store.z_prints(shop.db.conn, shift_id, report["until"]) > 0
    title = f"{report['kind']} report" + (" - REPRINT" if reprint else "")
    heading = (
        shop.settings.store_name,
        f"Till {report['terminal_id']} · shift {report['shift']}",
        *_times(shop, report),
        *(("REPRINT",) if reprint else ()),
    )
    payload = render_report(title, report_rows(report), profile_named(shop.config.printer_profile), heading=heading)
    with shop.db.transaction() as tx:
        job = print_queue.enqueue(tx, "report", payload, now=shop.now())
        audit_log.record(
            shop,
            actor=actor,
            action="print_report",
            object=f"shift:{report['shift']}",
            details={"kind": report["kind"], "job": job, "reprint": reprint},
        )
    if shop.devices is not None and shop.devices.printer is not None:
        shop.devices.printer.wake()
    return {"job": job, "kind": report["kind"], "shift": report["shift"], "reprint": reprint}
