"""Loyalty points: earned per amount spent, redeemed as a tender. Pure arithmetic.

The rules are the store's settings:
- ``points_per_unit``: points earned per whole currency unit spent (e.g. 1 point per dollar);
  a fraction of a point is never given ("floor": the store never owes half a point).
- ``point_value``: what one point is worth at the till, in minor units (e.g. 1 = one cent).
A redemption takes the whole points needed to cover the amount, rounded up, so points
never pay for more than they are worth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appliance.app.domain.errors import Invalid
from appliance.app.domain.money import money_words

MAX_POINTS_PER_UNIT = 1000
MAX_POINT_VALUE = 10**6


@dataclass(frozen=True)
class LoyaltyRules:
    enabled: bool = True
    points_per_unit: int = 1
    point_value: int = 1  # minor units per point

    @classmethod
    def from_settings(cls, values: dict[str, Any]) -> LoyaltyRules:
        return cls(
            enabled=bool(values.get("loyalty_enabled", True)),
            points_per_unit=int(values.get("loyalty_points_per_unit", 1)),
            point_value=int(values.get("loyalty_point_value", 1)),
        )

    def check(self) -> LoyaltyRules:
        if not 0 <= self.points_per_unit <= MAX_POINTS_PER_UNIT:
            raise Invalid(f"points per unit must be 0 to {MAX_POINTS_PER_UNIT}", "invalid_loyalty_rule")
        if not 1 <= self.point_value <= MAX_POINT_VALUE:
            raise Invalid(f"a point's value must be 1 to {MAX_POINT_VALUE} minor units", "invalid_loyalty_rule")
        return self


def points_earned(rules: LoyaltyRules, amount: int, exponent: int) -> int:
    """Points for spending `amount` minor units in a currency with `exponent` decimals."""
    if not rules.enabled or amount <= 0:
        return 0
    unit: int = 10**exponent
    return amount * rules.points_per_unit // unit


def points_to_pay(rules: LoyaltyRules, amount: int) -> int:
    """Whole points needed to pay `amount` minor units (rounded up)."""
    if amount <= 0:
        raise Invalid("the amount must be positive", "invalid_amount")
    return -(-amount // rules.point_value)


def redeem(rules: LoyaltyRules, balance: int, amount: int, currency: str) -> int:
    """The points a redemption of `amount` takes, or Invalid when the balance is short."""
    if not rules.enabled:
        raise Invalid("loyalty points are not in use in this store", "loyalty_disabled")
    needed = points_to_pay(rules, amount)
    if needed > balance:
        raise Invalid(
            f"{money_words(amount, currency)} needs {needed} points; the customer has {balance} "
            f"(worth {money_words(value_of(rules, balance), currency)})",
            "insufficient_points",
        )
    return needed


def value_of(rules: LoyaltyRules, points: int) -> int:
    return points * rules.point_value
