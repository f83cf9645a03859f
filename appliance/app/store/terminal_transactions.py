"""Payments, refunds and reversals through the payment terminal (table terminal_transactions).

A row is written `pending` under OUR reference and committed before the terminal hears of
it; each send is stamped before it leaves; it is settled once, by the terminal's answer or
by its status(reference). `services/terminal_payments.py` holds the steps and the
transactions; these are its reads and writes, each guarded as the step needs.
"""

from __future__ import annotations

import json
from typing import Any

from appliance.app.store.db import Connection

# Still to be put right with the terminal: an unknown outcome, or a charge no sale took.
OPEN = ("pending", "unattached")

# What a terminal's answer may write (settle's `answer`).
ANSWER_COLUMNS = frozenset(
    {
        "approved_amount",
        "terminal_reference",
        "brand",
        "last_four",
        "card_token",
        "auth_code",
        "decline_reason",
        "customer_receipt",
        "merchant_receipt",
    }
)


def _row(found: Any) -> dict[str, Any] | None:
    if found is None:
        return None
    row = dict(found)
    row["customer_receipt"] = json.loads(row["customer_receipt"])
    row["merchant_receipt"] = json.loads(row["merchant_receipt"])
    return row


def by_reference(conn: Connection, reference: str) -> dict[str, Any] | None:
    return _row(conn.execute("SELECT * FROM terminal_transactions WHERE reference = ?", (reference,)).fetchone())


def by_id(conn: Connection, transaction_id: int) -> dict[str, Any] | None:
    return _row(conn.execute("SELECT * FROM terminal_transactions WHERE id = ?", (transaction_id,)).fetchone())


def insert(
    tx: Connection,
    *,
    kind: str,
    sale_id: int,
    user_id: int | None,
    reference: str,
    amount: int,
    currency: str,
    now: str,
    client_key: str | None = None,
    payment_id: int | None = None,
    refund_id: int | None = None,
    original_id: int | None = None,
) -> int:
    """Writes a pending transaction; its transaction commits before the terminal is called."""
    cur = tx.execute(
        "INSERT INTO terminal_transactions (kind, sale_id, user_id, reference, client_key, amount, currency,"
        " status, payment_id, refund_id, original_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
        (kind, sale_id, user_id, reference, client_key, amount, currency, payment_id, refund_id, original_id, now),
    )
    return int(cur.lastrowid)


def pending_payments_on_sale(conn: Connection, sale_id: int) -> list[dict[str, Any]]:
    """The sale's terminal payments whose outcome is still unknown, oldest first."""
    rows = conn.execute(
        "SELECT * FROM terminal_transactions WHERE sale_id = ? AND kind = 'payment' AND status = 'pending' ORDER BY id",
        (sale_id,),
    ).fetchall()
    return [r for r in (_row(row) for row in rows) if r is not None]


def open_transactions(conn: Connection) -> list[dict[str, Any]]:
    """Everything still to be put right with the terminal, oldest first (the resolver's round)."""
    rows = conn.execute(
        "SELECT * FROM terminal_transactions WHERE status IN ('pending', 'unattached') ORDER BY id"
    ).fetchall()
    return [r for r in (_row(row) for row in rows) if r is not None]


def open_references(conn: Connection) -> list[str]:
    rows = conn.execute("SELECT reference FROM terminal_transactions WHERE status IN ('pending', 'unattached')")
    return [str(row[0]) for row in rows.fetchall()]


def counts(conn: Connection) -> dict[str, int]:
    """How many wait for the terminal (pending, unattached) and for a manager (flagged)."""
    rows = conn.execute(
        "SELECT status, count(*) FROM terminal_transactions"
        " WHERE status IN ('pending', 'unattached') OR (status = 'flagged' AND NOT EXISTS (SELECT 1"
        " FROM terminal_decisions d WHERE d.transaction_id = terminal_transactions.id AND d.closes = 1))"
        " GROUP BY status"
    ).fetchall()
    return {str(row[0]): int(row[1]) for row in rows}


