"""A receipt is built once from a stored sale and then rendered: as text here, as ESC/POS
bytes by the printer driver. Both renderings read the same `Receipt`, so the paper and the
screen can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from appliance.app.domain.words import Words


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
    # A gift card spent while the office did not answer (under the chain's offline cap).
    office_offline: bool = False
    # The lines a payment terminal requires on the customer's receipt, printed as it gave them.
    terminal_lines: tuple[str, ...] = ()


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
    locale: str = "en-CA"  # the store's (store rule `locale`): its words, amounts and dates

    @property
    def words(self) -> Words:
        return Words(self.locale)

    @property
    def number(self) -> str:
        """What the barcode encodes and a return scans: terminal and receipt number."""
        return f"{self.terminal_id}-{self.receipt_no:06d}"

    @property
    def change(self) -> int:
        return sum(t.change for t in self.tenders)


def line_rows(line: ReceiptLine, words: Words, money: Callable[[int], str]) -> list[tuple[str, str]]:
    """The rows one sale line takes on paper, (left, right): shared by every renderer."""
    rows: list[tuple[str, str]] = []
    if line.measure:
        rows += [(line.name, ""), (f"  {line.measure}", money(line.amount))]
    elif line.quantity == 1:
        rows.append((line.name, money(line.amount)))
    else:
        each = words("receipt.quantity_times_price", quantity=line.quantity, price=money(line.unit_price))
        rows += [(line.name, ""), (f"  {each}", money(line.amount))]
    if line.original_price is not None:
        rows.append(("  " + words("receipt.price_changed", price=money(line.original_price)), ""))
    if line.discount:
        rows.append((f"  {line.promotion or words('receipt.discount')}", money(-line.discount)))
    return rows


def tender_name(method: str, words: Words) -> str:
    """A tender as the paper names it: cash, card, gift_card, loyalty, store_credit, exchange."""
    key = f"receipt.tender_{method}"
    name = words(key)
    return method.replace("_", " ").title() if name == key else name


def tender_label(tender: ReceiptTender, words: Words, room: int) -> tuple[str, str]:
    """A tender's name on paper with its detail (`Gift card ****1234`), and a line of its own
    for what does not fit in `room` columns beside it: an offline spend's note goes on the
    tender's line when it fits, else just under it, never cut."""
    name = tender_name(tender.method, words)
    if tender.detail:
        name = f"{name} {tender.detail}"
    if not tender.office_offline:
        return name, ""
    note = words("receipt.office_offline")
    together = f"{name} {note}"
    return (together, "") if len(together) <= room else (name, f"  {note}")


def tax_label(tax: ReceiptTax, words: Words, included: bool) -> str:
    """A tax's row label: its name as configured, its rate as the locale writes numbers."""
    if not tax.rate:  # a refund older than its taxes' rows: their sum under one name
        return words("receipt.tax_included", name=tax.name) if included else tax.name
    key = "receipt.tax_rate_included" if included else "receipt.tax_rate"
    return words(key, name=tax.name, rate=words.number(tax.rate))


def _row(left: str, right: str, width: int) -> str:
    room = width - len(right) - 1
    if len(left) > room:
        left = left[: max(room, 0)]
    return f"{left}{' ' * (width - len(left) - len(right))}{right}"


def _center(text: str, width: int) -> str:
    return text[:width].center(width).rstrip()


def render_text(receipt: Receipt, width: int = 42) -> str:
    """The receipt as plain text, `width` columns (42 for 80 mm paper, 32 for 58 mm), in
    the store's language."""
    words = receipt.words

    def money(amount: int) -> str:
        return words.money(amount, receipt.currency)

    out: list[str] = []
    if receipt.copy:
        out.append(_center(words("receipt.copy"), width))
    out.append(_center(receipt.store_name, width))
    out.extend(_center(h, width) for h in receipt.header)
    out.append("")
    out.append(_row(words("receipt.receipt_number", number=receipt.number), receipt.completed_at, width))
    out.append(words("receipt.cashier", name=receipt.cashier))
    out.append("-" * width)
    for line in receipt.lines:
        for left, right in line_rows(line, words, money):
            out.append(_row(left, right, width) if right else left[:width])
    out.append("-" * width)
    if receipt.discount:
        out.append(_row(words("receipt.you_saved"), money(receipt.discount), width))
    label = words("receipt.net" if receipt.prices_include_tax else "receipt.subtotal_before_tax")
    out.append(_row(label, money(receipt.subtotal), width))
    for tax in receipt.taxes:
        out.append(_row(tax_label(tax, words, receipt.prices_include_tax), money(tax.amount), width))
    out.append(_row(words("receipt.total", currency=receipt.currency), money(receipt.total), width))
    if receipt.rounding:
        out.append(_row(words("receipt.rounding"), money(receipt.rounding), width))
        out.append(_row(words("receipt.total_paid"), money(receipt.total + receipt.rounding), width))
    out.append("")
    for tender in receipt.tenders:
        amount = money(tender.tendered)
        name, note = tender_label(tender, words, width - len(amount) - 1)
        out.append(_row(name, amount, width))
        if note:
            out.append(note[:width])
        out.extend(line[:width] for line in tender.terminal_lines)
    if receipt.change:
        out.append(_row(words("receipt.change"), money(receipt.change), width))
    if receipt.footer:
        out.append("")
        out.extend(_center(f, width) for f in receipt.footer)
    if receipt.copy:
        out.append(_center(words("receipt.copy"), width))
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
    locale: str = "en-CA"  # the store's (store rule `locale`): its words, amounts and dates
    # A return without a receipt: numbered apart from refunds, no receipt to name or scan.
    without_receipt: bool = False

    @property
    def words(self) -> Words:
        return Words(self.locale)

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)


