"""A sale at the counter: lines, tenders, totals. Pure rules, no storage.

A sale is open until what was tendered covers its total; then it completes and gets a
receipt number. Once any tender is taken its lines are frozen: changing what is being
bought after money changed hands is a refund, not an edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.app.domain.money import MAX_AMOUNT, Rounding
from appliance.app.domain.tax import TaxClass, Totals, compute_totals

MAX_QUANTITY = 9999  # more than this of one item at a till is a typo, not a sale
MAX_LINES = 500

OPEN = "open"
COMPLETED = "completed"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class SaleLine:
    line_no: int
    product_id: int
    sku: str
    name: str
    unit_price: int
    quantity: int
    tax_class: str
    barcode: str | None = None
    voided: bool = False
    refunded_qty: int = 0

    @property
    def amount(self) -> int:
        return 0 if self.voided else self.unit_price * self.quantity


@dataclass(frozen=True)
class Tender:
    method: str
    amount: int  # applied to the sale
    tendered: int  # handed over
    change: int = 0
    reference: str | None = None


@dataclass(frozen=True)
class SaleTotals:
    subtotal: int
    tax: int
    total: int
    paid: int
    due: int
    taxes: Totals


@dataclass
class Sale:
    id: int
    currency: str
    prices_include_tax: bool
    status: str = OPEN
    lines: list[SaleLine] = field(default_factory=list)
    tenders: list[Tender] = field(default_factory=list)
    receipt_no: int | None = None

    # -- lines ---------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self.status != OPEN:
            raise Conflict(f"sale {self.id} is {self.status}", f"sale_{self.status}")

    def _require_editable(self) -> None:
        self._require_open()
        if self.tenders:
            raise Conflict("a tender was taken; lines can no longer change", "sale_has_payments")

    def line(self, line_no: int) -> SaleLine:
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise NotFound(f"sale {self.id} has no line {line_no}", "line_not_found")

    def add_item(
        self,
        *,
        product_id: int,
        sku: str,
        name: str,
        unit_price: int,
        tax_class: str,
        quantity: int = 1,
        barcode: str | None = None,
    ) -> SaleLine:
        """Adds a line, or adds to the last live line of the same product (a second scan)."""
        self._require_editable()
        check_quantity(quantity)
        for i in range(len(self.lines) - 1, -1, -1):
            existing = self.lines[i]
            if existing.product_id == product_id and not existing.voided and existing.unit_price == unit_price:
                merged = check_quantity(existing.quantity + quantity)
                self.lines[i] = replace(existing, quantity=merged)
                return self.lines[i]
        if len(self.lines) >= MAX_LINES:
            raise Invalid(f"a sale holds at most {MAX_LINES} lines", "too_many_lines")
        new = SaleLine(
            line_no=max((ln.line_no for ln in self.lines), default=0) + 1,
            product_id=product_id,
            sku=sku,
            name=name,
            unit_price=unit_price,
            quantity=quantity,
            tax_class=tax_class,
            barcode=barcode,
        )
        self.lines.append(new)
        return new

    def set_quantity(self, line_no: int, quantity: int) -> SaleLine:
        self._require_editable()
        check_quantity(quantity)
        line = self.line(line_no)
        if line.voided:
            raise Conflict(f"line {line_no} is voided", "line_voided")
        updated = replace(line, quantity=quantity)
        self.lines[self.lines.index(line)] = updated
        return updated

    def void_line(self, line_no: int) -> SaleLine:
        self._require_editable()
        line = self.line(line_no)
        if line.voided:
            raise Conflict(f"line {line_no} is already voided", "line_voided")
        updated = replace(line, voided=True)
        self.lines[self.lines.index(line)] = updated
        return updated

    def cancel(self) -> None:
        self._require_editable()
        self.status = CANCELLED

    # -- money ---------------------------------------------------------------------------

    def totals(self, classes: Mapping[str, TaxClass], rounding: Rounding = Rounding.HALF_UP) -> SaleTotals:
        taxes = compute_totals(
            ((ln.tax_class, ln.amount) for ln in self.lines if not ln.voided),
            classes,
            prices_include_tax=self.prices_include_tax,
            rounding=rounding,
        )
        paid = sum(t.amount for t in self.tenders)
        return SaleTotals(
            subtotal=taxes.subtotal,
            tax=taxes.tax,
            total=taxes.total,
            paid=paid,
            due=taxes.total - paid,
            taxes=taxes,
        )

    def take_cash(
        self, tendered: int, classes: Mapping[str, TaxClass], rounding: Rounding = Rounding.HALF_UP
    ) -> Tender:
        """Cash against what is due: applies at most the due, gives the rest back as change."""
        due = self._due_for_tender(classes, rounding)
        if tendered <= 0 or tendered > MAX_AMOUNT:
            raise Invalid("the cash amount must be positive", "invalid_amount")
        applied = min(tendered, due)
        tender = Tender(method="cash", amount=applied, tendered=tendered, change=tendered - applied)
        self.tenders.append(tender)
        return tender

    def take_tender(
        self,
        method: str,
        amount: int,
        classes: Mapping[str, TaxClass],
        rounding: Rounding = Rounding.HALF_UP,
        reference: str | None = None,
    ) -> Tender:
        """A non-cash tender (card, gift card, loyalty): never more than is due, no change."""
        due = self._due_for_tender(classes, rounding)
        if amount <= 0:
            raise Invalid("the amount must be positive", "invalid_amount")
        if amount > due:
            raise Invalid(f"{method} cannot pay more than is due ({due})", "amount_exceeds_due")
        tender = Tender(method=method, amount=amount, tendered=amount, reference=reference)
        self.tenders.append(tender)
        return tender

    def _due_for_tender(self, classes: Mapping[str, TaxClass], rounding: Rounding) -> int:
        self._require_open()
        if not any(not ln.voided for ln in self.lines):
            raise Conflict("the sale has no items", "sale_empty")
        due = self.totals(classes, rounding).due
        if due <= 0:
            raise Conflict("nothing is due on this sale", "sale_paid")
        return due

    def is_settled(self, classes: Mapping[str, TaxClass], rounding: Rounding = Rounding.HALF_UP) -> bool:
        return self.totals(classes, rounding).due <= 0 and bool(self.tenders)

    def complete(self, receipt_no: int) -> None:
        self._require_open()
        self.status = COMPLETED
        self.receipt_no = receipt_no


def check_quantity(quantity: int) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise Invalid("the quantity must be a whole number", "invalid_quantity")
    if quantity < 1:
        raise Invalid("the quantity must be at least 1", "invalid_quantity")
    if quantity > MAX_QUANTITY:
        raise Invalid(f"the quantity must be at most {MAX_QUANTITY}", "invalid_quantity")
    return quantity
