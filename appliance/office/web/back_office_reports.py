"""The back office's Reports page and its Day check (docs/office.md, "The back office"): the
chain's books (services/books.py) as tables made on the server, and one chart per report that
static/reports.js draws from the same figures, read again from the books' JSON route. The
tables are the report; the chart is a picture of them (a screen reader reads the table).

What each person reads is the books' rule (a store manager their own store), checked by the
service whatever the form offered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appliance.app.domain.errors import DomainError
from appliance.office.services import books, staff
from appliance.office.services.books import Reader
from appliance.office.services.sign_in import Person
from appliance.office.web.back_office_http import html_page, person_of, status_of
from appliance.office.web.html import Html, join, message, page, table, tag, void

DEFAULT_REPORT = "by-day"
DEFAULT_DAYS = 7  # a bare Reports page: the last week, today included

# Each report's columns: heading, key in its rows, and how the value is shown ("money" in
# minor units with the row's currency, "count" a whole number, "text" as it is).
Column = tuple[str, str, str]
COLUMNS: dict[str, tuple[Column, ...]] = {
    "summary": (
        ("Store", "store", "text"),
        ("Lane", "till", "text"),
        ("Sales", "sales", "count"),
        ("Before tax", "subtotal", "money"),
        ("Tax", "tax", "money"),
        ("Total", "total", "money"),
        ("Gift cards sold", "gift_cards", "money"),
        ("Discounts", "discount", "money"),
        ("Cash rounding", "cash_rounding", "money"),
    ),
    "by-day": (
        ("Day", "day", "text"),
        ("Sales", "sales", "count"),
        ("Before tax", "subtotal", "money"),
        ("Tax", "tax", "money"),
        ("Total", "total", "money"),
        ("Gift cards sold", "gift_cards_sold", "money"),
    ),
    "by-hour": (
        ("Hour", "hour", "text"),
        ("Sales", "sales", "count"),
        ("Total", "total", "money"),
        ("Gift cards sold", "gift_cards_sold", "money"),
    ),
    "by-tax": (
        ("Tax", "name", "text"),
        ("Rate", "rate", "text"),
        ("Taxed", "base", "money"),
        ("Tax collected", "amount", "money"),
    ),
    "by-tender": (
        ("Tender", "method", "text"),
        ("Payments", "count", "count"),
        ("Taken", "amount", "money"),
        ("Cash rounding", "rounding", "money"),
        ("Refunded", "refunded", "money"),
        ("Net", "net", "money"),
    ),
    "top-products": (("SKU", "sku", "text"), ("Quantity", "quantity", "count"), ("Sold for", "amount", "money")),
    "z-reports": (
        ("Store", "store", "text"),
        ("Lane", "till", "text"),
        ("Shift", "shift", "text"),
        ("Opened", "opened_at", "text"),
        ("Closed", "closed_at", "text"),
        ("Sales", "sales", "count"),
        ("Tax", "tax", "money"),
        ("Total", "total", "money"),
        ("Cash over (+) or short (−)", "variance", "money"),
    ),
    "journal": (
        ("Store", "store", "text"),
        ("Day", "date", "text"),
        ("Account", "account", "text"),
        ("Debit", "debit", "money"),
        ("Credit", "credit", "money"),
        ("What", "memo", "text"),
    ),
}
# What reports.js draws of each report: the keys that name a bar, and the amount it shows.
CHARTS: dict[str, tuple[str, str]] = {
    "summary": ("store,till", "total"),
    "by-day": ("day", "total"),
    "by-hour": ("hour", "total"),
    "by-tax": ("name,rate", "amount"),
    "by-tender": ("method", "amount"),
    "top-products": ("sku", "amount"),
    "z-reports": ("till,shift", "total"),
}
_SUMMED = {
    "sales": "Sales",
    "subtotal": "Before tax",
    "tax": "Tax",
    "total": "Total",
    "gift_cards": "Gift cards sold",
    "discount": "Discounts",
    "cash_rounding": "Cash rounding",
    "refunds_count": "Refunds",
    "refunds_amount": "Refunded",
    "gift_cards_returned": "Gift cards returned",
    "returns_without_receipt_count": "Returns without a receipt",
    "returns_without_receipt_amount": "Returned without a receipt",
    "paid_in": "Cash paid in",
    "paid_out": "Cash paid out",
}


def reader_of(who: Person) -> Reader:
    """The books' reader for a person signed in at the back office."""
    return Reader(who.username, who.role, who.scope)


