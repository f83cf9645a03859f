"""The chain's books: the till's reports at the office, across stores, lanes and dates, and
the day check (the office's own totals for a store's day against the sum of its lanes' Z
reports, to the cent).

`project` is the books projection (services/projections.py calls it with each event stored
for the first time): sales, refunds, returns without a receipt, cash paid in and out, and
shifts with their Z, into the office's `book_*` tables. Rows are keyed by the till's own ids,
so events that come late, out of order, or from many lanes at once land where they belong.

Who may read: a chain admin and an auditor every store; a store manager their store only.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.app.domain.errors import Forbidden, Invalid, NotFound
from appliance.office.services import day_figures as figures
from appliance.office.services.found import Found, Lane
from appliance.office.services.office import Office
from appliance.office.store import books as q
from appliance.office.store.db import Connection

MAX_DAYS = 400
KINDS = frozenset(
    {"sale_completed", "refund", "return_without_receipt", "paid_in", "paid_out", "shift_opened", "shift_closed"}
)


@dataclass(frozen=True)
class Reader:
    """A person at the office reading the books: their name, role and (a manager) store."""

    name: str
    role: str
    store: str | None = None


# The office's own command line: whoever runs it holds the database and the data dir.
OFFICE_CLI = Reader("cli", "chain_admin")


# -- the projection -----------------------------------------------------------------------------


def project(conn: Connection, lane: Lane, event: dict[str, Any]) -> list[Found]:
    """Writes what the event says into the books (the day check is where the Z meets the
    events). The body is read whole before anything is written, so one the books cannot read
    writes nothing and leaves the rest of the batch to be stored."""
    try:
        write = _booking(lane.store, lane.till, event)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        why = f"{type(exc).__name__}: {str(exc).strip()[:200]}"
        return [Found("books_unreadable", int(event["seq"]), {"event_kind": event["kind"], "why": why})]
    write(conn)
    return []


_BIG = 2**62  # a bigint with room: an amount past it is no till's


def _int(value: Any, name: str, *, default: int | None = None) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not -_BIG < value < _BIG:
        raise ValueError(f"{name} is not a whole number")
    return value


def _time(value: Any, name: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"{name} has no time zone")
    return moment


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name} is not text")
    return value


def _sale(body: dict[str, Any]) -> dict[str, Any]:
    # A till from before gift card loads were marked says nothing (None): its loads stay in
    # its sales, as they always were at the office.
    cards = body.get("gift_cards")
    if cards is not None and not isinstance(cards, dict):
        raise TypeError("gift_cards is not {cards, amount}")
    taxes: dict[tuple[str, str], list[int]] = {}
    for t in body.get("taxes") or []:
        held = taxes.setdefault((_text(t["name"], "tax name"), str(t["rate"])), [0, 0])
        held[0] += _int(t["base"], "tax base")
        held[1] += _int(t["amount"], "tax amount")
    return {
        "sale_id": _int(body["sale_id"], "sale_id"),
        "receipt_no": None if body.get("receipt_no") is None else _int(body["receipt_no"], "receipt_no"),
        "completed_at": _time(body["completed_at"], "completed_at"),
        "currency": _text(body["currency"], "currency"),
        "subtotal": _int(body.get("subtotal"), "subtotal", default=0),
        "tax": _int(body.get("tax"), "tax", default=0),
        "total": _int(body["total"], "total"),
        "discount": _int(body.get("discount"), "discount", default=0),
        "cash_rounding": _int(body.get("cash_rounding"), "cash_rounding", default=0),
        "gift_cards": None if cards is None else _int(cards["amount"], "gift card amount"),
        "gift_card_count": None if cards is None else _int(cards["cards"], "gift cards"),
        "lines": [
            {
                "line_no": _int(ln["line_no"], "line_no"),
                "sku": _text(ln["sku"], "sku"),
                "quantity": _int(ln["quantity"], "quantity"),
                "unit_price": _int(ln["unit_price"], "unit_price"),
                "discount": _int(ln.get("discount"), "discount", default=0),
                "tax_class": None if ln.get("tax_class") is None else str(ln["tax_class"]),
                "gift_card": ln.get("gift_card") is not None,
            }
            for ln in body.get("lines") or []
        ],
        "taxes": [{"name": k[0], "rate": k[1], "base": v[0], "amount": v[1]} for k, v in taxes.items()],
        "tenders": [
            {
                "n": n,
                "method": _text(t["method"], "method"),
                "amount": _int(t["amount"], "tender amount"),
                "rounding": _int(t.get("rounding"), "rounding", default=0),
            }
            for n, t in enumerate(body.get("tenders") or [], 1)
        ],
    }


def _tenders(body: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Where a refund's money went; None from a till older than the refund's tenders."""
    found = body.get("tenders")
    if found is None:
        return None
    return [
        {
            "method": _text(t["method"], "method"),
            "amount": _int(t["amount"], "tender amount"),
            "rounding": _int(t.get("rounding"), "rounding", default=0),
        }
        for t in found
    ]


