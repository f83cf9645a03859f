"""The catalogue: create products, import a CSV, look things up."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

from appliance.app.domain.barcode import normalise
from appliance.app.domain.errors import Conflict, DomainError, Invalid
from appliance.app.domain.money import MAX_AMOUNT, parse_amount
from appliance.app.services import audit_log
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import catalog as catalog_store
from appliance.app.store.catalog import Product
from appliance.security.rbac import Permission

MAX_STOCK = 10**9


@dataclass(frozen=True)
class NewProduct:
    sku: str
    name: str
    price: int
    tax_class: str
    barcodes: tuple[str, ...]
    stock: int
    category: str | None = None
    sold_by: str = "unit"
    age_restricted: bool = False


def check_product(shop: Shop, data: dict[str, Any]) -> NewProduct:
    """Validates one product as given through the API or a CSV row."""
    sku = str(data.get("sku", "")).strip()
    name = str(data.get("name", "")).strip()
    if not 1 <= len(sku) <= 64 or any(c.isspace() for c in sku):
        raise Invalid("sku must be 1-64 characters without spaces", "invalid_sku")
    if not 1 <= len(name) <= 120:
        raise Invalid("name must be 1-120 characters", "invalid_name")
    price = data.get("price")
    if isinstance(price, bool) or not isinstance(price, int) or not 0 <= price <= MAX_AMOUNT:
        raise Invalid("price must be a whole number of minor units, 0 or more", "invalid_price")
    tax_class = data.get("tax_class") or "standard"
    if tax_class not in shop.tax_classes:
        raise Invalid(f"unknown tax class {tax_class!r}", "unknown_tax_class")
    codes = tuple(dict.fromkeys(normalise(str(c)) for c in data.get("barcodes") or ()))
    stock = data.get("stock", 0)
    if isinstance(stock, bool) or not isinstance(stock, int) or not -MAX_STOCK <= stock <= MAX_STOCK:
        raise Invalid("stock must be a whole number", "invalid_stock")
    category = data.get("category") or None
    if category is not None and (not isinstance(category, str) or not 1 <= len(category.strip()) <= 40):
        raise Invalid("category must be 1-40 characters", "invalid_category")
    sold_by = data.get("sold_by") or "unit"
    if sold_by not in ("unit", "weight"):
        raise Invalid("sold_by is unit or weight (price per kilogram)", "invalid_sold_by")
    restricted = data.get("age_restricted", False)
    if not isinstance(restricted, bool):
        raise Invalid("age_restricted is true or false", "invalid_age_restricted")
    return NewProduct(
        sku, name, price, tax_class, codes, stock, category.strip() if category else None, sold_by, restricted
    )


def _insert(shop: Shop, tx: Any, product: NewProduct) -> int:
    if catalog_store.by_sku(tx, product.sku) is not None:
        raise Conflict(f"sku {product.sku} already exists", "sku_exists")
    taken = catalog_store.taken_barcodes(tx, product.barcodes)
    if taken:
        raise Conflict(f"barcode {', '.join(sorted(taken))} already belongs to a product", "barcode_exists")
    return catalog_store.insert(
        tx,
        sku=product.sku,
        name=product.name,
        price=product.price,
        tax_class=product.tax_class,
        barcodes=product.barcodes,
        stock=product.stock,
        now=shop.now(),
        category=product.category,
        sold_by=product.sold_by,
        age_restricted=product.age_restricted,
    )


def create_product(shop: Shop, actor: Actor, data: dict[str, Any]) -> Product:
    require(shop, actor, Permission.MANAGE_PRODUCTS)
    product = check_product(shop, data)
    with shop.db.transaction() as tx:
        product_id = _insert(shop, tx, product)
        audit_log.record(
            shop,
            actor=actor,
            action="product_create",
            object=f"product:{product.sku}",
            details={"price": product.price, "tax_class": product.tax_class},
        )
    found = catalog_store.by_id(shop.db.conn, product_id)
    assert found is not None
    return found


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRejected(DomainError):
    code = "import_rejected"

    def __init__(self, errors: list[RowError]) -> None:
        shown = "; ".join(str(e) for e in errors[:20])
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        super().__init__(
            f"nothing imported, {len(errors)} bad row(s): {shown}{more}",
            details={"rows": [{"line": e.line, "message": e.message} for e in errors]},
        )
        self.errors = errors


CSV_COLUMNS = ("sku", "name", "price", "tax_class", "barcodes", "stock", "category", "sold_by", "age_restricted")


def import_csv(shop: Shop, actor: Actor | None, text: str) -> int:
    """Imports a catalogue: all rows or none. Columns: sku,name,price[,tax_class,barcodes,stock];
    price in major units ('3.99'); barcodes separated by '|' or spaces."""
    if actor is not None:
        require(shop, actor, Permission.MANAGE_PRODUCTS)
    reader = csv.DictReader(io.StringIO(text, newline=""))  # a lone \r ends a line too
    header = [h.strip() for h in reader.fieldnames or ()]
    missing = {"sku", "name", "price"} - set(header)
    if missing:
        raise Invalid(f"line 1: the header lacks {', '.join(sorted(missing))}", "import_rejected")
    unknown = set(header) - set(CSV_COLUMNS)
    if unknown:
        raise Invalid(f"line 1: unknown column(s) {', '.join(sorted(unknown))}", "import_rejected")
    errors: list[RowError] = []
    products: list[tuple[int, NewProduct]] = []
    seen_skus: dict[str, int] = {}
    seen_codes: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        try:
            values = {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None}
            if None in row:
                raise Invalid("more fields than the header has")
            stock_text = values.get("stock") or "0"
            if not re.fullmatch(r"-?[0-9]{1,12}", stock_text):  # ASCII digits: isdigit() takes '²' too
                raise Invalid(f"stock {stock_text!r} is not a whole number")
            product = check_product(
                shop,
                {
                    "sku": values.get("sku", ""),
                    "name": values.get("name", ""),
                    "price": parse_amount(values.get("price", ""), shop.settings.currency),
                    "tax_class": values.get("tax_class") or "standard",
                    "barcodes": values.get("barcodes", "").replace("|", " ").split(),
                    "stock": int(stock_text),
                    "category": values.get("category") or None,
                    "sold_by": values.get("sold_by") or "unit",
                    "age_restricted": _yes(values.get("age_restricted", "")),
                },
            )
            if product.sku in seen_skus:
                raise Invalid(f"sku {product.sku} is also on line {seen_skus[product.sku]}")
            for code in product.barcodes:
                if code in seen_codes:
                    raise Invalid(f"barcode {code} is also on line {seen_codes[code]}")
            seen_skus[product.sku] = line
            seen_codes.update({c: line for c in product.barcodes})
            products.append((line, product))
        except DomainError as exc:
            errors.append(RowError(line, exc.message))
    if errors:
        raise ImportRejected(errors)
    if not products:
        raise Invalid("the file has no products", "import_rejected")
    with shop.db.transaction() as tx:
        for line, product in products:
            try:
                _insert(shop, tx, product)
            except DomainError as exc:
                errors.append(RowError(line, exc.message))
        if errors:
            raise ImportRejected(errors)  # rolls the whole file back
        audit_log.record(
            shop,
            actor=actor or "cli",
            action="catalog_import",
            object="catalog",
            details={"products": len(products)},
        )
    return len(products)


def _yes(text: str) -> bool:
    if text.strip().lower() in ("", "0", "no", "false", "n"):
        return False
    if text.strip().lower() in ("1", "yes", "true", "y"):
        return True
    raise Invalid(f"age_restricted {text!r} is not yes or no")


def find(shop: Shop, actor: Actor, *, barcode: str | None = None, text: str | None = None) -> list[Product]:
    require(shop, actor, Permission.SELL)
    conn = shop.db.conn
    if barcode is not None:
        found = catalog_store.by_barcode(conn, normalise(barcode))
        return [found] if found else []
    return catalog_store.search(conn, text or "")
