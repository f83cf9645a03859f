"""Barcodes: GTIN check digits verified, other codes kept as plain keys.

A UPC-A is an EAN-13 with a leading zero; both are stored as the 13-digit form so that a
scanner set to either finds the product.
"""

from __future__ import annotations

import re

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
