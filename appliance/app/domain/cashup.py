"""Counting a drawer: denominations, the expected cash, the variance. Pure rules.

The count is blind: the cashier says what is in the drawer before being told what should
be, so the variance is a fact rather than a target to reach.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from appliance.app.domain.errors import Invalid

# Notes and coins in minor units, per currency (those a till drawer holds).
DENOMINATIONS: dict[str, tuple[int, ...]] = {
    "CAD": (10000, 5000, 2000, 1000, 500, 200, 100, 25, 10, 5),
    "USD": (10000, 5000, 2000, 1000, 500, 100, 25, 10, 5, 1),
    "EUR": (50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1),
    "GBP": (5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1),
    "CHF": (100000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5),
    "UAH": (100000, 50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 10),
}
MAX_PIECES = 100_000


def denominations(currency: str) -> tuple[int, ...]:
    return DENOMINATIONS.get(currency, ())


def count_total(count: Mapping[str, int], currency: str) -> int:
    """What a count by denomination comes to. Keys are denominations in minor units, as
    text (JSON keys); a currency without a known list accepts a single "total" key."""
    allowed = denominations(currency)
    total = 0
    if not count:
        raise Invalid("count at least one denomination (0 of each is a count too)", "invalid_count")
    for key, pieces in count.items():
        if isinstance(pieces, bool) or not isinstance(pieces, int) or not 0 <= pieces <= MAX_PIECES:
            raise Invalid(f"{key}: the number of pieces must be 0 to {MAX_PIECES}", "invalid_count")
        if key == "total" and not allowed:
            total += pieces
            continue
        if not (key.isascii() and key.isdigit() and len(key) < 19) or int(key) not in allowed:
            shown = ", ".join(str(d) for d in allowed) or "total"
            raise Invalid(f"{key} is not a {currency} denomination ({shown})", "invalid_count")
        total += int(key) * pieces
    return total


@dataclass(frozen=True)
class DrawerBalance:
    opening_float: int
    cash_sales: int  # cash applied to sales (tendered less change, less rounding)
    cash_refunds: int  # cash refunds' amounts, before their rounding
    paid_in: int
    paid_out: int
    # Cash rounding, net: what sales' cash kept beyond what it applied (money.settle_cash),
    # less what cash refunds handed back beyond their amount. 6.51 paid with 10.00 and
    # 3.50 back: cash_sales 6.51, rounding -0.01, and the drawer holds 6.50 more.
    rounding: int = 0

    @property
    def expected(self) -> int:
        return self.opening_float + self.cash_sales + self.rounding - self.cash_refunds + self.paid_in - self.paid_out


def variance(counted: int, expected: int) -> int:
    """Positive: over (more cash than expected); negative: short."""
    return counted - expected


def needs_manager(variance_amount: int, limit: int) -> bool:
    return abs(variance_amount) > limit
