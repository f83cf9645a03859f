"""Products and their barcodes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from appliance.app.store.db import Connection, Row


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


_COLUMNS = "id, sku, name, price, tax_class, stock_on_hand, active, category, sold_by, age_restricted"


def _product(conn: Connection, row: Row) -> Product:
    codes = tuple(
        r[0] for r in conn.execute("SELECT code FROM barcodes WHERE product_id = ? ORDER BY code", (row["id"],))
    )
    return Product(
        id=row["id"],
        sku=row["sku"],
        name=row["name"],
        price=row["price"],
        tax_class=row["tax_class"],
        stock_on_hand=row["stock_on_hand"],
        barcodes=codes,
        active=bool(row["active"]),
        category=row["category"],
        sold_by=row["sold_by"],
        age_restricted=bool(row["age_restricted"]),
    )


def by_barcode(conn: Connection, code: str) -> Product | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM products WHERE id = (SELECT product_id FROM barcodes WHERE code = ?)",  # noqa: S608
        (code,),
    ).fetchone()
    return _product(conn, row) if row else None


def by_sku(conn: Connection, sku: str) -> Product | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM products WHERE sku = ?", (sku,)).fetchone()  # noqa: S608
    return _product(conn, row) if row else None


def by_id(conn: Connection, product_id: int) -> Product | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM products WHERE id = ?", (product_id,)).fetchone()  # noqa: S608
    return _product(conn, row) if row else None


def search(conn: Connection, text: str, limit: int = 50) -> list[Product]:
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM products WHERE active AND (name LIKE ? ESCAPE '\\' OR sku LIKE ? ESCAPE '\\') "  # noqa: S608
        "ORDER BY name LIMIT ?",
        (like, like, limit),
    ).fetchall()
    return [_product(conn, r) for r in rows]


def taken_barcodes(conn: Connection, codes: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for code in codes:
        if conn.execute("SELECT 1 FROM barcodes WHERE code = ?", (code,)).fetchone():
            found.add(code)
    return found


def insert(
    conn: Connection,
    *,
    sku: str,
    name: str,
    price: int,
    tax_class: str,
    barcodes: Iterable[str],
    stock: int,
    now: str,
    category: str | None = None,
    sold_by: str = "unit",
    age_restricted: bool = False,
) -> int:
    cur = conn.execute(
        "INSERT INTO products(sku, name, price, tax_class, stock_on_hand, created_at, updated_at, category, sold_by, "
        "age_restricted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sku, name, price, tax_class, stock, now, now, category, sold_by, int(age_restricted)),
    )
    product_id = int(cur.lastrowid)
    conn.executemany("INSERT INTO barcodes(code, product_id) VALUES (?, ?)", [(c, product_id) for c in barcodes])
    return product_id


def adjust_stock(conn: Connection, product_id: int, delta: int) -> None:
    conn.execute("UPDATE products SET stock_on_hand = stock_on_hand + ? WHERE id = ?", (delta, product_id))
