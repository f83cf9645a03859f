"""Card tokens (table card_tokens): one row per card, with the number sealed under a data key.

These functions hold the table's SQL and nothing of its cryptography: the number comes in
and goes out sealed (nonce, ciphertext) and the card is found by its keyed fingerprint;
sealing, opening, and the rule of when a number may be forgotten are the vault's
(`security/vault.py`), which is handed this module as its `TokenRows`. What a card
payment's answer shows of its card (`last_four`) needs no key.
"""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection


def last_four(conn: Connection, token: str) -> str:
    """The last four digits of the card behind a token."""
    row = conn.execute("SELECT last_four FROM card_tokens WHERE token = ?", (token,))
    return str(row.fetchone()[0])


def by_fingerprint(conn: Connection, fingerprint: bytes) -> Any:
    """The token row (token, brand, last_four, exp_month, exp_year) of the card with this
    fingerprint, or None; a forgotten number has no fingerprint left and is never found."""
    return conn.execute(
        "SELECT token, brand, last_four, exp_month, exp_year FROM card_tokens WHERE fingerprint = ?",
        (fingerprint,),
    ).fetchone()


def by_token(conn: Connection, token: str) -> Any:
    """The token row (token, brand, last_four, exp_month, exp_year), or None."""
    return conn.execute(
        "SELECT token, brand, last_four, exp_month, exp_year FROM card_tokens WHERE token = ?",
        (token,),
    ).fetchone()


def sealed(conn: Connection, token: str) -> Any:
    """What opens to the number (data_key_id, nonce, ciphertext; None once forgotten), with
    exp_month, exp_year and last_four; None for no such token."""
    return conn.execute(
        "SELECT data_key_id, nonce, ciphertext, exp_month, exp_year, last_four FROM card_tokens WHERE token = ?",
        (token,),
    ).fetchone()


def insert(
    tx: Connection,
    *,
    token: str,
    data_key_id: int,
    nonce: bytes,
    ciphertext: bytes,
    fingerprint: bytes,
    brand: str,
    last_four: str,
    exp_month: int,
    exp_year: int,
    at: str,
) -> None:
    """A new card: its number sealed, and what a receipt may show."""
    tx.execute(
        "INSERT INTO card_tokens (token, data_key_id, nonce, ciphertext, fingerprint,"
        " brand, last_four, exp_month, exp_year, created_at, last_used_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (token, data_key_id, nonce, ciphertext, fingerprint, brand, last_four, exp_month, exp_year, at, at),
    )


def seen_again(tx: Connection, token: str, *, exp_month: int, exp_year: int, at: str) -> None:
    """A known card presented again: the expiry it now shows (a reissued card keeps its
    number) and when it was last used."""
    tx.execute(
        "UPDATE card_tokens SET exp_month = ?, exp_year = ?, last_used_at = ? WHERE token = ?",
        (exp_month, exp_year, at, token),
    )


def held(conn: Connection) -> list[str]:
    """Tokens whose number is still kept, in token order."""
    rows = conn.execute("SELECT token FROM card_tokens WHERE ciphertext IS NOT NULL ORDER BY token")
    return [str(r[0]) for r in rows.fetchall()]


def count_held(conn: Connection) -> int:
    """How many numbers are still kept."""
    return int(conn.execute("SELECT count(*) FROM card_tokens WHERE ciphertext IS NOT NULL").fetchone()[0])


# The statuses are those of the vault's SETTLED and NEVER_KEPT (a test holds them equal).
_HELD_AND_SETTLED = (
    "SELECT t.token FROM card_tokens t WHERE t.ciphertext IS NOT NULL"
    " AND NOT EXISTS (SELECT 1 FROM payment_attempts a WHERE a.token = t.token"
    " AND a.status NOT IN ('approved', 'declined', 'voided', 'failed'))"
)
_NOT_KEPT = (
    " AND NOT EXISTS (SELECT 1 FROM payment_attempts a WHERE a.token = t.token"
    " AND a.status <> 'declined' AND coalesce(a.resolved_at, a.created_at) > ?)"
)


def held_and_settled(conn: Connection, *, kept_since: str | None) -> list[str]:
    """Tokens whose number is kept though every attempt on it is settled, none of those that
    may be kept (all but declined) settled after `kept_since` (None keeps nothing)."""
    query = _HELD_AND_SETTLED if kept_since is None else _HELD_AND_SETTLED + _NOT_KEPT
    params: tuple[str, ...] = () if kept_since is None else (kept_since,)
    return [str(r[0]) for r in conn.execute(query, params).fetchall()]


def erase_number(tx: Connection, token: str, *, at: str) -> None:
    """The number goes (ciphertext, nonce, fingerprint, its data key); the row stays with
    what a receipt may show, and when the number went."""
    tx.execute(
        "UPDATE card_tokens SET ciphertext = NULL, nonce = NULL, fingerprint = NULL,"
        " data_key_id = NULL, forgotten_at = ? WHERE token = ?",
        (at, token),
    )
