"""The catalogue: create, change and withdraw products, import a CSV, look things up;
the categories products and offers are in."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any, TypedDict

from appliance.app.domain import stock as stock_rules
from appliance.app.domain.barcode import normalise
from appliance.app.domain.errors import Conflict, DomainError, Invalid, NotFound
from appliance.app.domain.money import Money, parse_amount
from appliance.app.domain.product import Product
from appliance.app.domain.product_rules import (
    check_active,
    check_age_restricted,
    check_barcodes,
    check_category_name,
    check_name,
    check_plu,
    check_price,
    check_sku,
    check_sold_by,
)
from appliance.app.services import audit_log, gift_cards
from appliance.app.services import stock as stock_service
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import catalog as catalog_store
from appliance.app.store import office_feed as office_feed_store
from appliance.app.store import office_prices
from appliance.app.store.catalog import Category, Owner
from appliance.app.store.db import Connection
from appliance.security.rbac import Permission

MAX_STOCK = 10**9


class ProductJson(TypedDict):
    """A product as the API shows it (web/api.py product_json)."""

    id: int
    sku: str
    name: str
    price: Money
    tax_class: str
    barcodes: list[str]
    stock: int  # on hand
    category: str | None
    sold_by: str  # unit, or weight: price per kilogram
    age_restricted: bool
    active: bool  # false: withdrawn from sale
    plu: str | None


class ManagedProduct(ProductJson):
    """What the catalogue's managers see: with its cost."""

    cost: Money


class Imported(TypedDict):
    imported: int  # products made or changed, the whole file at once


class Products(TypedDict):
    products: list[ProductJson]


class CategoryJson(TypedDict):
    id: int
    name: str


class Categories(TypedDict):
    categories: list[CategoryJson]


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
    cost: int = 0
    plu: str | None = None


# -- one rule per field: the same for a new product, a CSV row and a change --------------------


def check_tax_class(shop: Shop, value: Any) -> str:
    tax_class = value or "standard"
    if tax_class not in shop.tax_classes:
        raise Invalid(f"unknown tax class {tax_class!r}", "unknown_tax_class")
    return str(tax_class)


def check_cost(value: Any) -> int:
    return stock_rules.check_cost(value)


def check_product(shop: Shop, data: dict[str, Any]) -> NewProduct:
    """Validates one product as given through the API or a CSV row."""
    sku = check_sku(data.get("sku"))
    name = check_name(str(data.get("name", "")))
    price = check_price(data.get("price"))
    tax_class = check_tax_class(shop, data.get("tax_class"))
    codes = check_barcodes(list(data.get("barcodes") or ()))
    stock = data.get("stock", 0)
    if isinstance(stock, bool) or not isinstance(stock, int) or not -MAX_STOCK <= stock <= MAX_STOCK:
        raise Invalid("stock must be a whole number", "invalid_stock")
    category = check_category_name(data.get("category"))
    sold_by = check_sold_by(data.get("sold_by"))
    restricted = check_age_restricted(data.get("age_restricted", False))
    cost = check_cost(data.get("cost", 0))
    plu = check_plu(data.get("plu"))
    return NewProduct(sku, name, price, tax_class, codes, stock, category, sold_by, restricted, cost, plu)


def _barcodes_taken(owners: list[Owner]) -> Conflict:
    """ "Barcode 123 already belongs to APL (Apple)": who has it, so the person can go and look."""
    shown = ", ".join(f"{o.code} already belongs to {o.sku} ({o.name})" for o in owners)
    return Conflict(
        f"barcode {shown}",
        "barcode_exists",
        details={"barcodes": [{"barcode": o.code, "sku": o.sku, "name": o.name} for o in owners]},
    )


def _category(shop: Shop, tx: Connection, name: str | None, *, create: bool = False) -> Category | None:
    """The category of that name (any case); a CSV import makes the ones it names, the API
    asks for them to be made first."""
    if name is None:
        return None
    found = catalog_store.category_named(tx, name)
    if found is None:
        if not create:
            raise Invalid(f"no category {name!r}: add it to the categories first", "unknown_category")
        found = catalog_store.insert_category(tx, name, shop.now())
    return found


def _insert(
    shop: Shop, tx: Any, product: NewProduct, *, new_categories: bool = False, actor: Actor | str | None = None
) -> int:
    if catalog_store.by_sku(tx, product.sku) is not None:
        raise Conflict(f"sku {product.sku} already exists", "sku_exists")
    owners = catalog_store.barcode_owners(tx, product.barcodes)
    if owners:
        raise _barcodes_taken(owners)
    _plu_free(tx, product.plu)
    category = _category(shop, tx, product.category, create=new_categories)
    product_id = catalog_store.insert(
        tx,
        sku=product.sku,
        name=product.name,
        price=product.price,
        tax_class=product.tax_class,
        barcodes=product.barcodes,
        stock=product.stock,
        now=shop.now(),
        category_id=category.id if category else None,
        sold_by=product.sold_by,
        age_restricted=product.age_restricted,
        cost=product.cost,
        plu=product.plu,
    )
    if product.stock:
        stock_service.opening(shop, actor, product_id, product.sku, product.stock)
    return product_id


