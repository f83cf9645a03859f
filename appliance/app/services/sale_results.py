"""What the till, the customer display and the API are told of a sale: the shapes
`sale_view.view` and the tenders answer with. Amounts are minor units of the sale's currency.
Only shapes here (no imports of services), so that any service may name them without an
import cycle; Endpoint.returns turns them into the OpenAPI document's schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import NotRequired, TypedDict

from appliance.app.domain.money import Money


class LineDiscount(TypedDict):
    kind: str  # percent (value in basis points) or amount (value in minor units)
    value: int
    reason: str


class SaleLine(TypedDict):
    line: int
    sku: str
    name: str
    barcode: str | None
    quantity: int
    unit_price: Money
    amount: Money  # unit_price × quantity, before discounts
    discount: Money
    net: Money  # amount less discount; 0 once voided
    promotion: str | None
    line_discount: LineDiscount | None
    original_price: Money | None  # the shelf price, when the price was overridden
    measure: str | None  # "0.512 kg @ 19.99/kg" for a weighed item
    age_restricted: bool
    awaiting_approval: bool
    tax_class: str
    voided: bool
    refunded_quantity: int


class SaleTotals(TypedDict):
    subtotal: Money
    discount: Money
    tax: Money
    total: Money
    paid: Money
    due: Money
    cash_due: Money  # what cash settles it with now: due rounded to the store's smallest coin


class TaxAmount(TypedDict):
    name: str
    rate: str  # a decimal percentage as text, e.g. "9.975"
    amount: Money


class SalePayment(TypedDict):
    id: int
    method: str
    amount: Money
    tendered: Money
    change: Money
    rounding: Money


class SaleCustomer(TypedDict):
    """The sale's customer as the till needs them: no contact details, as the customer
    display hears every view of the sale."""

    id: int
    name: str
    points: int
    points_value: Money
    points_owed: int
    points_earned: int


class SaleFigures(TypedDict):
    """A sale but for its customer, whom the answers name in more or less detail."""

    id: int
    status: str  # open, completed or cancelled
    parked: bool
    currency: str
    prices_include_tax: bool
    terminal_id: str
    receipt_no: int | None
    receipt_number: str | None  # T01-000042, as the receipt's barcode reads
    cashier: str
    opened_at: str
    completed_at: str | None
    lines: list[SaleLine]
    order_discount: LineDiscount | None
    totals: SaleTotals
    taxes: list[TaxAmount]
    payments: list[SalePayment]
    change: Money
    rounding: Money  # cash rounding: what the drawer kept beyond the total (negative: less)
    card_pending: Money  # a card payment still being checked with the acquirer, or 0


class SaleView(SaleFigures):
    customer: SaleCustomer | None


class CardOutcome(TypedDict):
    status: str  # approved, or pending while the acquirer's answer is unknown
    amount: Money  # asked for
    approved_amount: Money  # less than asked on a partial approval
    last4: str | None


class GiftCardOnSale(TypedDict):
    code: str  # the whole number, shown once to hand over
    kind: str  # issue or top_up
    amount: Money
    line: int


class PaidSale(SaleView):
    """A tender's answer: the sale, with the card's outcome when a card paid."""

    card: NotRequired[CardOutcome]


class SaleWithGiftCard(SaleView):
    """A gift card sold or topped up: the sale, and the card put on it."""

    gift_card: GiftCardOnSale


class ParkedSale(TypedDict):
    """A sale parked on this lane, as the till lists them to resume (status=parked)."""

    id: int
    parked_at: str
    parked_by: str | None
    lines: int  # how many live lines
    paid: Money
    currency: str
    total: Money
    due: Money


class LeftOpenSale(TypedDict):
    """An open sale nobody parked (status=open): after a reload, a crash or a new login."""

    id: int
    terminal_id: str
    opened_at: str
    cashier: str
    lines: int
    paid: Money
    currency: str
    total: Money
    due: Money


class DaySale(TypedDict):
    """A completed sale of a business day (day=YYYY-MM-DD)."""

    id: int
    terminal_id: str
    receipt_no: int
    receipt_number: str
    completed_at: str
    total: Money
    cashier: str


class FoundSales(TypedDict):
    """By receipt: the whole sale; by day: a page of completed sales; by status: what the
    till lists to resume."""

    sales: list[SaleView | ParkedSale | LeftOpenSale | DaySale]
    next_offset: int | None  # the next page of a day, or null


# How a tender's local payment is committed: at once (the default), or inside the request's
# idempotency transaction, so that the payment and the answer stored for a retry commit
# together, after the office's hold was taken outside it (services/tenders.pay_once).
Commit = Callable[[Callable[[], SaleView]], SaleView]


def at_once(local: Callable[[], SaleView]) -> SaleView:
    return local()