def _refund(at: dt.datetime, body: dict[str, Any], *, receipted: bool) -> dict[str, Any]:
    tenders = _tenders(body) if receipted else None
    if receipted:
        # A refund's cash rounding is its cash tenders' (a receiptless return says its own).
        rounding = sum(t["rounding"] for t in tenders or [] if t["method"] == "cash")
        cards = None if body.get("gift_cards") is None else _int(body["gift_cards"], "gift_cards")
    else:
        rounding, cards = _int(body.get("rounding"), "rounding", default=0), 0
    return {
        "refund_id": _int(body["refund_id"] if receipted else body["return_id"], "refund_id"),
        "receipted": receipted,
        "sale_id": None if body.get("sale_id") is None else _int(body["sale_id"], "sale_id"),
        "at": at,
        "currency": _text(body["currency"], "currency"),
        "amount": _int(body.get("amount"), "amount", default=0),
        "tax": _int(body.get("tax"), "tax", default=0),
        "rounding": rounding,
        "refund_to": "original" if receipted else _text(body.get("refund_to", "cash"), "refund_to"),
        "tenders": tenders,
        "gift_cards": cards,
    }


def _booking(store: str, till: str, event: dict[str, Any]) -> Callable[[Connection], None]:
    """The write an event makes, its body read and checked first."""
    body, kind, seq = event["body"], event["kind"], int(event["seq"])
    at = _time(event["at"], "at")
    if kind == "sale_completed":
        sale = _sale(body)
        return lambda conn: q.add_sale(conn, store, till, seq, sale)
    if kind in ("refund", "return_without_receipt"):
        refund = _refund(at, body, receipted=kind == "refund")
        return lambda conn: q.add_refund(conn, store, till, refund)
    shift = _int(body["shift_id"], "shift_id")
    if kind in ("paid_in", "paid_out"):
        currency, amount = _text(body["currency"], "currency"), _int(body["amount"], "amount")
        return lambda conn: q.add_cash_move(conn, store, till, seq, shift, kind, at, currency, amount)
    if kind == "shift_opened":
        return lambda conn: q.shift_opened(conn, store, till, shift, at)
    if kind != "shift_closed":
        raise ValueError(f"the books do not read {kind}")
    z = body["z"]
    if not isinstance(z, dict):
        raise TypeError("z is not a report")
    span = (_time(z["opened_at"], "opened_at"), _time(z["until"], "until"))
    currency = _text(body.get("currency", ""), "currency")
    return lambda conn: q.shift_closed(conn, store, till, shift, span, currency, z)


# -- who reads what -----------------------------------------------------------------------------


def stores_for(reader: Reader, store: str | None) -> list[str] | None:
    """The stores a reader's report covers (None: all); a manager's own store only."""
    if reader.role in ("chain_admin", "auditor"):
        return None if store is None else [store]
    if reader.role == "store_manager" and reader.store is not None:
        if store is not None and store != reader.store:
            raise Forbidden(f"a store manager reads the books of their own store ({reader.store}) only", "forbidden")
        return [reader.store]
    raise Forbidden("reading the chain's books needs a chain admin, an auditor or a store manager", "forbidden")


def _zone(conn: Connection, stores: list[str] | None, timezone: str | None) -> zoneinfo.ZoneInfo:
    name = timezone or q.store_zone(conn, stores) or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"{name} is not a time zone (e.g. Europe/Paris)", "invalid_timezone") from None


