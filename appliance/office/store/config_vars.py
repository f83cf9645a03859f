"""Each store's (and till's) inventory variables, as the pulled configuration carries them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from psycopg.types.json import Jsonb

from appliance.office.store.db import Connection


def put(conn: Connection, store: str, till: str, values: dict[str, Any], at: dt.datetime, by: str) -> None:
    conn.execute(
        "INSERT INTO config_vars (store, till, vars, set_at, set_by) VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (store, till) DO UPDATE SET vars = excluded.vars, set_at = excluded.set_at,"
        " set_by = excluded.set_by",
        (store, till, Jsonb(values), at, by),
    )


def of_lane(conn: Connection, store: str, till: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The store's variables and the till's own ({} where none were set)."""
    rows: list[dict[str, Any]] = conn.execute(
        "SELECT till, vars FROM config_vars WHERE store = %s AND till IN ('', %s)", (store, till)
    ).fetchall()
    held: dict[str, dict[str, Any]] = {str(r["till"]): dict(r["vars"]) for r in rows}
    return held.get("", {}), held.get(till, {})


def listing(conn: Connection) -> list[dict[str, Any]]:
    return conn.execute("SELECT store, till, vars, set_at, set_by FROM config_vars ORDER BY store, till").fetchall()
