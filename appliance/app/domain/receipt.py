"""A receipt is built once from a stored sale and then rendered: as text here, as ESC/POS
bytes by the printer driver. Both renderings read the same `Receipt`, so the paper and the
screen can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from appliance.app.domain.money import format_amount


@dataclass(frozen=True)
class ReceiptLine:
    name: str
    quantity: int
    unit_price: int
    amount: int
    sku: str = ""
    discount: int = 0  # taken off this line in all (promotion, line and order discounts)
    promotion: str | None = None
    measure: str = ""  # "0.512 kg @ 19.99/kg"
    original_price: int | None = None  # shelf price when overridden


@dataclass(frozen=True)
class ReceiptTax:
    name: str
    rate: str
    amount: int


@dataclass(frozen=True)
class ReceiptTender:
    method: str
    amount: int
    tendered: int
    change: int
    detail: str = ""  # e.g. "VISA •••• 1111": never more than the last four digits


@dataclass(frozen=True)
class Receipt:
    store_name: str
    header: tuple[str, ...]  # address, tax numbers…
    terminal_id: str
    receipt_no: int
    completed_at: str  # local time, formatted for people
    cashier: str
    currency: str
    prices_include_tax: bool
    lines: tuple[ReceiptLine, ...]
    subtotal: int
    taxes: tuple[ReceiptTax, ...]
    total: int
    tenders: tuple[ReceiptTender, ...]
    footer: tuple[str, ...] = ()
    discount: int = 0
    rounding: int = 0  # cash rounding: what the cash paid beyond the total (negative: less)
    copy: bool = False  # a reprint says so on the paper
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def number(self) -> str:
        """What the barcode encodes and a return scans: terminal and receipt number."""
        return f"{self.terminal_id}-{self.receipt_no:06d}"

    @property
    def change(self) -> int:
        return sum(t.change for t in self.tenders)


def line_rows(line: ReceiptLine, money: Callable[[int], str]) -> list[tuple[str, str]]:
    """The rows one sale line takes on paper, (left, right): shared by every renderer."""
    rows: list[tuple[str, str]] = []
    if line.measure:
        rows += [(line.name, ""), (f"  {line.measure}", money(line.amount))]
    elif line.quantity == 1:
        rows.append((line.name, money(line.amount)))
    else:
        rows += [(line.name, ""), (f"  {line.quantity} x {money(line.unit_price)}", money(line.amount))]
    if line.original_price is not None:
        rows.append((f"  price changed from {money(line.original_price)}", ""))
    if line.discount:
        rows.append((f"  {line.promotion or 'Discount'}", money(-line.discount)))
    return rows


def _row(left: str, right: str, width: int) -> str:
    room = width - len(right) - 1
    if len(left) > room:
        left = left[: max(room, 0)]
    return f"{left}{' ' * (width - len(left) - len(right))}{right}"


def _center(text: str, width: int) -> str:
    return text[:width].center(width).rstrip()


def render_text(receipt: Receipt, width: int = 42) -> str:
    """The receipt as plain text, `width` columns (42 for 80 mm paper, 32 for 58 mm)."""

    def money(amount: int) -> str:
        return format_amount(amount, receipt.currency)

    out: list[str] = []
    if receipt.copy:
        out.append(_center("*** COPY ***", width))
    out.append(_center(receipt.store_name, width))
    out.extend(_center(h, width) for h in receipt.header)
    out.append("")
    out.append(_row(f"Receipt {receipt.number}", receipt.completed_at, width))
    out.append(f"Cashier: {receipt.cashier}")
    out.append("-" * width)
    for line in receipt.lines:
        for left, right in line_rows(line, money):
            out.append(_row(left, right, width) if right else left[:width])
    out.append("-" * width)
    if receipt.discount:
        out.append(_row("You saved", money(receipt.discount), width))
    label = "Subtotal (excl. tax)" if not receipt.prices_include_tax else "Net"
    out.append(_row(label, money(receipt.subtotal), width))
    for tax in receipt.taxes:
        suffix = " incl." if receipt.prices_include_tax else ""
        out.append(_row(f"{tax.name} {tax.rate}%{suffix}", money(tax.amount), width))
    out.append(_row(f"TOTAL {receipt.currency}", money(receipt.total), width))
    if receipt.rounding:
        out.append(_row("Rounding", money(receipt.rounding), width))
        out.append(_row("Total paid", money(receipt.total + receipt.rounding), width))
    out.append("")
    for tender in receipt.tenders:
        name = tender.method.replace("_", " ").title()
        if tender.detail:
            name = f"{name} {tender.detail}"
        out.append(_row(name, money(tender.tendered), width))
    if receipt.change:
        out.append(_row("Change", money(receipt.change), width))
    if receipt.footer:
        out.append("")
        out.extend(_center(f, width) for f in receipt.footer)
    if receipt.copy:
        out.append(_center("*** COPY ***", width))
    return "\n".join(out) + "\n"


# -- a refund's slip ------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundSlipLine:
    name: str
    quantity: int
    unit_price: int
    amount: int  # what the customer paid for these units: their share of any discount is off
    measure: str = ""


@dataclass(frozen=True)
class RefundSlipTender:
    """Where some of the money went: `method` is a sale's tender (cash, card, gift_card,
    loyalty), or store_credit (a new gift card) or exchange (a new sale)."""

    method: str
    amount: int
    rounding: int = 0  # cash: what is handed back is amount + rounding
    detail: str = ""  # "VISA **** 1111", "****-****-****-AB12", a receipt number: never a whole number


@dataclass(frozen=True)
class RefundSlip:
    store_name: str
    header: tuple[str, ...]
    refund_id: int
    receipt_number: str  # the original sale's, as its barcode reads: T01-000042
    refunded_at: str  # local time, formatted for people
    refunded_by: str
    approved_by: str | None
    currency: str
    prices_include_tax: bool
    lines: tuple[RefundSlipLine, ...]
    taxes: tuple[ReceiptTax, ...]
    total: int
    tenders: tuple[RefundSlipTender, ...]
    terminal_id: str = ""  # the till that gave the refund

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)


TENDER_NAMES = {
    "cash": "Cash",
    "card": "Card",
    "gift_card": "Gift card",
    "loyalty": "Points",
    "store_credit": "Store credit",
    "exchange": "Exchange",
}


def refund_rows(slip: RefundSlip, money: Callable[[int], str]) -> list[tuple[str, str, str]]:
    """The body of a refund slip as (left, right, style) rows, style "" or "bold" or "total"
    ("" left and right: a blank line; "rule": a rule). Shared by the text and the paper."""
    rows: list[tuple[str, str, str]] = [
        (f"Refund {slip.refund_id}" + (f" at {slip.terminal_id}" if slip.terminal_id else ""), slip.refunded_at, ""),
        (f"Original receipt {slip.receipt_number}", "", ""),
        (f"Refunded by: {slip.refunded_by}", "", ""),
    ]
    if slip.approved_by:
        rows.append((f"Approved by: {slip.approved_by}", "", ""))
    rows.append(("", "", "rule"))
    for line in slip.lines:
        if line.measure:
            rows += [(line.name, "", ""), (f"  {line.measure}", money(line.amount), "")]
        elif line.quantity == 1 and line.amount == line.unit_price:
            rows.append((line.name, money(line.amount), ""))
        else:
            rows += [(line.name, "", ""), (f"  {line.quantity} x {money(line.unit_price)}", "", "")]
            if line.amount != line.quantity * line.unit_price:
                rows.append(("  less discount", money(line.amount - line.quantity * line.unit_price), ""))
            rows.append((f"  {line.quantity} returned", money(line.amount), ""))
    rows.append(("", "", "rule"))
    label = "Net" if slip.prices_include_tax else "Subtotal (excl. tax)"
    rows.append((label, money(slip.subtotal), ""))
    for tax in slip.taxes:
        suffix = " incl." if slip.prices_include_tax else ""
        rate = f" {tax.rate}%" if tax.rate else ""  # a refund older than its taxes' rows: their sum
        rows.append((f"{tax.name}{rate}{suffix}", money(tax.amount), ""))
    rows.append((f"REFUNDED {slip.currency}", money(slip.total), "total"))
    rows.append(("", "", ""))
    for tender in slip.tenders:
        name = TENDER_NAMES.get(tender.method, tender.method.replace("_", " ").title())
        if tender.detail:
            name = f"{name} {tender.detail}"
        rows.append((name, money(tender.amount), ""))
        if tender.method == "cash" and tender.rounding:
            rows.append(("  Rounding", money(tender.rounding), ""))
            rows.append(("  Cash handed back", money(tender.amount + tender.rounding), "bold"))
    return rows


def render_refund_text(slip: RefundSlip, width: int = 42) -> str:
    """The refund slip as plain text, `width` columns: what the till shows and the API gives."""

    def money(amount: int) -> str:
        return format_amount(amount, slip.currency)

    out = [_center(slip.store_name, width)]
    out.extend(_center(h, width) for h in slip.header)
    out.append("")
    out.append(_center("REFUND", width))
    out.append("")
    for left, right, style in refund_rows(slip, money):
        if style == "rule":
            out.append("-" * width)
        else:
            out.append(_row(left, right, width) if right else left[:width])
    return "\n".join(out) + "\n"
