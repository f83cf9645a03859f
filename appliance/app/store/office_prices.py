"""Prices the office set from a moment (migration 0042), and the one in force at a scan."""

from __future__ import annotations

from dataclasses import replace
from typing import overload

from appliance.app.domain.product import Product
from appliance.app.store.db import Connection


def put(conn: Connection, sku: str, starts: str, store_only: bool, price: int, version: int) -> None:
    conn.execute(
        "INSERT INTO office_prices(sku, starts, store_only, price, version) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(sku, starts, store_only) DO UPDATE SET price = excluded.price, version = excluded.version",
        (sku, starts, int(store_only), price, version),
    )


def remove(conn: Connection, sku: str, starts: str, store_only: bool) -> None:
    conn.execute(
        "DELETE FROM office_prices WHERE sku = ? AND starts = ? AND store_only = ?", (sku, starts, int(store_only))
    )


def in_force(conn: Connection, sku: str, at: str) -> int | None:
    """The office's price of `sku` at moment `at`, if one has started (one read of the key)."""
    row = conn.execute(
        "SELECT price FROM office_prices WHERE sku = ? AND starts <= ? ORDER BY starts DESC, store_only DESC LIMIT 1",
        (sku, at),
    ).fetchone()
    return int(row["price"]) if row else None


def price_at(conn: Connection, sku: str, own: int, at: str) -> int:
    """The price of `sku` at `at`: the office's dated one once started, else `own`."""
    price = in_force(conn, sku, at)
    return own if price is None else price


@overload
def priced(conn: Connection, product: Product, at: str) -> Product: ...
@overload
def priced(conn: Connection, product: Product | None, at: str) -> Product | None: ...
def priced(conn: Connection, product: Product | None, at: str) -> Product | None:
    """The product found (if any) at its price in force at `at`: the office's from a date once
    started (docs/office.md, "Prices from a date"), else its own."""
    if product is None:
        return product
    price = in_force(conn, product.sku, at)
    return product if price is None or price == product.price else replace(product, price=price)