def create_product(shop: Shop, actor: Actor, data: dict[str, Any]) -> Product:
    require(shop, actor, Permission.MANAGE_PRODUCTS)
    product = check_product(shop, data)
    with shop.db.transaction() as tx:
        product_id = _insert(shop, tx, product, actor=actor)
        audit_log.record(
            shop,
            actor=actor,
            action="product_create",
            object=f"product:{product.sku}",
            details={
                "price": product.price,
                "tax_class": product.tax_class,
                **({"category": product.category} if product.category else {}),
            },
        )
    found = catalog_store.by_id(shop.db.conn, product_id)
    assert found is not None
    return found


def _plu_free(conn: Connection, plu: str | None, besides: int | None = None) -> None:
    holder = catalog_store.by_plu(conn, plu) if plu else None
    if holder is not None and holder.id != besides:
        raise Conflict(f"PLU {plu} already belongs to {holder.sku} ({holder.name})", "plu_exists")


def get_product(shop: Shop, actor: Actor, sku: str) -> Product:
    """One product by its exact sku, on sale or withdrawn (the manager's form)."""
    require(shop, actor, Permission.MANAGE_PRODUCTS)
    return _product(shop.db.conn, sku)


def _product(conn: Connection, sku: str) -> Product:
    found = catalog_store.by_sku(conn, sku)
    if found is None:
        raise NotFound(f"no product with sku {sku}", "product_not_found")
    return found


PRODUCT_FIELDS = ("name", "price", "tax_class", "barcodes", "category", "cost", "active", "plu")
# What the office owns of a product it sends (services/office_feed.py); cost and stock stay the till's.
OFFICE_FIELDS = ("name", "price", "tax_class", "barcodes", "category", "active", "plu")


def _as_audited(product: Product, field: str) -> Any:
    value = getattr(product, field)
    return list(value) if isinstance(value, tuple) else value


def change_product(shop: Shop, actor: Actor, sku: str, changes: dict[str, Any]) -> Product:
    """Changes any of name, price, tax class, barcodes, category, cost and active; what is not
    given stays as it is. `active: false` withdraws the product from sale (it can no longer be
    scanned or sold; its sales, reports and history keep it), `active: true` puts it back.

    Prices are read when an item is scanned: a line already on a sale, open or paid, keeps
    the price it was scanned at, and so do its receipt and its refunds.

    A line scanned before a withdrawal stays on its open sale (the cashier may void it).
    Audited with only what changed, before and after; a change to nothing is no entry."""
    require(shop, actor, Permission.MANAGE_PRODUCTS)
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise Invalid(f"a product's {', '.join(sorted(unknown))} cannot be changed here", "not_changeable")
    if not changes:
        raise Invalid(f"nothing to change: give any of {', '.join(PRODUCT_FIELDS)}", "nothing_to_change")
    wanted: dict[str, Any] = {}
    if "name" in changes:
        wanted["name"] = check_name(changes["name"])
    if "price" in changes:
        wanted["price"] = check_price(changes["price"])
    if "tax_class" in changes:
        if not changes["tax_class"]:
            raise Invalid("tax_class cannot be empty", "unknown_tax_class")
        wanted["tax_class"] = check_tax_class(shop, changes["tax_class"])
    if "barcodes" in changes:
        wanted["barcodes"] = check_barcodes(changes["barcodes"])
    if "cost" in changes:
        wanted["cost"] = check_cost(changes["cost"])
    if "active" in changes:
        wanted["active"] = check_active(changes["active"])
    if "plu" in changes:
        wanted["plu"] = check_plu(changes["plu"])
    if "category" in changes:
        wanted["category"] = check_category_name(changes["category"])
    with shop.db.transaction() as tx:
        before = _product(tx, sku)
        if before.sku == gift_cards.PRODUCT_SKU:
            # Never on sale by itself (a scan would sell a card at the shelf price): the gift
            # card service alone puts it on a sale, at the amount loaded.
            raise Conflict("the gift card product is the till's own and cannot be changed", "product_reserved")
        category: Category | None = None
        if "category" in wanted:
            category = _category(shop, tx, wanted["category"])
            wanted["category"] = category.name if category else None  # the name as the shop spelt it first
        if "barcodes" in wanted:
            owners = catalog_store.barcode_owners(tx, wanted["barcodes"], besides=before.id)
            if owners:
                raise _barcodes_taken(owners)
            wanted["barcodes"] = tuple(sorted(wanted["barcodes"]))
        if "plu" in wanted:
            _plu_free(tx, wanted["plu"], besides=before.id)
        changed = [f for f in PRODUCT_FIELDS if f in wanted and wanted[f] != getattr(before, f)]
        if not changed:
            return before
        theirs = [f for f in changed if f in OFFICE_FIELDS]
        if theirs and office_feed_store.office_owned(tx, before.sku):
            raise Conflict(
                f"{before.sku} is the office's product: its {', '.join(theirs)} change at the office"
                " (comptoir office catalogue), and reach this till with its catalogue",
                "office_owned",
            )
        columns = {f: wanted[f] for f in changed if f in catalog_store.CHANGEABLE}
        if "category" in columns:
            columns["category"] = category.id if category else None
        catalog_store.update(
            tx,
            before.id,
            now=shop.now(),
            fields=columns,
            barcodes=wanted["barcodes"] if "barcodes" in changed else None,
        )
        after = catalog_store.by_id(tx, before.id)
        assert after is not None
        action = "product_change"
        if "active" in changed:
            action = "product_reactivate" if after.active else "product_withdraw"
        audit_log.record(
            shop,
            actor=actor,
            action=action,
            object=f"product:{before.sku}",
            details={
                "before": {f: _as_audited(before, f) for f in changed},
                "after": {f: _as_audited(after, f) for f in changed},
            },
        )
    return after


