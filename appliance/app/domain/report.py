"""What the reports add up to, apart from where the rows come from: the store's calendar
(local days and hours from UTC quarter hours), sales net of the gift cards they loaded,
totals, readable column names, and CSV. Pure: the rows are given, nothing is read.

A gift card sold (or store credit issued) is money the store owes, not money it earned:
it stays out of net sales, sales counts, products and tax, and shows on a line of its own.
A gift card taken as payment is a tender like cash.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appliance.app.domain.report_shapes import ReturnRow, ShiftFigures, TaxRow, WithoutReceipt

GIFT_CARDS_SOLD = "Gift cards sold (liability)"

# What a person reads above a column; the JSON keeps the keys.
LABELS = {
    "day": "Day",
    "hour": "Hour",
    "sales": "Sales",
    "subtotal": "Net sales",
    "tax": "Tax",
    "total": "Total",
    "average": "Average sale",
    "gift_cards_sold": GIFT_CARDS_SOLD,
    "employee": "Employee",
    "method": "Tender",
    "count": "Count",
    "taken": "Taken",
    "refunded": "Refunded",
    "net": "Net",
    "rate": "Rate (%)",
    "base": "Taxable amount",
    "refunded_base": "Taxable amount refunded",
    "net_base": "Net taxable amount",
    "amount": "Amount",
    "sku": "SKU",
    "name": "Product",
    "quantity": "Quantity",
    "on_hand": "On hand",
    "kind": "Kind",
    "refund": "Refund",
    "at": "Time",
    "receipt_number": "Receipt",
    "reason": "Reason",
    "items": "Items",
    "first_in": "First in",
    "last_out": "Last out",
    "worked_minutes": "Minutes worked",
    "break_minutes": "Minutes on break",
    "still_open": "Still clocked in",
    "date": "Date",
    "account": "Account",
    "debit": "Debit",
    "credit": "Credit",
    "memo": "Memo",
    "state": "State",
    "cards": "Cards",
    "balance": "Balance",
    "cost": "Cost",
    "value": "Value",
}


def label(column: str) -> str:
    return LABELS.get(column, column.replace("_", " ").capitalize())


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def local(text: str | None, zone: ZoneInfo) -> str | None:
    """A stored UTC time as the store's wall clock, with its offset (ISO 8601, to the second)."""
    if not text:
        return None
    return parse(text).astimezone(zone).isoformat(timespec="seconds")


def wall_clock(text: str, zone: ZoneInfo) -> str:
    """A stored UTC time as people in the store read it: 2026-03-01 18:30."""
    return parse(text).astimezone(zone).strftime("%Y-%m-%d %H:%M")


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


QUARTER_HOUR = dt.timedelta(minutes=15)
Span = tuple[str, str, str]  # (local day, from, to): from included, to not


def quarter_key(moment: dt.datetime) -> str:
    """The key `store/reports.py`'s QUARTER gives every time of this UTC quarter hour."""
    utc = moment.astimezone(dt.UTC)
    return f"{utc:%Y-%m-%dT%H}:{utc.minute // 15}"


def _quarter_floor(moment: dt.datetime) -> dt.datetime:
    utc = moment.astimezone(dt.UTC)
    return utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)


def in_quarters(days: Iterable[tuple[str, dt.datetime, dt.datetime]]) -> tuple[list[Span], list[Span]]:
    """Each day as the whole UTC quarter hours in it, (day, first key, key after the last), and
    the pieces of a quarter at its ends, (day, UTC ISO from, to): sums kept per quarter answer
    the first, the sales themselves the second. A local midnight falls on a quarter hour in
    every zone in use, so only a period given to the minute has pieces."""
    whole: list[Span] = []
    pieces: list[Span] = []
    for day, start, end in days:
        first = _quarter_floor(start)
        if first < start:
            first += QUARTER_HOUR
        last = _quarter_floor(end)
        if first >= last:
            pieces.append((day, iso(start), iso(end)))
            continue
        whole.append((day, quarter_key(first), quarter_key(last)))
        if start < first:
            pieces.append((day, iso(start), iso(first)))
        if last < end:
            pieces.append((day, iso(last), iso(end)))
    return whole, pieces


def spans(days: Iterable[tuple[str, dt.datetime, dt.datetime]]) -> list[Span]:
    """Days as (day, UTC ISO from, to), as the store's per-day queries take them."""
    return [(day, iso(start), iso(end)) for day, start, end in days]


def day_sums(rows: Iterable[Sequence[Any]], width: int) -> dict[tuple[str, str], list[int]]:
    """{(day, key): sums} from rows of (day, key, value…), a day's pieces added up."""
    out: dict[tuple[str, str], list[int]] = {}
    for r in rows:
        acc = out.setdefault((r[0], r[1]), [0] * width)
        for i in range(width):
            acc[i] += r[2 + i] or 0
    return out


