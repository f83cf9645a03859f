"""The shop's words: one catalogue per language, every key in each, English when one is
missing, placeholders filled, and amounts, numbers and dates as each locale writes them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from appliance.app.domain.words import (
    LANGUAGES,
    Words,
    catalogue,
    fill,
    flatten,
    language_of,
    lookup,
    missing_keys,
)

WORDS_DIR = Path(__file__).resolve().parents[3] / "appliance" / "app" / "words"


def test_every_language_has_a_file_of_screens_of_texts() -> None:
    assert sorted(p.stem for p in WORDS_DIR.glob("*.json")) == sorted(LANGUAGES)
    for language in LANGUAGES:
        loaded = json.loads((WORDS_DIR / f"{language}.json").read_text(encoding="utf-8"))
        assert {"receipt", "selfservice"} <= set(loaded), language
        for screen, keys in loaded.items():
            assert isinstance(keys, dict), f"{language}: {screen} is not a screen of keys"
            assert all(isinstance(text, str) and text.strip() for text in keys.values()), (language, screen)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_key_is_in_every_language_with_the_same_placeholders(language: str) -> None:
    english = flatten(catalogue("en"))
    other = flatten(catalogue(language))
    assert missing_keys(english, other) == set(), f"{language}.json lacks or mis-fills these keys"
    assert set(other) - set(english) == set(), f"{language}.json has keys English does not"


def test_a_missing_key_is_found_and_a_mismatched_placeholder_too() -> None:
    english = {"receipt.total": "TOTAL {currency}", "receipt.change": "Change"}
    assert missing_keys(english, {"receipt.total": "TOTAL {currency}"}) == {"receipt.change"}
    assert missing_keys(english, {"receipt.total": "TOTAL {devise}", "receipt.change": "Monnaie"}) == {"receipt.total"}


def test_lookup_falls_back_to_english_then_to_the_key() -> None:
    english = {"receipt.change": "Change", "receipt.copy": "*** COPY ***"}
    french = {"receipt.change": "Monnaie"}
    assert lookup(french, english, "receipt.change", {}) == "Monnaie"
    assert lookup(french, english, "receipt.copy", {}) == "*** COPY ***"
    assert lookup(french, english, "receipt.nothing", {}) == "receipt.nothing"
    assert lookup({"receipt.change": ""}, english, "receipt.change", {}) == "Change"  # an empty one is missing


def test_placeholders_are_filled_by_name_and_nothing_else_is_read() -> None:
    assert fill("Receipt {number} by {name}", {"number": "T01-000042", "name": "Ana"}) == "Receipt T01-000042 by Ana"
    assert fill("Added: {name}", {}) == "Added: {name}"  # a forgotten value shows, it does not vanish
    assert fill("{name.__class__} {0}", {"name": "x"}) == "{name.__class__} {0}"


def test_words_for_a_locale_read_its_language() -> None:
    assert Words("fr-CA")("receipt.change") == "Monnaie"
    assert Words("uk-UA")("receipt.change") == "Решта"
    assert Words("en-CA")("receipt.change") == "Change"
    assert Words("de-DE")("receipt.change") == "Change"  # no German words yet: English
    assert Words("fr-CA")("receipt.receipt_number", number="T01-000042") == "Reçu T01-000042"
    assert [language_of(tag) for tag in ("fr-CA", "fr", "uk-UA", "en-US", "pt-BR", "UK")] == [
        "fr",
        "fr",
        "uk",
        "en",
        "en",
        "uk",
    ]


@pytest.mark.parametrize(
    ("locale", "amount", "currency", "expected"),
    [
        ("en-CA", 1350, "CAD", "$13.50"),
        ("fr-CA", 1350, "CAD", "13,50 $"),
        ("uk-UA", 1350, "UAH", "13,50 грн"),  # no code page has ₴: paper writes грн
        ("uk-UA", 1350, "CAD", "13,50 CAD"),
        ("en-CA", -123456, "CAD", "-$1,234.56"),
        ("fr-CA", -123456, "CAD", "-1 234,56 $"),  # the no-break space is a plain one on paper
        ("uk-UA", 123456, "UAH", "1 234,56 грн"),
        ("fr-CA", 500, "JPY", "500 ¥"),  # no minor units
        ("en-CA", 1234, "KWD", "KWD1.234"),  # three
    ],
)
def test_money_is_written_the_locales_way(locale: str, amount: int, currency: str, expected: str) -> None:
    assert Words(locale).money(amount, currency) == expected


def test_numbers_keep_every_digit_in_the_locales_way() -> None:
    assert Words("en-CA").number("9.975") == "9.975"
    assert Words("fr-CA").number("9.975") == "9,975"
    assert Words("uk-UA").number("9.975") == "9,975"
    assert Words("fr-CA").number("5") == "5"
    assert Words("en-CA").number("12345.5") == "12,345.5"


def test_a_moment_is_written_in_the_stores_zone_and_the_locales_way() -> None:
    moment = dt.datetime(2026, 3, 1, 14, 3, tzinfo=dt.UTC)  # 09:03 in Montréal
    assert Words("en-CA").moment(moment, "America/Montreal") == "2026-03-01, 9:03 a.m."
    assert Words("fr-CA").moment(moment, "America/Montreal") == "2026-03-01 09 h 03"
    assert Words("uk-UA").moment(moment, "Europe/Kyiv") == "01.03.26, 16:03"
    assert Words("fr-CA").moment(moment, "Nowhere/Else") == "2026-03-01 14 h 03"  # a bad zone: UTC


def test_a_day_is_written_the_locales_short_way() -> None:
    day = dt.date(2027, 3, 31)
    assert [Words(tag).day(day) for tag in ("en-CA", "fr-CA", "uk-UA", "en-US")] == [
        "2027-03-31",
        "2027-03-31",
        "31.03.27",
        "3/31/27",
    ]
