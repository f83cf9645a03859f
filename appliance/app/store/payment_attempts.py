"""Card payment attempts (table payment_attempts): what was sent to the acquirer, and what
it answered.

An attempt is written `pending`, under the idempotency key the acquirer sees, and committed
before the gateway is called; each send is stamped on it (sends, first_sent_at,
last_sent_at); it is settled only once: `approved` (its tender on the sale), `declined`,
`failed` (nothing was charged), or `voided` (approved, but its sale could no longer take
it: the approval is released at the acquirer, void_sent_at once it answered).
`services/card_payments.py` holds the steps and the transactions; these are its writes,
each guarded as the step needs.
"""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection


def by_key(conn: Connection, key: str) -> dict[str, Any] | None:
    """The attempt made under this idempotency key (the key the acquirer sees)."""
    row = conn.execute("SELECT * FROM payment_attempts WHERE idempotency_key = ?", (key,))
    found = row.fetchone()
    return dict(found) if found else None


def insert(
    tx: Connection,
    *,
    sale_id: int,
    user_id: int,
    key: str,
    client_key: str | None,
    token: str,
    amount: int,
    currency: str,
    now: str,
) -> int:
    """Writes a pending attempt; its transaction commits before the gateway is called, so
    that whatever happens next the attempt says what to look up."""
    cur = tx.execute(
        "INSERT INTO payment_attempts (sale_id, user_id, idempotency_key, client_key,"
        " token, amount, currency, status, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
        (sale_id, user_id, key, client_key, token, amount, currency, now),
    )
    return int(cur.lastrowid)


def sent_pending_on_sale(conn: Connection, sale_id: int) -> list[dict[str, Any]]:
    """The sale's pending attempts that were sent at least once (the acquirer may have
    charged them), oldest first."""
    rows = conn.execute(
        "SELECT * FROM payment_attempts WHERE sale_id = ? AND status = 'pending' AND sends > 0 ORDER BY id",
        (sale_id,),
    ).fetchall()
    return [dict(row) for row in rows]


def mark_sent(tx: Connection, attempt_id: int, now: str) -> bool:
    """Stamps one more send on a pending attempt (committed before the request leaves);
    False when it is no longer pending (settled meanwhile: send nothing)."""
    cur = tx.execute(
        "UPDATE payment_attempts SET sends = sends + 1, first_sent_at = coalesce(first_sent_at, ?),"
        " last_sent_at = ? WHERE id = ? AND status = 'pending'",
        (now, now, attempt_id),
    )
    return bool(cur.rowcount == 1)


def fail(tx: Connection, attempt_id: int, *, sends: int, decline_code: str, now: str) -> bool:
    """Fails a pending attempt (nothing was charged) only if it was sent no more than `sends`
    times: a send since the caller read it may have reached the acquirer, and reopens the
    question. False when it was settled or sent again meanwhile (nothing changed)."""
    cur = tx.execute(
        "UPDATE payment_attempts SET status = 'failed', resolved_at = ?, decline_code = ?"
        " WHERE id = ? AND status = 'pending' AND sends = ?",
        (now, decline_code, attempt_id, sends),
    )
    return bool(cur.rowcount == 1)


def record_decline(
    tx: Connection, attempt_id: int, *, reference: str | None, decline_code: str | None, now: str
) -> None:
    """The acquirer declined the attempt. The caller read it pending in this same
    transaction (which holds the write lock), hence no status guard here."""
    tx.execute(
        "UPDATE payment_attempts SET status = 'declined', gateway_ref = ?,"
        " decline_code = ?, resolved_at = ? WHERE id = ?",
        (reference, decline_code, now, attempt_id),
    )


def record_approval(
    tx: Connection,
    attempt_id: int,
    *,
    status: str,
    reference: str | None,
    approved_amount: int | None,
    auth_code: str | None,
    payment_id: int | None,
    now: str,
) -> None:
    """The acquirer approved the attempt: `approved` with the payment it became on the sale,
    or `voided` (no payment) when the sale could no longer take it and the approval is to be
    released. The caller read it pending in this same transaction, hence no status guard."""
    tx.execute(
        "UPDATE payment_attempts SET status = ?, gateway_ref = ?, approved_amount = ?,"
        " auth_code = ?, payment_id = ?, resolved_at = ? WHERE id = ?",
        (status, reference, approved_amount, auth_code, payment_id, now, attempt_id),
    )


def pending(conn: Connection, older_than: str | None = None) -> list[dict[str, Any]]:
    """Every attempt still waiting for the acquirer's answer (created before `older_than`
    when given), oldest first: what the resolver looks up."""
    query = "SELECT * FROM payment_attempts WHERE status = 'pending'"
    params: tuple[Any, ...] = ()
    if older_than is not None:
        query += " AND created_at < ?"
        params = (older_than,)
    return [dict(row) for row in conn.execute(query + " ORDER BY id", params).fetchall()]


def unsent_voids(conn: Connection) -> list[dict[str, Any]]:
    """Voided attempts whose release the acquirer has not answered yet: sent again until it
    does (voiding twice is harmless)."""
    rows = conn.execute("SELECT * FROM payment_attempts WHERE status = 'voided' AND void_sent_at IS NULL")
    return [dict(row) for row in rows.fetchall()]


def mark_void_sent(tx: Connection, attempt_id: int, now: str) -> None:
    """The acquirer answered the void: it is never sent again."""
    tx.execute("UPDATE payment_attempts SET void_sent_at = ? WHERE id = ?", (now, attempt_id))


# What still waits for the acquirer: a pending attempt, or a void it has not answered.
WAITING = (
    "SELECT idempotency_key FROM payment_attempts"
    " WHERE status = 'pending' OR (status = 'voided' AND void_sent_at IS NULL)"
)


def anything_waiting(conn: Connection) -> bool:
    """Whether an attempt or a void still waits for the acquirer."""
    return bool(conn.execute(WAITING + " LIMIT 1").fetchone())


def waiting_keys(conn: Connection) -> list[str]:
    """The keys of the attempts and voids still waiting for the acquirer (the resolver backs
    off while the same ones keep waiting)."""
    return [str(row[0]) for row in conn.execute(WAITING).fetchall()]