def _day(text: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise Invalid(f"{name} must be a date (YYYY-MM-DD)", "invalid_date") from None


def _bounds(first: dt.date, last: dt.date, zone: zoneinfo.ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    return start, end


def _ints(row: dict[str, Any]) -> dict[str, Any]:
    """Sums come back from PostgreSQL as Decimal: money stays integer minor units."""
    return {k: int(v) if v is not None and not isinstance(v, (str, bool, int)) else v for k, v in row.items()}


# -- the reports --------------------------------------------------------------------------------


def _summary(conn: Connection, s: q.Scope) -> dict[str, Any]:
    lanes = [_ints(r) for r in q.sales_by_lane(conn, s)]
    back = [_ints(r) for r in q.refunds_by_lane(conn, s)]
    moved = [_ints(r) for r in q.cash_moves_by_lane(conn, s)]
    totals: dict[str, dict[str, int]] = {}
    for r in lanes:
        t = totals.setdefault(r["currency"], {})
        for k in ("sales", "subtotal", "tax", "total", "gift_cards", "discount", "cash_rounding"):
            t[k] = t.get(k, 0) + r[k]
    for r in back:
        t = totals.setdefault(r["currency"], {})
        prefix = "refunds" if r["receipted"] else "returns_without_receipt"
        t[f"{prefix}_count"] = t.get(f"{prefix}_count", 0) + r["count"]
        t[f"{prefix}_amount"] = t.get(f"{prefix}_amount", 0) + r["amount"]
        t[f"{prefix}_tax"] = t.get(f"{prefix}_tax", 0) + r["tax"]
        t["gift_cards_returned"] = t.get("gift_cards_returned", 0) + r["gift_cards_returned"]
    for r in moved:
        t = totals.setdefault(r["currency"], {})
        t[r["kind"]] = t.get(r["kind"], 0) + r["amount"]
    return {"rows": lanes, "refunds": back, "cash_moved": moved, "totals": totals}


def _rows(fn: Callable[[Connection, q.Scope], list[dict[str, Any]]]) -> Callable[[Connection, q.Scope], dict[str, Any]]:
    def report(conn: Connection, s: q.Scope) -> dict[str, Any]:
        return {"rows": [_ints(r) for r in fn(conn, s)]}

    return report


def _by_tender(conn: Connection, s: q.Scope) -> dict[str, Any]:
    """Taken and given back per tender and currency, and the difference."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    blank = {"count": 0, "amount": 0, "rounding": 0, "refunded": 0, "refund_rounding": 0}
    for r in [*q.by_tender(conn, s), *q.refunds_by_tender(conn, s)]:
        row = rows.setdefault((r["method"], r["currency"]), {"method": r["method"], "currency": r["currency"], **blank})
        row.update({k: v for k, v in _ints(r).items() if k not in ("method", "currency")})
    for row in rows.values():
        row["net"] = row["amount"] - row["refunded"]
    return {"rows": sorted(rows.values(), key=lambda r: (-r["amount"], -r["refunded"], r["method"], r["currency"]))}


def _top(conn: Connection, s: q.Scope) -> dict[str, Any]:
    return {"rows": [_ints(r) for r in q.top_products(conn, s, 20)]}


def _journal(conn: Connection, s: q.Scope) -> dict[str, Any]:
    rows = [_ints(r) for r in q.journal(conn, s)]
    return {"rows": rows, "totals": {"debit": sum(r["debit"] for r in rows), "credit": sum(r["credit"] for r in rows)}}


def _zs(conn: Connection, s: q.Scope) -> dict[str, Any]:
    out = []
    for r in q.z_reports(conn, s):
        z = r["z"]
        sales = z.get("sales") if isinstance(z.get("sales"), dict) else {}
        out.append(
            {
                "store": r["store"],
                "till": r["till"],
                "shift": int(r["shift_id"]),
                "opened_at": z.get("opened_at"),
                "closed_at": z.get("until"),
                "currency": r["currency"],
                "sales": sales.get("count"),
                "total": sales.get("total"),
                "tax": sales.get("tax"),
                "variance": z.get("variance"),
            }
        )
    return {"rows": out}


REPORTS: dict[str, tuple[Callable[[Connection, q.Scope], dict[str, Any]], str]] = {
    "summary": (_summary, "Sales summary, per store and lane"),
    "by-day": (_rows(q.by_day), "Sales by day"),
    "by-hour": (_rows(q.by_hour), "Sales by hour of the day"),
    "by-tax": (_rows(q.by_tax), "Tax collected, by tax"),
    "by-tender": (_by_tender, "Takings by tender"),
    "top-products": (_top, "Best-selling products"),
    "z-reports": (_zs, "The lanes' Z reports"),
    "journal": (_journal, "Accounting journal, per store and day"),
}


def report(
    office: Office,
    reader: Reader,
    name: str,
    *,
    store: str | None,
    start: str,
    end: str,
    lane: str | None = None,
    timezone: str | None = None,
) -> dict[str, Any]:
    """A report of the books from day `start` to day `end` (both whole, on the stores' clock)."""
    if name not in REPORTS:
        raise Invalid(f"no report {name!r}: one of {', '.join(REPORTS)}", "unknown_report")
    stores = stores_for(reader, store)
    first, last = _day(start, "from"), _day(end, "to")
    if last < first:
        raise Invalid("the period ends before it starts", "invalid_period")
    if (last - first).days >= MAX_DAYS:
        raise Invalid(f"a report covers at most {MAX_DAYS} days", "invalid_period")
    with office.connection() as conn:
        if store is not None and not q.store_exists(conn, store):
            raise NotFound(f"no store {store}", "store_not_found")
        zone = _zone(conn, stores, timezone)
        begin, finish = _bounds(first, last, zone)
        found = REPORTS[name][0](conn, q.Scope(stores, lane, begin, finish, str(zone)))
    return {
        "report": name,
        "title": REPORTS[name][1],
        "stores": stores,
        "lane": lane,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "timezone": str(zone),
        **found,
    }


# -- the day check ------------------------------------------------------------------------------


def day_check(office: Office, store: str, day: str | dt.date, reader: Reader = OFFICE_CLI) -> dict[str, Any]:
    """The store's day: the office's totals (from the sale, refund and cash events) against
    the sum of its lanes' Z reports, to the cent. A shift's takings belong to the day its Z
    closed it. `equal` is True when every Z agrees with the office's events, no takings of
    the day wait for a Z, and no lane of the store has events the office lacks; otherwise
    `lanes` names each lane (and shift) and what differs by how much."""
    stores_for(reader, store)
    when = day if isinstance(day, dt.date) else _day(day, "day")
    with office.connection() as conn:
        if not q.store_exists(conn, store):
            raise NotFound(f"no store {store}", "store_not_found")
        zone = _zone(conn, [store], None)
        start, end = _bounds(when, when, zone)
        zs = q.z_reports(conn, q.Scope([store], None, start, end, str(zone)))
        problems: list[dict[str, Any]] = []
        office_sum: dict[str, int] = {}
        z_sum: dict[str, int] = {}
        for r in zs:
            z = r["z"]
            takings = q.shift_takings(conn, store, r["till"], int(r["shift_id"]), z["opened_at"], z["until"])
            told = figures.said(takings)
            said, held = figures.of_z(z, told), figures.of_office(takings, told)
            for k, v in said.items():
                z_sum[k] = z_sum.get(k, 0) + v
            for k, v in held.items():
                office_sum[k] = office_sum.get(k, 0) + v
            differs = {
                k: {"z": said.get(k, 0), "office": held.get(k, 0), "difference": held.get(k, 0) - said.get(k, 0)}
                for k in sorted(said.keys() | held.keys())
                if said.get(k, 0) != held.get(k, 0)
            }
            if differs:
                problems.append({"till": r["till"], "shift": int(r["shift_id"]), "why": "differs", "figures": differs})
        for loose in q.outside_any_z(conn, store, start, end):
            problems.append(
                {
                    "till": loose["till"],
                    "why": "no_z_yet",
                    "sales": int(loose["sales"]),
                    "sales_total": int(loose["total"]),
                    "refunds_amount": int(loose["refunds"]),
                }
            )
            office_sum["sales_total"] = office_sum.get("sales_total", 0) + int(loose["total"])
        for shift in q.open_shifts(conn, store, end):
            problems.append(
                {
                    "till": shift["till"],
                    "shift": int(shift["shift_id"]),
                    "why": "shift_open",
                    "opened_at": str(shift["opened_at"]),
                }
            )
        for lane in q.lanes_behind(conn, store):
            held_to, said_to = int(lane["acked_seq"]), max(int(lane["last_seq"]), int(lane["till_last_seq"]))
            problems.append({"till": lane["till"], "why": "events_missing", "held_to": held_to, "lane_wrote": said_to})
        lanes = q.lanes_of(conn, store)
    return {
        "store": store,
        "day": when.isoformat(),
        "timezone": str(zone),
        "equal": not problems,
        "lanes": lanes,
        "z_reports": len(zs),
        "office": office_sum,
        "z": z_sum,
        "differing": problems,
        "differing_lanes": sorted({p["till"] for p in problems}),
    }


def day_check_words(found: dict[str, Any]) -> list[str]:
    """The day check as lines a person reads (and cron mails)."""
    head = f"{found['store']} {found['day']} ({found['timezone']}): {found['z_reports']} Z report(s)"
    if found["equal"]:
        return [f"{head}: equal: the office's totals are the sum of the lanes' Z reports, to the cent"]
    out = [f"{head}: DIFFERS in {', '.join(found['differing_lanes'])}"]
    for p in found["differing"]:
        if p["why"] == "differs":
            parts = [f"{k} Z {v['z']} office {v['office']} ({v['difference']:+d})" for k, v in p["figures"].items()]
            out.append(f"  lane {p['till']} shift {p['shift']}: " + "; ".join(parts))
        elif p["why"] == "no_z_yet":
            out.append(
                f"  lane {p['till']}: no Z yet for {p['sales']} sale(s) of {p['sales_total']}"
                f" and refunds of {p['refunds_amount']}"
            )
        elif p["why"] == "shift_open":
            out.append(f"  lane {p['till']} shift {p['shift']}: open since {p['opened_at']}, its Z has not come")
        else:
            out.append(
                f"  lane {p['till']}: events missing (the office holds up to {p['held_to']},"
                f" the lane wrote {p['lane_wrote']})"
            )
    return out