# -- categories ---------------------------------------------------------------------------------


def list_categories(shop: Shop, actor: Actor) -> list[Category]:
    require(shop, actor, Permission.SELL)
    return catalog_store.categories(shop.db.conn)


def create_category(shop: Shop, actor: Actor, name: Any) -> Category:
    require(shop, actor, Permission.MANAGE_PRODUCTS)
    wanted = check_category_name(name)
    if wanted is None:
        raise Invalid("a category needs a name of 1-40 characters", "invalid_category")
    with shop.db.transaction() as tx:
        found = catalog_store.category_named(tx, wanted)
        if found is not None:
            raise Conflict(f"there is already a category {found.name!r}", "category_exists")
        made = catalog_store.insert_category(tx, wanted, shop.now())
        audit_log.record(
            shop, actor=actor, action="category_create", object=f"category:{made.id}", details={"name": made.name}
        )
    return made


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


CSV_COLUMNS = ("sku", "name", "price", "tax_class", "barcodes", "stock", "category", "sold_by", "age_restricted", "plu")


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
    seen_plus: dict[str, int] = {}
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
                    "plu": values.get("plu") or None,
                },
            )
            if product.sku in seen_skus:
                raise Invalid(f"sku {product.sku} is also on line {seen_skus[product.sku]}")
            for code in product.barcodes:
                if code in seen_codes:
                    raise Invalid(f"barcode {code} is also on line {seen_codes[code]}")
            if product.plu is not None and product.plu in seen_plus:
                raise Invalid(f"PLU {product.plu} is also on line {seen_plus[product.plu]}")
            if product.plu is not None:
                seen_plus[product.plu] = line
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
        had = {c.name for c in catalog_store.categories(tx)}
        for line, product in products:
            try:
                _insert(shop, tx, product, new_categories=True, actor=actor)
            except DomainError as exc:
                errors.append(RowError(line, exc.message))
        if errors:
            raise ImportRejected(errors)  # rolls the whole file back
        audit_log.record(
            shop,
            actor=actor or "cli",
            action="catalog_import",
            object="catalog",
            details={
                "products": len(products),
                "new_categories": sorted({c.name for c in catalog_store.categories(tx)} - had),
            },
        )
    return len(products)


def _yes(text: str) -> bool:
    if text.strip().lower() in ("", "0", "no", "false", "n"):
        return False
    if text.strip().lower() in ("1", "yes", "true", "y"):
        return True
    raise Invalid(f"age_restricted {text!r} is not yes or no")


MIN_SEARCH = 3  # what the till asks for before it lists names
MAX_RESULTS = 50


def find(
    shop: Shop,
    actor: Actor,
    *,
    barcode: str | None = None,
    plu: str | None = None,
    text: str | None = None,
    withdrawn: bool = False,
    limit: int = MAX_RESULTS,
) -> list[Product]:
    """By barcode or PLU (on sale or withdrawn: `active` says which), or by what a person types
    (`catalog_store.search`: name, a word of it, or sku starting with it; none for the first
    products by name), on sale only unless asked, at most `limit`. The till asks for 3
    characters before it searches (MIN_SEARCH); a shorter text still finds a short sku."""
    require(shop, actor, Permission.SELL)
    conn, now = shop.db.conn, shop.now()  # prices as a scan now would charge them (office_prices)
    if barcode is not None:
        found = catalog_store.by_barcode(conn, normalise(barcode), now)
        return [found] if found else []
    if plu is not None:
        found = catalog_store.by_plu(conn, check_plu(plu) or "", now)
        return [found] if found else []
    wanted = (text or "").strip()
    if len(wanted) > 120:
        raise Invalid("a search is at most 120 characters", "search_too_long")
    if not 1 <= limit <= MAX_RESULTS:
        raise Invalid(f"limit is 1 to {MAX_RESULTS}", "invalid_limit")
    return [office_prices.priced(conn, p, now) for p in catalog_store.search(conn, wanted, limit, withdrawn)]
