"""The office's catalogue on this till: pages of changes pulled after the till's cursor and
applied between sales (docs/office.md, "The catalogue feed").

A page comes in version order. It is applied in short transactions of `chunk` rows, each
through the writer queue like any sale's write, each moving the cursor to its last row in
the same transaction: a sale waits for one chunk at most (milliseconds), never for a whole
100,000-product change, and a crash between two chunks re-applies nothing and loses
nothing. The office's rows are checked here like any input: a bad row stops the page before
it is applied, and the till keeps selling what it has.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.app.domain import product_rules as rules
from appliance.app.domain.errors import Invalid
from appliance.app.domain.tax import Tax, TaxClass
from appliance.app.services import audit_log, customers_office, item_grid, office_staff, promotions, store_rules
from appliance.app.services.resolver import Resolver
from appliance.app.services.shop import Shop, parse_iso
from appliance.app.store import catalog as catalog_store
from appliance.app.store import office_feed as store
from appliance.app.store import office_prices as prices_store
from appliance.app.store import settings as settings_store
from appliance.app.store.db import Connection
from appliance.app.store.office_feed import OfficeProduct

log = logging.getLogger(__name__)

ACTOR = "office"  # who the audit log says changed what the feed brought
# Rows per transaction: a scan that writes waits at most for one chunk (tens of ms, bench/office_feed.py).
CHUNK = 100
PAGE = 1000  # rows asked of the office per call
KINDS = (
    "tax_class",
    "category",
    "product",
    "price",
    "staff",
    "store_rules",
    "item_grid",
    "promotion",
    "customer_erased",  # the chain id of a customer erased at a lane: erase the copy here too
)

# Fetches the page after a version: (after, limit) → the office's answer (lane/feed.py).
Fetch = Callable[[int, int], dict[str, Any]]


class FeedError(Exception):
    """The office's answer is not a page this till can apply; nothing of it was applied."""


@dataclass(frozen=True)
class Row:
    version: int
    kind: str
    key: str
    removed: bool
    body: dict[str, Any]


def _rows(page: dict[str, Any], name: str) -> list[Row]:
    found = []
    for raw in page.get(name) or ():
        try:
            row = Row(int(raw["version"]), str(raw["kind"]), str(raw["key"]), bool(raw["removed"]), dict(raw["body"]))
        except (KeyError, TypeError, ValueError):
            raise FeedError(f"the office sent a {name} row that is not one: {str(raw)[:120]}") from None
        if row.kind not in KINDS:
            raise FeedError(f"the office sent a row of an unknown kind {row.kind!r}")
        found.append(row)
    versions = [r.version for r in found]
    if versions != sorted(set(versions)):
        raise FeedError(f"the office's {name} are not in version order")
    return found


def _tax_class(row: Row) -> TaxClass:
    try:
        taxes = tuple(Tax(str(t["name"]), str(t["rate"])) for t in row.body["taxes"])
        return TaxClass(row.key, str(row.body["name"]), taxes)
    except (KeyError, TypeError):
        raise FeedError(f"tax class {row.key}: the office's row lacks its name or taxes") from None


def _product(tx: Connection, row: Row, known: Known, now: str) -> OfficeProduct:
    tax_classes, categories = known.tax_classes, known.categories
    body = row.body
    try:
        # The office's word is checked by the till's own rules: a row its screens would
        # refuse is not stored because the office sent it.
        price = rules.check_price(body["price"])
        if body["tax_class"] not in tax_classes:
            raise Invalid(f"unknown tax class {body['tax_class']!r}")
        category = rules.check_category_name(body.get("category"))
        category_id = categories.get(category) if category else None
        if category and category_id is None:
            found = catalog_store.category_named(tx, category) or catalog_store.insert_category(tx, category, now)
            category_id = categories[category] = found.id
        return OfficeProduct(
            sku=row.key,
            name=rules.check_name(body["name"]),
            price=price,
            tax_class=str(body["tax_class"]),
            barcodes=rules.check_barcodes(body.get("barcodes") or []),
            category_id=category_id,
            sold_by=rules.check_sold_by(body.get("sold_by", "unit")),
            age_restricted=rules.check_age_restricted(body.get("age_restricted", False)),
            plu=rules.check_plu(body.get("plu")),
        )
    except (KeyError, TypeError) as exc:
        raise FeedError(f"product {row.key}: the office's row lacks {exc}") from None
    except Invalid as exc:
        raise FeedError(f"product {row.key}: {exc.message}") from None


@dataclass
class Known:
    """What one transaction has looked up already: the tax classes, categories' ids by name."""

    tax_classes: set[str]
    categories: dict[str, int]


