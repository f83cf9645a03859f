"""A product as the shop sells it: what the till puts on a line and the back office keeps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    id: int
    sku: str
    name: str
    price: int
    tax_class: str
    stock_on_hand: int
    barcodes: tuple[str, ...]
    active: bool = True
    category: str | None = None
    sold_by: str = "unit"  # or "weight": price per kilogram
    age_restricted: bool = False
    cost: int = 0  # what one costs the shop, minor units
    plu: str | None = None  # loose produce's 4-5 digit code (4011 bananas), apart from its barcodes
