"""Card refunds waiting to go back through the acquirer (table card_refunds).

A refund's card tenders are queued here inside the refund's own transaction, so that a
refund on the books always has what sends it; `card_payments.send_card_refunds` sends the
pending rows, each under a key of the refund and the payment (sent twice, refunded once).
"""

from __future__ import annotations

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
        " WHERE t.refund_id = ? AND t.method = 'card'",
        (now, refund_id),
    )
    return int(cur.rowcount)


def pending_refunds(conn: Connection) -> list[int]:
    """The refunds with a card tender not yet confirmed by the acquirer, oldest first."""
    rows = conn.execute("SELECT DISTINCT refund_id FROM card_refunds WHERE status = 'pending' ORDER BY refund_id")
    return [int(row[0]) for row in rows.fetchall()]
