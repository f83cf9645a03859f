"""Reports over a period: sales by day, by hour, by employee, by tender, by tax; top and
slow products; voids and discounts; returns; the timesheet; the daily accounting journal.

Every report has the same shape, so the API can give it as JSON or CSV alike:
``{"report", "from", "to", "timezone", "currency", "columns": [...], "rows": [{...}], "totals": {...}}``.

Days and hours are the store's own (its time zone), but sales are stored in UTC. Rather
than ask SQLite about time zones, the queries group by UTC quarter hour (a year is at most
35,040 groups) and Python puts each quarter hour on its local day and hour: exact for any
zone, half-hour offsets and daylight saving included, and cheap.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appliance.app.domain.errors import Invalid
from appliance.app.services import gift_cards, stock, time_clock
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop, iso
from appliance.app.store import reports as reports_store
from appliance.app.store.db import Connection
from appliance.security.rbac import Permission

MAX_DAYS = 400  # a year and a bit: longer periods are for the accounting system
QUARTER = "substr({col}, 1, 14) || (CAST(substr({col}, 15, 2) AS INTEGER) / 15)"


@dataclass(frozen=True)
class Period:
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive
    zone: ZoneInfo

    @property
    def bounds(self) -> tuple[str, str]:
        return iso(self.start), iso(self.end)

    def days(self) -> list[tuple[str, dt.datetime, dt.datetime]]:
        """Each local day of the period as (YYYY-MM-DD, start, end) in UTC."""
        out = []
        day = self.start.astimezone(self.zone).date()
        last = (self.end - dt.timedelta(microseconds=1)).astimezone(self.zone).date()
        while day <= last:
            begin = dt.datetime.combine(day, dt.time(), self.zone).astimezone(dt.UTC)
            finish = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), self.zone).astimezone(dt.UTC)
            out.append((day.isoformat(), max(begin, self.start), min(finish, self.end)))
            day += dt.timedelta(days=1)
        return out


def zone_of(shop: Shop) -> ZoneInfo:
    try:
        return ZoneInfo(shop.settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _moment(text: str, zone: ZoneInfo, name: str, *, end: bool) -> dt.datetime:
    """A local date (whole day; for `to`, the day is included) or an ISO 8601 time."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            if end:
                day += dt.timedelta(days=1)
            return dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(f"{name} must be a date (YYYY-MM-DD) or an ISO 8601 time", "invalid_date") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


def period(shop: Shop, start: str | None, end: str | None) -> Period:
    """From `start` to `end` on the store's calendar; by default today so far."""
    zone = zone_of(shop)
    now = shop.clock()
    today = dt.datetime.combine(now.astimezone(zone).date(), dt.time(), zone).astimezone(dt.UTC)
    begin = _moment(start, zone, "from", end=False) if start else today
    finish = _moment(end, zone, "to", end=True) if end else now + dt.timedelta(seconds=1)
    if finish <= begin:
        raise Invalid("the period ends before it starts", "invalid_period")
    if finish - begin > dt.timedelta(days=MAX_DAYS):
        raise Invalid(f"a report covers at most {MAX_DAYS} days", "invalid_period")
    return Period(begin, finish, zone)


def _quarters(rows: Iterable[Any], zone: ZoneInfo) -> Iterable[tuple[dt.datetime, Any]]:
    """(local time of the quarter hour, row) for rows whose first column is a quarter key."""
    cache: dict[str, dt.datetime] = {}
    for row in rows:
        key = row[0]
        local = cache.get(key)
        if local is None:
            hour, quarter = key[:13], int(key[14:] or 0)
            utc = dt.datetime.strptime(hour, "%Y-%m-%dT%H").replace(minute=quarter * 15, tzinfo=dt.UTC)
            local = cache[key] = utc.astimezone(zone)
        yield local, row