def refund_rows(slip: RefundSlip, words: Words, money: Callable[[int], str]) -> list[tuple[str, str, str]]:
    """The body of a refund slip as (left, right, style) rows, style "" or "bold" or "total"
    ("" left and right: a blank line; "rule": a rule). Shared by the text and the paper."""
    if slip.without_receipt:
        title = words("receipt.return_number_at", number=slip.refund_id, till=slip.terminal_id)
        origin = words("receipt.without_receipt")
    else:
        title = (
            words("receipt.refund_number_at", number=slip.refund_id, till=slip.terminal_id)
            if slip.terminal_id
            else words("receipt.refund_number", number=slip.refund_id)
        )
        origin = words("receipt.original_receipt", number=slip.receipt_number)
    rows: list[tuple[str, str, str]] = [
        (title, slip.refunded_at, ""),
        (origin, "", ""),
        (words("receipt.refunded_by", name=slip.refunded_by), "", ""),
    ]
    if slip.approved_by:
        rows.append((words("receipt.approved_by", name=slip.approved_by), "", ""))
    rows.append(("", "", "rule"))
    for line in slip.lines:
        if line.measure:
            rows += [(line.name, "", ""), (f"  {line.measure}", money(line.amount), "")]
        elif line.quantity == 1 and line.amount == line.unit_price:
            rows.append((line.name, money(line.amount), ""))
        else:
            each = words("receipt.quantity_times_price", quantity=line.quantity, price=money(line.unit_price))
            rows += [(line.name, "", ""), (f"  {each}", "", "")]
            if line.amount != line.quantity * line.unit_price:
                less = money(line.amount - line.quantity * line.unit_price)
                rows.append(("  " + words("receipt.less_discount"), less, ""))
            rows.append(("  " + words("receipt.quantity_returned", quantity=line.quantity), money(line.amount), ""))
    rows.append(("", "", "rule"))
    label = words("receipt.net" if slip.prices_include_tax else "receipt.subtotal_before_tax")
    rows.append((label, money(slip.subtotal), ""))
    for tax in slip.taxes:
        rows.append((tax_label(tax, words, slip.prices_include_tax), money(tax.amount), ""))
    rows.append((words("receipt.refunded_total", currency=slip.currency), money(slip.total), "total"))
    rows.append(("", "", ""))
    for tender in slip.tenders:
        name = tender_name(tender.method, words)
        if tender.detail:
            name = f"{name} {tender.detail}"
        rows.append((name, money(tender.amount), ""))
        if tender.method == "cash" and tender.rounding:
            rows.append(("  " + words("receipt.rounding"), money(tender.rounding), ""))
            rows.append(("  " + words("receipt.cash_handed_back"), money(tender.amount + tender.rounding), "bold"))
    return rows


def render_refund_text(slip: RefundSlip, width: int = 42) -> str:
    """The refund slip as plain text, `width` columns: what the till shows and the API gives."""
    words = slip.words

    def money(amount: int) -> str:
        return words.money(amount, slip.currency)

    out = [_center(slip.store_name, width)]
    out.extend(_center(h, width) for h in slip.header)
    out.append("")
    out.append(_center(words("receipt.refund_title"), width))
    out.append("")
    for left, right, style in refund_rows(slip, words, money):
        if style == "rule":
            out.append("-" * width)
        else:
            out.append(_row(left, right, width) if right else left[:width])
    return "\n".join(out) + "\n"
