"""Gift card numbers and the rules of a card's balance. Pure: the caller brings the randomness.

A code is 15 random characters from Crockford's base 32 (no I, L, O, U: nothing to misread
at a till) and one check character (Luhn mod 32), shown in groups of four:
``7KQ2-M9XD-40PA-RT3F``. 75 random bits: knowing any number of codes says nothing about
another. Letters in the code also keep it from ever looking like a card number (PAN), so
the PAN scanner has nothing to flag on a receipt or in a log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from appliance.app.domain.errors import Conflict, Invalid
from appliance.app.domain.money import money_words

PRODUCT_SKU = "GIFT-CARD"  # the product every gift card line is sold as

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BASE = len(ALPHABET)
RANDOM_LENGTH = 15
LENGTH = RANDOM_LENGTH + 1
# What people type for the characters the alphabet leaves out.
_READ_AS = {"O": "0", "I": "1", "L": "1"}


def check_character(body: str) -> str:
    """Luhn mod N over the alphabet: catches every single wrong character and every swap
    of two neighbours but one, 0 with Z (as Luhn's own misses 09 with 90)."""
    total = 0
    factor = 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // BASE + addend % BASE
        factor = 1 if factor == 2 else 2
    return ALPHABET[(BASE - total % BASE) % BASE]


def new_code(randbelow: Callable[[int], int]) -> str:
    """A fresh code; pass `secrets.randbelow` (a test can pass something predictable)."""
    body = "".join(ALPHABET[randbelow(BASE)] for _ in range(RANDOM_LENGTH))
    return body + check_character(body)


def normalise(text: str) -> str:
    """What was typed or scanned → the stored code, or Invalid when it cannot be one."""
    if not isinstance(text, str) or len(text) > 40:
        raise Invalid("a gift card number has 16 characters", "invalid_gift_card")
    code = "".join(_READ_AS.get(c, c) for c in text.upper() if c not in " -")
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        raise Invalid("a gift card number has 16 letters and digits", "invalid_gift_card")
    if check_character(code[:-1]) != code[-1]:
        raise Invalid("that gift card number is mistyped (check character)", "gift_card_check_failed")
    return code


def display(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def masked(code: str) -> str:
    """For lists and receipts: only the last four."""
    return "****-****-****-" + code[-4:]


def expiry(activated: dt.datetime, days: int | None) -> dt.datetime | None:
    """When a card activated now expires under the store's rule (None or 0: never)."""
    if not days:
        return None
    return activated + dt.timedelta(days=days)


def check_redeemable(
    status: str, balance: int, expires_at: dt.datetime | None, now: dt.datetime, amount: int, currency: str
) -> None:
    """Refuses a redemption the card cannot cover; the caller debits only after this."""
    if amount <= 0:
        raise Invalid("the amount must be positive", "invalid_amount")
    if status == "pending":
        raise Conflict("this gift card is not active yet (its sale is not completed)", "gift_card_inactive")
    if status != "active":
        raise Conflict("this gift card was voided", "gift_card_void")
    if expires_at is not None and expires_at <= now:
        raise Invalid(f"this gift card expired on {expires_at:%Y-%m-%d}", "gift_card_expired")
    if amount > balance:
        raise Invalid(f"the gift card holds only {money_words(balance, currency)}", "gift_card_insufficient")


MAX_CARD_VALUE = 10**8  # a million in a two-decimal currency: above that it is a typo


def check_value(amount: int) -> int:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_CARD_VALUE:
        raise Invalid(f"a gift card value must be between 1 and {MAX_CARD_VALUE} minor units", "invalid_amount")
    return amount


SLIP_KINDS = ("issue", "top_up", "store_credit")  # each titled by receipt.gift_card_<kind> in the words


@dataclass(frozen=True)
class Slip:
    """What the customer takes away for a card sold, topped up or given as store credit: the
    one paper that carries its whole number (a receipt shows only the last four)."""

    store_name: str
    code: str  # as stored: 16 characters, no dashes
    kind: str  # one of SLIP_KINDS
    loaded: int  # minor units put on the card now
    balance: int  # minor units on it after
    currency: str
    expires_on: str | None  # YYYY-MM-DD on the store's calendar; None: never
    printed_at: str  # as the receipt shows its time
    locale: str = "en-CA"  # the store's: the slip's words, amounts and date


# -- the office's shared balance (docs/office.md, "Shared balances") ------------------------------

# Domain-separated so that the reference of a code is never the hash of it anywhere else.
_REF_PREFIX = b"comptoir gift card v1:"
# What a till may spend of one card while the office does not answer, unless the chain set
# another amount: small enough that an overspend costs little, large enough for most baskets.
DEFAULT_OFFLINE_CAP = 5000
MAX_OFFLINE_CAP = MAX_CARD_VALUE


def card_ref(code: str) -> str:
    """How the office finds a card without holding its code: SHA-256 of the normalised code.
    The code has 75 random bits, so the reference cannot be turned back into it by trying
    codes (docs/office.md says what that costs)."""
    return hashlib.sha256(_REF_PREFIX + code.encode("ascii")).hexdigest()


def check_offline_cap(amount: object) -> int:
    """The chain's offline cap as set at the office: a positive amount, never 0 (off)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_OFFLINE_CAP:
        raise Invalid(
            f"the offline cap is an amount from 1 to {MAX_OFFLINE_CAP} minor units; it cannot be switched off",
            "invalid_offline_cap",
        )
    return amount


def check_offline_spend(amount: int, cap: int, spent_offline: int, currency: str) -> None:
    """Refuses what would take this till's spending of the card, since the office last
    answered for it, past the chain's offline cap."""
    left = max(0, cap - spent_offline)
    if amount > left:
        raise Conflict(
            f"the office does not answer: this card may take at most {money_words(left, currency)} more "
            f"until it does (offline cap {money_words(cap, currency)})",
            "gift_card_offline_cap",
        )


def loading(pending: Sequence[Mapping[str, Any]]) -> list[bool]:
    """Which of a completing sale's pending cards (in the order they were put on it: line_no,
    amount, and their line's quantity, voided flag and unit price) get their money: those on
    a live line still at their price, no more of them than the line's quantity. The others
    (a voided line, a changed price, a quantity taken down) load nothing."""
    used: dict[int, int] = {}
    out = []
    for p in pending:
        live = p["quantity"] is not None and not p["voided"] and p["unit_price"] == p["amount"]
        loads = live and used.get(p["line_no"], 0) < p["quantity"]
        if loads:
            used[p["line_no"]] = used.get(p["line_no"], 0) + 1
        out.append(bool(loads))
    return out