def _report(
    name: str, shop: Shop, p: Period, columns: list[str], rows: list[dict[str, Any]], **extra: Any
) -> dict[str, Any]:
    return {
        "report": name,
        "from": iso(p.start),
        "to": iso(p.end),
        "timezone": str(p.zone),
        "currency": shop.settings.currency,
        "columns": columns,
        "rows": rows,
        **extra,
    }


def _columns(conn: Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}  # table names are ours, never input


# -- completed sales in a period, read by sale id ---------------------------------------------------
#
# Joining every completed sale of a year to its lines, taxes or payments costs one index
# probe per sale (a second for a million lines here). Sale ids grow with time, so the sales
# completed in a period are nearly all of the ids between the first and the last of them:
# the detail rows of that id range are read in one sequential pass of a covering index, and
# the few sales in the range that do not belong (cancelled, still open, completed outside
# the period) are taken back out.


def _id_range(conn: Connection, start: str, end: str) -> tuple[int, int, int] | None:
    row = conn.execute(
        "SELECT min(rowid), max(rowid), count(*) FROM sales "
        "WHERE status = 'completed' AND completed_at >= ? AND completed_at < ?",
        (start, end),
    ).fetchone()
    return None if not row[2] else (row[0], row[1], row[2])


_OUTSIDERS = (
    "SELECT id FROM sales INDEXED BY sales_state WHERE id BETWEEN ? AND ? "
    "AND NOT (status = 'completed' AND completed_at >= ? AND completed_at < ?)"
)


def _sums(
    conn: Connection, table: str, key: str, values: str, start: str, end: str, extra: str = ""
) -> dict[Any, list[int]]:
    """{key: [sums…]} over the detail rows of the sales completed in [start, end).
    `table`, `key`, `values` and `extra` are fixed strings of this module, never input."""
    found = _id_range(conn, start, end)
    if found is None:
        return {}
    lo, hi, _ = found
    plain = table.split(" INDEXED BY ")[0]  # the few outsiders are found by sale id, not by a full scan
    out: dict[Any, list[int]] = {}
    whole = conn.execute(
        f"SELECT {key}, {values} FROM {table} WHERE sale_id BETWEEN ? AND ? {extra} GROUP BY 1",  # noqa: S608
        (lo, hi),
    )
    for row in whole:
        out[row[0]] = [v or 0 for v in tuple(row)[1:]]
    less = conn.execute(
        f"SELECT {key}, {values} FROM {plain} WHERE sale_id IN ({_OUTSIDERS}) {extra} GROUP BY 1",  # noqa: S608
        (lo, hi, start, end),
    )
    for row in less:
        acc = out[row[0]]
        for i, v in enumerate(tuple(row)[1:]):
            acc[i] -= v or 0
    return {k: v for k, v in out.items() if any(v)}


# -- sales --------------------------------------------------------------------------------------------

_COMPLETED = "FROM sales WHERE status = 'completed' AND completed_at >= ? AND completed_at < ?"


