"""Barcodes: GTIN check digits verified, other codes kept as plain keys.

A UPC-A is an EAN-13 with a leading zero; both are stored as the 13-digit form so that a
scanner set to either finds the product.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from appliance.app.domain.errors import Invalid

_PLAIN = re.compile(r"^[A-Za-z0-9._\-/+]{1,48}$")


def gtin_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of the digits before it."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def normalise(code: str) -> str:
    """The form a barcode is stored and looked up in; raises Invalid for a bad GTIN."""
    code = code.strip()
    if not _PLAIN.match(code):
        raise Invalid("a barcode is 1 to 48 letters, digits or ._-/+", "invalid_barcode")
    if code.isdigit() and len(code) in (8, 12, 13):
        if gtin_check_digit(code[:-1]) != int(code[-1]):
            kind = {8: "EAN-8", 12: "UPC-A", 13: "EAN-13"}[len(code)]
            raise Invalid(f"{kind} {code} has a wrong check digit", "bad_check_digit")
        if len(code) == 12:
            return "0" + code
    return code


def with_check_digit(body: str) -> str:
    return body + str(gtin_check_digit(body))


# -- variable-measure barcodes (EAN-13 with a 2x prefix) -------------------------------------

# Layout of the 13 digits: P prefix, I item, C price check digit, V value, K EAN check.
DEFAULT_LAYOUT = "PPIIIIICVVVVK"
DEFAULT_PREFIXES = {"20": "price", "21": "price", "22": "price", "23": "weight", "24": "weight", "25": "weight"}

# GS1 weighting tables for the price check digit (General Specifications 7.9.3).
_W2MINUS = (0, 2, 4, 6, 8, 9, 1, 3, 5, 7)
_W3 = (0, 3, 6, 9, 2, 5, 8, 1, 4, 7)
_W5MINUS = (0, 5, 9, 4, 8, 3, 7, 2, 6, 1)


def price_check_digit(value: str) -> int:
    """The check digit GS1 puts before a 4-digit price or weight."""
    if len(value) != 4 or not value.isdigit():
        raise ValueError("the price check digit covers exactly 4 digits")
    d = [int(c) for c in value]
    total = _W2MINUS[d[0]] + _W2MINUS[d[1]] + _W3[d[2]] + _W5MINUS[d[3]]
    return (total * 3) % 10


def check_layout(layout: str) -> str:
    valid = (
        len(layout) == 13
        and layout.startswith("PP")
        and layout.endswith("K")
        and set(layout) <= set("PICVK")
        and layout.count("P") == 2
        and layout.count("K") == 1
        and layout.count("I") >= 4
        and layout.count("V") in (4, 5)
        and layout.count("C") <= 1
        and (layout.count("C") == 0 or layout.count("V") == 4)
    )
    if not valid:
        raise Invalid("a layout is 13 of P (2), I (4+), optional C, V (4 or 5, 4 with C) and K last", "invalid_layout")
    return layout


MEASURE_KINDS = ("price", "weight")
_PREFIX = re.compile(r"2[0-9]")


def check_prefixes(prefixes: Mapping[str, str]) -> dict[str, str]:
    """A store's scale-label prefixes: each two digits 20 to 29 (GS1's in-store range), each
    carrying a price or a weight. An empty map reads no code as a scale label."""
    for prefix, kind in prefixes.items():
        if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
            raise Invalid(f"a scale-label prefix is two digits 20 to 29, not {str(prefix)[:16]!r}", "invalid_prefix")
        if kind not in MEASURE_KINDS:
            raise Invalid(f"prefix {prefix} carries a price or a weight, not {str(kind)[:16]!r}", "invalid_prefix")
    return dict(sorted(prefixes.items()))


@dataclass(frozen=True)
class VariableMeasure:
    item_key: str  # prefix + item digits: the barcode the product is filed under
    kind: str  # "price" (value in minor units) or "weight" (value in grams)
    value: int


def read_variable_measure(
    code: str, prefixes: dict[str, str] | None = None, layout: str = DEFAULT_LAYOUT
) -> VariableMeasure | None:
    """What a scale's label barcode carries, or None when the code is an ordinary GTIN.
    Raises Invalid when the embedded price check digit is wrong."""
    prefixes = DEFAULT_PREFIXES if prefixes is None else prefixes
    if len(code) != 13 or not (code.isascii() and code.isdigit()) or code[:2] not in prefixes:
        return None
    parts: dict[str, str] = {"P": "", "I": "", "C": "", "V": "", "K": ""}
    for digit, role in zip(code, layout, strict=True):
        parts[role] += digit
    if parts["C"] and price_check_digit(parts["V"]) != int(parts["C"]):
        raise Invalid(f"the price check digit of {code} is wrong", "bad_price_check_digit")
    return VariableMeasure(item_key=parts["P"] + parts["I"], kind=prefixes[code[:2]], value=int(parts["V"]))
