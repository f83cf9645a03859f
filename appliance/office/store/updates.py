"""The update channel's rows: releases, rings, each store's ring and pin, the mirror's URL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from appliance.office.store.db import Connection

DEFAULT_RING = "stores"  # a store the office never placed


def add_release(
    conn: Connection, version: str, bundle: str, url: str | None, sha256: str, size: int, at: dt.datetime, by: str
) -> bool:
    """False when the version is known already (a release is never changed: its sha256 is
    what every box checked)."""
    row = conn.execute(
        "INSERT INTO update_releases (version, bundle, url, sha256, size, added_at, added_by)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (version) DO NOTHING RETURNING version",
        (version, bundle, url, sha256, size, at, by),
    ).fetchone()
    return row is not None


def release(conn: Connection, version: str) -> dict[str, Any] | None:
    return conn.execute(
        "SELECT version, bundle, url, sha256, size, added_at, added_by FROM update_releases WHERE version = %s",
        (version,),
    ).fetchone()


def releases(conn: Connection) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT version, bundle, url, sha256, size, added_at, added_by FROM update_releases ORDER BY added_at, version"
    ).fetchall()


def set_ring(conn: Connection, name: str, version: str | None) -> None:
    conn.execute(
        "INSERT INTO update_rings (name, version) VALUES (%s, %s)"
        " ON CONFLICT (name) DO UPDATE SET version = excluded.version",
        (name, version),
    )


def rings(conn: Connection) -> list[dict[str, Any]]:
    return conn.execute("SELECT name, version FROM update_rings ORDER BY name").fetchall()


def ring_exists(conn: Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM update_rings WHERE name = %s", (name,)).fetchone() is not None


def place(conn: Connection, store: str, ring: str) -> None:
    conn.execute(
        "INSERT INTO update_stores (store, ring) VALUES (%s, %s)"
        " ON CONFLICT (store) DO UPDATE SET ring = excluded.ring",
        (store, ring),
    )


def pin(conn: Connection, store: str, version: str | None) -> None:
    conn.execute(
        "INSERT INTO update_stores (store, pinned) VALUES (%s, %s)"
        " ON CONFLICT (store) DO UPDATE SET pinned = excluded.pinned",
        (store, version),
    )


def stores(conn: Connection) -> dict[str, dict[str, Any]]:
    """Every store with its ring (the default when never placed), its ring's version and its pin."""
    rows = conn.execute(
        "SELECT s.name AS store, coalesce(u.ring, %s) AS ring, u.pinned, r.version AS ring_version"
        " FROM stores s LEFT JOIN update_stores u ON u.store = s.name"
        " LEFT JOIN update_rings r ON r.name = coalesce(u.ring, %s)",
        (DEFAULT_RING, DEFAULT_RING),
    ).fetchall()
    return {str(r["store"]): r for r in rows}


def mirror_url(conn: Connection) -> str | None:
    row = conn.execute("SELECT mirror_url FROM update_source WHERE id = 1").fetchone()
    return str(row["mirror_url"]) if row and row["mirror_url"] else None


def set_mirror_url(conn: Connection, url: str | None) -> None:
    conn.execute("UPDATE update_source SET mirror_url = %s WHERE id = 1", (url,))


def last_update_events(conn: Connection) -> dict[tuple[str, str], dict[str, Any]]:
    """Each lane's newest update event (update_installed, update_refused…)."""
    rows = conn.execute(
        "SELECT DISTINCT ON (store, till) store, till, seq, at, kind, body FROM lane_events"
        " WHERE kind LIKE 'update\\_%%' ORDER BY store, till, seq DESC"
    ).fetchall()
    return {(str(r["store"]), str(r["till"])): r for r in rows}
