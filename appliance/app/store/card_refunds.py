"""Card refunds waiting to go back through the acquirer (table card_refunds).

A refund's card tenders are queued here inside the refund's own transaction, so that a
refund on the books always has what sends it; `card_payments.send_card_refunds` sends the
pending rows, each under a key of the refund and the payment (sent twice, refunded once).
"""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection


def queue(tx: Connection, refund_id: int, now: str) -> int:
    """Queues the refund's card tenders (refund_tenders with method card); the number queued.

    The key names the authorisation too: refund 1 of payment 1 exists in every store, and
    the acquirer sees the keys of all the tills of a merchant."""
    cur = tx.execute(
        "INSERT OR IGNORE INTO card_refunds (refund_id, payment_id, amount, idempotency_key,"
        " status, created_at) SELECT t.refund_id, t.payment_id, t.amount,"
        " 'cmp-refund-' || t.refund_id || '-' || t.payment_id || '-' || p.reference, 'pending', ?"
        " FROM refund_tenders t JOIN payments p ON p.id = t.payment_id"
        " WHERE t.refund_id = ? AND t.method = 'card'"
        # A card the payment terminal took goes back through it (terminal_transactions).
        " AND NOT EXISTS (SELECT 1 FROM terminal_transactions o WHERE o.payment_id = t.payment_id)",
        (now, refund_id),
    )
    return int(cur.rowcount)


def pending_refunds(conn: Connection) -> list[int]:
    """The refunds with a card tender not yet confirmed by the acquirer, oldest first."""
    rows = conn.execute("SELECT DISTINCT refund_id FROM card_refunds WHERE status = 'pending' ORDER BY refund_id")
    return [int(row[0]) for row in rows.fetchall()]


def refund_exists(conn: Connection, refund_id: int) -> bool:
    """Whether the refund is on the books (its card tenders are sent only then)."""
    return conn.execute("SELECT 1 FROM refunds WHERE id = ?", (refund_id,)).fetchone() is not None


def of_refund(conn: Connection, refund_id: int) -> list[dict[str, Any]]:
    """The refund's card tenders, each with the reference of the authorisation it goes back
    through (`reference`), in payment order."""
    rows = conn.execute(
        "SELECT c.*, p.reference FROM card_refunds c JOIN payments p ON p.id = c.payment_id"
        " WHERE c.refund_id = ? ORDER BY c.payment_id",
        (refund_id,),
    ).fetchall()
    return [dict(row) for row in rows]


def record_answer(
    tx: Connection,
    refund_id: int,
    payment_id: int,
    *,
    status: str,
    gateway_ref: str | None,
    last_error: str | None,
    resolved_at: str | None,
) -> None:
    """What the acquirer answered a card refund: `refunded`, `failed` (refused), or still
    `pending` with the error that left it so (sent again later under the same key). Only a
    pending row changes: one settled meanwhile (another sender got there first) keeps its
    answer."""
    tx.execute(
        "UPDATE card_refunds SET status = ?, gateway_ref = ?, last_error = ?,"
        " resolved_at = ? WHERE refund_id = ? AND payment_id = ? AND status = 'pending'",
        (status, gateway_ref, last_error, resolved_at, refund_id, payment_id),
    )


def anything_pending(conn: Connection) -> bool:
    """Whether a card refund still waits for the acquirer."""
    return bool(conn.execute("SELECT 1 FROM card_refunds WHERE status = 'pending' LIMIT 1").fetchone())


def pending_keys(conn: Connection) -> list[str]:
    """The keys of the card refunds still waiting for the acquirer."""
    rows = conn.execute("SELECT idempotency_key FROM card_refunds WHERE status = 'pending'").fetchall()
    return [str(row[0]) for row in rows]
