"""Products and their barcodes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from appliance.app.domain.product import Product
from appliance.app.store.db import Connection, Row


@dataclass(frozen=True)
class Category:
    id: int
    name: str


@dataclass(frozen=True)
class Owner:
    """The product a barcode belongs to, as a refusal names it."""

    code: str
    sku: str
    name: str

    def __str__(self) -> str:
        return f"{self.code} ({self.sku} {self.name})"


# A product's barcodes come with it, in the same read (a scan reads one row, not two): a
# barcode is letters, digits and ._-/+ (domain.barcode), so a space joins them safely.
_COLUMNS = (
    "p.id, p.sku, p.name, p.price, p.tax_class, p.stock_on_hand, p.active, c.name AS category, p.sold_by, "
    "p.age_restricted, p.cost, p.plu, (SELECT group_concat(b.code, ' ') FROM barcodes b WHERE b.product_id = p.id) "
    "AS codes"
)
# The same with the price in force at a moment (bound first): the office's dated price once
# started (migration 0042, docs/office.md "Prices from a date"), else the product's own; in
# the same read, so that a scan costs no statement more.
_COLUMNS_AT = _COLUMNS.replace(
    "p.price,",
    "COALESCE((SELECT o.price FROM office_prices o WHERE o.sku = p.sku AND o.starts <= ?"
    " ORDER BY o.starts DESC, o.store_only DESC LIMIT 1), p.price) AS price,",
    1,
)
_FROM = "products p LEFT JOIN categories c ON c.id = p.category_id"


def _product(row: Row) -> Product:
    codes = tuple(sorted(row["codes"].split(" "))) if row["codes"] else ()
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
        cost=row["cost"],
        plu=row["plu"],
    )


def by_barcode(conn: Connection, code: str, at: str | None = None) -> Product | None:
    """The product of `code`; with `at`, at its price in force then."""
    row = conn.execute(
        f"SELECT {_COLUMNS if at is None else _COLUMNS_AT} FROM {_FROM}"  # noqa: S608
        " WHERE p.id = (SELECT product_id FROM barcodes WHERE code = ?)",
        (code,) if at is None else (at, code),
    ).fetchone()
    return _product(row) if row else None


def by_sku(conn: Connection, sku: str, at: str | None = None) -> Product | None:
    columns, args = (_COLUMNS, (sku,)) if at is None else (_COLUMNS_AT, (at, sku))
    row = conn.execute(f"SELECT {columns} FROM {_FROM} WHERE p.sku = ?", args).fetchone()  # noqa: S608
    return _product(row) if row else None


def by_id(conn: Connection, product_id: int) -> Product | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM {_FROM} WHERE p.id = ?", (product_id,)).fetchone()  # noqa: S608
    return _product(row) if row else None


def by_plu(conn: Connection, plu: str, at: str | None = None) -> Product | None:
    columns, args = (_COLUMNS, (plu,)) if at is None else (_COLUMNS_AT, (at, plu))
    row = conn.execute(f"SELECT {columns} FROM {_FROM} WHERE p.plu = ?", args).fetchone()  # noqa: S608
    return _product(row) if row else None


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _words(text: str) -> str:
    """The full-text query for what was typed: each word typed starts a word of the name."""
    return " ".join('"' + word.replace('"', '""') + '"*' for word in text.split())


def search(conn: Connection, text: str, limit: int = 50, withdrawn: bool = False) -> list[Product]:
    """Products on sale (withdrawn ones too when asked) found by what a person types: names
    starting with `text` first, by name; then names with words starting with each word typed
    ("bag" finds "Paper bag", "pain choc" "Pain au chocolat"); then skus starting with it; at
    most `limit` in all. No text: the first `limit` by name.

    Each part reads an index: the name's (products_name, NOCASE like LIKE), the words of the
    names (product_words, full text with prefixes), the sku's; none reads every product, so a
    shop of 100,000 answers in milliseconds."""
    # Every query below is made of this module's own columns and tables, the values bound.
    found: dict[int, Row] = {}
    active = "(p.active OR ?)"
    if not text.strip():
        queries = [f"SELECT {_COLUMNS} FROM {_FROM} WHERE {active} ORDER BY p.name COLLATE NOCASE LIMIT ?"]  # noqa: S608
        args: list[tuple[object, ...]] = [(int(withdrawn), limit)]
    else:
        queries = [
            f"SELECT {_COLUMNS} FROM {_FROM} WHERE {active} AND p.name LIKE ? ESCAPE '\\' "  # noqa: S608
            "ORDER BY p.name COLLATE NOCASE LIMIT ?",
            # The words' matches in the index's order, then by name among those kept.
            f"SELECT * FROM (SELECT {_COLUMNS} FROM product_words w JOIN products p ON p.id = w.rowid "  # noqa: S608
            f"LEFT JOIN categories c ON c.id = p.category_id WHERE product_words MATCH ? AND {active} LIMIT ?) "
            "ORDER BY name COLLATE NOCASE",
        ]
        args = [
            (int(withdrawn), _like(text) + "%", limit),
            (_words(text), int(withdrawn), limit * 2),
        ]
        # The sku's index is exact (BINARY): its range as typed, then in capitals.
        for sku in dict.fromkeys((text, text.upper())):
            queries.append(
                f"SELECT {_COLUMNS} FROM {_FROM} WHERE {active} AND p.sku >= ? AND p.sku < ? "  # noqa: S608
                "ORDER BY p.sku LIMIT ?"
            )
            args.append((int(withdrawn), sku, sku + "\U0010ffff", limit))
    for query, given in zip(queries, args, strict=True):
        if len(found) >= limit:
            break
        for row in conn.execute(query, given).fetchall():
            if len(found) < limit:
                found.setdefault(row["id"], row)
    return [_product(r) for r in found.values()]


def barcode_owners(conn: Connection, codes: Iterable[str], besides: int | None = None) -> list[Owner]:
    """Which of `codes` already belong to a product (other than product `besides`), and to which."""
    found: list[Owner] = []
    for code in codes:
        row = conn.execute(
            "SELECT p.id, p.sku, p.name FROM barcodes b JOIN products p ON p.id = b.product_id WHERE b.code = ?",
            (code,),
        ).fetchone()
        if row is not None and row["id"] != besides:
            found.append(Owner(code, row["sku"], row["name"]))
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
    category_id: int | None = None,
    sold_by: str = "unit",
    age_restricted: bool = False,
    cost: int = 0,
    plu: str | None = None,
) -> int:
    cur = conn.execute(
        "INSERT INTO products(sku, name, price, tax_class, stock_on_hand, created_at, updated_at, category_id, "
        "sold_by, age_restricted, cost, plu) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (sku, name, price, tax_class, stock, now, now, category_id, sold_by, int(age_restricted), cost, plu),
    )
    product_id = int(cur.lastrowid)
    conn.executemany("INSERT INTO barcodes(code, product_id) VALUES (?, ?)", [(c, product_id) for c in barcodes])
    return product_id


def adjust_stock(conn: Connection, product_id: int, delta: int) -> None:
    conn.execute("UPDATE products SET stock_on_hand = stock_on_hand + ? WHERE id = ?", (delta, product_id))


# The columns a change may set, by the name the API gives them (a category by its id).
CHANGEABLE = {
    "name": "name",
    "price": "price",
    "tax_class": "tax_class",
    "cost": "cost",
    "active": "active",
    "category": "category_id",
    "plu": "plu",
}


def update(
    conn: Connection,
    product_id: int,
    *,
    now: str,
    fields: dict[str, object],
    barcodes: Iterable[str] | None = None,
) -> None:
    """Sets the given fields (keys of CHANGEABLE); barcodes None leaves them as they are,
    else they become exactly these."""
    sets = {CHANGEABLE[k]: v for k, v in fields.items()}
    sets["updated_at"] = now
    assignments = ", ".join(f"{column} = ?" for column in sets)  # columns from the fixed map above
    conn.execute(f"UPDATE products SET {assignments} WHERE id = ?", (*sets.values(), product_id))  # noqa: S608
    if barcodes is not None:
        codes = list(barcodes)
        marks = ", ".join("?" for _ in codes)
        conn.execute(
            f"DELETE FROM barcodes WHERE product_id = ? AND code NOT IN ({marks})",  # noqa: S608
            (product_id, *codes),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO barcodes(code, product_id) VALUES (?, ?)", [(c, product_id) for c in codes]
        )


# -- categories -------------------------------------------------------------------------------


def categories(conn: Connection) -> list[Category]:
    rows = conn.execute("SELECT id, name FROM categories ORDER BY name COLLATE NOCASE").fetchall()
    return [Category(r["id"], r["name"]) for r in rows]


def category_named(conn: Connection, name: str) -> Category | None:
    """The category of that name, whatever its case."""
    row = conn.execute("SELECT id, name FROM categories WHERE name = ?", (name,)).fetchone()
    return Category(row["id"], row["name"]) if row else None


def insert_category(conn: Connection, name: str, now: str) -> Category:
    cur = conn.execute("INSERT INTO categories(name, created_at) VALUES (?, ?)", (name, now))
    return Category(int(cur.lastrowid), name)
