"""Money is an integer count of a currency's minor units. No float comes near a price.

Rounding rules are named, because a shop's accountant will ask which one we use:
- HALF_UP ("commercial"): .5 goes away from zero. Canadian and most EU tax authorities.
- HALF_EVEN ("banker's"): .5 goes to the even neighbour.
Cash rounding (`round_cash`, `settle_cash`) is separate: where the smallest coin is gone
(Canada's cent since 2013), what cash settles goes to the nearest 5 cents ("Swedish
rounding"); card totals and a partial cash tender are not rounded.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction
from typing import Annotated

from appliance.app.domain.errors import Invalid


@dataclass(frozen=True)
class Doc:
    """What a key of a TypedDict means, for the API's readers: web/schema.py makes it the
    key's description in the OpenAPI document (Annotated[int, Doc("…")])."""

    text: str


# An amount in a body the API answers with: the type checker sees an int, the document says
# the unit, as the hand-written schemas did before the answers were typed.
Money = Annotated[int, Doc("minor units of the currency (cents for CAD: 1999 is 19.99)")]

# ISO 4217 minor-unit exponents for the currencies a store may be set up with.
EXPONENTS: dict[str, int] = {
    "CAD": 2,
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "UAH": 2,
    "PLN": 2,
    "AUD": 2,
    "NZD": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "CZK": 2,
    "MXN": 2,
    "JPY": 0,
    "KRW": 0,
    "HUF": 2,
    "RON": 2,
    "BHD": 3,
    "KWD": 3,
    "TND": 3,
}

MAX_AMOUNT = 10**12  # far above any real sale; stops absurd input before it overflows SQLite


class Rounding(StrEnum):
    HALF_UP = "half_up"
    HALF_EVEN = "half_even"


def exponent(currency: str) -> int:
    try:
        return EXPONENTS[currency]
    except KeyError:
        raise Invalid(f"unsupported currency {currency!r}", "unknown_currency") from None


def round_fraction(value: Fraction, rule: Rounding = Rounding.HALF_UP) -> int:
    """Rounds an exact fraction of minor units to a whole minor unit by a named rule."""
    floor = value.numerator // value.denominator
    rest = value - floor
    half = Fraction(1, 2)
    if rest > half:
        return floor + 1
    if rest < half:
        return floor
    if rule is Rounding.HALF_EVEN:
        return floor if floor % 2 == 0 else floor + 1
    # HALF_UP: away from zero.
    return floor + 1 if value > 0 else floor


def round_cash(amount: int, increment: int) -> int:
    """The nearest multiple of the smallest coin; ties cannot occur for odd increments,
    and for even ones go up (e.g. 5-cent rounding: 1.02 → 1.00, 1.03 → 1.05; 10-cent:
    1.05 → 1.10)."""
    if increment <= 1:
        return amount
    q, r = divmod(amount, increment)
    return (q + (1 if 2 * r >= increment else 0)) * increment


# The cash rounding rules a store may choose, by name, as increments of the currency's
# major unit; a currency without coins that small cannot take the rule (JPY and "0.05").
CASH_ROUNDINGS = ("none", "0.05", "0.10", "1.00")
# Where a currency's smallest coin is gone, its default; every other currency: none.
DEFAULT_CASH_ROUNDING: dict[str, str] = {"CAD": "0.05", "CHF": "0.05", "AUD": "0.05", "NZD": "0.10"}


@functools.cache
def cash_increment(rule: str, currency: str) -> int:
    """The rule's increment in minor units: "0.05" in CAD → 5; "none" → 1 (no rounding).
    Kept per (rule, currency): every sale's view and cash payment asks, and parsing the rule
    (a Decimal) was some 0.2 ms of a sale's CPU. A refused rule raises, and is not kept."""
    if rule not in CASH_ROUNDINGS:
        raise Invalid(f"cash rounding is one of {', '.join(CASH_ROUNDINGS)}", "invalid_cash_rounding")
    if rule == "none":
        return 1
    try:
        return parse_amount(rule, currency)
    except Invalid:
        raise Invalid(f"{currency} has no coin as small as {rule}", "invalid_cash_rounding") from None


@dataclass(frozen=True)
class CashSettlement:
    """What one cash tender does to a sale: `applied` comes off what is due, `change` goes
    back to the customer, `rounding` is what the drawer keeps beyond `applied` (negative
    when it keeps less): tendered − change = applied + rounding, always."""

    applied: int
    change: int
    rounding: int

    @property
    def kept(self) -> int:
        """What stays in the drawer."""
        return self.applied + self.rounding


def settle_cash(due: int, tendered: int, increment: int) -> CashSettlement:
    """Cash `tendered` against `due`, the store's cash rounding to `increment` minor units.

    The rounding is applied only when this tender settles the sale, that is when what
    would be left due rounds to nothing (6.51 due: 6.50 or more settles it). Then the
    drawer keeps the rounded due (6.50), or what was handed over if that is less than the
    rounded due and still settles (6.53 due, 6.53 handed: 6.53, no change of a cent), and
    gives the rest back. A tender that leaves something due is applied as it is: a
    partial cash tender is never rounded, and the card or cash that follows pays the rest.
    With increment 1 this is plain cash: at most the due applied, the rest is change.

    Cash comes in whole coins, so the change does too. An amount no coins make (typed to
    the cent through the API: 6.51 on 6.51 due) is settled the same way: the drawer keeps
    6.50 and 0.01 is change, so that what the drawer should hold stays countable."""
    if increment < 1:
        raise Invalid("the cash rounding increment must be at least one minor unit", "invalid_cash_rounding")
    if tendered < due and round_cash(due - tendered, increment) > 0:
        return CashSettlement(applied=tendered, change=0, rounding=0)
    kept = min(tendered, round_cash(due, increment))
    return CashSettlement(applied=due, change=tendered - kept, rounding=kept - due)


_AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")


def parse_amount(text: str, currency: str) -> int:
    """'12.5' in CAD → 1250. Refuses more decimals than the currency has."""
    cleaned = text.strip()
    if not _AMOUNT.match(cleaned):
        raise Invalid(f"{text!r} is not an amount", "invalid_amount")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise Invalid(f"{text!r} is not an amount", "invalid_amount") from None
    scaled = value.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise Invalid(f"{text!r} has more decimals than {currency} allows", "invalid_amount")
    minor = int(scaled)
    if abs(minor) > MAX_AMOUNT:
        raise Invalid(f"{text!r} is out of range", "invalid_amount")
    return minor


def format_amount(amount: int, currency: str) -> str:
    """1250 in CAD → '12.50'; -5 → '-0.05'."""
    exp = exponent(currency)
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**exp)
    return f"{sign}{whole}.{frac:0{exp}d}" if exp else f"{sign}{whole}"


def money_words(amount: int, currency: str) -> str:
    """1250 in CAD → '12.50 CAD', as messages to staff put an amount."""
    return f"{format_amount(amount, currency)} {currency}"
