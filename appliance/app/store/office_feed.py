"""The office's catalogue as the till applies it (migration 0036): the cursor, and the
products the office owns, written by their sku."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from appliance.app.store.db import Connection


@dataclass(frozen=True)
class OfficeProduct:
    sku: str
    name: str
    price: int
    tax_class: str
    barcodes: tuple[str, ...]
    category_id: int | None
    sold_by: str
    age_restricted: bool
    plu: str | None


def cursor(conn: Connection) -> int:
    row = conn.execute("SELECT cursor FROM office_feed WHERE only_row = 1").fetchone()
    return int(row["cursor"]) if row else 0


def set_cursor(conn: Connection, version: int, now: str) -> None:
    conn.execute(
        "INSERT INTO office_feed(only_row, cursor, applied_at) VALUES (1, ?, ?)"
        " ON CONFLICT(only_row) DO UPDATE SET cursor = excluded.cursor, applied_at = excluded.applied_at",
        (version, now),
    )


def put_product(conn: Connection, product: OfficeProduct, version: int, now: str) -> None:
    """Makes or changes the product of that sku as the office has it, on sale. The office's
    word wins over the till's own products: a PLU or a barcode one of them had moves to this
    one (the office keeps them unique in the chain), and a product of the till with the same
    sku becomes the office's. Stock and cost stay the till's."""
    if product.plu is not None:
        conn.execute("UPDATE products SET plu = NULL WHERE plu = ? AND sku <> ?", (product.plu, product.sku))
    row = conn.execute(
        "SELECT id, name, (SELECT group_concat(code, ' ') FROM barcodes WHERE product_id = p.id) AS codes"
        " FROM products p WHERE sku = ?",
        (product.sku,),
    ).fetchone()
    values = (
        product.price,
        product.tax_class,
        product.category_id,
        product.sold_by,
        int(product.age_restricted),
        product.plu,
        version,
        now,
    )
    if row is None:
        product_id = int(
            conn.execute(
                "INSERT INTO products(price, tax_class, category_id, sold_by, age_restricted, plu, office_version,"
                " updated_at, name, sku, created_at, stock_on_hand, active)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 1)",
                (*values, product.name, product.sku, now),
            ).lastrowid
        )
        codes: set[str] = set()
    else:
        product_id = int(row["id"])
        conn.execute(
            "UPDATE products SET price = ?, tax_class = ?, category_id = ?, sold_by = ?, age_restricted = ?,"
            " plu = ?, office_version = ?, updated_at = ?, active = 1 WHERE id = ?",
            (*values, product_id),
        )
        if row["name"] != product.name:
            # Apart: setting the name re-indexes the words of it (product_words), even unchanged.
            conn.execute("UPDATE products SET name = ? WHERE id = ?", (product.name, product_id))
        codes = set(row["codes"].split(" ")) if row["codes"] else set()
    if codes != set(product.barcodes):
        _barcodes(conn, product_id, product.barcodes)


def _barcodes(conn: Connection, product_id: int, codes: Sequence[str]) -> None:
    marks = ", ".join("?" for _ in codes)
    conn.execute(f"DELETE FROM barcodes WHERE product_id = ? AND code NOT IN ({marks})", (product_id, *codes))  # noqa: S608
    if codes:
        conn.execute(f"DELETE FROM barcodes WHERE code IN ({marks}) AND product_id <> ?", (*codes, product_id))  # noqa: S608
        conn.executemany(
            "INSERT OR IGNORE INTO barcodes(code, product_id) VALUES (?, ?)", [(c, product_id) for c in codes]
        )


def withdraw(conn: Connection, sku: str, version: int, now: str) -> None:
    """Off sale, never deleted: its sales, refunds and history keep pointing at it."""
    conn.execute(
        "UPDATE products SET active = 0, office_version = ?, updated_at = ? WHERE sku = ?", (version, now, sku)
    )


def office_owned(conn: Connection, sku: str) -> bool:
    row = conn.execute("SELECT office_version FROM products WHERE sku = ?", (sku,)).fetchone()
    return row is not None and row["office_version"] is not None
