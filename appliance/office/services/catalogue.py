"""The chain's catalogue, owned by the office: tax classes, categories and products, changed
here (audited) and pulled by every lane after its cursor (`feed`).

Every change takes the next version of one counter (store/catalogue.py): a lane that has
applied everything up to version N asks for what changed after N and gets each thing as it
is now. A file of 100,000 products is one transaction here (all or nothing, one audit
entry), 100,000 versions, and reaches a lane in pages.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from appliance.app.domain import product_rules as rules
from appliance.app.domain.errors import DomainError, Forbidden, Invalid, NotFound
from appliance.app.domain.money import parse_amount
from appliance.office.services import audit_log
from appliance.office.services.office import Office
from appliance.office.store import catalogue as store
from appliance.office.store import feed_rows
from appliance.office.store import lanes as lanes_store
from appliance.office.store.catalogue import Change
from appliance.office.store.db import Connection

PAGE = 1000  # rows a lane gets at most per call, unless it asks for fewer
MAX_PAGE = 5000
CSV_COLUMNS = (
    "sku",
    "name",
    "price",
    "tax_class",
    "barcodes",
    "category",
    "sold_by",
    "age_restricted",
    "plu",
    "withdrawn",
)
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_YES = ("1", "yes", "true", "y", "oui")

# A file's column as a product's field: (text, currency) → value.
_COLUMN: dict[str, Callable[[str, str], Any]] = {
    "sku": lambda v, _: v,
    "name": lambda v, _: v,
    "price": parse_amount,
    "tax_class": lambda v, _: v or "standard",
    "barcodes": lambda v, _: v.replace("|", " ").split(),
    "category": lambda v, _: v or None,
    "sold_by": lambda v, _: v or "unit",
    "age_restricted": lambda v, _: v.lower() in _YES,
    "plu": lambda v, _: v or None,
}


@dataclass(frozen=True)
class Applied:
    changed: int  # rows given a new version
    unchanged: int  # rows the same as the office had them: no version, nothing sent
    version: int  # the catalogue's version after the change


class ImportRejected(Invalid):
    """Some rows are wrong: nothing was imported; `details["errors"]` lists every one."""

    def __init__(self, errors: list[str]) -> None:
        shown = "; ".join(errors[:5]) + (f" (and {len(errors) - 5} more)" if len(errors) > 5 else "")
        super().__init__(f"nothing imported: {shown}", "import_rejected", details={"errors": errors})


def stamp(value: dt.datetime) -> str:
    """The till's own way of writing a moment (services/shop.iso): comparable as text there."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- rules, one per field, for a row of a file and a change through the API ---------------------


def check_product(data: dict[str, Any], tax_classes: set[str]) -> dict[str, Any]:
    """A product of the chain's catalogue, by the till's own rules (domain/product_rules)."""
    tax_class = str(data.get("tax_class") or "standard")
    if tax_class not in tax_classes:
        raise Invalid(f"unknown tax class {tax_class!r}: add it first (comptoir office catalogue tax-class)")
    return {
        "sku": rules.check_sku(data.get("sku")),
        "name": rules.check_name(str(data.get("name", ""))),
        "price": rules.check_price(data.get("price")),
        "tax_class": tax_class,
        "barcodes": sorted(rules.check_barcodes([str(c) for c in data.get("barcodes") or ()])),
        "category": rules.check_category_name(data.get("category") or None),
        "sold_by": rules.check_sold_by(data.get("sold_by")),
        "age_restricted": rules.check_age_restricted(data.get("age_restricted", False)),
        "plu": rules.check_plu(data.get("plu") or None),
    }


def check_tax_class(code: Any, name: Any, taxes: list[tuple[str, str]]) -> dict[str, Any]:
    if not isinstance(code, str) or not _CODE.match(code):
        raise Invalid("a tax class's code is 1-32 lower-case letters, digits, - or _", "invalid_tax_class")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 60:
        raise Invalid("a tax class's name is 1-60 characters", "invalid_tax_class")
    checked = []
    for tax_name, rate in taxes:
        try:
            value = Decimal(rate)
        except InvalidOperation:
            raise Invalid(f"tax rate {rate!r} is not a number (20, 9.975)", "invalid_tax_rate") from None
        if not (value.is_finite() and 0 <= value <= 100) or not 1 <= len(tax_name.strip()) <= 40:
            raise Invalid(f"a tax is NAME=RATE, a rate 0 to 100: not {tax_name}={rate}", "invalid_tax_rate")
        checked.append({"name": tax_name.strip(), "rate": str(value)})
    return {"code": code, "name": name.strip(), "taxes": checked}