def quarters(rows: Iterable[Sequence[Any]], zone: ZoneInfo) -> Iterable[tuple[dt.datetime, Sequence[Any]]]:
    """(local time of the quarter hour, row) for rows whose first column is a quarter key
    (YYYY-MM-DDTHH:q, q the quarter 0-3, in UTC)."""
    cache: dict[str, dt.datetime] = {}
    for row in rows:
        key = row[0]
        moment = cache.get(key)
        if moment is None:
            # Read by position: strptime costs several times more, on up to 35,040 keys a year.
            quarter = int(key[14:] or 0) * 15
            utc = dt.datetime(int(key[:4]), int(key[5:7]), int(key[8:10]), int(key[11:13]), quarter, tzinfo=dt.UTC)
            moment = cache[key] = utc.astimezone(zone)
        yield moment, row


def by_day(rows: Iterable[Sequence[Any]], zone: ZoneInfo, width: int) -> dict[tuple[str, str], list[int]]:
    """{(local day, key): sums} from rows of (quarter key, key, value…)."""
    out: dict[tuple[str, str], list[int]] = {}
    for moment, r in quarters(rows, zone):
        acc = out.setdefault((moment.date().isoformat(), r[1]), [0] * width)
        for i in range(width):
            acc[i] += r[2 + i] or 0
    return out


def keys_by_day(sums: Mapping[tuple[str, str], Sequence[int]]) -> dict[str, list[tuple[str, int]]]:
    """{local day: [(key, first sum)…] in key order} from by_day sums: a day's lines without
    going through every other day's."""
    out: dict[str, list[tuple[str, int]]] = {}
    for (day, key), values in sorted(sums.items()):
        out.setdefault(day, []).append((key, values[0]))
    return out


@dataclass(frozen=True)
class CardSale:
    """A completed sale that loaded gift cards: when, by whom, how many, how much, and
    whether it sold nothing else (then it is no sale at all to the sales figures)."""

    moment: dt.datetime  # local
    cashier: int
    cards: int
    loaded: int
    only_cards: bool


def card_sales(rows: Iterable[Sequence[Any]], zone: ZoneInfo) -> list[CardSale]:
    return [CardSale(m, r[1], r[2], r[3], bool(r[4])) for m, r in quarters(rows, zone)]


@dataclass
class SalesSums:
    """Sales net of gift card loads; `gift_cards` is what the loads came to."""

    sales: int = 0
    subtotal: int = 0
    tax: int = 0
    total: int = 0
    gift_cards: int = 0

    def add(self, sales: int, subtotal: int, tax: int, total: int) -> None:
        self.sales += sales or 0
        self.subtotal += subtotal or 0
        self.tax += tax or 0
        self.total += total or 0

    def less_cards(self, card: CardSale) -> None:
        self.subtotal -= card.loaded
        self.total -= card.loaded
        self.gift_cards += card.loaded
        self.sales -= int(card.only_cards)

    @property
    def average(self) -> int:
        return self.total // self.sales if self.sales > 0 else 0


def sales_by_day(
    days: Iterable[str], rows: Iterable[tuple[str, Sequence[int]]], cards: Iterable[CardSale]
) -> dict[str, SalesSums]:
    """{local day: sums} from (day, [sales, subtotal, tax, total, …]) rows, less the cards."""
    out = {d: SalesSums() for d in days}
    for day, r in rows:
        out.setdefault(day, SalesSums()).add(r[0], r[1], r[2], r[3])
    for card in cards:
        out.setdefault(card.moment.date().isoformat(), SalesSums()).less_cards(card)
    return dict(sorted(out.items()))


def sales_by_hour(rows: Iterable[Sequence[Any]], cards: Iterable[CardSale], zone: ZoneInfo) -> list[SalesSums]:
    """Sums per local hour of the day, 0 to 23."""
    hours = [SalesSums() for _ in range(24)]
    for moment, r in quarters(rows, zone):
        hours[moment.hour].add(r[1], r[2], r[3], r[4])
    for card in cards:
        hours[card.moment.hour].less_cards(card)
    return hours


def tax_row(key: tuple[str, str], collected: list[int], refunded: list[int]) -> TaxRow:
    """One tax's row of the by-tax report: what the sales collected, what refunds gave back,
    and the difference, which is what the shop owes for the period."""
    return {
        "tax": key[0],
        "rate": key[1],
        "base": collected[0],
        "amount": collected[1],
        "refunded_base": refunded[0],
        "refunded": refunded[1],
        "net_base": collected[0] - refunded[0],
        "net": collected[1] - refunded[1],
    }


def totals(rows: Sequence[Mapping[str, object]], skip: tuple[str, ...] = ()) -> dict[str, int]:
    """The sum of each whole-number column (averages and flags left out)."""
    out: dict[str, int] = {}
    for row in rows:
        for key, value in row.items():
            if key in skip or isinstance(value, bool) or not isinstance(value, int):
                continue
            out[key] = out.get(key, 0) + value
    out.pop("average", None)
    return out


