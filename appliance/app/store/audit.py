"""The audit log table. Appends only; the links are made by `services/audit_log.py` with the
chain of `appliance.security.audit`, which the store does not import."""

from __future__ import annotations

import json
from typing import Any

from appliance.app.store.db import Connection

# The entry now last (its number and link) and the table's AUTOINCREMENT sequence, which
# survives deletes: the next number is past both, so a number is never given twice.
_LAST = (
    "SELECT (SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), id, hash "
    "FROM audit_log ORDER BY id DESC LIMIT 1"
)
_SEQ = "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'), 0)"


def next_entry(conn: Connection) -> tuple[int, int, str | None]:
    """The number the next entry gets, and the number and link of the entry it follows (0 and
    None when the table holds none, yet or any longer: the sequence remembers)."""
    last = conn.execute(_LAST).fetchone()
    if last is not None:
        seq, prev_id, prev_link = int(last[0] or 0), int(last[1]), str(last[2])
    else:
        seq, prev_id, prev_link = int(conn.execute(_SEQ).fetchone()[0]), 0, None
    return max(seq, prev_id) + 1, prev_id, prev_link


def details_text(details: dict[str, Any]) -> str:
    """An entry's details as the row keeps them (and its link covers them): canonical JSON."""
    return json.dumps(details, sort_keys=True, separators=(",", ":"))


def insert(conn: Connection, entry: dict[str, Any], *, prev_link: str, link: str) -> None:
    """Writes the entry (id, at, actor, action, outcome, origin, object, details as text) with
    its link and the link of the entry it follows."""
    conn.execute(
        "INSERT INTO audit_log(id, at, actor, action, outcome, origin, object, details, prev_hash, hash) "
        "VALUES (:id, :at, :actor, :action, :outcome, :origin, :object, :details, :prev_hash, :hash)",
        {**entry, "prev_hash": prev_link, "hash": link},
    )


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
