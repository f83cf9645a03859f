"""Loyalty arithmetic: whole points earned (rounded down), whole points spent (rounded up)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.app.domain.errors import Invalid
from appliance.app.domain.loyalty import LoyaltyRules, points_earned, points_to_pay, redeem, value_of

RULES = LoyaltyRules(points_per_unit=1, point_value=1)


def test_one_point_per_dollar_rounds_down() -> None:
    assert points_earned(RULES, 1999, 2) == 19
    assert points_earned(RULES, 99, 2) == 0
    assert points_earned(LoyaltyRules(points_per_unit=5), 1000, 2) == 50
    assert points_earned(RULES, 1000, 0) == 1000  # a currency without minor units
    assert points_earned(RULES, -500, 2) == 0
    assert points_earned(LoyaltyRules(enabled=False), 10_000, 2) == 0


def test_paying_takes_whole_points_rounded_up() -> None:
    rules = LoyaltyRules(point_value=5)  # a point is worth 5 cents
    assert points_to_pay(rules, 10) == 2
    assert points_to_pay(rules, 11) == 3
    assert redeem(rules, 3, 11, "CAD") == 3


def test_a_redemption_above_the_balance_is_refused() -> None:
    with pytest.raises(Invalid) as caught:
        redeem(RULES, 100, 101, "CAD")
    assert caught.value.code == "insufficient_points"
    # Amounts in the shop's money, as the cashier reads them.
    assert str(caught.value.message) == "1.01 CAD needs 101 points; the customer has 100 (worth 1.00 CAD)"


@pytest.mark.parametrize("amount", [0, -5])
def test_nothing_or_less_cannot_be_paid_with_points(amount: int) -> None:
    with pytest.raises(Invalid):
        redeem(RULES, 100, amount, "CAD")


def test_disabled_loyalty_cannot_be_redeemed() -> None:
    with pytest.raises(Invalid) as caught:
        redeem(LoyaltyRules(enabled=False), 100, 1, "CAD")
    assert caught.value.code == "loyalty_disabled"


@pytest.mark.parametrize("rules", [LoyaltyRules(points_per_unit=-1), LoyaltyRules(point_value=0)])
def test_absurd_rules_are_refused(rules: LoyaltyRules) -> None:
    with pytest.raises(Invalid):
        rules.check()


@given(st.integers(1, 10**9), st.integers(1, 1000))
def test_points_never_pay_more_than_they_are_worth(amount: int, point_value: int) -> None:
    rules = LoyaltyRules(point_value=point_value)
    needed = points_to_pay(rules, amount)
    assert value_of(rules, needed) >= amount
    assert value_of(rules, needed - 1) < amount


def test_rules_read_from_store_settings() -> None:
    rules = LoyaltyRules.from_settings({"loyalty_points_per_unit": 2, "loyalty_point_value": 10})
    assert (rules.enabled, rules.points_per_unit, rules.point_value) == (True, 2, 10)