def _apply_row(shop: Shop, tx: Connection, row: Row, now: str, known: Known) -> None:
    if row.kind == "customer_erased":
        customers_office.erase_copy(shop, tx, row.key)
    elif row.kind == "staff":
        try:
            office_staff.apply(shop, tx, row.body.get("username"), row.body, row.version, now)
        except (KeyError, TypeError):
            raise FeedError(f"person {row.key}: the office's row lacks {sys.exc_info()[1]}") from None
        except Invalid as exc:
            raise FeedError(f"person {row.key}: {exc.message}") from None
    elif row.kind == "promotion":
        try:
            promotions.apply_from_office(shop, tx, row.key, row.body, row.removed)
        except (KeyError, TypeError, ValueError):
            raise FeedError(f"promotion {row.key}: the office's row lacks {sys.exc_info()[1]}") from None
        except Invalid as exc:
            raise FeedError(f"promotion {row.key}: {exc.message}") from None
    elif row.kind == "item_grid":
        try:
            item_grid.apply_from_office(shop, tx, row.body, row.removed)
        except (KeyError, TypeError):
            raise FeedError(f"item grid {row.key}: the office's row lacks its tabs") from None
        except Invalid as exc:
            raise FeedError(f"item grid {row.key}: {exc.message}") from None
    elif row.kind == "store_rules":
        try:
            store_rules.apply_from_office(shop, tx, dict(row.body["rules"]), row.version)
        except (KeyError, TypeError, ValueError):
            raise FeedError(f"store rules {row.key}: the office's row lacks its rules") from None
        except Invalid as exc:
            raise FeedError(f"store rules {row.key}: {exc.message}") from None
    elif row.kind == "tax_class":
        settings_store.put_tax_class(tx, _tax_class(row))
        known.tax_classes.add(row.key)
    elif row.kind == "category":
        if catalog_store.category_named(tx, row.key) is None:
            catalog_store.insert_category(tx, row.key, now)
    elif row.kind == "price":
        _apply_price(tx, row)
    elif row.removed:
        store.withdraw(tx, row.key, row.version, now)
    else:
        store.put_product(tx, _product(tx, row, known, now), row.version, now)


def _apply_price(tx: Connection, row: Row) -> None:
    try:
        sku, starts, store_only = str(row.body["sku"]), str(row.body["from"]), row.body.get("store") is not None
        parse_iso(starts)  # the till's own format: compared as text at each scan
        price = rules.check_price(row.body["price"])
    except (KeyError, TypeError, ValueError):
        raise FeedError(f"price {row.key}: the office's row lacks its sku, price or start") from None
    except Invalid as exc:
        raise FeedError(f"price {row.key}: {exc.message}") from None
    if row.removed:
        prices_store.remove(tx, sku, starts, store_only)
    else:
        prices_store.put(tx, sku, starts, store_only, price, row.version)


def apply_page(shop: Shop, page: dict[str, Any], *, chunk: int = CHUNK) -> int:
    """Applies the rows of `page` after the stored cursor; returns how many. Rows at or below
    the cursor (a page fetched twice, a retry after a crash) are skipped, so each row is
    applied once whatever happens between the chunks."""
    references = _rows(page, "references")
    changes = _rows(page, "changes")
    if not changes and not references:
        return 0
    applied = 0
    taxes_changed = False
    first = True
    start = 0
    while start < len(changes) or first:
        # Not durable (no fsync of its own): a power cut may take back the last chunks, never
        # half of one, and the cursor goes back with them, so they are simply fetched again.
        with shop.db.transaction(durable=False) as tx:
            done = store.cursor(tx)
            now = shop.now()
            known = Known(set(settings_store.tax_classes(tx)), {})
            if first:
                # What this page's products may name, before them (re-applying one changes nothing).
                for row in references:
                    _apply_row(shop, tx, row, now, known)
                taxes_changed = any(r.kind == "tax_class" for r in references)
            part = [r for r in changes[start : start + chunk] if r.version > done]
            for row in part:
                _apply_row(shop, tx, row, now, known)
            if part:
                store.set_cursor(tx, part[-1].version, now)
                applied += len(part)
                # Tax classes and store rules are cached per process: forgotten after.
                taxes_changed = taxes_changed or any(r.kind in ("tax_class", "store_rules") for r in part)
            start += chunk
            if part and start >= len(changes):
                audit_log.record(
                    shop,
                    actor=ACTOR,
                    action="office_catalogue_applied",
                    object="catalogue",
                    details={"after": page.get("after"), "to": part[-1].version, "rows": applied},
                    origin="office",
                )
        first = False
    if taxes_changed:
        shop.forget_settings()  # the tax classes are cached per process
    return applied


def cursor(shop: Shop) -> int:
    return store.cursor(shop.db.conn)


def pull(shop: Shop, fetch: Fetch, *, page_size: int = PAGE, chunk: int = CHUNK) -> int:
    """Pages after the cursor until the office has no more; returns the rows applied."""
    total = 0
    while True:
        after = cursor(shop)
        page = fetch(after, page_size)
        if int(page.get("after", -1)) != after:
            raise FeedError(f"the office answered after {page.get('after')!r}, not after {after}")
        total += apply_page(shop, page, chunk=chunk)
        if not page.get("more") or not page.get("changes"):
            return total


class CatalogueFeed(Resolver):
    """Pulls the office's catalogue in the background: a look every `idle` seconds, backing
    off to `longest` while the office cannot be reached."""

    name = "office-catalogue-feed"

    def __init__(
        self, shop: Shop, fetch: Fetch, *, first: float = 2.0, longest: float = 300.0, idle: float = 30.0
    ) -> None:
        super().__init__(first=first, longest=longest, idle=idle)
        self.shop, self.fetch = shop, fetch
        self.last_error: str | None = None

    def waiting(self) -> frozenset[str]:
        # Only the office knows whether something changed: always worth a look.
        return frozenset({"office"})

    def run_once(self) -> bool:
        try:
            applied = pull(self.shop, self.fetch)
        except Exception as exc:  # noqa: BLE001 - the office down, or a bad page: the till sells on
            self.last_error = str(exc)
            log.warning("the office's catalogue could not be pulled: %s", exc)
            return True  # back off
        self.last_error = None
        if applied:
            log.info("applied %d change(s) of the office's catalogue", applied)
        return False

    def start(self) -> CatalogueFeed:
        super().start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        super().stop(timeout)
        # The fetcher keeps its connection to the office between looks: it ends with the loop,
        # not whenever the collector gets to it (the office's stop waited on it).
        close = getattr(self.fetch, "close", None)
        if callable(close):
            close()
