"""Card number and expiry rules: Luhn, brand by range and length, expiry, masking."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.app.domain import card
from appliance.app.domain.errors import Invalid

TODAY = date(2025, 6, 15)

# Well-known public test numbers, one or more per brand.
BRAND_CASES = [
    ("4111111111111111", "visa"),
    ("4222222222222", "visa"),  # 13 digits
    ("4111111111111111110", "visa"),  # 19 digits (check digit chosen below)
    ("5555555555554444", "mastercard"),
    ("5105105105105100", "mastercard"),
    ("2223003122003222", "mastercard"),  # 2-series
    ("2720990000000007", "mastercard"),
    ("378282246310005", "amex"),
    ("371449635398431", "amex"),
    ("6011111111111117", "discover"),
    ("6445644564456445", "discover"),
    ("6221260000000000", "discover"),  # co-branded range wins over UnionPay's 62
    ("3566002020360505", "jcb"),
    ("36227206271667", "diners"),
    ("30569309025904", "diners"),
    ("6200000000000005", "unionpay"),
    ("6759649826438453", "maestro"),
    ("5018000000000009", "maestro"),
]


def _fix(number: str) -> str:
    """The same number with its last digit made Luhn-valid."""
    return number[:-1] + card.luhn_check_digit(number[:-1])


@pytest.mark.parametrize(("number", "brand"), BRAND_CASES)
def test_brand_and_length(number: str, brand: str) -> None:
    digits, found = card.validate_number(_fix(number))
    assert found.code == brand
    assert len(digits) in found.lengths


def test_luhn_known_values() -> None:
    assert card.luhn_ok("4111111111111111")
    assert card.luhn_ok("79927398713")
    assert not card.luhn_ok("4111111111111112")
    assert not card.luhn_ok("79927398710")


@given(st.text(alphabet="0123456789", min_size=12, max_size=18))
def test_check_digit_completes_any_body(body: str) -> None:
    number = body + card.luhn_check_digit(body)
    assert card.luhn_ok(number)
    # A single changed digit is always caught.
    flipped = str((int(number[-2]) + 1) % 10)
    assert not card.luhn_ok(number[:-2] + flipped + number[-1])


def test_separators_accepted() -> None:
    assert card.validate_number("4111 1111 1111 1111")[0] == "4111111111111111"
    assert card.validate_number("4111-1111-1111-1111")[0] == "4111111111111111"
    assert card.validate_number(" 3782 822463 10005 ")[0] == "378282246310005"


def _error(number: str) -> Invalid:
    with pytest.raises(Invalid) as caught:
        card.validate_number(number)
    return caught.value


def _assert_no_digits_of(number: str, err: Invalid) -> None:
    digits = re.sub(r"\D", "", number)
    if not digits:
        return
    text = f"{err.message} {err} {err!r}"
    assert digits not in text
    # No run of six or more of its digits either (a BIN, a partial number).
    for run in re.findall(r"\d{6,}", text):
        assert run not in digits


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4111111111111112", "card_luhn_failed"),
        ("411111111111", "card_length"),
        ("41111111111111111111", "card_length"),
        ("4111111111111111 ", None),
        ("", "card_number_missing"),
        ("4111x1111", "card_format"),
        ("%B4111111111111111^DOE/JOHN^2512101", "card_format"),  # track 1
        (";4111111111111111=25121010000000000?", "card_format"),  # track 2
        (_fix("9111111111111111"), "card_brand_unknown"),
        ("41111111111111", "card_luhn_failed"),
        ("378282246310", "card_length"),
    ],
)
def test_errors_have_codes_and_never_echo(number: str, code: str | None) -> None:
    if code is None:
        card.validate_number(number)
        return
    err = _error(number)
    assert err.code == code
    _assert_no_digits_of(number, err)


def test_brand_length_mismatch() -> None:
    # A 15-digit Visa-range number passes Luhn but Visa has no 15-digit cards.
    number = _fix("411111111111111")
    err = _error(number)
    assert err.code == "card_length"
    assert "Visa" in err.message
    _assert_no_digits_of(number, err)
    # An Amex has 15 digits only.
    err = _error(_fix("3782822463100051"))
    assert err.code == "card_length"


@pytest.mark.parametrize(
    ("month", "year", "code"),
    [
        (5, 2025, "card_expired"),
        (6, 2025, None),  # good through the end of its month
        (6, 25, None),
        (12, 2024, "card_expired"),
        (1, 2026, None),
        (13, 2026, "card_expiry_invalid"),
        (0, 2026, "card_expiry_invalid"),
        (1, 2099, "card_expiry_invalid"),
        (1, 1999, "card_expiry_invalid"),
    ],
)
def test_expiry(month: int, year: int, code: str | None) -> None:
    if code is None:
        assert card.check_expiry(month, year, TODAY)[1] == 2025 + (month == 1)
        return
    with pytest.raises(Invalid) as caught:
        card.check_expiry(month, year, TODAY)
    assert caught.value.code == code


def test_expiry_last_day_of_month() -> None:
    assert card.check_expiry(2, 2024, date(2024, 2, 29)) == (2, 2024)
    with pytest.raises(Invalid):
        card.check_expiry(2, 2024, date(2024, 3, 1))


def test_mask_and_last_four() -> None:
    assert card.last_four("4111111111111111") == "1111"
    assert card.mask("4111111111111111") == "************1111"
    assert card.mask("4111111111111111", first=6) == "411111******1111"
    assert card.mask("378282246310005", first=6) == "378282*****0005"
    # Short numbers: never show all but two digits.
    assert card.mask("4222222222222", first=6) == "*" * 9 + "2222"
    assert card.mask("36227206271667", first=6) == "*" * 10 + "1667"
    with pytest.raises(ValueError):
        card.mask("4111111111111111", first=8)


def test_card_repr_hides_the_number() -> None:
    c = card.parse_card("4111 1111 1111 1111", 12, 2030, TODAY)
    assert c.last_four == "1111"
    assert c.brand is card.VISA
    for text in (repr(c), str(c), f"{c}", repr([c])):
        assert "4111111111111111" not in text
        assert "411111" not in text
    assert "1111" in repr(c)