# -- changes ---------------------------------------------------------------------------------


@contextmanager
def changing(office: Office) -> Iterator[Connection]:
    """A transaction that changes the catalogue; the audit log's anchor moves after it commits."""
    with office.connection() as conn:
        with conn.transaction():
            yield conn
        audit_log.anchor(office, conn)


def apply_changes(office: Office, conn: Connection, changes: list[Change], actor: str) -> tuple[int, int]:
    """Gives each change that changes something the next version; (changed, version)."""
    version = store.lock_head(conn)
    by_kind: dict[str, list[Change]] = {}
    for change in changes:
        by_kind.setdefault(change.kind, []).append(change)
    fresh: list[Change] = []
    for kind, some in by_kind.items():
        had = store.current(conn, kind, [c.key for c in some])
        fresh += [c for c in some if had.get(c.key) != (c.body, c.removed)]
    # Tax classes and categories before the products that name them.
    fresh.sort(key=lambda c: store.KINDS.index(c.kind))
    if fresh:
        store.write(conn, fresh, version + 1, office.now(), actor)
        version += len(fresh)
        store.set_head(conn, version)
    return len(fresh), version


def put_tax_class(
    office: Office, code: str, name: str, taxes: list[tuple[str, str]], *, actor: str, origin: str = "cli"
) -> Applied:
    body = check_tax_class(code, name, taxes)
    with changing(office) as conn:
        changed, version = apply_changes(office, conn, [Change("tax_class", body["code"], body)], actor)
        if changed:
            audit_log.record(
                office, conn, actor=actor, action="catalogue_tax_class", object=f"tax_class:{code}",
                details={"name": body["name"], "taxes": body["taxes"], "version": version}, origin=origin,
            )  # fmt: skip
    return Applied(changed, 1 - changed, version)


def withdraw(office: Office, skus: list[str], *, actor: str, origin: str = "cli") -> Applied:
    """Takes products off sale in every store: a lane marks them withdrawn (never deletes:
    its sales and history keep them)."""
    with changing(office) as conn:
        had = store.current(conn, "product", skus)
        missing = sorted(set(skus) - set(had))
        if missing:
            raise NotFound(f"the chain has no product {', '.join(missing)}", "product_not_found")
        changes = [Change("product", sku, body, removed=True) for sku, (body, _) in had.items()]
        changed, version = apply_changes(office, conn, changes, actor)
        if changed:
            audit_log.record(
                office, conn, actor=actor, action="catalogue_withdraw", object="catalogue",
                details={"skus": sorted(skus)[:100], "count": changed, "version": version}, origin=origin,
            )  # fmt: skip
    return Applied(changed, len(skus) - changed, version)


