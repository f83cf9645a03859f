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

from appliance.app.domain.report_shapes import ShiftFigures

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


def quarters(rows: Iterable[Sequence[Any]], zone: ZoneInfo) -> Iterable[tuple[dt.datetime, Sequence[Any]]]:
    """(local time of the quarter hour, row) for rows whose first column is a quarter key
    (YYYY-MM-DDTHH:q, q the quarter 0-3, in UTC)."""
    cache: dict[str, dt.datetime] = {}
    for row in rows:
        key = row[0]
        moment = cache.get(key)
        if moment is None:
            hour, quarter = key[:13], int(key[14:] or 0)
            utc = dt.datetime.strptime(hour, "%Y-%m-%dT%H").replace(minute=quarter * 15, tzinfo=dt.UTC)
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
    days: Iterable[str], rows: Iterable[Sequence[Any]], cards: Iterable[CardSale], zone: ZoneInfo
) -> dict[str, SalesSums]:
    """{local day: sums} from (quarter, sales, subtotal, tax, total, …) rows, less the cards."""
    out = {d: SalesSums() for d in days}
    for moment, r in quarters(rows, zone):
        out.setdefault(moment.date().isoformat(), SalesSums()).add(r[1], r[2], r[3], r[4])
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
    writer.writerow([label(c) for c in report["columns"]])
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


def shift_figures(
    sales: Sequence[int],
    cards: Sequence[int],
    tenders: Iterable[Sequence[Any]],
    refunds: Sequence[int],
    voids: int,
) -> ShiftFigures:
    """The sales part of an X or Z report from its rows: sales (count, total, tax, discount)
    net of the gift cards (cards, amount loaded, sales of nothing but cards) they loaded,
    which get their own line; tenders (method, count, amount) as taken."""
    count, total, tax, discount = (int(v or 0) for v in sales)
    card_count, loaded, only_cards = (int(v or 0) for v in cards)
    return {
        "sales": {"count": count - only_cards, "total": total - loaded, "tax": tax, "discount": discount},
        "gift_cards": {"count": card_count, "amount": loaded},
        "tenders": [{"method": t[0], "count": t[1], "amount": t[2]} for t in tenders],
        "refunds": {"count": refunds[0], "amount": refunds[1]},
        "voids": voids,
    }
