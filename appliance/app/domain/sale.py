"""A sale at the counter: lines, tenders, totals. Pure rules, no storage.

A sale is open until what was tendered covers its total; then it completes and gets a
receipt number. Once any tender is taken its lines are frozen: changing what is being
bought after money changed hands is a refund, not an edit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.app.domain.money import MAX_AMOUNT, Rounding, settle_cash
from appliance.app.domain.pricing import Discount, Promotion, allocate, best_promotion, percent_of
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
    category: str | None = None
    discount: Discount | None = None  # the cashier's, on this line
    original_price: int | None = None  # the shelf price, when the price was overridden
    override_reason: str = ""
    measure: str = ""  # "0.512 kg @ 19.99/kg" for a weighed item
    restricted: bool = False  # age-restricted: someone of staff must have checked
    restricted_approved_by: str | None = None

    @property
    def amount(self) -> int:
        """Before any discount."""
        return 0 if self.voided else self.unit_price * self.quantity


@dataclass(frozen=True)
class PricedLine:
    """A line with everything taken off it: what the customer pays for it is `net`."""

    line: SaleLine
    promotion: str | None
    promotion_off: int
    line_off: int
    order_off: int

    @property
    def discount(self) -> int:
        return self.promotion_off + self.line_off + self.order_off

    @property
    def net(self) -> int:
        return self.line.amount - self.discount


@dataclass(frozen=True)
class Tender:
    method: str
    amount: int  # applied to the sale
    tendered: int  # handed over
    change: int = 0
    reference: str | None = None
    rounding: int = 0  # cash only: what the drawer kept beyond `amount` (tendered - change - amount)


@dataclass(frozen=True)
class SaleTotals:
    subtotal: int
    tax: int
    total: int
    paid: int
    due: int
    taxes: Totals
    discount: int = 0
    lines: tuple[PricedLine, ...] = ()


@dataclass
class Sale:
    id: int
    currency: str
    prices_include_tax: bool
    status: str = OPEN
    lines: list[SaleLine] = field(default_factory=list)
    tenders: list[Tender] = field(default_factory=list)
    receipt_no: int | None = None
    order_discount: Discount | None = None
    business_day: dt.date | None = None  # the shop's date when it opened: promotions follow it
    promotions: tuple[Promotion, ...] = ()
    parked: bool = False

    # -- lines ---------------------------------------------------------------------------

    def _require_open(self) -> None:
        if self.status != OPEN:
            raise Conflict(f"sale {self.id} is {self.status}", f"sale_{self.status}")
        if self.parked:
            raise Conflict(f"sale {self.id} is parked; resume it first", "sale_parked")

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
        category: str | None = None,
        measure: str = "",
        restricted: bool = False,
        restricted_approved_by: str | None = None,
    ) -> SaleLine:
        """Adds a line, or adds to the last live line of the same product (a second scan)."""
        self._require_editable()
        check_quantity(quantity)
        for i in range(len(self.lines) - 1, -1, -1):
            existing = self.lines[i]
            if (
                existing.product_id == product_id
                and not existing.voided
                and existing.unit_price == unit_price
                and existing.original_price is None
                and not existing.measure
                and not measure
            ):
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
            category=category,
            measure=measure,
            restricted=restricted,
            restricted_approved_by=restricted_approved_by,
        )
        self.lines.append(new)
        return new

    def _live_line(self, line_no: int, voided: str = "is voided") -> SaleLine:
        """The line, which a change may not touch once voided (`voided` words the refusal)."""
        line = self.line(line_no)
        if line.voided:
            raise Conflict(f"line {line_no} {voided}", "line_voided")
        return line

    def _replace(self, line: SaleLine, **changes: Any) -> SaleLine:
        """The line, changed, in its place on the sale."""
        updated = replace(line, **changes)
        self.lines[self.lines.index(line)] = updated
        return updated

    def set_quantity(self, line_no: int, quantity: int) -> SaleLine:
        self._require_editable()
        check_quantity(quantity)
        return self._replace(self._live_line(line_no), quantity=quantity)

    def void_line(self, line_no: int) -> SaleLine:
        self._require_editable()
        return self._replace(self._live_line(line_no, "is already voided"), voided=True)

    def cancel(self) -> None:
        self._require_editable()
        self.status = CANCELLED

    def set_line_discount(self, line_no: int, discount: Discount | None) -> SaleLine:
        self._require_editable()
        return self._replace(self._live_line(line_no), discount=discount)

    def set_order_discount(self, discount: Discount | None) -> None:
        self._require_editable()
        self.order_discount = discount

    def override_price(self, line_no: int, price: int, reason: str) -> SaleLine:
        self._require_editable()
        if isinstance(price, bool) or not isinstance(price, int) or not 0 <= price <= MAX_AMOUNT:
            raise Invalid("the price must be a whole number of minor units, 0 or more", "invalid_price")
        if not 3 <= len(reason.strip()) <= 200:
            raise Invalid("a price override needs a reason of 3 to 200 characters", "reason_required")
        line = self._live_line(line_no)
        shelf = line.original_price if line.original_price is not None else line.unit_price
        return self._replace(line, unit_price=price, original_price=shelf, override_reason=reason.strip())

    def awaiting_approval(self) -> list[SaleLine]:
        """Age-restricted lines nobody of staff has approved yet."""
        return [ln for ln in self.lines if ln.restricted and not ln.voided and ln.restricted_approved_by is None]

    def approve_restricted(self, approver: str) -> list[SaleLine]:
        self._require_open()
        waiting = self.awaiting_approval()
        if not waiting:
            raise Conflict("nothing on this sale waits for approval", "nothing_to_approve")
        for line in waiting:
            self._replace(line, restricted_approved_by=approver)
        return waiting

    def park(self) -> None:
        """Sets the sale aside; one holding a payment too (its money stays on it and the
        parked list shows it until someone resumes and finishes it)."""
        self._require_open()
        if not any(not ln.voided for ln in self.lines):
            raise Conflict("an empty sale need not be parked", "sale_empty")
        self.parked = True

    def resume(self) -> None:
        if not self.parked:
            raise Conflict(f"sale {self.id} is not parked", "sale_not_parked")
        self.parked = False

    # -- prices ----------------------------------------------------------------------------

    def priced_lines(self, rounding: Rounding = Rounding.HALF_UP) -> tuple[PricedLine, ...]:
        live = [ln for ln in self.lines if not ln.voided]
        day = self.business_day or dt.date.min
        staged: list[tuple[SaleLine, str | None, int, int]] = []
        for ln in live:
            promotion, promo_off = (None, 0)
            if ln.original_price is None:  # an overridden price is already the deal
                promotion, promo_off = best_promotion(
                    self.promotions,
                    product_id=ln.product_id,
                    category=ln.category,
                    unit_price=ln.unit_price,
                    quantity=ln.quantity,
                    day=day,
                )
            after_promo = ln.amount - promo_off
            line_off = ln.discount.amount_off(after_promo, rounding) if ln.discount else 0
            staged.append((ln, promotion.name if promotion else None, promo_off, line_off))
        remaining = [ln.amount - p - d for ln, _, p, d in staged]
        order_total = self.order_discount.amount_off(sum(remaining), rounding) if self.order_discount else 0
        shares = allocate(order_total, remaining)
        return tuple(
            PricedLine(line=ln, promotion=name, promotion_off=p, line_off=d, order_off=share)
            for (ln, name, p, d), share in zip(staged, shares, strict=True)
        )

    # -- money ---------------------------------------------------------------------------

    def totals(self, classes: Mapping[str, TaxClass], rounding: Rounding = Rounding.HALF_UP) -> SaleTotals:
        priced = self.priced_lines(rounding)
        taxes = compute_totals(
            ((p.line.tax_class, p.net) for p in priced),
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
            discount=sum(p.discount for p in priced),
            lines=priced,
        )

    def take_cash(
        self,
        tendered: int,
        classes: Mapping[str, TaxClass],
        rounding: Rounding = Rounding.HALF_UP,
        cash_increment: int = 1,
    ) -> Tender:
        """Cash against what is due: applies at most the due, gives the rest back as change.
        When this cash settles the sale, what the drawer keeps is the due rounded to the
        store's smallest coin (`cash_increment`, minor units) and the difference is the
        tender's rounding (money.settle_cash); a partial cash tender is not rounded."""
        due = self._due_for_tender(classes, rounding)
        if isinstance(tendered, bool) or not isinstance(tendered, int) or tendered <= 0 or tendered > MAX_AMOUNT:
            raise Invalid("the cash amount must be positive", "invalid_amount")
        settled = settle_cash(due, tendered, cash_increment)
        tender = Tender(
            method="cash",
            amount=settled.applied,
            tendered=tendered,
            change=settled.change,
            rounding=settled.rounding,
        )
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
        if self.awaiting_approval():
            raise Conflict("an attendant must approve the age-restricted items first", "attendant_approval_needed")
        due = self.totals(classes, rounding).due
        if due <= 0:
            raise Conflict("nothing is due on this sale", "sale_paid")
        return due

    @property
    def cash_rounding(self) -> int:
        """What cash rounding added to (or, negative, took off) the money taken."""
        return sum(t.rounding for t in self.tenders)

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


def stacked_share(priced: Sequence[PricedLine]) -> Fraction:
    """What the cashier's line and sale discounts take off together, as a percentage of what
    the lines cost after promotions; 0 unless both kinds are on the sale (alone, each is
    judged as given). Each discount may round up by a minor unit: that is not held against it."""
    if not any(p.line_off for p in priced) or not any(p.order_off for p in priced):
        return Fraction(0)
    off = sum(p.line_off + p.order_off for p in priced)
    rounding = sum(1 for p in priced if p.line_off) + sum(1 for p in priced if p.order_off)
    base = sum(p.net + p.line_off + p.order_off for p in priced)
    return percent_of(max(off - rounding, 0), base)