def flagged(conn: Connection) -> list[dict[str, Any]]:
    """What the terminal moved and the till could not put right, no manager has closed yet."""
    rows = conn.execute(
        # A flagged one a manager closed (kept, or sent again as a new one) waits for no one.
        "SELECT * FROM terminal_transactions WHERE status = 'flagged' AND NOT EXISTS (SELECT 1"
        " FROM terminal_decisions d WHERE d.transaction_id = terminal_transactions.id AND d.closes = 1)"
        " ORDER BY id"
    ).fetchall()
    return [r for r in (_row(row) for row in rows) if r is not None]


def sent_before(conn: Connection, cutoff: str) -> list[dict[str, Any]]:
    """Pending transactions last sent before `cutoff` whose outcome the terminal has not told
    (a Caisse-AP terminal that cannot say stays so): a manager may settle them."""
    rows = conn.execute(
        "SELECT * FROM terminal_transactions WHERE status = 'pending' AND sends > 0 AND last_sent_at < ? ORDER BY id",
        (cutoff,),
    ).fetchall()
    return [r for r in (_row(row) for row in rows) if r is not None]


def reopen_for_reversal(tx: Connection, transaction_id: int) -> bool:
    """A flagged charge a manager sends back to the card again: unattached, as the reversal's
    answer expects it. False when it is no longer flagged."""
    cur = tx.execute(
        "UPDATE terminal_transactions SET status = 'unattached' WHERE id = ? AND status = 'flagged'",
        (transaction_id,),
    )
    return bool(cur.rowcount == 1)


def attach(tx: Connection, transaction_id: int, *, sale_id: int, payment_id: int, now: str) -> bool:
    """A flagged charge a manager puts on another (open) sale: an approved payment of it."""
    cur = tx.execute(
        "UPDATE terminal_transactions SET status = 'approved', sale_id = ?, payment_id = ?, resolved_at = ?"
        " WHERE id = ? AND status = 'flagged' AND kind = 'payment'",
        (sale_id, payment_id, now, transaction_id),
    )
    return bool(cur.rowcount == 1)


def resends_of(conn: Connection, original_id: int, kind: str) -> int:
    """How many refunds or reversals of `original_id` there are (a resend's reference counts them)."""
    row = conn.execute(
        "SELECT count(*) FROM terminal_transactions WHERE original_id = ? AND kind = ?", (original_id, kind)
    ).fetchone()
    return int(row[0])


def insert_decision(
    tx: Connection,
    *,
    transaction_id: int,
    decision: str,
    sale_id: int | None,
    note: str,
    user_id: int,
    now: str,
    closes: bool,
    replaced_by: int | None = None,
) -> int:
    cur = tx.execute(
        "INSERT INTO terminal_decisions (transaction_id, decision, sale_id, note, user_id, decided_at, closes,"
        " replaced_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (transaction_id, decision, sale_id, note, user_id, now, int(closes), replaced_by),
    )
    return int(cur.lastrowid)


def latest_decision(conn: Connection, transaction_id: int) -> dict[str, Any] | None:
    """A transaction's last decision, with who made it (None: no manager decided on it)."""
    found = conn.execute(
        "SELECT d.*, u.username FROM terminal_decisions d JOIN users u ON u.id = d.user_id"
        " WHERE d.transaction_id = ? ORDER BY d.id DESC LIMIT 1",
        (transaction_id,),
    ).fetchone()
    return None if found is None else dict(found)


def mark_sent(tx: Connection, transaction_id: int, now: str) -> bool:
    """Stamps one more send on a pending transaction (committed before the request leaves);
    False when it is no longer pending (settled meanwhile: send nothing)."""
    cur = tx.execute(
        "UPDATE terminal_transactions SET sends = sends + 1, last_sent_at = ? WHERE id = ? AND status = 'pending'",
        (now, transaction_id),
    )
    return bool(cur.rowcount == 1)


