"""The one report engine: the sales summary, the back office's period reports (sales by day,
by hour, by employee, by tender, by tax; top and slow products; voids and discounts;
returns; the timesheet; stock; gift cards; the daily accounting journal) and the list of
past Z reports. The queries are `store/reports.py`, the arithmetic `domain/report.py`; the
till's X and Z reports (`services/shifts.py`) read the same queries.

Every period report has the same shape, so the API gives it as JSON or CSV alike:
``{"report", "title", "from", "to", "timezone", "currency", "columns", "labels", "rows", "totals"}``;
each report's rows and totals are typed in `domain/report_shapes.py` (SHAPES below names them
for the OpenAPI description). Days and hours are the store's own (its `timezone` setting).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from appliance.app.domain import report as rules
from appliance.app.domain import report_shapes as shapes
from appliance.app.domain.errors import Invalid
from appliance.app.domain.report import Period
from appliance.app.services import gift_cards, stock, time_clock
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import products_sold
from appliance.app.store import reports as q
from appliance.app.store.db import Connection
from appliance.security.rbac import Permission

MAX_DAYS = 400  # a year and a bit: longer periods are for the accounting system
to_csv = rules.to_csv


def _moment(text: str, zone: Any, name: str, *, end: bool) -> dt.datetime:
    """A local date (whole day; for `to`, the day is included) or an ISO 8601 time."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            if end:
                day += dt.timedelta(days=1)
            return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
        moment = rules.parse(text)
    except ValueError:
        raise Invalid(f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 time", "invalid_date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


def period(shop: Shop, start: str | None, end: str | None, longest: int | None = MAX_DAYS) -> Period:
    """From `start` to `end` on the store's calendar; by default today so far."""
    zone = rules.zone_named(shop.settings.timezone)
    now = shop.clock()
    today = dt.datetime.combine(now.astimezone(zone).date(), dt.time(), zone).astimezone(dt.UTC)
    begin = _moment(start, zone, "from", end=False) if start else today
    finish = _moment(end, zone, "to", end=True) if end else now + dt.timedelta(seconds=1)
    if finish <= begin:
        raise Invalid("the period ends before it starts", "invalid_period")
    if longest is not None and finish - begin > dt.timedelta(days=longest):
        raise Invalid(f"a report covers at most {longest} days", "invalid_period")
    return Period(begin, finish, zone)


def _head(name: str, shop: Shop, p: Period, columns: list[str]) -> shapes.ReportHead:
    return {
        "report": name,
        "title": TITLES.get(name, name),
        "from": rules.iso(p.start),
        "to": rules.iso(p.end),
        "timezone": str(p.zone),
        "currency": shop.settings.currency,
        "columns": columns,
        "labels": {c: rules.label(c) for c in columns},
    }


def _cards(conn: Connection, p: Period) -> list[rules.CardSale]:
    return rules.card_sales(q.gift_cards_sold(conn, p.bounds), p.zone)


def _sum_rows(rows: list[Any], width: int, start: int = 2) -> list[int]:
    return [sum(r[start + i] or 0 for r in rows) for i in range(width)]


# -- the sales summary (the manager's sales report) ---------------------------------------------------


def sales_report(shop: Shop, actor: Actor, start: str | None, end: str | None, top: int = 10) -> shapes.SalesReport:
    """Completed sales from `start` to `end` (a local day, whole, or an ISO time; by default
    today so far), net of the gift cards they loaded."""
    require(shop, actor, Permission.VIEW_REPORTS)
    p = period(shop, start, end, longest=None)
    conn = shop.db.conn
    sums = rules.SalesSums()
    quarters = q.sales_by_quarter(conn, p.bounds)
    for r in quarters:
        sums.add(r[1], r[2], r[3], r[4])
    for card in _cards(conn, p):
        sums.less_cards(card)
    refunds = _sum_rows(q.refunds_by_quarter(conn, p.bounds), 3)
    cards_back = _sum_rows(q.gift_cards_returned(conn, p.bounds), 1)[0]
    credit = _sum_rows(q.store_credit_issued(conn, p.bounds), 1)[0]
    tenders = sorted(q.payments_by_method(conn, p.bounds).items(), key=lambda kv: (-kv[1][1], kv[0]))
    taxes = sorted(q.taxes_by_rate(conn, p.bounds).items())
    return {
        "from": rules.iso(p.start),
        "to": rules.iso(p.end),
        "timezone": str(p.zone),
        "currency": shop.settings.currency,
        "sales": sums.sales,
        "subtotal": sums.subtotal,
        "tax": sums.tax,
        "total": sums.total,
        "cash_rounding": sum(r[5] or 0 for r in quarters),  # what cash paid beyond the totals (negative: less)
        "refunds": {"count": refunds[0], "amount": refunds[1] - cards_back},
        "gift_cards": {"sold": sums.gift_cards, "returned": cards_back, "store_credit_issued": credit},
        "returns_without_receipt": rules.without_receipt_sums(q.receiptless_by_quarter(conn, p.bounds)),
        "by_tender": [{"method": m, "count": v[0], "amount": v[1]} for m, v in tenders],
        "by_tax": [{"name": k[0], "rate": k[1], "base": v[0], "amount": v[1]} for k, v in taxes],
        "top_products": _product_rows(conn, products_sold.top_sold(conn, p.bounds, _limit(top))),
    }


# -- sales --------------------------------------------------------------------------------------------


def by_day(shop: Shop, actor: Actor, p: Period) -> shapes.ByDay:
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    spans = p.days()
    days = rules.sales_by_day([d for d, _, _ in spans], q.sales_by_day(conn, rules.spans(spans)), _cards(conn, p))
    out: list[shapes.DayRow] = [
        {
            "day": d,
            "sales": s.sales,
            "subtotal": s.subtotal,
            "tax": s.tax,
            "total": s.total,
            "average": s.average,
            "gift_cards_sold": s.gift_cards,
        }
        for d, s in days.items()
    ]
    columns = ["day", "sales", "subtotal", "tax", "total", "average", "gift_cards_sold"]
    return {**_head("by_day", shop, p, columns), "rows": out, "totals": rules.totals(out)}


def by_hour(shop: Shop, actor: Actor, p: Period) -> shapes.ByHour:
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    hours = rules.sales_by_hour(q.sales_by_quarter(conn, p.bounds), _cards(conn, p), p.zone)
    out: list[shapes.HourRow] = [
        {"hour": h, "sales": s.sales, "total": s.total, "gift_cards_sold": s.gift_cards} for h, s in enumerate(hours)
    ]
    columns = ["hour", "sales", "total", "gift_cards_sold"]
    return {**_head("by_hour", shop, p, columns), "rows": out, "totals": rules.totals(out, skip=("hour",))}


def by_employee(shop: Shop, actor: Actor, p: Period) -> shapes.ByEmployee:
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    people: dict[int, rules.SalesSums] = {}
    for r in q.sales_by_cashier(conn, p.bounds):
        people.setdefault(r[0], rules.SalesSums()).add(r[1], 0, 0, r[2])
    for card in _cards(conn, p):
        people.setdefault(card.cashier, rules.SalesSums()).less_cards(card)
    names = q.user_names(conn)
    out: list[shapes.EmployeeRow] = [
        {
            "employee": names.get(k, "?"),
            "sales": s.sales,
            "total": s.total,
            "average": s.average,
            "gift_cards_sold": s.gift_cards,
        }
        for k, s in people.items()
    ]
    out.sort(key=lambda r: -r["total"])
    columns = ["employee", "sales", "total", "average", "gift_cards_sold"]
    return {**_head("by_employee", shop, p, columns), "rows": out, "totals": rules.totals(out)}


def by_tender(shop: Shop, actor: Actor, p: Period) -> shapes.ByTender:
    """Money taken and given back per tender. A gift card taken as payment is a tender; the
    gift cards sold are told apart below the table (their money is in the tenders that paid
    for them, and is owed, not earned)."""
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    taken = q.payments_by_method(conn, p.bounds)
    back: dict[str, int] = {}
    for r in q.refund_tenders_by_quarter(conn, p.bounds):
        back[r[1]] = back.get(r[1], 0) + (r[2] or 0)
    back = rules.with_cash_returned(back, q.receiptless_by_quarter(conn, p.bounds))
    out: list[shapes.TenderRow] = []
    for m in sorted(set(taken) | set(back)):
        count, amount = taken.get(m, [0, 0])
        out.append(
            {"method": m, "count": count, "taken": amount, "refunded": back.get(m, 0), "net": amount - back.get(m, 0)}
        )
    sold = sum(c.loaded for c in _cards(conn, p))
    return {
        **_head("by_tender", shop, p, ["method", "count", "taken", "refunded", "net"]),
        "rows": out,
        "totals": rules.totals(out),
        "gift_cards_sold": sold,
    }


def by_tax(shop: Shop, actor: Actor, p: Period) -> shapes.ByTax:
    require(shop, actor, Permission.VIEW_REPORTS)
    collected = q.taxes_by_rate(shop.db.conn, p.bounds)
    back = q.refund_taxes_by_rate(shop.db.conn, p.bounds)
    keys = sorted(collected.keys() | back.keys())
    out = [rules.tax_row(k, collected.get(k, [0, 0]), back.get(k, [0, 0])) for k in keys]
    columns = ["tax", "rate", "base", "amount", "refunded_base", "refunded", "net_base", "net"]
    return {
        **_head("by_tax", shop, p, columns),
        "rows": out,
        # A line taxed twice counts its base under each tax: bases do not add up.
        "totals": rules.totals(out, skip=("rate", "base", "refunded_base", "net_base")),
    }


# -- products -----------------------------------------------------------------------------------------

_PRODUCT_COLUMNS = ["sku", "name", "quantity", "amount", "on_hand"]


def _limit(limit: int) -> int:
    return max(1, min(limit, 500))


def _product_rows(conn: Connection, picked: list[Any]) -> list[shapes.ProductRow]:
    """Report rows from (product id, quantity, amount) rows, in their order."""
    info = products_sold.products(conn, [r[0] for r in picked])
    return [
        {"sku": info[pid][1], "name": info[pid][2], "quantity": qty, "amount": amount, "on_hand": info[pid][3]}
        for pid, qty, amount in picked
        if pid in info
    ]


def top_products(shop: Shop, actor: Actor, p: Period, limit: int = 20) -> shapes.ProductsReport:
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    picked = products_sold.top_sold(conn, p.bounds, _limit(limit))
    return {**_head("top_products", shop, p, _PRODUCT_COLUMNS), "rows": _product_rows(conn, picked)}


def slow_products(shop: Shop, actor: Actor, p: Period, limit: int = 20) -> shapes.ProductsReport:
    """Products on sale that sold least (none at all first), the ones with most on hand first
    among equals: what ties up the shelf."""
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    picked = products_sold.least_sold(conn, p.bounds, _limit(limit))
    return {**_head("slow_products", shop, p, _PRODUCT_COLUMNS), "rows": _product_rows(conn, picked)}


# -- voids, discounts, returns ------------------------------------------------------------------------


def discounts_given(conn: Connection, p: Period) -> list[shapes.VoidRow]:
    """Discounts per employee, from the sale's total discount frozen at completion."""
    if "discount" not in q.table_columns(conn, "sales"):
        return []
    names = q.user_names(conn)
    return [
        {"employee": names.get(r[0], "?"), "kind": "discount", "count": r[1], "amount": r[2]}
        for r in q.discounts(conn, p.bounds)
    ]


def voids_and_discounts(shop: Shop, actor: Actor, p: Period) -> shapes.VoidsAndDiscounts:
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    names = q.user_names(conn)
    out: list[shapes.VoidRow] = [
        {"employee": names.get(r[0], "?"), "kind": "voided_line", "count": r[1], "amount": r[2]}
        for r in q.voided_lines(conn, p.bounds)
    ]
    out += [
        {"employee": names.get(r[0], "?"), "kind": "cancelled_sale", "count": r[1], "amount": 0}
        for r in q.cancelled_sales(conn, p.bounds)
    ]
    out += discounts_given(conn, p)
    out.sort(key=lambda r: (r["kind"], r["employee"]))
    columns = ["employee", "kind", "count", "amount"]
    return {**_head("voids_and_discounts", shop, p, columns), "rows": out, "totals": rules.totals(out)}


def returns(shop: Shop, actor: Actor, p: Period) -> shapes.Returns:
    require(shop, actor, Permission.VIEW_REPORTS)
    out: list[shapes.ReturnRow] = [
        {
            "refund": r[0],
            "at": rules.local(r[1], p.zone),
            "receipt_number": f"{r[2]}-{r[3]:06d}" if r[3] else None,
            "employee": r[4],
            "reason": r[5],
            "items": r[8],
            "amount": r[6],
            "tax": r[7],
        }
        for r in q.refund_list(shop.db.conn, p.bounds)
    ]
    out = rules.with_returns_without_receipt(out, q.receiptless_list(shop.db.conn, p.bounds), p.zone)
    columns = ["refund", "return", "at", "receipt_number", "employee", "reason", "items", "amount", "tax"]
    return {**_head("returns", shop, p, columns), "rows": out, "totals": rules.totals(out, skip=("refund", "return"))}


# -- staff, stock, gift cards --------------------------------------------------------------------------


def timesheet(shop: Shop, actor: Actor, p: Period) -> shapes.Timesheet:
    rows = time_clock.timesheet(shop, actor, p.days())
    for row in rows:
        row["first_in"] = rules.local(row["first_in"], p.zone)
        row["last_out"] = rules.local(row["last_out"], p.zone)
    columns = ["day", "employee", "first_in", "last_out", "worked_minutes", "break_minutes", "still_open"]
    return {**_head("timesheet", shop, p, columns), "rows": rows, "totals": rules.totals(rows)}


def stock_value(shop: Shop, actor: Actor, p: Period, limit: int | None = 200) -> shapes.StockValue:
    found = stock.stock_value(shop, actor, limit)
    return {**_head("stock_value", shop, p, found["columns"]), "rows": found["rows"], "totals": found["totals"]}


def gift_card_liability(shop: Shop, actor: Actor, p: Period) -> shapes.GiftCardLiability:
    found = gift_cards.liability(shop, actor)
    return {
        **_head("gift_card_liability", shop, p, found["columns"]),
        "rows": found["rows"],
        "totals": found["totals"],
    }


# -- the accounting journal ----------------------------------------------------------------------------


def cash_over_short(conn: Connection, p: Period) -> dict[str, int] | None:
    """Cash over (+) or short (-) per local day, from the shifts that closed in the period.
    None means "no shifts kept": the journal then leaves the over/short line out rather
    than print a zero nobody counted."""
    if not {"closed_at", "variance"} <= q.table_columns(conn, "shifts"):
        return None
    return {day: v[0] for (day, _), v in rules.by_day(q.shift_variance_by_quarter(conn, p.bounds), p.zone, 1).items()}


TENDER_ACCOUNTS = {
    "cash": "Cash",
    "card": "Card clearing",
    "gift_card": "Gift card liability",
    "loyalty": "Loyalty points redeemed",
}


def journal(shop: Shop, actor: Actor, p: Period) -> shapes.Journal:
    """The day's takings as balanced journal lines an accountant can import: tenders
    debited; sales, gift cards sold and each tax credited; refunds the other way round;
    store credit issued on its liability account; cash rounding on its own account; cash
    over/short from the shifts. Debits equal credits on every day."""
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    zone = p.zone
    spans = p.days()
    sold = q.sales_by_day(conn, rules.spans(spans))
    days = rules.sales_by_day([d for d, _, _ in spans], sold, _cards(conn, p))
    rounding = {day: sums[4] for day, sums in sold}
    whole, pieces = rules.in_quarters(spans)
    taxes = rules.keys_by_day(rules.day_sums(q.taxes_by_day(conn, whole, pieces), 1))
    tenders = rules.keys_by_day(rules.day_sums(q.payments_by_day(conn, whole, pieces), 1))
    returned_cards = rules.by_day(q.gift_cards_returned(conn, p.bounds), zone, 1)
    credit = rules.by_day(q.store_credit_issued(conn, p.bounds), zone, 1)
    refunds = rules.by_day(q.refunds_by_quarter(conn, p.bounds), zone, 3)
    refund_tenders = rules.keys_by_day(rules.by_day(q.refund_tenders_by_quarter(conn, p.bounds), zone, 1))
    refunds_rounding = rules.by_day(q.cash_refund_rounding(conn, p.bounds), zone, 1)
    receiptless = rules.by_day(q.receiptless_by_quarter(conn, p.bounds), zone, 4)
    over_short = cash_over_short(conn, p)
    rows: list[shapes.JournalLine] = []

    def line(day: str, account: str, debit: int, credit: int, memo: str) -> None:
        if debit or credit:
            rows.append({"date": day, "account": account, "debit": debit, "credit": credit, "memo": memo})

    for day, _, _ in spans:
        for method, amount in tenders.get(day, []):
            line(day, TENDER_ACCOUNTS.get(method, f"Tender: {method}"), amount, 0, f"{method} taken")
        day_sums = days.get(day, rules.SalesSums())
        line(day, "Sales", 0, day_sums.total - day_sums.tax, "sales before tax")
        line(day, "Gift card liability", 0, day_sums.gift_cards, rules.GIFT_CARDS_SOLD)
        for name, amount in taxes.get(day, []):
            line(day, f"Tax payable: {name}", 0, amount, f"{name} collected")
        _, refunded, refunded_tax = refunds.get((day, ""), [0, 0, 0])
        cards_back = returned_cards.get((day, ""), [0])[0]
        line(day, "Gift card liability", cards_back, 0, "gift cards returned")
        line(day, "Sales returns", refunded - refunded_tax - cards_back, 0, "refunds before tax")
        line(day, "Tax refunded", refunded_tax, 0, "tax given back on refunds")
        for method, amount in refund_tenders.get(day, []):
            line(day, TENDER_ACCOUNTS.get(method, f"Tender: {method}"), 0, amount, f"{method} refunded")
        line(day, "Gift card liability", 0, credit.get((day, ""), [0])[0], "store credit issued (liability)")
        back, back_rounding = rules.without_receipt_journal(receiptless, day)
        for entry in back:
            line(day, *entry)
        # Cash rounding: the tenders above are what was applied to the sales; the drawer took
        # (or, refunding, gave) that much more, booked against its own account.
        rounded = rounding.get(day, 0) - refunds_rounding.get((day, ""), [0])[0] - back_rounding
        line(day, "Cash", max(rounded, 0), max(-rounded, 0), "cash rounding")
        line(day, "Cash rounding", max(-rounded, 0), max(rounded, 0), "cash rounding")
        if over_short is not None and over_short.get(day):
            variance = over_short[day]
            line(day, "Cash", max(variance, 0), max(-variance, 0), "drawer counted against expected")
            line(day, "Cash over/short", max(-variance, 0), max(variance, 0), "drawer counted against expected")
    sums_all: shapes.JournalTotals = {"debit": sum(r["debit"] for r in rows), "credit": sum(r["credit"] for r in rows)}
    return {
        **_head("journal", shop, p, ["date", "account", "debit", "credit", "memo"]),
        "rows": rows,
        "totals": sums_all,
        "over_short_available": over_short is not None,
    }


# -- past Z reports ------------------------------------------------------------------------------------


def z_reports(shop: Shop, actor: Actor, start: str | None, end: str | None, limit: int = 200) -> shapes.ZReports:
    """The shifts closed in the period, newest first: a manager finds a Z report here to
    read or print again. Times are the store's."""
    require(shop, actor, Permission.VIEW_REPORTS)
    p = period(shop, start, end)
    out: list[shapes.ZReportRow] = []
    for r in q.closed_shifts(shop.db.conn, p.bounds, max(1, min(limit, 1000))):
        z = json.loads(r[8])
        out.append(
            {
                "shift": r[0],
                "terminal_id": r[1],
                "operator": r[2],
                "opened_at": rules.local(r[3], p.zone),
                "closed_at": rules.local(r[4], p.zone),
                "sales": z["sales"]["count"],
                "total": z["sales"]["total"],
                "counted": r[5],
                "expected": r[6],
                "variance": r[7],
            }
        )
    columns = ["shift", "terminal_id", "operator", "opened_at", "closed_at", "sales", "total", "variance"]
    return {**_head("z_reports", shop, p, columns), "rows": out}


# -- the list -------------------------------------------------------------------------------------------

REPORTS: dict[str, tuple[Callable[..., shapes.PeriodReport], str]] = {
    "by-day": (by_day, "Sales by day"),
    "by-hour": (by_hour, "Sales by hour of the day"),
    "by-employee": (by_employee, "Sales per employee"),
    "by-tender": (by_tender, "Takings and refunds by tender"),
    "by-tax": (by_tax, "Tax collected and refunded, by tax"),
    "top-products": (top_products, "Best-selling products"),
    "slow-products": (slow_products, "Slowest-selling products"),
    "voids-and-discounts": (voids_and_discounts, "Voided lines, cancelled sales, discounts"),
    "returns": (returns, "Refunds and returns"),
    "timesheet": (timesheet, "Hours worked and breaks per employee per day"),
    "stock-value": (stock_value, "Stock at cost"),
    "gift-card-liability": (gift_card_liability, "What is owed on gift cards"),
    "journal": (journal, "Daily accounting journal"),
}
TITLES = {name.replace("-", "_"): title for name, (_, title) in REPORTS.items()} | {"z_reports": "Z reports"}


def run(
    shop: Shop, actor: Actor, name: str, start: str | None, end: str | None, *, csv_rows: bool = False
) -> shapes.PeriodReport:
    fn = REPORTS[name][0]
    p = period(shop, start, end)
    if name == "stock-value":
        return stock_value(shop, actor, p, None if csv_rows else 200)
    return fn(shop, actor, p)


# What each report answers, for the OpenAPI description (web/api_backoffice.py).
SHAPES: dict[str, type] = {
    "by-day": shapes.ByDay,
    "by-hour": shapes.ByHour,
    "by-employee": shapes.ByEmployee,
    "by-tender": shapes.ByTender,
    "by-tax": shapes.ByTax,
    "top-products": shapes.ProductsReport,
    "slow-products": shapes.ProductsReport,
    "voids-and-discounts": shapes.VoidsAndDiscounts,
    "returns": shapes.Returns,
    "timesheet": shapes.Timesheet,
    "stock-value": shapes.StockValue,
    "gift-card-liability": shapes.GiftCardLiability,
    "journal": shapes.Journal,
}