def by_day(shop: Shop, actor: Actor, p: Period) -> dict[str, Any]:
    require(shop, actor, Permission.VIEW_REPORTS)
    rows = shop.db.conn.execute(
        f"SELECT {QUARTER.format(col='completed_at')}, count(*), sum(subtotal), sum(tax), sum(total) "
        f"{_COMPLETED} GROUP BY 1",
        p.bounds,
    )
    days: dict[str, list[int]] = {label: [0, 0, 0, 0] for label, _, _ in p.days()}
    for local, r in _quarters(rows, p.zone):
        acc = days.setdefault(local.date().isoformat(), [0, 0, 0, 0])
        for i in range(4):
            acc[i] += r[i + 1]
    out = [
        {"day": d, "sales": a[0], "subtotal": a[1], "tax": a[2], "total": a[3], "average": a[3] // a[0] if a[0] else 0}
        for d, a in sorted(days.items())
    ]
    return _report("by_day", shop, p, ["day", "sales", "subtotal", "tax", "total", "average"], out, totals=_sum(out))


def by_hour(shop: Shop, actor: Actor, p: Period) -> dict[str, Any]:
    require(shop, actor, Permission.VIEW_REPORTS)
    rows = shop.db.conn.execute(
        f"SELECT {QUARTER.format(col='completed_at')}, count(*), sum(total) {_COMPLETED} GROUP BY 1",
        p.bounds,
    )
    hours = [[0, 0] for _ in range(24)]
    for local, r in _quarters(rows, p.zone):
        hours[local.hour][0] += r[1]
        hours[local.hour][1] += r[2]
    out = [{"hour": h, "sales": a[0], "total": a[1]} for h, a in enumerate(hours)]
    return _report("by_hour", shop, p, ["hour", "sales", "total"], out, totals=_sum(out, skip=("hour",)))


def by_employee(shop: Shop, actor: Actor, p: Period) -> dict[str, Any]:
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    rows = conn.execute(
        f"SELECT cashier_id, count(*), sum(total) {_COMPLETED} GROUP BY cashier_id",
        p.bounds,
    ).fetchall()
    names = {r[0]: r[1] for r in conn.execute("SELECT id, username FROM users")}
    out = [
        {"employee": names.get(r[0], "?"), "sales": r[1], "total": r[2], "average": r[2] // r[1] if r[1] else 0}
        for r in rows
    ]
    out.sort(key=lambda r: -r["total"])
    return _report("by_employee", shop, p, ["employee", "sales", "total", "average"], out, totals=_sum(out))


def by_tender(shop: Shop, actor: Actor, p: Period) -> dict[str, Any]:
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    taken = [(m, *v) for m, v in _sums(conn, "payments", "method", "count(*), sum(amount)", *p.bounds).items()]
    back = dict(
        conn.execute(
            "SELECT t.method, sum(t.amount) FROM refunds r JOIN refund_tenders t ON t.refund_id = r.id "
            "WHERE r.created_at >= ? AND r.created_at < ? GROUP BY t.method",
            p.bounds,
        ).fetchall()
    )
    methods = sorted({r[0] for r in taken} | set(back))
    found = {r[0]: (r[1], r[2]) for r in taken}
    out = [
        {
            "method": m,
            "count": found.get(m, (0, 0))[0],
            "taken": found.get(m, (0, 0))[1],
            "refunded": back.get(m, 0),
            "net": found.get(m, (0, 0))[1] - back.get(m, 0),
        }
        for m in methods
    ]
    return _report("by_tender", shop, p, ["method", "count", "taken", "refunded", "net"], out, totals=_sum(out))


def by_tax(shop: Shop, actor: Actor, p: Period) -> dict[str, Any]:
    require(shop, actor, Permission.VIEW_REPORTS)
    sums = _sums(shop.db.conn, "sale_taxes", "name || char(31) || rate", "sum(base), sum(amount)", *p.bounds)
    rows = sorted((*k.split("\x1f"), *v) for k, v in sums.items())
    out = [{"tax": r[0], "rate": r[1], "base": r[2], "amount": r[3]} for r in rows]
    return _report("by_tax", shop, p, ["tax", "rate", "base", "amount"], out, totals=_sum(out, skip=("rate", "base")))


# -- products -----------------------------------------------------------------------------------------


def _sold(conn: Connection, p: Period) -> dict[int, tuple[int, int]]:
    """Quantity and amount sold per product over the period (voided lines left out)."""
    sums = _sums(
        conn,
        "sale_lines INDEXED BY sale_lines_by_product",
        "product_id",
        "sum(quantity), sum(quantity * unit_price)",
        *p.bounds,
        "AND voided = 0",
    )
    return {k: (v[0], v[1]) for k, v in sums.items()}


_PRODUCT_COLUMNS = ["sku", "name", "quantity", "amount", "on_hand"]


def _product_rows(conn: Connection, picked: list[tuple[int, tuple[int, int]]]) -> list[dict[str, Any]]:
    if not picked:
        return []
    ids = [pid for pid, _ in picked]
    info = {
        r[0]: r
        for r in conn.execute(
            f"SELECT id, sku, name, stock_on_hand FROM products WHERE id IN ({','.join('?' * len(ids))})",  # noqa: S608
            ids,
        )
    }
    return [
        {"sku": info[pid][1], "name": info[pid][2], "quantity": q, "amount": a, "on_hand": info[pid][3]}
        for pid, (q, a) in picked
        if pid in info
    ]


def top_products(shop: Shop, actor: Actor, p: Period, limit: int = 20) -> dict[str, Any]:
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    sold = _sold(conn, p)
    picked = sorted(sold.items(), key=lambda kv: (-kv[1][1], kv[0]))[: max(1, min(limit, 500))]
    return _report("top_products", shop, p, _PRODUCT_COLUMNS, _product_rows(conn, picked))


def slow_products(shop: Shop, actor: Actor, p: Period, limit: int = 20) -> dict[str, Any]:
    """Products on sale that sold least (none at all first), the ones with most on hand first
    among equals: what ties up the shelf."""
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    sold = _sold(conn, p)
    candidates = conn.execute("SELECT id, stock_on_hand FROM products WHERE active AND stock_tracked").fetchall()
    ranked = sorted(candidates, key=lambda r: (sold.get(r[0], (0, 0))[0], -r[1], r[0]))[: max(1, min(limit, 500))]
    picked = [(r[0], sold.get(r[0], (0, 0))) for r in ranked]
    return _report("slow_products", shop, p, _PRODUCT_COLUMNS, _product_rows(conn, picked))


# -- voids, discounts, returns ------------------------------------------------------------------------


def discounts_given(conn: Connection, p: Period) -> list[dict[str, Any]]:
    """Discounts per employee, from the sale's total discount that the pricing migration (the
    lead's 0004) adds as sales.discount, frozen at completion; none when it is not there yet."""
    if "discount" not in _columns(conn, "sales"):
        return []
    names = {r[0]: r[1] for r in conn.execute("SELECT id, username FROM users")}
    rows = [
        (names.get(r[0], "?"), r[1], r[2])
        for r in conn.execute(
            "SELECT cashier_id, count(*), sum(discount) FROM sales WHERE status = 'completed' "
            "AND completed_at >= ? AND completed_at < ? AND discount > 0 GROUP BY 1",
            p.bounds,
        )
    ]
    return [{"employee": r[0], "kind": "discount", "count": r[1], "amount": r[2]} for r in rows]


def voids_and_discounts(shop: Shop, actor: Actor, p: Period) -> dict[str, Any]:
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    names = {r[0]: r[1] for r in conn.execute("SELECT id, username FROM users")}
    voided = [
        (names.get(r[0], "?"), r[1], r[2])
        for r in conn.execute(
            "SELECT coalesce(l.voided_by, s.cashier_id), count(*), sum(l.quantity * l.unit_price) "
            "FROM sale_lines l INDEXED BY sale_lines_voided JOIN sales s ON s.id = l.sale_id "
            "WHERE l.voided = 1 AND s.opened_at >= ? AND s.opened_at < ? GROUP BY 1",
            p.bounds,
        )
    ]
    cancelled = [
        (names.get(r[0], "?"), r[1])
        for r in conn.execute(
            "SELECT cashier_id, count(*) FROM sales WHERE status = 'cancelled' AND opened_at >= ? AND opened_at < ? "
            "GROUP BY 1",
            p.bounds,
        )
    ]
    out = [{"employee": r[0], "kind": "voided_line", "count": r[1], "amount": r[2]} for r in voided]
    out += [{"employee": r[0], "kind": "cancelled_sale", "count": r[1], "amount": 0} for r in cancelled]
    out += discounts_given(conn, p)
    out.sort(key=lambda r: (r["kind"], r["employee"]))
    return _report("voids_and_discounts", shop, p, ["employee", "kind", "count", "amount"], out, totals=_sum(out))


def returns(shop: Shop, actor: Actor, p: Period) -> dict[str, Any]:
    require(shop, actor, Permission.VIEW_REPORTS)
    rows = shop.db.conn.execute(
        "SELECT r.id, r.created_at, s.terminal_id, s.receipt_no, u.username, r.reason, r.amount, r.tax, "
        "(SELECT coalesce(sum(quantity), 0) FROM refund_lines x WHERE x.refund_id = r.id) "
        "FROM refunds r JOIN sales s ON s.id = r.sale_id JOIN users u ON u.id = r.user_id "
        "WHERE r.created_at >= ? AND r.created_at < ? ORDER BY r.created_at",
        p.bounds,
    ).fetchall()
    out = [
        {
            "refund": r[0],
            "at": r[1],
            "receipt_number": f"{r[2]}-{r[3]:06d}" if r[3] else None,
            "employee": r[4],
            "reason": r[5],
            "items": r[8],
            "amount": r[6],
            "tax": r[7],
        }
        for r in rows
    ]
    columns = ["refund", "at", "receipt_number", "employee", "reason", "items", "amount", "tax"]
    return _report("returns", shop, p, columns, out, totals=_sum(out, skip=("refund",)))


# -- staff, stock, gift cards --------------------------------------------------------------------------


def timesheet(shop: Shop, actor: Actor, p: Period) -> dict[str, Any]:
    rows = time_clock.timesheet(shop, actor, p.days())
    columns = ["day", "employee", "first_in", "last_out", "worked_minutes", "break_minutes", "still_open"]
    return _report("timesheet", shop, p, columns, rows, totals=_sum(rows))


def stock_value(shop: Shop, actor: Actor, p: Period, limit: int | None = 200) -> dict[str, Any]:
    found = stock.stock_value(shop, actor, limit)
    return _report("stock_value", shop, p, found["columns"], found["rows"], totals=found["totals"])


def gift_card_liability(shop: Shop, actor: Actor, p: Period) -> dict[str, Any]:
    found = gift_cards.liability(shop, actor)
    return _report("gift_card_liability", shop, p, found["columns"], found["rows"], totals=found["totals"])


# -- the accounting journal ----------------------------------------------------------------------------


def cash_over_short(conn: Connection, p: Period) -> dict[str, int] | None:
    """Cash over (+) or short (-) per local day, from the shifts that closed in the period.

    FOR THE SHIFTS OWNER: this reads a `shifts` table with `closed_at` (UTC ISO) and
    `variance` (counted minus expected, minor units) when one exists; if your table says
    it otherwise, change only this function. None means "no shifts kept": the journal then
    leaves the over/short line out rather than print a zero nobody counted."""
    columns = _columns(conn, "shifts")
    if not {"closed_at", "variance"} <= columns:
        return None
    rows = conn.execute(
        f"SELECT {QUARTER.format(col='closed_at')}, sum(variance) FROM shifts "  # noqa: S608
        "WHERE closed_at >= ? AND closed_at < ? GROUP BY 1",
        p.bounds,
    )
    out: dict[str, int] = {}
    for local, r in _quarters(rows, p.zone):
        day = local.date().isoformat()
        out[day] = out.get(day, 0) + (r[1] or 0)
    return out


TENDER_ACCOUNTS = {
    "cash": "Cash",
    "card": "Card clearing",
    "gift_card": "Gift card liability",
    "loyalty": "Loyalty points redeemed",
}


def _by_day(rows: Iterable[Any], zone: ZoneInfo, width: int) -> dict[tuple[str, str], list[int]]:
    """{(local day, key): sums} from rows of (quarter key, key, value…)."""
    out: dict[tuple[str, str], list[int]] = {}
    for local, r in _quarters(rows, zone):
        acc = out.setdefault((local.date().isoformat(), r[1]), [0] * width)
        for i in range(width):
            acc[i] += r[2 + i] or 0
    return out


def journal(shop: Shop, actor: Actor, p: Period) -> dict[str, Any]:
    """The day's takings as balanced journal lines an accountant can import: tenders
    debited; sales, gift cards sold and each tax credited; refunds the other way round;
    cash rounding on its own account; cash over/short from the shifts. Debits equal
    credits on every day."""
    require(shop, actor, Permission.VIEW_REPORTS)
    conn = shop.db.conn
    q = QUARTER.format(col="s.completed_at")
    where = "WHERE s.status = 'completed' AND s.completed_at >= ? AND s.completed_at < ? GROUP BY 1, 2"
    head = f"SELECT {q}, '', sum(s.total), sum(s.tax), sum(s.cash_rounding) FROM sales s {where}"  # noqa: S608
    sales_ = _by_day(conn.execute(head, p.bounds), p.zone, 3)
    taxes: dict[tuple[str, str], list[int]] = {}
    tenders: dict[tuple[str, str], list[int]] = {}
    for day, begin, finish in p.days():
        bounds = (iso(begin), iso(finish))
        for name, sums in _sums(conn, "sale_taxes", "name", "sum(amount)", *bounds).items():
            taxes[(day, name)] = sums
        for method, sums in _sums(conn, "payments", "method", "sum(amount)", *bounds).items():
            tenders[(day, method)] = sums
    qe = QUARTER.format(col="at")
    cards = _by_day(
        conn.execute(
            f"SELECT {qe}, '', sum(amount) FROM gift_card_entries WHERE kind IN ('issue', 'top_up') "  # noqa: S608
            "AND at >= ? AND at < ? GROUP BY 1, 2",
            p.bounds,
        ),
        p.zone,
        1,
    )
    # Cards sold on a sale and taken back by its refund: that money was liability, not sales.
    returned_cards = _by_day(
        conn.execute(
            f"SELECT {qe}, '', -sum(amount) FROM gift_card_entries WHERE kind = 'void' AND sale_id IS NOT NULL "  # noqa: S608
            "AND at >= ? AND at < ? GROUP BY 1, 2",
            p.bounds,
        ),
        p.zone,
        1,
    )
    qr = QUARTER.format(col="r.created_at")
    refunds = _by_day(
        conn.execute(
            f"SELECT {qr}, '', sum(r.amount), sum(r.tax) FROM refunds r "  # noqa: S608
            "WHERE r.created_at >= ? AND r.created_at < ? GROUP BY 1, 2",
            p.bounds,
        ),
        p.zone,
        2,
    )
    refund_tenders = _by_day(
        conn.execute(
            f"SELECT {qr}, t.method, sum(t.amount) FROM refunds r JOIN refund_tenders t ON t.refund_id = r.id "  # noqa: S608
            "WHERE r.created_at >= ? AND r.created_at < ? GROUP BY 1, 2",
            p.bounds,
        ),
        p.zone,
        1,
    )
    refunds_rounding = _by_day(reports_store.cash_refund_rounding(conn, qr, p.bounds), p.zone, 1)
    over_short = cash_over_short(conn, p)
    rows: list[dict[str, Any]] = []

    def line(day: str, account: str, debit: int, credit: int, memo: str) -> None:
        if debit or credit:
            rows.append({"date": day, "account": account, "debit": debit, "credit": credit, "memo": memo})

    for day, _, _ in p.days():
        for (d, method), (amount,) in sorted(tenders.items()):
            if d == day:
                line(day, TENDER_ACCOUNTS.get(method, f"Tender: {method}"), amount, 0, f"{method} taken")
        total, tax, sales_rounding = sales_.get((day, ""), [0, 0, 0])
        sold_cards = cards.get((day, ""), [0])[0]
        line(day, "Sales", 0, total - tax - sold_cards, "sales before tax")
        line(day, "Gift card liability", 0, sold_cards, "gift cards sold and topped up")
        for (d, name), (amount,) in sorted(taxes.items()):
            if d == day:
                line(day, f"Tax payable: {name}", 0, amount, f"{name} collected")
        refunded, refunded_tax = refunds.get((day, ""), [0, 0])
        cards_back = returned_cards.get((day, ""), [0])[0]
        line(day, "Gift card liability", cards_back, 0, "gift cards returned")
        line(day, "Sales returns", refunded - refunded_tax - cards_back, 0, "refunds before tax")
        line(day, "Tax refunded", refunded_tax, 0, "tax given back on refunds")
        for (d, method), (amount,) in sorted(refund_tenders.items()):
            if d == day:
                line(day, TENDER_ACCOUNTS.get(method, f"Tender: {method}"), 0, amount, f"{method} refunded")
        # Cash rounding: the tenders above are what was applied to the sales; the drawer took
        # (or, refunding, gave) that much more, booked against its own account.
        rounded = sales_rounding - refunds_rounding.get((day, ""), [0])[0]
        line(day, "Cash", max(rounded, 0), max(-rounded, 0), "cash rounding")
        line(day, "Cash rounding", max(-rounded, 0), max(rounded, 0), "cash rounding")
        if over_short is not None and over_short.get(day):
            variance = over_short[day]
            line(day, "Cash", max(variance, 0), max(-variance, 0), "drawer counted against expected")
            line(day, "Cash over/short", max(-variance, 0), max(variance, 0), "drawer counted against expected")
    totals = {"debit": sum(r["debit"] for r in rows), "credit": sum(r["credit"] for r in rows)}
    return _report(
        "journal",
        shop,
        p,
        ["date", "account", "debit", "credit", "memo"],
        rows,
        totals=totals,
        over_short_available=over_short is not None,
    )


# -- the list, and CSV ---------------------------------------------------------------------------------

REPORTS: dict[str, tuple[Callable[..., dict[str, Any]], str]] = {
    "by-day": (by_day, "Sales by day"),
    "by-hour": (by_hour, "Sales by hour of the day"),
    "by-employee": (by_employee, "Sales per employee"),
    "by-tender": (by_tender, "Takings and refunds by tender"),
    "by-tax": (by_tax, "Tax collected by tax"),
    "top-products": (top_products, "Best-selling products"),
    "slow-products": (slow_products, "Slowest-selling products"),
    "voids-and-discounts": (voids_and_discounts, "Voided lines, cancelled sales, discounts"),
    "returns": (returns, "Refunds and returns"),
    "timesheet": (timesheet, "Hours worked and breaks per employee per day"),
    "stock-value": (stock_value, "Stock at cost"),
    "gift-card-liability": (gift_card_liability, "What is owed on gift cards"),
    "journal": (journal, "Daily accounting journal"),
}


def run(
    shop: Shop, actor: Actor, name: str, start: str | None, end: str | None, *, csv_rows: bool = False
) -> dict[str, Any]:
    fn = REPORTS[name][0]
    p = period(shop, start, end)
    if name == "stock-value":
        return stock_value(shop, actor, p, None if csv_rows else 200)
    return fn(shop, actor, p)


def to_csv(report: dict[str, Any]) -> str:
    """Money stays in minor units, as in the JSON: a spreadsheet divides, a CSV never rounds."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(report["columns"])
    for row in report["rows"]:
        writer.writerow([_cell(row.get(c)) for c in report["columns"]])
    return out.getvalue()


def _cell(value: Any) -> Any:
    # A cell starting with = + - @ is a formula to a spreadsheet: quote it as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if value is None:
        return ""
    return value


def _sum(rows: list[dict[str, Any]], skip: tuple[str, ...] = ()) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in rows:
        for key, value in row.items():
            if key in skip or isinstance(value, bool) or not isinstance(value, int):
                continue
            totals[key] = totals.get(key, 0) + value
    totals.pop("average", None)
    return totals
