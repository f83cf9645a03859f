"""The shop's words: the strings a screen or a receipt shows, in the store's language, and
amounts, numbers and dates written the way its locale writes them.

The strings live in one file per language, `appliance/app/words/{lang}.json` (keys
`<screen>.<key>`, see the README there), shared with the screens. They are read once from
the package, like Babel's own locale data: read-only data shipped with the code, so the
lookup stays a pure function of the key, the language and the values put in.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal

from appliance.app.domain.money import exponent

LANGUAGES = ("en", "fr", "uk")
FALLBACK = "en"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# Receipts are monospaced and printers know no narrow or no-break space: a plain one keeps
# the columns and the code page.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " "})
# The hryvnia sign (U+20B4) is in no printer code page; Ukrainian shops write грн.
_PAPER_SYMBOLS = {"₴": "грн"}


def language_of(locale: str) -> str:
    """The catalogue a locale reads: fr-CA → fr; a language we have no words for → English."""
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else FALLBACK


@cache
def babel_locale(locale: str) -> Locale:
    """The Babel locale of a BCP 47 tag (fr-CA), or English when Babel does not know it."""
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_CA")


def flatten(catalogue: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """{"receipt": {"total": …}} → {"receipt.total": …}."""
    return {f"{screen}.{key}": text for screen, keys in catalogue.items() for key, text in keys.items()}


@cache
def catalogue(language: str) -> Mapping[str, Mapping[str, str]]:
    """A language's whole catalogue as shipped, by screen; English for a language we lack."""
    if language not in LANGUAGES:
        language = FALLBACK
    data = importlib.resources.files("appliance.app") / "words" / f"{language}.json"
    loaded: dict[str, dict[str, str]] = json.loads(data.read_text(encoding="utf-8"))
    return loaded


@cache
def _flat(language: str) -> Mapping[str, str]:
    return flatten(catalogue(language))


def fill(text: str, values: Mapping[str, object]) -> str:
    """`text` with each {name} replaced; a name not given stays visible rather than vanish.
    Only {word} is read, so a translation cannot reach into the values ({0.__class__})."""
    return _PLACEHOLDER.sub(lambda m: str(values[m[1]]) if m[1] in values else m[0], text)


def lookup(texts: Mapping[str, str], fallback: Mapping[str, str], key: str, values: Mapping[str, object]) -> str:
    """The text of `key` in `texts`, else in `fallback` (English), else the key itself."""
    return fill(texts.get(key) or fallback.get(key) or key, values)


@dataclass(frozen=True)
class Words:
    """What a screen or a receipt says, for one locale (BCP 47: fr-CA, en-CA, uk-UA)."""

    locale: str

    @property
    def language(self) -> str:
        return language_of(self.locale)

    def __call__(self, key: str, **values: object) -> str:
        return lookup(_flat(self.language), _flat(FALLBACK), key, values)

    def money(self, amount: int, currency: str) -> str:
        """An amount in minor units as the locale writes it: 1350 CAD is $13.50 in en-CA,
        13,50 $ in fr-CA; on one line with plain spaces, for paper and monospaced text."""
        value = Decimal(amount).scaleb(-exponent(currency))
        text = format_currency(value, currency, locale=babel_locale(self.locale)).translate(_SPACES)
        for sign, word in _PAPER_SYMBOLS.items():
            text = text.replace(sign, word)
        return text

    def number(self, value: Decimal | int | str) -> str:
        """A number as the locale writes it, every digit kept: 9.975 is 9,975 in French."""
        number = Decimal(value)
        exp = number.as_tuple().exponent
        places = -exp if isinstance(exp, int) and exp < 0 else 0
        pattern = "#,##0" + ("." + "0" * places if places else "")
        return format_decimal(number, format=pattern, locale=babel_locale(self.locale)).translate(_SPACES)

    def day(self, when: dt.date) -> str:
        """A calendar day in the locale's short form: 2026-03-01 in Canada, 01.03.26 in Ukraine."""
        return format_date(when, "short", locale=babel_locale(self.locale)).translate(_SPACES)

    def moment(self, when: dt.datetime, timezone: str) -> str:
        """A moment in the store's time zone, in the locale's short date and time."""
        try:
            zone: dt.tzinfo = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = dt.UTC
        return format_datetime(when, "short", tzinfo=zone, locale=babel_locale(self.locale)).translate(_SPACES)


def missing_keys(reference: Mapping[str, str], other: Mapping[str, str]) -> set[str]:
    """Keys of `reference` that `other` lacks, or whose placeholders differ."""
    return {
        key
        for key, text in reference.items()
        if key not in other or set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(other[key]))
    }
