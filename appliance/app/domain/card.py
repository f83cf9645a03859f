"""Payment cards: the rules a card number and its expiry must keep before anything uses them.

Pure: no I/O, no clock (the caller passes `today`). Every error is `Invalid` with a stable
code and a message that never contains the number or any run of its digits: a 422 body, a
log line or a traceback may quote the message, and none of them may hold card data
(PCI DSS v4.0 3.3, 3.4). For the same reason `Card` does not show its number in `repr`.

Track data, CVV and PIN have no place here: nothing in this module accepts them.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from appliance.app.domain.errors import Invalid

MIN_LENGTH = 13
MAX_LENGTH = 19
# How far ahead an expiry may be: issuers print at most about ten years out; twenty is a
# generous bound that still catches a typo like 2205 for 2025.
MAX_YEARS_AHEAD = 20

# The store rule that lets a manager key a card's number in at the till (card not present):
# off on a new store, so that no card number reaches the vault unless a manager chose it.
KEYED_RULE = "keyed_card_payments"

# Spaces and dashes are how people and card readers group digits; nothing else is accepted.
_SEPARATORS = re.compile(r"[ \-]")


@dataclass(frozen=True)
class Brand:
    code: str
    name: str
    lengths: frozenset[int]


VISA = Brand("visa", "Visa", frozenset({13, 16, 19}))
MASTERCARD = Brand("mastercard", "Mastercard", frozenset({16}))
AMEX = Brand("amex", "American Express", frozenset({15}))
DISCOVER = Brand("discover", "Discover", frozenset(range(16, 20)))
JCB = Brand("jcb", "JCB", frozenset(range(16, 20)))
DINERS = Brand("diners", "Diners Club", frozenset(range(14, 20)))
UNIONPAY = Brand("unionpay", "UnionPay", frozenset(range(16, 20)))
MAESTRO = Brand("maestro", "Maestro", frozenset(range(13, 20)))

BRANDS = (VISA, MASTERCARD, AMEX, DISCOVER, JCB, DINERS, UNIONPAY, MAESTRO)

# (first digits low, high, brand): the number's first len(low) digits must fall in [low, high].
# Longer (more specific) prefixes are tried first, so Discover's co-branded UnionPay range
# (622126-622925) and Maestro's 50xx/6xxx ranges win over the broad 62 and 6 rules.
# Interac is not here on purpose: Interac debit is recognised by the chip's application id,
# not by the number's first digits, so a number alone cannot say it is Interac.
_RANGES: tuple[tuple[str, str, Brand], ...] = (
    ("622126", "622925", DISCOVER),
    ("2221", "2720", MASTERCARD),
    ("6011", "6011", DISCOVER),
    ("3528", "3589", JCB),
    ("5018", "5018", MAESTRO),
    ("5020", "5020", MAESTRO),
    ("5038", "5038", MAESTRO),
    ("5893", "5893", MAESTRO),
    ("6304", "6304", MAESTRO),
    ("6759", "6759", MAESTRO),
    ("6761", "6763", MAESTRO),
    ("300", "305", DINERS),
    ("644", "649", DISCOVER),
    ("34", "34", AMEX),
    ("37", "37", AMEX),
    ("36", "36", DINERS),
    ("38", "39", DINERS),
    ("51", "55", MASTERCARD),
    ("65", "65", DISCOVER),
    ("62", "62", UNIONPAY),
    ("4", "4", VISA),
)


def digits_of(text: str) -> str:
    """The number with its spaces and dashes removed; raises Invalid for anything else."""
    compact = _SEPARATORS.sub("", text.strip())
    if not compact:
        raise Invalid("the card number is empty", "card_number_missing")
    if not compact.isascii() or not compact.isdigit():
        # Track data (%B…^…, ;…=…) lands here too: it is refused, never parsed or kept.
        raise Invalid("a card number holds only digits, spaces and dashes", "card_format")
    return compact


def luhn_ok(digits: str) -> bool:
    """The ISO/IEC 7812 mod-10 check over a string of ASCII digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_check_digit(body: str) -> str:
    """The digit that makes body + digit pass the Luhn check."""
    for d in "0123456789":
        if luhn_ok(body + d):
            return d
    raise AssertionError("unreachable: one of ten digits always completes a Luhn number")


