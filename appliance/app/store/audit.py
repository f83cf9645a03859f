"""The audit log table. Appends only; the chain itself is `appliance.security.audit`."""

from __future__ import annotations

import json
from typing import Any

from appliance.app.store.db import Connection
from appliance.security.audit import GENESIS, entry_mac

# The entry now last (its number and link) and the table's AUTOINCREMENT sequence, which
# survives deletes: the next number is past both, so a number is never given twice.
_LAST = (
    "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), id, hash "
    "FROM audit_log ORDER BY id DESC LIMIT 1"
)
_SEQ = "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0)"


def append(
    conn: Connection,
    *,
    key: bytes,
    at: str,
    actor: str,
    action: str,
    outcome: str,
    origin: str,
    object: str,
    details: dict[str, Any],
) -> tuple[int, str, int, str]:
    """Writes one entry linked with the audit key; returns its number and link, and the number
    and link of the entry it follows (0 and GENESIS for the first)."""
    last = conn.execute(_LAST).fetchone()
    if last is not None:
        seq, prev_id, prev_link = int(last[0] or 0), int(last[1]), str(last[2])
    else:  # no entry (yet, or any longer: the sequence remembers)
        seq, prev_id, prev_link = int(conn.execute(_SEQ).fetchone()[0]), 0, GENESIS
    entry_id = max(seq, prev_id) + 1
    entry = {
        "id": entry_id,
        "at": at,
        "actor": actor,
        "action": action,
        "outcome": outcome,
        "origin": origin,
        "object": object,
        "details": json.dumps(details, sort_keys=True, separators=(",", ":")),
    }
    link = entry_mac(key, prev_link, entry)
    conn.execute(
        "INSERT INTO audit_log(id, at, actor, action, outcome, origin, object, details, prev_hash, hash) "
        "VALUES (:id, :at, :actor, :action, :outcome, :origin, :object, :details, :prev_hash, :hash)",
        {**entry, "prev_hash": prev_link, "hash": link},
    )
    return entry_id, link, prev_id, prev_link


def keyed_from(conn: Connection) -> int:
    """The first entry number whose link is keyed (migration 0017). Without its row, every
    link is held to be keyed: the strictest reading, so old plain links show as changed."""
    row = conn.execute("SELECT keyed_from FROM audit_chain WHERE id = 1").fetchone()
    return int(row[0]) if row else 1


def highest_number(conn: Connection) -> int:
    """The highest entry number ever given: the last entry's, or the sequence's if higher
    (entries were removed from the end)."""
    row = conn.execute(
        "SELECT max(coalesce((SELECT max(id) FROM audit_log), 0), "
        "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0))"
    ).fetchone()
    return int(row[0])


def link_of(conn: Connection, entry_id: int) -> str | None:
    row = conn.execute("SELECT hash FROM audit_log WHERE id = ?", (entry_id,)).fetchone()
    return str(row[0]) if row else None


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
