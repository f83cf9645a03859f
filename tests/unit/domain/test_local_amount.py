"""Amounts typed and shown the way a locale writes them (domain/local_amount.py), as the
office's pages read them: the rules of the till's screens (static/common.js, readAmount)."""

from __future__ import annotations

import pytest

from appliance.app.domain.errors import Invalid
from appliance.app.domain.local_amount import read_amount, write_amount


@pytest.mark.parametrize(
    ("text", "currency", "locale", "minor"),
    [
        ("12,50", "EUR", "fr-FR", 1250),
        ("12.50", "EUR", "fr-FR", 1250),  # "." can only be a decimal mark here
        ("12,5", "EUR", "en", 1250),
        (",50", "EUR", "fr", 50),
        ("4,", "EUR", "fr", 400),
        ("1 234,50", "EUR", "fr", 123450),
        ("1\u202f234,50", "EUR", "fr", 123450),
        ("1.234,50", "EUR", "de-DE", 123450),
        ("1,234.50", "EUR", "fr", 123450),
        ("1,234", "EUR", "en-CA", 123400),  # en groups thousands with ","
        ("1.234", "EUR", "de", 123400),
        ("1,234,567", "EUR", "en", 123456700),
        ("1.234", "BHD", "en", 1234),  # three decimals, "." the decimal mark
        ("12,50 EUR", "EUR", "fr", 1250),
        ("EUR 12", "EUR", "fr", 1200),
        ("1'234.50", "CHF", "de-CH", 123450),
        ("500", "JPY", "en", 500),
    ],
)
def test_an_amount_is_read_as_the_locale_writes_it(text: str, currency: str, locale: str, minor: int) -> None:
    assert read_amount(text, currency, locale) == minor


@pytest.mark.parametrize(
    ("text", "locale", "code", "reason"),
    [
        ("1,234", "fr", "ambiguous_amount", "ambiguous"),  # fr groups with a space: 1 234 or 1,23?
        ("1.234", "en", "ambiguous_amount", "ambiguous"),
        ("12,505", "fr", "ambiguous_amount", "ambiguous"),
        ("12,5055", "fr", "invalid_amount", "more decimals"),
        ("1,23.4.5", "fr", "invalid_amount", "two decimal marks"),
        ("12 34,50", "fr", "invalid_amount", "grouped wrongly"),
        ("-1,00", "fr", "negative_amount", "below zero"),
        ("douze", "fr", "invalid_amount", "not an amount"),
        ("   ", "fr", "amount_needed", "type an amount"),
        ("1" * 14, "fr", "invalid_amount", "out of range"),
    ],
)
def test_an_amount_that_is_not_one_or_could_be_two_is_refused_with_why(
    text: str, locale: str, code: str, reason: str
) -> None:
    with pytest.raises(Invalid) as refused:
        read_amount(text, "EUR", locale)
    assert refused.value.code == code and reason in refused.value.message


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "shown"),
    [
        (1234567, "EUR", "fr-FR", "12\u202f345,67"),
        (1234567, "EUR", "en", "12,345.67"),
        (1234567, "EUR", "de", "12.345,67"),
        (5, "EUR", "fr", "0,05"),
        (-150, "EUR", "en", "-1.50"),
        (1500, "JPY", "fr", "1\u202f500"),
    ],
)
def test_an_amount_is_written_as_the_locale_prints_it_and_read_back(
    minor: int, currency: str, locale: str, shown: str
) -> None:
    assert write_amount(minor, currency, locale) == shown
    if minor >= 0:
        assert read_amount(shown, currency, locale) == minor