def reader_on(request: Request) -> Reader | None:
    """Who reads the books' JSON on this request: None without a live session or before the
    person has chosen their own password (the routes answer 401)."""
    who = person_of(request)
    return None if who is None else reader_of(who)


def money(value: object, currency: object = None) -> str:
    # Minor units; the chain's currencies have two decimals today (as the catalogue shows them).
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        return "" if value is None else str(value)
    sign = "-" if value < 0 else ""
    shown = f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"
    return f"{shown} {currency}" if currency else shown


def _cell(row: dict[str, Any], key: str, kind: str) -> object:
    value = row.get(key)
    if kind == "money":
        return money(value, row.get("currency"))
    return "" if value is None else value


def _numeric(columns: Sequence[Column]) -> tuple[int, ...]:
    return tuple(i for i, c in enumerate(columns) if c[2] != "text")


def _report_tables(found: dict[str, Any]) -> Html:
    name = str(found["report"])
    columns = COLUMNS[name]
    rows = [[_cell(r, key, kind) for _, key, kind in columns] for r in found["rows"]]
    parts = [table(str(found["title"]), [c[0] for c in columns], rows, numeric=_numeric(columns))]
    if name == "summary":
        for currency, sums in sorted(found["totals"].items()):
            summed = [
                [label, sums[key] if key.endswith(("_count", "sales")) else money(sums[key], currency)]
                for key, label in _SUMMED.items()
                if key in sums
            ]
            parts.append(table(f"Totals in {currency}", ["Figure", "Amount"], summed, numeric=(1,)))
    if name == "journal":
        totals = found["totals"]
        parts.append(
            table(
                "Journal totals (debit equals credit)",
                ["Debit", "Credit"],
                [[money(totals["debit"]), money(totals["credit"])]],
                numeric=(0, 1),
            )
        )
    return join(parts)


def _chart(found: dict[str, Any], query: dict[str, str]) -> Html:
    name = str(found["report"])
    if name not in CHARTS or not found["rows"]:
        return Html("")
    labels, value = CHARTS[name]
    heading = next(c[0] for c in COLUMNS[name] if c[1] == value)
    title = f"Chart: {found['title']}, {heading.lower()}"
    canvas = tag(
        "canvas",
        id="report-chart",
        role="img",
        aria_label=f"{title}. The same figures are in the table {found['title']}.",
        data_source=f"/books/reports/{name}?" + urlencode(query),
        data_labels=labels,
        data_value=value,
        data_title=str(found["title"]),
    )
    return join(
        [
            tag("figure", tag("figcaption", title), tag("div", canvas, class_="chart-box"), class_="chart"),
            # Files of this site (the CSP's script-src 'self'), run once the page is read.
            tag("script", src="/static/chart.umd.min.js", defer=True),
            tag("script", src="/static/reports.js", defer=True),
        ]
    )


def _select(label: str, name: str, options: Sequence[tuple[str, str]], chosen: str) -> Html:
    return join(
        [
            tag("label", label, for_=name),
            tag(
                "select",
                *(tag("option", text, value=value, selected=value == chosen) for value, text in options),
                id=name,
                name=name,
            ),
        ]
    )


def _store_options(who: Person, stores: list[str]) -> list[tuple[str, str]]:
    if who.scope is not None:
        return [(who.scope, who.scope)]
    return [("", "every store"), *((s, s) for s in stores)]


def _report_form(who: Person, stores: list[str], chosen: dict[str, str]) -> Html:
    names = [(n, f"{title} ({n})") for n, (_, title) in books.REPORTS.items()]
    return tag(
        "form",
        _select("Report", "report", names, chosen["report"]),
        _select("Store", "store", _store_options(who, stores), chosen["store"]),
        tag("label", "From (day, YYYY-MM-DD)", for_="from"),
        void("input", id="from", name="from", type="date", required=True, value=chosen["from"]),
        tag("label", "To (day, included)", for_="to"),
        void("input", id="to", name="to", type="date", required=True, value=chosen["to"]),
        tag("label", "Lane (a till, e.g. T01; empty: every lane)", for_="lane"),
        void("input", id="lane", name="lane", maxlength="64", value=chosen["lane"]),
        tag("button", "Show", type="submit"),
        method="get",
        action="/reports",
        class_="stack",
    )


