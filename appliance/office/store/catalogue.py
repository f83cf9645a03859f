"""The chain's catalogue at the office (migration 0003): each tax class, category and product
as it is now, stamped with the version of its last change, and the counter of versions."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from appliance.office.store.db import Connection

# Applied in this order within a change: what a product names before it, a product before its prices.
KINDS = (
    "tax_class",
    "category",
    "product",
    "price",
    "staff",
    "store_rules",
    "item_grid",
    "promotion",
    "customer_erased",
)


@dataclass(frozen=True)
class Change:
    kind: str
    key: str
    body: dict[str, Any]
    removed: bool = False
    store: str | None = None  # only that store's lanes get it; None: every lane


def lock_head(conn: Connection) -> int:
    """The last version given, with the counter's row locked until the transaction ends: the
    next writer waits, so versions commit in the order they are given."""
    row = conn.execute("SELECT version FROM catalogue_head FOR UPDATE").fetchone()
    assert row is not None, "migration 0003 makes the counter's one row"
    return int(str(row["version"]))


def head(conn: Connection) -> int:
    row = conn.execute("SELECT version FROM catalogue_head").fetchone()
    return int(str(row["version"])) if row else 0


def current(conn: Connection, kind: str, keys: Sequence[str] | None = None) -> dict[str, tuple[dict[str, Any], bool]]:
    """The rows of `kind` (only `keys` when given): key → (body, removed)."""
    if keys is None:
        rows = conn.execute("SELECT key, body, removed FROM catalogue WHERE kind = %s", (kind,)).fetchall()
    else:
        rows = conn.execute(
            "SELECT key, body, removed FROM catalogue WHERE kind = %s AND key = ANY(%s)", (kind, list(keys))
        ).fetchall()
    return {str(r["key"]): (_body(r["body"]), bool(r["removed"])) for r in rows}


def _body(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(str(value))


def write(conn: Connection, changes: Sequence[Change], first_version: int, at: dt.datetime, by: str) -> None:
    """Upserts `changes`, the i-th stamped `first_version + i` (the caller holds the counter's
    lock and moves it with `set_head`). COPY, then one statement: a 100,000-product change
    is one round trip of rows, not 100,000."""
    conn.execute(
        "CREATE TEMP TABLE incoming (kind text, key text, body jsonb, removed boolean, version bigint, store text)"
        " ON COMMIT DROP"
    )
    with conn.cursor().copy("COPY incoming (kind, key, body, removed, version, store) FROM STDIN") as copy:
        for offset, change in enumerate(changes):
            copy.write_row(
                (
                    change.kind,
                    change.key,
                    json.dumps(change.body, sort_keys=True),
                    change.removed,
                    first_version + offset,
                    change.store,
                )
            )
    conn.execute(
        "INSERT INTO catalogue (kind, key, body, removed, version, changed_at, changed_by, store)"
        " SELECT kind, key, body, removed, version, %s, %s, store FROM incoming"
        " ON CONFLICT (kind, key) DO UPDATE SET body = excluded.body, removed = excluded.removed,"
        " version = excluded.version, changed_at = excluded.changed_at, changed_by = excluded.changed_by",
        (at, by),
    )
    # A product's barcodes, kept apart so that one barcode belongs to one product.
    conn.execute("DELETE FROM catalogue_barcodes WHERE sku IN (SELECT key FROM incoming WHERE kind = 'product')")
    conn.execute(
        "INSERT INTO catalogue_barcodes (code, sku)"
        " SELECT jsonb_array_elements_text(body -> 'barcodes'), key FROM incoming"
        " WHERE kind = 'product' AND NOT removed"
    )
    conn.execute("DROP TABLE incoming")


def set_head(conn: Connection, version: int) -> None:
    conn.execute("UPDATE catalogue_head SET version = %s", (version,))


def barcode_owners(conn: Connection, codes: Iterable[str]) -> dict[str, str]:
    """code → the sku of the chain's product that has it."""
    rows = conn.execute("SELECT code, sku FROM catalogue_barcodes WHERE code = ANY(%s)", (list(codes),)).fetchall()
    return {str(r["code"]): str(r["sku"]) for r in rows}


def _rows(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [
        {
            "version": int(str(r["version"])),
            "kind": r["kind"],
            "key": r["key"],
            "removed": bool(r["removed"]),
            "body": _body(r["body"]),
        }
        for r in rows
    ]


def after(conn: Connection, version: int, limit: int, store: str | None = None) -> list[dict[str, object]]:
    """The rows changed after `version` for the lanes of `store` (the chain's and that store's
    own), oldest change first, at most `limit`."""
    return _rows(
        conn.execute(
            "SELECT version, kind, key, removed, body FROM catalogue WHERE version > %s"
            " AND (store IS NULL OR store = %s) ORDER BY version LIMIT %s",
            (version, store, limit),
        ).fetchall()
    )


def references_after(conn: Connection, version: int) -> list[dict[str, object]]:
    """Every tax class and category changed after `version` (a chain has tens of them)."""
    return _rows(
        conn.execute(
            "SELECT version, kind, key, removed, body FROM catalogue"
            " WHERE version > %s AND kind IN ('tax_class', 'category') ORDER BY version",
            (version,),
        ).fetchall()
    )


def products_after(conn: Connection, version: int, skus: Sequence[str]) -> list[dict[str, object]]:
    """The products of `skus` changed after `version` (what a page's grids and offers name)."""
    return _rows(
        conn.execute(
            "SELECT version, kind, key, removed, body FROM catalogue"
            " WHERE version > %s AND kind = 'product' AND key = ANY(%s) ORDER BY version",
            (version, list(skus)),
        ).fetchall()
    )


def counts(conn: Connection) -> dict[str, int]:
    rows = conn.execute("SELECT kind, count(*) FILTER (WHERE NOT removed) AS n FROM catalogue GROUP BY kind").fetchall()
    return {str(r["kind"]): int(str(r["n"])) for r in rows}


def products(conn: Connection, text: str = "", limit: int = 200) -> list[dict[str, object]]:
    """The chain's products whose sku, name or a barcode holds `text`, by sku (the back office's list)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return conn.execute(
        "SELECT key AS sku, body, removed, version, changed_at, changed_by FROM catalogue"
        " WHERE kind = 'product' AND (%s = '' OR key ILIKE %s OR body->>'name' ILIKE %s"
        "  OR EXISTS (SELECT 1 FROM catalogue_barcodes b WHERE b.sku = catalogue.key AND b.code LIKE %s))"
        " ORDER BY key LIMIT %s",
        (text, pattern, pattern, pattern, limit),
    ).fetchall()
