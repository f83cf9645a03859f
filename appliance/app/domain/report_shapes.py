"""What each report hands the web layer, key by key: the OpenAPI description is made from
these, and the contract test holds real answers to them.

Every period report is a `ReportHead` (which report, the period, the store's currency and
the columns with their labels) with its own `rows` and, for most, `totals`. Amounts are
minor units of the store's currency; times are the store's wall clock (ISO 8601).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

# "from" is a Python keyword, hence the functional form.
ReportHead = TypedDict(
    "ReportHead",
    {
        "report": str,
        "title": str,
        "from": str,
        "to": str,
        "timezone": str,
        "currency": str,
        "columns": list[str],
        "labels": dict[str, str],
    },
)

# -- the sales summary ----------------------------------------------------------------------------


class RefundFigures(TypedDict):
    count: int
    amount: int


class GiftCardFigures(TypedDict):
    """Owed, not earned: never in sales, counts or products."""

    sold: int
    returned: int
    store_credit_issued: int


class TenderTaken(TypedDict):
    method: str
    count: int
    amount: int


class TaxFigures(TypedDict):
    name: str
    rate: str
    base: int
    amount: int


class ProductRow(TypedDict):
    sku: str
    name: str
    quantity: int
    amount: int
    on_hand: int


SalesReport = TypedDict(
    "SalesReport",
    {
        "from": str,
        "to": str,
        "timezone": str,
        "currency": str,
        "sales": int,
        "subtotal": int,
        "tax": int,
        "total": int,
        "cash_rounding": int,  # what cash paid beyond the totals (negative: less)
        "refunds": RefundFigures,
        "gift_cards": GiftCardFigures,
        "by_tender": list[TenderTaken],
        "by_tax": list[TaxFigures],
        "top_products": list[ProductRow],
    },
)

# -- the period reports' rows -----------------------------------------------------------------------


class DayRow(TypedDict):
    day: str
    sales: int
    subtotal: int
    tax: int
    total: int
    average: int
    gift_cards_sold: int


class HourRow(TypedDict):
    hour: int
    sales: int
    total: int
    gift_cards_sold: int


class EmployeeRow(TypedDict):
    employee: str
    sales: int
    total: int
    average: int
    gift_cards_sold: int


class TenderRow(TypedDict):
    method: str
    count: int
    taken: int
    refunded: int
    net: int


class TaxRow(TypedDict):
    tax: str
    rate: str
    base: int
    amount: int


class VoidRow(TypedDict):
    employee: str
    kind: str  # voided_line, cancelled_sale or discount
    count: int
    amount: int


class ReturnRow(TypedDict):
    refund: int
    at: str | None
    receipt_number: str | None
    employee: str
    reason: str
    items: int
    amount: int
    tax: int


class TimesheetRow(TypedDict):
    day: str
    employee: str
    first_in: str | None
    last_out: str | None
    worked_minutes: int
    break_minutes: int
    still_open: bool


class StockValueRow(TypedDict):
    sku: str
    name: str
    on_hand: int
    cost: int
    value: int
    retail_value: int


class StockValueTotals(TypedDict):
    products: int
    units: int
    value: int
    retail_value: int


class GiftCardRow(TypedDict):
    state: str  # outstanding or expired
    cards: int
    balance: int


class GiftCardTotals(TypedDict):
    liability: int
    expired_balance: int


class JournalLine(TypedDict):
    date: str
    account: str
    debit: int
    credit: int
    memo: str


class JournalTotals(TypedDict):
    debit: int
    credit: int


class ZReportRow(TypedDict):
    shift: int
    terminal_id: str
    operator: str
    opened_at: str | None
    closed_at: str | None
    sales: int
    total: int
    counted: int | None
    expected: int | None
    variance: int | None


# -- the period reports ---------------------------------------------------------------------------------


class ByDay(ReportHead):
    rows: list[DayRow]
    totals: dict[str, int]


class ByHour(ReportHead):
    rows: list[HourRow]
    totals: dict[str, int]


class ByEmployee(ReportHead):
    rows: list[EmployeeRow]
    totals: dict[str, int]


class ByTender(ReportHead):
    rows: list[TenderRow]
    totals: dict[str, int]
    gift_cards_sold: int  # told apart: their money is in the tenders that paid for them


class ByTax(ReportHead):
    rows: list[TaxRow]
    totals: dict[str, int]


class ProductsReport(ReportHead):
    rows: list[ProductRow]


class VoidsAndDiscounts(ReportHead):
    rows: list[VoidRow]
    totals: dict[str, int]


class Returns(ReportHead):
    rows: list[ReturnRow]
    totals: dict[str, int]


class Timesheet(ReportHead):
    rows: list[TimesheetRow]
    totals: dict[str, int]


class StockValue(ReportHead):
    rows: list[StockValueRow]
    totals: StockValueTotals


class GiftCardLiability(ReportHead):
    rows: list[GiftCardRow]
    totals: GiftCardTotals


class Journal(ReportHead):
    rows: list[JournalLine]
    totals: JournalTotals
    over_short_available: bool  # false: no shifts kept, so no over/short line


class ZReports(ReportHead):
    rows: list[ZReportRow]


PeriodReport = (
    ByDay
    | ByHour
    | ByEmployee
    | ByTender
    | ByTax
    | ProductsReport
    | VoidsAndDiscounts
    | Returns
    | Timesheet
    | StockValue
    | GiftCardLiability
    | Journal
)


# -- a shift's X and Z reports: the sales part -----------------------------------------------------


class ShiftSales(TypedDict):
    """Net of the gift cards loaded; a sale of nothing but cards is not counted."""

    count: int
    total: int
    tax: int
    discount: int


class CardsLoaded(TypedDict):
    count: int
    amount: int


class ShiftFigures(TypedDict):
    sales: ShiftSales
    gift_cards: NotRequired[CardsLoaded]  # a Z report frozen before gift cards has none
    tenders: list[TenderTaken]
    refunds: RefundFigures
    voids: int
