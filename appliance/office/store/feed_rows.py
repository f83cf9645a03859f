"""What the office's feed carries beyond the catalogue proper (migration 0010): prices from a
date, staff and store rules, kept in the catalogue's table under their own kinds."""

from __future__ import annotations

import json
from typing import Any

from appliance.office.store.db import Connection


def store_exists(conn: Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM stores WHERE name = %s", (name,)).fetchone() is not None


def rows(conn: Connection, kind: str, *, store: str | None = None, prefix: str = "") -> list[dict[str, Any]]:
    """The live rows of `kind` (of `store` only, when given) whose key starts with `prefix`."""
    found = conn.execute(
        "SELECT key, store, body, version, changed_at, changed_by FROM catalogue"
        " WHERE kind = %s AND NOT removed AND (%s::text IS NULL OR store = %s) AND starts_with(key, %s)"
        " ORDER BY key",
        (kind, store, store, prefix),
    ).fetchall()
    return [{**r, "body": r["body"] if isinstance(r["body"], dict) else json.loads(str(r["body"]))} for r in found]


def started_chain_prices(conn: Connection, skus: list[str], at: str) -> list[tuple[str, dict[str, Any]]]:
    """The chain's prices of `skus` from a date that have started by `at`: (key, body)."""
    found = conn.execute(
        "SELECT key, body FROM catalogue WHERE kind = 'price' AND store IS NULL AND NOT removed"
        " AND body ->> 'sku' = ANY(%s) AND body ->> 'from' <= %s",
        (skus, at),
    ).fetchall()
    return [(str(r["key"]), r["body"] if isinstance(r["body"], dict) else json.loads(str(r["body"]))) for r in found]
