"""Taxes: each tax class carries one or more taxes (GST 5% + QST 9.975%, say).

Tax is computed per sale, not per line: the taxable base of each tax is summed over the
sale's lines, then rounded once by the store's rule. This is what Canadian and EU
invoices show and avoids a cent of drift per line.

With tax-inclusive prices (Europe), a line's price already holds its taxes; the tax is
taken out of the gross of each tax class and split among its taxes, the last tax taking
the rounding remainder so that the parts always add up to the whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from appliance.app.domain.errors import Invalid
from appliance.app.domain.money import Rounding, round_fraction


@dataclass(frozen=True)
class Tax:
    name: str
    rate: str  # a decimal percentage as text, e.g. "9.975": exact, no float

    @property
    def fraction(self) -> Fraction:
        return Fraction(Decimal(self.rate)) / 100


@dataclass(frozen=True)
class TaxClass:
    code: str
    name: str
    taxes: tuple[Tax, ...]


@dataclass(frozen=True)
class TaxLine:
    name: str
    rate: str
    base: int
    amount: int


@dataclass(frozen=True)
class Totals:
    subtotal: int  # before tax (net)
    tax: int
    total: int  # what the customer owes
    taxes: tuple[TaxLine, ...]


def parse_rate(text: str) -> str:
    """A tax rate as a person writes it ('5', '9.975'); 0 ≤ rate < 100, at most 4 decimals."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise Invalid(f"tax rate {text!r} is not a number", "invalid_tax_rate") from None
    if not value.is_finite() or value < 0 or value >= 100 or value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise Invalid(f"tax rate {text!r} must be 0 to 100 with at most 4 decimals", "invalid_tax_rate")
    return format(value.normalize(), "f")


def compute_totals(
    amounts: Iterable[tuple[str, int]],
    classes: Mapping[str, TaxClass],
    *,
    prices_include_tax: bool,
    rounding: Rounding = Rounding.HALF_UP,
) -> Totals:
    """Totals of a sale from (tax class code, line amount) pairs."""
    by_class: dict[str, int] = {}
    for code, amount in amounts:
        if code not in classes:
            raise Invalid(f"unknown tax class {code!r}", "unknown_tax_class")
        by_class[code] = by_class.get(code, 0) + amount

    # (name, rate) → [base, amount]; a tax shared by two classes is reported once.
    per_tax: dict[tuple[str, str], list[int]] = {}
    gross_total = 0
    net_total = 0
    for code in sorted(by_class):
        amount = by_class[code]
        taxes = classes[code].taxes
        if prices_include_tax:
            combined = sum((t.fraction for t in taxes), Fraction(0))
            net_exact = Fraction(amount) / (1 + combined)
            class_tax = round_fraction(amount - net_exact, rounding)
            net = amount - class_tax
            remaining = class_tax
            for i, tax in enumerate(taxes):
                part = remaining if i == len(taxes) - 1 else round_fraction(net_exact * tax.fraction, rounding)
                remaining -= part
                slot = per_tax.setdefault((tax.name, tax.rate), [0, 0])
                slot[0] += net
                slot[1] += part
            gross_total += amount
            net_total += net
        else:
            for tax in taxes:
                slot = per_tax.setdefault((tax.name, tax.rate), [0, 0])
                slot[0] += amount
            net_total += amount

    if not prices_include_tax:
        for (_name, rate), slot in per_tax.items():
            slot[1] = round_fraction(slot[0] * Fraction(Decimal(rate)) / 100, rounding)
        tax_total = sum(slot[1] for slot in per_tax.values())
        gross_total = net_total + tax_total
    lines = tuple(TaxLine(name=name, rate=rate, base=slot[0], amount=slot[1]) for (name, rate), slot in per_tax.items())
    tax_total = sum(t.amount for t in lines)
    return Totals(subtotal=net_total, tax=tax_total, total=gross_total, taxes=lines)
