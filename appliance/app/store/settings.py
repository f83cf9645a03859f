"""Store-wide settings and tax classes, kept in the encrypted store."""

from __future__ import annotations

import json
from typing import Any

from appliance.app.domain.tax import Tax, TaxClass
from appliance.app.store.db import Connection


def get_all(conn: Connection) -> dict[str, Any]:
    return {row["key"]: json.loads(row["value"]) for row in conn.execute("SELECT key, value FROM settings")}


def put(conn: Connection, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


def tax_classes(conn: Connection) -> dict[str, TaxClass]:
    taxes: dict[str, list[Tax]] = {}
    for row in conn.execute("SELECT tax_class, name, rate FROM taxes ORDER BY tax_class, position, id"):
        taxes.setdefault(row["tax_class"], []).append(Tax(row["name"], row["rate"]))
    return {
        row["code"]: TaxClass(row["code"], row["name"], tuple(taxes.get(row["code"], ())))
        for row in conn.execute("SELECT code, name FROM tax_classes")
    }


def put_tax_class(conn: Connection, tax_class: TaxClass) -> None:
    conn.execute(
        "INSERT INTO tax_classes(code, name) VALUES (?, ?) ON CONFLICT(code) DO UPDATE SET name = excluded.name",
        (tax_class.code, tax_class.name),
    )
    conn.execute("DELETE FROM taxes WHERE tax_class = ?", (tax_class.code,))
    for position, tax in enumerate(tax_class.taxes):
        conn.execute(
            "INSERT INTO taxes(tax_class, name, rate, position) VALUES (?, ?, ?, ?)",
            (tax_class.code, tax.name, tax.rate, position),
        )
