"""The chain's stores."""

from __future__ import annotations

import datetime as dt

from appliance.office.store.db import Connection


def add_if_missing(conn: Connection, name: str, at: dt.datetime) -> bool:
    """True when the store is new."""
    cur = conn.execute("INSERT INTO stores (name, created_at) VALUES (%s, %s) ON CONFLICT DO NOTHING", (name, at))
    return cur.rowcount == 1


def all_stores(conn: Connection) -> list[str]:
    return [str(r["name"]) for r in conn.execute("SELECT name FROM stores ORDER BY name").fetchall()]