def to_csv(report: Mapping[str, Any]) -> str:
    """Readable headers over the rows. Money stays in minor units, as in the JSON: a
    spreadsheet divides, a CSV never rounds."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = report["columns"]
    writer.writerow([label(c) for c in columns])
    # Inline, not a call per cell: the stock value's CSV has 600,000 cells.
    writer.writerows(
        ["" if v is None else "'" + v if isinstance(v, str) and v[:1] in _FORMULA else v for v in map(row.get, columns)]
        for row in report["rows"]
    )
    return out.getvalue()


# A cell starting with one of these is a formula to a spreadsheet: it is quoted as text.
_FORMULA = frozenset(("=", "+", "-", "@", "\t", "\r"))


def shift_figures(
    sales: Sequence[int],
    cards: Sequence[int],
    tenders: Iterable[Sequence[Any]],
    refunds: Sequence[int],
    voids: int,
    cards_back: Sequence[int] = (0, 0),
) -> ShiftFigures:
    """The sales part of an X or Z report from its rows: sales (count, total, tax, discount)
    net of the gift cards (cards, amount loaded, sales of nothing but cards) they loaded,
    which get their own line; tenders (method, count, amount) as taken. Refunds are net of
    the gift cards (cards, amount) they took back, as the sales are of those sold and as the
    sales summary's are: the cards' money shows on a line of its own (`gift_cards_returned`), and
    refunds plus cards returned is what the refunds gave back."""
    count, total, tax, discount = (int(v or 0) for v in sales)
    card_count, loaded, only_cards = (int(v or 0) for v in cards)
    back_count, back = (int(v or 0) for v in cards_back)
    return {
        "sales": {"count": count - only_cards, "total": total - loaded, "tax": tax, "discount": discount},
        "gift_cards": {"count": card_count, "amount": loaded},
        "gift_cards_returned": {"count": back_count, "amount": back},
        "tenders": [{"method": t[0], "count": t[1], "amount": t[2]} for t in tenders],
        "refunds": {"count": refunds[0], "amount": refunds[1] - back},
        "voids": voids,
    }


# -- returns without a receipt ----------------------------------------------------------------------
#
# No sale to point to: their rows come apart from the refunds' and are added here to the same
# reports, with their tax. Store credit moves no cash: it is owed on a new gift card.


def without_receipt_sums(rows: Iterable[Sequence[Any]]) -> WithoutReceipt:
    """From (quarter, refund_to, count, amount, tax, cash rounding) rows: how many, what they
    came to with tax, the cash (before its rounding), its rounding, and the store credit."""
    sums: WithoutReceipt = {"count": 0, "amount": 0, "tax": 0, "cash": 0, "cash_rounding": 0, "store_credit": 0}
    for _, refund_to, count, amount, tax, rounding in rows:
        sums["count"] += count
        sums["amount"] += amount or 0
        sums["tax"] += tax or 0
        if refund_to == "cash":
            sums["cash"] += amount or 0
            sums["cash_rounding"] += rounding or 0
        else:
            sums["store_credit"] += amount or 0
    return sums


def with_cash_returned(refunded: Mapping[str, int], rows: Iterable[Sequence[Any]]) -> dict[str, int]:
    """The tender report's money given back per tender, with the cash of the returns without
    a receipt (receiptless_by_quarter rows) added; their store credit is no tender, as a
    receipted refund's is not."""
    out = dict(refunded)
    if cash := without_receipt_sums(rows)["cash"]:
        out["cash"] = out.get("cash", 0) + cash
    return out


def with_returns_without_receipt(
    refunds: list[ReturnRow], rows: Iterable[Sequence[Any]], zone: ZoneInfo
) -> list[ReturnRow]:
    """The returns report's refund rows and, from (id, at, terminal, employee, reason, amount,
    tax, items, refund_to) rows, its returns without a receipt: numbered apart (`return`),
    with no receipt number; all in time order."""
    returns: list[ReturnRow] = [
        {
            "refund": None,
            "return": r[0],
            "at": local(r[1], zone),
            "receipt_number": None,
            "employee": r[3],
            "reason": r[4],
            "items": r[7],
            "amount": r[5],
            "tax": r[6],
        }
        for r in rows
    ]
    return sorted([*refunds, *returns], key=lambda r: r["at"] or "")


def without_receipt_journal(
    sums: Mapping[tuple[str, str], Sequence[int]], day: str
) -> tuple[list[tuple[str, int, int, str]], int]:
    """A day's journal lines (account, debit, credit, memo) for its returns without a receipt,
    from their by_day sums (count, amount, tax, cash rounding) keyed (day, cash or gift_card),
    and their cash rounding, which is booked with the day's other rounding."""
    _, back_cash, cash_tax, rounding = sums.get((day, "cash"), (0, 0, 0, 0))
    _, back_credit, credit_tax, _ = sums.get((day, "gift_card"), (0, 0, 0, 0))
    lines = [
        ("Sales returns", back_cash + back_credit - cash_tax - credit_tax, 0, "returns without receipt before tax"),
        ("Tax refunded", cash_tax + credit_tax, 0, "tax given back on returns without receipt"),
        ("Cash", 0, back_cash, "cash returned without receipt"),
        ("Gift card liability", 0, back_credit, "store credit issued on returns without receipt"),
    ]
    return lines, rounding
