"""The card vault's keys (table vault_keys): data keys and the fingerprint key, each kept
only wrapped by the vault's key-encryption key, which never enters the store.

These functions hold the table's SQL; wrapping, unwrapping and which key is used when are
the vault's (`security/vault.py`), which is handed this module as its `KeyRows`.
"""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection


def count(conn: Connection) -> int:
    """How many keys the vault has (none before its first use)."""
    return int(conn.execute("SELECT count(*) FROM vault_keys").fetchone()[0])


def all_keys(conn: Connection) -> list[Any]:
    """Every key row (id, purpose, wrapped, kek_id, active), by id."""
    return list(conn.execute("SELECT id, purpose, wrapped, kek_id, active FROM vault_keys ORDER BY id").fetchall())


def next_id(tx: Connection) -> int:
    """The id the next key gets: it is part of what the key is wrapped with, so it is known
    before the row is written."""
    return int(tx.execute("SELECT coalesce(max(id), 0) + 1 FROM vault_keys").fetchone()[0])


def insert(tx: Connection, *, key_id: int, purpose: str, wrapped: bytes, kek_id: str, at: str) -> None:
    """A new active key of this purpose, wrapped by the KEK named kek_id."""
    tx.execute(
        "INSERT INTO vault_keys (id, purpose, wrapped, kek_id, active, created_at, wrapped_at)"
        " VALUES (?, ?, ?, ?, 1, ?, ?)",
        (key_id, purpose, wrapped, kek_id, at, at),
    )


def rewrap(tx: Connection, key_id: int, *, wrapped: bytes, kek_id: str, at: str) -> None:
    """The same key, wrapped anew by another KEK (a rotation)."""
    tx.execute(
        "UPDATE vault_keys SET wrapped = ?, kek_id = ?, wrapped_at = ? WHERE id = ?",
        (wrapped, kek_id, at, key_id),
    )


def retire_data_keys(tx: Connection) -> None:
    """No data key is written under any more (until a new one is inserted): the old ones
    stay, to open the numbers already sealed under them."""
    tx.execute("UPDATE vault_keys SET active = 0 WHERE purpose = 'data'")


def retired_and_unused(tx: Connection) -> list[int]:
    """Retired data keys with no number left under them: they protect nothing any more."""
    rows = tx.execute(
        "SELECT id FROM vault_keys WHERE purpose = 'data' AND active = 0 AND NOT EXISTS"
        " (SELECT 1 FROM card_tokens t WHERE t.data_key_id = vault_keys.id)"
    ).fetchall()
    return [int(r[0]) for r in rows]


def delete(tx: Connection, key_id: int) -> None:
    tx.execute("DELETE FROM vault_keys WHERE id = ?", (key_id,))
