"""A product's fields, one rule each: the same for a product made at the till, a row of a
CSV, a change through the API, a row of the office's catalogue and a row the office's feed
brings to a till (a till that trusted the office's word blindly would store what its own
screens refuse)."""

from __future__ import annotations

from typing import Any

from appliance.app.domain.barcode import normalise
from appliance.app.domain.errors import Invalid
from appliance.app.domain.money import MAX_AMOUNT

MAX_BARCODES = 20
SOLD_BY = ("unit", "weight")


def check_sku(value: Any) -> str:
    sku = str(value if value is not None else "").strip()
    if not 1 <= len(sku) <= 64 or any(c.isspace() for c in sku):
        raise Invalid("sku must be 1-64 characters without spaces", "invalid_sku")
    return sku


def check_name(value: Any) -> str:
    name = value.strip() if isinstance(value, str) else ""
    if not 1 <= len(name) <= 120:
        raise Invalid("name must be 1-120 characters", "invalid_name")
    return name


def check_price(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT:
        raise Invalid("price must be a whole number of minor units, 0 or more", "invalid_price")
    return value


def check_barcodes(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list | tuple) or not all(isinstance(c, str) for c in values):
        raise Invalid("barcodes is a list of codes", "invalid_barcode")
    codes = tuple(dict.fromkeys(normalise(c) for c in values))
    if len(codes) > MAX_BARCODES:
        raise Invalid(f"a product has at most {MAX_BARCODES} barcodes", "invalid_barcode")
    return codes


def check_category_name(value: Any) -> str | None:
    """A category's name as given (None or empty: no category)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 40:
        raise Invalid("category must be 1-40 characters", "invalid_category")
    return value.strip()


def check_sold_by(value: Any) -> str:
    sold_by = value or "unit"
    if sold_by not in SOLD_BY:
        raise Invalid("sold_by is unit or weight (price per kilogram)", "invalid_sold_by")
    return str(sold_by)


def check_age_restricted(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("age_restricted is true or false", "invalid_age_restricted")
    return value


def check_plu(value: Any) -> str | None:
    """A PLU, loose produce's code (4011 bananas): 4 or 5 digits; None or empty: none."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not (value.isascii() and value.isdigit() and 4 <= len(value) <= 5):
        raise Invalid("a PLU is 4 or 5 digits (4011 bananas)", "invalid_plu")
    return value


def check_active(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("active is true (on sale) or false (withdrawn)", "invalid_active")
    return value
