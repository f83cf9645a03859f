"""Amounts as people of a locale write and read them, for pages made on a server (the
office's back office): 12,50 in fr-FR, 12.50 in en-CA. The till's screens read amounts in
their browser (static/common.js, readAmount) by the same rules, which are:

- "." and "," are both decimal marks when they can only be one: 4,50 and 4.50 are 4.50 in
  every locale.
- Thousands are grouped by spaces, an apostrophe, or by "." or "," when the other mark is the
  decimal one (1.234,50 and 1,234.50); groups after the first have three digits exactly.
- A single "." or "," followed by exactly three digits is a thousand only where the locale
  groups with that mark (1,234 in en, 1.234 in de); a currency with three decimals reads it
  as decimals where it is the decimal mark; anywhere else it is refused as ambiguous.
- A sign, letters, more decimals than the currency has, or more than 10^12 minor units are
  refused. The currency's code around the amount is allowed and ignored.

No locale data ships with Python: the marks of the languages a shop is likely to use are
listed here; any other language writes as English does.
"""

from __future__ import annotations

import re

from appliance.app.domain.errors import Invalid
from appliance.app.domain.money import MAX_AMOUNT, exponent

_SPACES = "\u0020\u00a0\u2007\u2009\u202f'\u2019"
_GROUP_SPLIT = re.compile(f"[.,{_SPACES}]")
# (decimal mark, group mark) by language, then by language-REGION where a region differs.
_MARKS: dict[str, tuple[str, str]] = {
    "en": (".", ","),
    "fr": (",", "\u202f"),
    "uk": (",", "\u00a0"),
    "de": (",", "."),
    "es": (",", "."),
    "it": (",", "."),
    "nl": (",", "."),
    "pt": (",", "."),
    "da": (",", "."),
    "pl": (",", "\u00a0"),
    "cs": (",", "\u00a0"),
    "sv": (",", "\u00a0"),
    "nb": (",", "\u00a0"),
    "fi": (",", "\u00a0"),
    "ru": (",", "\u00a0"),
    "de-ch": (".", "\u2019"),
    "fr-ch": (",", "\u202f"),
}


def marks(locale: str) -> tuple[str, str]:
    """The locale's decimal and grouping marks: fr-CA → (',', narrow no-break space)."""
    tag = locale.strip().lower().replace("_", "-")
    return _MARKS.get(tag) or _MARKS.get(tag.split("-")[0]) or _MARKS["en"]


def _refuse(text: str, why: str, code: str = "invalid_amount") -> Invalid:
    return Invalid(f"{text!r} {why}", code)


def read_amount(text: str, currency: str, locale: str) -> int:
    """'12,50' in EUR, fr-FR → 1250. A refusal says why and how to write it."""
    exp = exponent(currency)
    shown = text.strip()
    if not shown:
        raise Invalid("type an amount", "amount_needed")
    body, code = shown, currency.upper()
    if code and body.upper().endswith(code):
        body = body[: -len(code)].strip()
    if code and body.upper().startswith(code):
        body = body[len(code) :].strip()
    if body[:1] in ("-", "\u2212"):
        raise _refuse(shown, "is below zero: an amount here is 0 or more", "negative_amount")
    if not body or not re.fullmatch(f"[0-9.,{_SPACES}]+", body) or not re.search("[0-9]", body):
        raise _refuse(shown, f"is not an amount in {currency}")
    decimal, group = marks(locale)
    dots, commas = body.count("."), body.count(",")
    decimal_at = -1
    if dots and commas:
        decimal_at = max(body.rfind("."), body.rfind(","))
        if (dots if body[decimal_at] == "." else commas) > 1:
            raise _refuse(shown, "has two decimal marks")
    elif dots + commas == 1:
        at = body.find(".") if dots else body.find(",")
        mark, after = body[at], body[at + 1 :]
        if re.fullmatch("[0-9]{3}", after) and re.search("[0-9]", body[:at]):
            if mark == group:
                decimal_at = -1
            elif mark == decimal and exp == 3:
                decimal_at = at
            else:
                raise _refuse(
                    shown,
                    f"is ambiguous: write a thousand without a mark ({body[:at]}{after}) and"
                    f" decimals with {exp} digits after the mark",
                    "ambiguous_amount",
                )
        else:
            decimal_at = at
    whole_text = body if decimal_at < 0 else body[:decimal_at]
    fraction = "" if decimal_at < 0 else body[decimal_at + 1 :]
    if not re.fullmatch("[0-9]*", fraction):
        raise _refuse(shown, "has something after its decimals")
    if len(fraction) > exp:
        raise _refuse(shown, f"has more decimals than {currency} allows ({exp})")
    groups = _GROUP_SPLIT.split(whole_text)
    if len(groups) > 1 and (
        not re.fullmatch("[0-9]{1,3}", groups[0]) or any(not re.fullmatch("[0-9]{3}", g) for g in groups[1:])
    ):
        raise _refuse(shown, "has its thousands grouped wrongly (1 234,50)")
    whole = "".join(groups) or "0"
    if not whole.isdigit():
        raise _refuse(shown, f"is not an amount in {currency}")
    minor = int(whole + fraction.ljust(exp, "0"))
    if minor > MAX_AMOUNT:
        raise _refuse(shown, "is out of range")
    return minor


def write_amount(minor: int, currency: str, locale: str) -> str:
    """1234567 EUR → '12 345,67' in fr-FR, '12,345.67' in en: as the locale prints it."""
    exp = exponent(currency)
    decimal, group = marks(locale)
    whole, fraction = divmod(abs(minor), 10**exp)
    digits = f"{whole:,}".replace(",", group)
    sign = "-" if minor < 0 else ""
    return f"{sign}{digits}{decimal}{fraction:0{exp}d}" if exp else f"{sign}{digits}"
