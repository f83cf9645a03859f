"""The audit log table. Appends only; the chain itself is `appliance.security.audit`."""

from __future__ import annotations

import json
from typing import Any

from appliance.app.store.db import Connection
from appliance.security.audit import GENESIS, entry_hash


def append(
    conn: Connection,
    *,
    at: str,
    actor: str,
    action: str,
    outcome: str,
    origin: str,
    object: str,
    details: dict[str, Any],
) -> tuple[int, str]:
    last = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    prev_id, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    entry = {
        "id": prev_id + 1,
        "at": at,
        "actor": actor,
        "action": action,
        "outcome": outcome,
        "origin": origin,
        "object": object,
        "details": json.dumps(details, sort_keys=True, separators=(",", ":")),
    }
    digest = entry_hash(prev_hash, entry)
    conn.execute(
        "INSERT INTO audit_log(id, at, actor, action, outcome, origin, object, details, prev_hash, hash) "
        "VALUES (:id, :at, :actor, :action, :outcome, :origin, :object, :details, :prev_hash, :hash)",
        {**entry, "prev_hash": prev_hash, "hash": digest},
    )
    return prev_id + 1, digest


def entries(conn: Connection, after: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    sql = (
        "SELECT id, at, actor, action, outcome, origin, object, details, prev_hash, hash FROM audit_log "
        "WHERE id > ? ORDER BY id"
    )
    params: tuple[Any, ...] = (after,)
    if limit is not None:
        sql += " LIMIT ?"
        params = (after, limit)
    return [dict(r) for r in conn.execute(sql, params)]