def _chosen(request: Request, who: Person, today: dt.date) -> dict[str, str]:
    got = request.query_params
    return {
        "report": got.get("report") or DEFAULT_REPORT,
        "store": who.scope or got.get("store", "")[:64],
        "from": got.get("from") or (today - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
        "to": got.get("to") or got.get("from") or today.isoformat(),
        "lane": got.get("lane", "").strip()[:64],
    }


async def reports_page(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    office = request.app.state.office
    chosen = _chosen(request, who, office.now().date())
    stores = await run_in_threadpool(staff.store_names, office)
    shown: Html
    status = 200
    try:
        found = await run_in_threadpool(
            lambda: books.report(
                office, reader_of(who), chosen["report"], store=chosen["store"] or None,
                start=chosen["from"], end=chosen["to"], lane=chosen["lane"] or None,
            )
        )  # fmt: skip
    except DomainError as exc:
        shown, status = message(problem=exc.message), status_of(exc)
    else:
        query = {"from": chosen["from"], "to": chosen["to"]}
        query.update({k: chosen[k] for k in ("store", "lane") if chosen[k]})
        period = f"{found['from']} to {found['to']} ({found['timezone']})"
        scope = ", ".join(found["stores"]) if found["stores"] else "every store"
        lane = f", lane {found['lane']}" if found["lane"] else ""
        shown = join(
            [
                tag("h2", found["title"]),
                tag("p", f"{scope}{lane}, {period}.", class_="muted"),
                _chart(found, query),
                _report_tables(found),
            ]
        )
    body = join(
        [
            _report_form(who, stores, chosen),
            tag("p", tag("a", "Day check: a store's day against its lanes' Z reports", href="/reports/day-check")),
            tag("div", shown, id="report"),
        ]
    )
    return html_page(page("Reports", body, who=who, csrf=csrf, here="/reports"), status)


# -- the day check ------------------------------------------------------------------------------

_WHY = {
    "no_z_yet": "takings with no Z yet",
    "shift_open": "a shift still open",
    "events_missing": "events the office lacks",
}


def _difference_rows(found: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = []
    for p in found["differing"]:
        if p["why"] == "differs":
            for figure, v in p["figures"].items():
                shown = [v[k] if figure.endswith("_count") else money(v[k]) for k in ("z", "office", "difference")]
                rows.append([p["till"], p["shift"], figure.replace("_", " "), *shown])
        elif p["why"] == "no_z_yet":
            rows.append([p["till"], "", _WHY["no_z_yet"], "", money(p["sales_total"]), money(p["sales_total"])])
        elif p["why"] == "shift_open":
            rows.append([p["till"], p["shift"], f"{_WHY['shift_open']} (since {p['opened_at']})", "", "", ""])
        else:
            said = f"the office holds up to event {p['held_to']}, the lane wrote {p['lane_wrote']}"
            rows.append([p["till"], "", f"{_WHY['events_missing']}: {said}", "", "", ""])
    return rows


def _day_check_result(found: dict[str, Any]) -> Html:
    head = f"{found['store']}, {found['day']} ({found['timezone']}): {found['z_reports']} Z report(s)."
    if found["equal"]:
        verdict = tag(
            "p",
            tag("strong", "Equal"),
            ": the office's totals are the sum of the lanes' Z reports, to the cent.",
            class_="notice",
            role="status",
        )
        return join([tag("p", head), verdict])
    lanes = ", ".join(found["differing_lanes"])
    verdict = tag("p", tag("strong", "Differs"), f" in lane(s) {lanes}.", class_="problem", role="alert")
    heads = ["Lane", "Shift", "What", "Z says", "Office holds", "Difference (office − Z)"]
    shown = table("Where the lanes differ", heads, _difference_rows(found), numeric=(3, 4, 5))
    return join([tag("p", head), verdict, shown])


async def day_check_page(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    office = request.app.state.office
    stores = await run_in_threadpool(staff.store_names, office)
    options = _store_options(who, stores)[0 if who.scope else 1 :]
    store = who.scope or request.query_params.get("store", "")[:64] or (options[0][0] if options else "")
    day = request.query_params.get("day") or office.now().date().isoformat()
    shown: Html = Html("")
    status = 200
    if "day" in request.query_params:
        try:
            found = await run_in_threadpool(books.day_check, office, store, day, reader_of(who))
        except DomainError as exc:
            shown, status = message(problem=exc.message), status_of(exc)
        else:
            shown = _day_check_result(found)
    check_form = tag(
        "form",
        _select("Store", "store", options, store),
        tag("label", "Day (YYYY-MM-DD)", for_="day"),
        void("input", id="day", name="day", type="date", required=True, value=day),
        tag("button", "Check", type="submit"),
        method="get",
        action="/reports/day-check",
        class_="stack",
    )
    body = join([tag("p", tag("a", "Back to the reports", href="/reports")), check_form, tag("div", shown, id="check")])
    return html_page(page("Day check", body, who=who, csrf=csrf, here="/reports"), status)