def import_csv(office: Office, text: str, *, actor: str, currency: str = "EUR", origin: str = "cli") -> Applied:
    """A change file: each row makes or changes one product of the chain; products not in the
    file stay as they are, and so do the columns a file leaves out of its header (a file of
    `sku,price` changes prices only). A new product needs its name and price. `withdrawn`
    yes takes one off sale in every store, no puts it back. All rows or none. Columns:
    sku[,name,price,tax_class,barcodes,category,sold_by,age_restricted,plu,withdrawn]; price
    in major units ('3.99'); barcodes separated by '|' or spaces."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or ()]
    if "sku" not in header:
        raise Invalid("line 1: the header lacks sku", "import_rejected")
    unknown = set(header) - set(CSV_COLUMNS)
    if unknown:
        raise Invalid(f"line 1: unknown column(s) {', '.join(sorted(unknown))}", "import_rejected")
    errors: list[str] = []
    read: list[tuple[int, dict[str, str]]] = []
    for row in reader:
        if None in row:
            errors.append(f"line {reader.line_num}: more fields than the header has")
            continue
        read.append((reader.line_num, {(k or "").strip(): (v or "").strip() for k, v in row.items()}))
    with changing(office) as conn:
        tax_classes = {k for k, (_, removed) in store.current(conn, "tax_class").items() if not removed}
        had = store.current(conn, "product", [values.get("sku", "") for _, values in read])
        rows: list[tuple[int, dict[str, Any], bool]] = []
        seen: dict[str, int] = {}
        for line, values in read:
            try:
                body, gone = had.get(values.get("sku", ""), ({}, False))
                data = dict(body)
                if not body and not ("name" in values and "price" in values):
                    raise Invalid(f"{values.get('sku')} is a new product: give its name and price")
                data.update({k: parse(values[k], currency) for k, parse in _COLUMN.items() if k in values})
                if "withdrawn" in values:
                    gone = values["withdrawn"].lower() in _YES
                body = check_product(data, tax_classes)
                for key in [f"sku {body['sku']}", *(f"barcode {c}" for c in body["barcodes"])] + (
                    [f"PLU {body['plu']}"] if body["plu"] else []
                ):
                    if key in seen:
                        raise Invalid(f"{key} is also on line {seen[key]}")
                    seen[key] = line
                rows.append((line, body, gone))
            except DomainError as exc:
                errors.append(f"line {line}: {exc.message}")
        if not rows and not errors:
            raise Invalid("the file has no products", "import_rejected")
        in_file = {body["sku"] for _, body, _ in rows}
        wanted = {c: (line, body["sku"]) for line, body, gone in rows if not gone for c in body["barcodes"]}
        for code, owner in store.barcode_owners(conn, list(wanted)).items():
            line, sku = wanted[code]
            # A product of this file may give its barcode to another one of it.
            if owner != sku and owner not in in_file:
                errors.append(f"line {line}: barcode {code} already belongs to {owner}")
        if errors:
            raise ImportRejected(errors)
        categories = sorted({b["category"] for _, b, gone in rows if b["category"] and not gone})
        changes = [Change("category", name, {"name": name}) for name in categories]
        changes += [Change("product", body["sku"], body, removed=gone) for _, body, gone in rows]
        # A new price in the file is the chain's price from now: a dated one already started
        # would otherwise outlive it (docs/office.md, "Prices from a date").
        repriced = [b["sku"] for _, b, _ in rows if b["sku"] in had and had[b["sku"]][0].get("price") != b["price"]]
        for key, body in feed_rows.started_chain_prices(conn, repriced, stamp(office.now())) if repriced else ():
            changes.append(Change("price", key, body, removed=True))
        changed, version = apply_changes(office, conn, changes, actor)
        audit_log.record(
            office, conn, actor=actor, action="catalogue_import", object="catalogue",
            details={"rows": len(rows), "changed": changed, "version": version}, origin=origin,
        )  # fmt: skip
    return Applied(changed, len(changes) - changed, version)


def status(office: Office) -> dict[str, Any]:
    with office.connection() as conn:
        return {"version": store.head(conn), "counts": store.counts(conn)}


# -- the feed a lane pulls ------------------------------------------------------------------------


def _products_named(rows: list[dict[str, Any]]) -> list[str]:
    skus: set[str] = set()
    for row in rows:
        body = row["body"]
        if row["kind"] == "promotion" and body.get("sku"):
            skus.add(str(body["sku"]))
        elif row["kind"] == "item_grid":
            skus.update(str(sku) for tab in body["tabs"] for sku in tab["products"])
    return sorted(skus)


def feed(office: Office, cert_fingerprint: str, after: int, limit: int = PAGE) -> dict[str, Any]:
    """What changed after version `after`, oldest first, at most `limit` rows; with them every
    tax class and category changed after `after` (`references`), so that a lane can apply a
    page's products before it reaches the pages where what they name changed (a category
    renamed after a product was changed, say). A lane applies those first; applying a row
    twice changes nothing."""
    if not 0 <= after or not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"after is a version, 0 or more; limit is 1 to {MAX_PAGE}", "invalid_cursor")
    with office.connection() as conn, conn.transaction():
        lane = lanes_store.touch(conn, cert_fingerprint, office.now())
        if lane is None:
            raise Forbidden("this certificate is not a lane's current one: enrol the till again", "unknown_lane")
        version = store.head(conn)
        # One more than asked: whether more is left for this lane (the head may be another store's).
        rows = store.after(conn, after, limit + 1, str(lane["store"]))
        more = len(rows) > limit
        rows = rows[:limit]
        references = store.references_after(conn, after) if rows else []
        named = _products_named(rows)
        if named:
            # Grids and offers name products that may come in a later page (changed since).
            references += store.products_after(conn, after, named)
            references.sort(key=lambda r: int(str(r["version"])))
    last = int(str(rows[-1]["version"])) if rows else after
    return {
        "after": after,
        "next": last,
        "version": version,
        "more": more,
        "references": references,
        "changes": rows,
    }
