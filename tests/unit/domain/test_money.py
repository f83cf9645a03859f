from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.app.domain.errors import Invalid
from appliance.app.domain.money import (
    Rounding,
    format_amount,
    parse_amount,
    round_cash,
    round_fraction,
)


@pytest.mark.parametrize(
    ("value", "half_up", "half_even"),
    [
        (Fraction(5, 2), 3, 2),  # 2.5
        (Fraction(7, 2), 4, 4),  # 3.5
        (Fraction(-5, 2), -3, -2),  # -2.5: half up goes away from zero
        (Fraction(249, 100), 2, 2),
        (Fraction(251, 100), 3, 3),
        (Fraction(4), 4, 4),
    ],
)
def test_named_rounding_rules(value: Fraction, half_up: int, half_even: int) -> None:
    assert round_fraction(value, Rounding.HALF_UP) == half_up
    assert round_fraction(value, Rounding.HALF_EVEN) == half_even


@pytest.mark.parametrize(
    ("amount", "rounded"), [(101, 100), (102, 100), (103, 105), (107, 105), (108, 110), (100, 100)]
)
def test_canadian_cash_rounding_to_five_cents(amount: int, rounded: int) -> None:
    assert round_cash(amount, 5) == rounded


def test_cash_rounding_with_increment_one_changes_nothing() -> None:
    assert round_cash(123, 1) == 123


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.5", "CAD", 1250),
        ("0.05", "EUR", 5),
        ("1200", "JPY", 1200),
        ("3", "USD", 300),
        ("1.234", "BHD", 1234),
    ],
)
def test_parse_amount(text: str, currency: str, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize("text", ["1.234", "abc", "1e3", "", "1,50", "NaN", "1."])
def test_parse_amount_refuses_what_is_not_an_amount(text: str) -> None:
    with pytest.raises(Invalid):
        parse_amount(text, "CAD")


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(Invalid, match="unsupported currency"):
        parse_amount("1", "XXX")


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(["CAD", "JPY", "BHD"]))
def test_format_and_parse_round_trip(amount: int, currency: str) -> None:
    assert parse_amount(format_amount(amount, currency), currency) == amount
