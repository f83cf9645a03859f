"""Discounts, price overrides and promotions: how a line's shelf price becomes what the
customer pays for it. Pure rules.

Order of application, as a receipt reads top to bottom: the promotion first (it is the
shop's own offer), then the cashier's line discount on what is left, then the order
discount spread over every line in proportion (so each tax still gets its right base).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from appliance.app.domain.errors import Invalid
from appliance.app.domain.money import MAX_AMOUNT, Rounding, round_fraction

PERCENT = "percent"
AMOUNT = "amount"
BASIS = 10_000  # percentages are kept in basis points: 12.5 % is 1250


@dataclass(frozen=True)
class Discount:
    kind: str  # PERCENT (value in basis points) or AMOUNT (value in minor units)
    value: int
    reason: str = ""

    def amount_off(self, base: int, rounding: Rounding = Rounding.HALF_UP) -> int:
        if self.kind == PERCENT:
            return min(base, round_fraction(Fraction(base * self.value, BASIS), rounding))
        return min(base, self.value)


def check_discount(kind: str, value: int, reason: str = "") -> Discount:
    if kind not in (PERCENT, AMOUNT):
        raise Invalid("a discount is a percent or an amount", "invalid_discount")
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise Invalid("a discount must be more than zero", "invalid_discount")
    if kind == PERCENT and value > BASIS:
        raise Invalid("a discount cannot exceed 100 %", "invalid_discount")
    if kind == AMOUNT and value > MAX_AMOUNT:
        raise Invalid("the discount amount is out of range", "invalid_discount")
    if len(reason) > 200:
        raise Invalid("the reason is at most 200 characters", "invalid_reason")
    return Discount(kind, value, reason.strip())


def percent_of(part: int, whole: int) -> Fraction:
    """What share of `whole` `part` is, in percent (for per-role limits)."""
    return Fraction(0) if whole <= 0 else Fraction(part * 100, whole)


# -- promotions -------------------------------------------------------------------------------

MULTI_PRICE = "multi_price"  # N for a price: 3 for 5.00
BUY_N_GET_ONE = "buy_n_get_one"  # buy 2, the 3rd is free
CATEGORY_PERCENT = "category_percent"  # 15 % off a category between two dates
PROMOTION_KINDS = (MULTI_PRICE, BUY_N_GET_ONE, CATEGORY_PERCENT)


@dataclass(frozen=True)
class Promotion:
    id: int
    name: str
    kind: str
    starts: dt.date
    ends: dt.date  # inclusive
    product_id: int | None = None
    category: str | None = None
    quantity: int = 0
    price: int = 0
    percent: int = 0  # basis points

    def live_on(self, day: dt.date) -> bool:
        return self.starts <= day <= self.ends

    def applies_to(self, product_id: int, category: str | None) -> bool:
        if self.kind == CATEGORY_PERCENT:
            return category is not None and category == self.category
        return product_id == self.product_id


def check_promotion(p: Promotion) -> Promotion:
    if p.kind not in PROMOTION_KINDS:
        raise Invalid(f"a promotion is one of {', '.join(PROMOTION_KINDS)}", "invalid_promotion")
    if not 1 <= len(p.name.strip()) <= 80:
        raise Invalid("a promotion needs a name of 1 to 80 characters", "invalid_promotion")
    if p.ends < p.starts:
        raise Invalid("a promotion cannot end before it starts", "invalid_promotion")
    if p.kind == MULTI_PRICE and (p.product_id is None or p.quantity < 2 or not 0 < p.price <= MAX_AMOUNT):
        raise Invalid("N for a price needs a product, N of 2 or more and a price", "invalid_promotion")
    if p.kind == BUY_N_GET_ONE and (p.product_id is None or p.quantity < 1):
        raise Invalid("buy N get one needs a product and N of 1 or more", "invalid_promotion")
    if p.kind == CATEGORY_PERCENT and (not p.category or not 0 < p.percent <= BASIS):
        raise Invalid("a category offer needs a category and a percentage", "invalid_promotion")
    if p.quantity > 999:
        raise Invalid("a promotion's quantity is at most 999", "invalid_promotion")
    return p


def promotion_discount(
    promotion: Promotion, unit_price: int, quantity: int, rounding: Rounding = Rounding.HALF_UP
) -> int:
    """What one promotion takes off a line of `quantity` at `unit_price`; never below 0."""
    if promotion.kind == MULTI_PRICE:
        groups = quantity // promotion.quantity
        return max(0, groups * (promotion.quantity * unit_price - promotion.price))
    if promotion.kind == BUY_N_GET_ONE:
        return (quantity // (promotion.quantity + 1)) * unit_price
    return round_fraction(Fraction(unit_price * quantity * promotion.percent, BASIS), rounding)


def best_promotion(
    promotions: Sequence[Promotion],
    *,
    product_id: int,
    category: str | None,
    unit_price: int,
    quantity: int,
    day: dt.date,
) -> tuple[Promotion | None, int]:
    """Promotions do not stack: the one that saves the customer most wins."""
    best: tuple[Promotion | None, int] = (None, 0)
    for promotion in promotions:
        if promotion.live_on(day) and promotion.applies_to(product_id, category):
            off = promotion_discount(promotion, unit_price, quantity)
            if off > best[1]:
                best = (promotion, off)
    return best


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Splits `total` over lines in proportion to `weights`, in whole minor units that add
    up exactly (largest remainder), never more than a line's own weight."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    total = min(total, whole)
    exact = [Fraction(total * w, whole) for w in weights]
    shares = [int(x) for x in exact]
    left = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (exact[i] - shares[i], weights[i]), reverse=True)
    for i in order[:left]:
        shares[i] += 1
    return shares
