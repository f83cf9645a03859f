"""What each report hands the web layer, key by key: the OpenAPI description is made from
these, and the contract test holds real answers to them.

Every period report is a `ReportHead` (which report, the period, the store's currency and
the columns with their labels) with its own `rows` and, for most, `totals`. Amounts are
minor units of the store's currency; times are the store's wall clock (ISO 8601).
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from appliance.app.domain.money import Money

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
    amount: Money


class GiftCardFigures(TypedDict):
    """Owed, not earned: never in sales, counts or products."""

    sold: Money
    returned: Money
    store_credit_issued: Money


class WithoutReceipt(TypedDict):
    """Returns without a receipt (no sale to point to, so apart from refunds): how many, what
    they came to with tax, how much of it went back as cash (before its rounding; the
    drawer handed back cash + cash_rounding) and how much as store credit."""

    count: int
    amount: Money
    tax: Money
    cash: Money
    cash_rounding: Money
    store_credit: Money


class TenderTaken(TypedDict):
    method: str
    count: int
    amount: Money


class TaxFigures(TypedDict):
    name: str
    rate: str
    base: Money
    amount: Money


class ProductRow(TypedDict):
    sku: str
    name: str
    quantity: int
    amount: Money
    on_hand: int


SalesReport = TypedDict(
    "SalesReport",
    {
        "from": str,
        "to": str,
        "timezone": str,
        "currency": str,
        "sales": int,
        "subtotal": Money,
        "tax": Money,
        "total": Money,
        "cash_rounding": Money,  # what cash paid beyond the totals (negative: less)
        "refunds": RefundFigures,
        "gift_cards": GiftCardFigures,
        "returns_without_receipt": WithoutReceipt,
        "by_tender": list[TenderTaken],
        "by_tax": list[TaxFigures],
        "top_products": list[ProductRow],
    },
)

# -- the period reports' rows -----------------------------------------------------------------------


class DayRow(TypedDict):
    day: str
    sales: int
    subtotal: Money
    tax: Money
    total: Money
    average: Money
    gift_cards_sold: Money


class HourRow(TypedDict):
    hour: int
    sales: int
    total: Money
    gift_cards_sold: Money


class EmployeeRow(TypedDict):
    employee: str
    sales: int
    total: Money
    average: Money
    gift_cards_sold: Money


class TenderRow(TypedDict):
    method: str
    count: int
    taken: Money
    refunded: Money
    net: Money


class TaxRow(TypedDict):
    """A tax's figures over a period: collected on the sales completed in it (base, amount),
    given back by the refunds made in it, and what is due (net)."""

    tax: str
    rate: str
    base: Money
    amount: Money
    refunded_base: Money
    refunded: Money
    net_base: Money
    net: Money


class VoidRow(TypedDict):
    employee: str
    kind: str  # voided_line, cancelled_sale or discount
    count: int
    amount: Money


# A refund (by its sale's receipt), or a return without a receipt: `refund` None, its own
# number in `return` (a keyword, hence the functional form).
ReturnRow = TypedDict(
    "ReturnRow",
    {
        "refund": int | None,
        "return": NotRequired[int],
        "at": str | None,
        "receipt_number": str | None,
        "employee": str,
        "reason": str,
        "items": int,
        "amount": Money,
        "tax": Money,
    },
)


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
    cost: Money
    value: Money
    retail_value: Money


class StockValueTotals(TypedDict):
    products: int
    units: int
    value: Money
    retail_value: Money


class GiftCardRow(TypedDict):
    state: str  # outstanding or expired
    cards: int
    balance: Money


class GiftCardTotals(TypedDict):
    liability: Money
    expired_balance: Money


class JournalLine(TypedDict):
    date: str
    account: str
    debit: Money
    credit: Money
    memo: str


class JournalTotals(TypedDict):
    debit: Money
    credit: Money


class ZReportRow(TypedDict):
    shift: int
    terminal_id: str
    operator: str
    opened_at: str | None
    closed_at: str | None
    sales: int
    total: Money
    counted: Money | None
    expected: Money | None
    variance: Money | None


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
    gift_cards_sold: Money  # told apart: their money is in the tenders that paid for them


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
    total: Money
    tax: Money
    discount: Money


class CardsLoaded(TypedDict):
    count: int
    amount: Money


class ShiftFigures(TypedDict):
    sales: ShiftSales
    gift_cards: NotRequired[CardsLoaded]  # a Z report frozen before gift cards has none
    # Gift cards sold on a sale and taken back by its refund: refunds are net of them, as
    # sales are of those sold (a Z report frozen before has none, and gross refunds).
    gift_cards_returned: NotRequired[CardsLoaded]
    tenders: list[TenderTaken]
    refunds: RefundFigures
    voids: int