def settle(
    tx: Connection,
    transaction_id: int,
    *,
    status: str,
    now: str,
    sends: int | None = None,
    answer: dict[str, Any] | None = None,
    payment_id: int | None = None,
) -> bool:
    """Settles a pending (or unattached) transaction with what the terminal answered; with
    `sends`, only if it was sent no more than that (a send since reopens the question).
    False when nothing changed."""
    fields = dict(answer or {})
    if not set(fields) <= ANSWER_COLUMNS:
        raise ValueError(f"not a terminal answer's column: {sorted(set(fields) - ANSWER_COLUMNS)}")
    for name in ("customer_receipt", "merchant_receipt"):
        if name in fields:
            fields[name] = json.dumps(list(fields[name]))
    if payment_id is not None:
        fields["payment_id"] = payment_id
    sets = "".join(f", {name} = ?" for name in fields)
    # The column names are ours (the answer's fields), never the caller's text.
    query = (
        f"UPDATE terminal_transactions SET status = ?, resolved_at = ?{sets}"  # noqa: S608
        " WHERE id = ? AND status IN ('pending', 'unattached')"
    )
    params: list[Any] = [status, now, *fields.values(), transaction_id]
    if sends is not None:
        query += " AND sends = ?"
        params.append(sends)
    return bool(tx.execute(query, params).rowcount == 1)


def reversal_of(conn: Connection, original_id: int) -> dict[str, Any] | None:
    """A charge's latest reversal (a manager may send one again after a refusal)."""
    return _row(
        conn.execute(
            "SELECT * FROM terminal_transactions WHERE original_id = ? AND kind = 'reversal' ORDER BY id DESC LIMIT 1",
            (original_id,),
        ).fetchone()
    )


def of_payment(conn: Connection, payment_id: int) -> dict[str, Any] | None:
    """The terminal payment a sale's payment row came from (None: not a terminal one)."""
    return _row(
        conn.execute(
            "SELECT * FROM terminal_transactions WHERE payment_id = ? AND kind = 'payment'", (payment_id,)
        ).fetchone()
    )


def queue_refunds(tx: Connection, refund_id: int, now: str) -> int:
    """Queues, inside the refund's own transaction, a terminal refund for each of its card
    tenders whose payment came through the terminal (to the same card, by its token); the
    number queued. The reference names the refund and the original payment."""
    cur = tx.execute(
        "INSERT OR IGNORE INTO terminal_transactions (kind, sale_id, user_id, reference, amount, currency,"
        " status, payment_id, refund_id, original_id, created_at)"
        " SELECT 'refund', o.sale_id, r.user_id, o.reference || '-refund-' || t.refund_id, t.amount, o.currency,"
        " 'pending', t.payment_id, t.refund_id, o.id, ?"
        " FROM refund_tenders t JOIN refunds r ON r.id = t.refund_id"
        " JOIN terminal_transactions o ON o.payment_id = t.payment_id AND o.kind = 'payment'"
        " WHERE t.refund_id = ? AND t.method = 'card' AND t.amount > 0",
        (now, refund_id),
    )
    return int(cur.rowcount)


def of_refund(conn: Connection, refund_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT * FROM terminal_transactions WHERE refund_id = ? AND kind = 'refund' ORDER BY id", (refund_id,)
    ).fetchall()
    return [r for r in (_row(row) for row in rows) if r is not None]


def receipt_lines(conn: Connection, sale_id: int) -> list[list[str]]:
    """The customer receipt lines of the sale's approved terminal payments, in order."""
    rows = conn.execute(
        "SELECT customer_receipt FROM terminal_transactions WHERE sale_id = ? AND kind = 'payment'"
        " AND status = 'approved' ORDER BY id",
        (sale_id,),
    ).fetchall()
    return [list(json.loads(row[0])) for row in rows]
