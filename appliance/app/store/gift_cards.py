"""Gift cards' rows: the cards, their ledger (`gift_card_entries`: every change to a balance,
with the balance after it), and the cards a sale carries until it completes
(`gift_card_pending`)."""

from __future__ import annotations

from typing import Any

from appliance.app.store.db import Connection


def add_entry(
    conn: Connection,
    card_id: int,
    kind: str,
    amount: int,
    balance: int,
    at: str,
    *,
    sale_id: int | None = None,
    user_id: int | None = None,
) -> None:
    """One line of a card's ledger: `amount` changed it (negative: taken off), `balance` is after."""
    conn.execute(
        "INSERT INTO gift_card_entries(card_id, kind, amount, balance, sale_id, user_id, at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (card_id, kind, amount, balance, sale_id, user_id, at),
    )


def credit(conn: Connection, card_id: int, amount: int) -> int:
    """Adds `amount` to a card's balance; answers the balance after."""
    conn.execute("UPDATE gift_cards SET balance = balance + ? WHERE id = ?", (amount, card_id))
    return balance(conn, card_id)


def balance(conn: Connection, card_id: int) -> int:
    return int(conn.execute("SELECT balance FROM gift_cards WHERE id = ?", (card_id,)).fetchone()[0])


def activate_with(conn: Connection, card_id: int, amount: int, now: str) -> None:
    """A new card made live holding `amount` (store credit), with no expiry."""
    conn.execute(
        "UPDATE gift_cards SET status = 'active', balance = ?, activated_at = ? WHERE id = ?", (amount, now, card_id)
    )


def card_of_payment(conn: Connection, sale_id: int, payment_id: int) -> int | None:
    """The card a gift card payment of the sale debited. Each such payment debited its card
    in its own transaction, in order: the n-th gift card payment of the sale is its n-th
    redemption."""
    row: Any = conn.execute(
        "SELECT card_id FROM gift_card_entries WHERE sale_id = ? AND kind = 'redeem' ORDER BY id LIMIT 1 OFFSET "
        "(SELECT count(*) FROM payments WHERE sale_id = ? AND method = 'gift_card' AND id < ?)",
        (sale_id, sale_id, payment_id),
    ).fetchone()
    return int(row[0]) if row is not None else None