def detect_brand(digits: str) -> Brand | None:
    """The brand whose number range the digits fall in, or None."""
    for low, high, brand in _RANGES:
        head = digits[: len(low)]
        if len(head) == len(low) and low <= head <= high:
            return brand
    return None


def validate_number(text: str) -> tuple[str, Brand]:
    """The digits and brand of a card number, or Invalid with a code saying what is wrong."""
    digits = digits_of(text)
    if not MIN_LENGTH <= len(digits) <= MAX_LENGTH:
        raise Invalid(
            f"a card number has {MIN_LENGTH} to {MAX_LENGTH} digits; this one has {len(digits)}",
            "card_length",
        )
    if not luhn_ok(digits):
        raise Invalid("the card number is mistyped (its check digit is wrong)", "card_luhn_failed")
    brand = detect_brand(digits)
    if brand is None:
        raise Invalid("this card's brand is not accepted here", "card_brand_unknown")
    if len(digits) not in brand.lengths:
        allowed = ", ".join(str(n) for n in sorted(brand.lengths))
        raise Invalid(
            f"a {brand.name} card number has {allowed} digits; this one has {len(digits)}",
            "card_length",
        )
    return digits, brand


def normalise_expiry(exp_month: int, exp_year: int) -> tuple[int, int]:
    """(month, four-digit year); a two-digit year means 20YY."""
    if isinstance(exp_month, bool) or isinstance(exp_year, bool):
        raise Invalid("the expiry month and year are numbers", "card_expiry_invalid")
    if not 1 <= exp_month <= 12:
        raise Invalid("the expiry month is 1 to 12", "card_expiry_invalid")
    if 0 <= exp_year <= 99:
        exp_year += 2000
    if not 2000 <= exp_year <= 2099:
        raise Invalid("the expiry year is not a plausible year", "card_expiry_invalid")
    return exp_month, exp_year


def check_expiry(exp_month: int, exp_year: int, today: date) -> tuple[int, int]:
    """The normalised expiry, or Invalid when it is past or implausibly far ahead.

    A card is good through the last day of its expiry month.
    """
    month, year = normalise_expiry(exp_month, exp_year)
    last_day = date(year, month, calendar.monthrange(year, month)[1])
    if last_day < today:
        raise Invalid("the card has expired", "card_expired")
    if year > today.year + MAX_YEARS_AHEAD:
        raise Invalid("the expiry year is too far ahead", "card_expiry_invalid")
    return month, year


def last_four(digits: str) -> str:
    return digits[-4:]


def mask(digits: str, *, first: int = 0, last: int = 4, fill: str = "*") -> str:
    """The number with all but `first` leading and `last` trailing digits hidden.

    PCI DSS 3.4.1 allows at most the BIN (first six) and the last four to be shown; asking
    for more is a programming error, not a display choice.
    """
    if first > 6 or last > 4 or first < 0 or last < 0:
        raise ValueError("at most the first six and the last four digits may be shown")
    hidden = len(digits) - first - last
    if hidden < 5:
        # A short number (13 or 14 digits) would be almost fully shown: last four only.
        first, hidden = 0, len(digits) - last
    return digits[:first] + fill * hidden + digits[len(digits) - last :]


@dataclass(frozen=True, repr=False)
class Card:
    """A validated card: number, brand and expiry. Lives in memory only as long as needed."""

    number: str
    exp_month: int
    exp_year: int
    brand: Brand

    @property
    def last_four(self) -> str:
        return last_four(self.number)

    @property
    def masked(self) -> str:
        return mask(self.number)

    def __repr__(self) -> str:
        # A Card can end up in a traceback, a debugger or a log line: never with its number.
        return f"Card({self.brand.code} {self.masked} {self.exp_month:02d}/{self.exp_year})"

    __str__ = __repr__


def parse_card(number: str, exp_month: int, exp_year: int, today: date) -> Card:
    """A Card from what a cashier typed or a reader sent, or Invalid saying what is wrong."""
    digits, brand = validate_number(number)
    month, year = check_expiry(exp_month, exp_year, today)
    return Card(number=digits, exp_month=month, exp_year=year, brand=brand)
