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


def ensure_product(conn: Connection, sku: str, name: str, now: str) -> None:
    """The product a gift card line is sold as, made once: exempt from tax, out of stock
    keeping, inactive (nobody scans it at the shelf)."""
    if conn.execute("SELECT 1 FROM products WHERE sku = ?", (sku,)).fetchone():
        return
    conn.execute("INSERT OR IGNORE INTO tax_classes(code, name) VALUES ('exempt', 'Exempt')")
    conn.execute(
        "INSERT INTO products(sku, name, price, tax_class, stock_on_hand, active, stock_tracked, created_at, "
        "updated_at) VALUES (?, ?, 0, 'exempt', 0, 0, 0, ?, ?)",
        (sku, name, now, now),
    )


def by_code(conn: Connection, code: str) -> Any:
    """The card (a row) with that normalised code, or None."""
    return conn.execute("SELECT * FROM gift_cards WHERE code = ?", (code,)).fetchone()


def by_id(conn: Connection, card_id: int) -> Any:
    return conn.execute("SELECT * FROM gift_cards WHERE id = ?", (card_id,)).fetchone()


def listed(conn: Connection, status: str | None, limit: int) -> list[Any]:
    """The newest cards first, of one status or all."""
    return list(
        conn.execute(
            "SELECT * FROM gift_cards WHERE ? IS NULL OR status = ? ORDER BY id DESC LIMIT ?", (status, status, limit)
        ).fetchall()
    )


def insert(conn: Connection, code: str, currency: str, now: str) -> int:
    """A new pending card holding nothing; IntegrityError when the code is taken."""
    cur = conn.execute(
        "INSERT INTO gift_cards(code, status, balance, currency, created_at) VALUES (?, 'pending', 0, ?, ?)",
        (code, currency, now),
    )
    return int(cur.lastrowid)


def activate(conn: Connection, card_id: int, amount: int, at: str, expires_at: str | None) -> None:
    """A card sold on a completed sale goes live with its money."""
    conn.execute(
        "UPDATE gift_cards SET status = 'active', balance = balance + ?, activated_at = ?, expires_at = ? WHERE id = ?",
        (amount, at, expires_at, card_id),
    )


def top_up(conn: Connection, card_id: int, amount: int) -> None:
    conn.execute("UPDATE gift_cards SET balance = balance + ? WHERE id = ?", (amount, card_id))


def void_unsold(conn: Connection, card_id: int) -> None:
    """A card drawn for a line that never sold is voided, if it is still pending."""
    conn.execute("UPDATE gift_cards SET status = 'void' WHERE id = ? AND status = 'pending'", (card_id,))


def set_balance(conn: Connection, card_id: int, balance: int, status: str) -> None:
    conn.execute("UPDATE gift_cards SET balance = ?, status = ? WHERE id = ?", (balance, status, card_id))


def debit(conn: Connection, card_id: int, amount: int) -> bool:
    """Takes `amount` off a live card that holds it; False when it does not (the guard in SQL
    is the last word: never below zero, whatever raced us)."""
    done = conn.execute(
        "UPDATE gift_cards SET balance = balance - ? WHERE id = ? AND status = 'active' AND balance >= ?",
        (amount, card_id, amount),
    ).rowcount
    return bool(done == 1)


def void(conn: Connection, card_id: int) -> None:
    conn.execute("UPDATE gift_cards SET status = 'void', balance = 0 WHERE id = ?", (card_id,))


def add_pending(conn: Connection, sale_id: int, line_no: int, card_id: int, kind: str, amount: int) -> None:
    """A card sold or topped up on a sale's line, waiting for the sale to complete."""
    conn.execute(
        "INSERT INTO gift_card_pending(sale_id, line_no, card_id, kind, amount) VALUES (?, ?, ?, ?, ?)",
        (sale_id, line_no, card_id, kind, amount),
    )


def pending_on_sale(conn: Connection, sale_id: int) -> list[Any]:
    """The sale's cards not yet applied, with their line's quantity, voided flag and price."""
    return list(
        conn.execute(
            "SELECT g.id, g.line_no, g.card_id, g.kind, g.amount, l.quantity, l.voided, l.unit_price "
            "FROM gift_card_pending g LEFT JOIN sale_lines l ON l.sale_id = g.sale_id AND l.line_no = g.line_no "
            "WHERE g.sale_id = ? AND NOT g.applied ORDER BY g.id",
            (sale_id,),
        ).fetchall()
    )


def mark_applied(conn: Connection, pending_id: int, activated: bool) -> None:
    conn.execute("UPDATE gift_card_pending SET applied = 1, activated = ? WHERE id = ?", (int(activated), pending_id))


def activated_on_line(conn: Connection, sale_id: int, line_no: int, limit: int) -> list[Any]:
    """Up to `limit` cards a line activated and no refund took back yet, with each card's
    status, balance and code."""
    return list(
        conn.execute(
            "SELECT g.id, g.card_id, g.kind, g.amount, c.status, c.balance, c.code FROM gift_card_pending g "
            "JOIN gift_cards c ON c.id = g.card_id "
            "WHERE g.sale_id = ? AND g.line_no = ? AND g.activated AND NOT g.returned ORDER BY g.id LIMIT ?",
            (sale_id, line_no, limit),
        ).fetchall()
    )


def mark_returned(conn: Connection, pending_id: int) -> None:
    conn.execute("UPDATE gift_card_pending SET returned = 1 WHERE id = ?", (pending_id,))


def liability(conn: Connection, now: str) -> list[Any]:
    """(state, cards, balance) of live cards with money on them: outstanding or expired."""
    return list(
        conn.execute(
            "SELECT CASE WHEN expires_at IS NOT NULL AND expires_at <= ? THEN 'expired' ELSE 'outstanding' END "
            "AS state, count(*), coalesce(sum(balance), 0) FROM gift_cards WHERE status = 'active' AND balance > 0 "
            "AND NOT office_held "
            "GROUP BY 1",
            (now,),
        ).fetchall()
    )


def loaded_on_sale(conn: Connection, sale_id: int) -> list[Any]:
    """card_id, kind and amount of each card the sale issued or topped up, in order."""
    return list(
        conn.execute(
            "SELECT card_id, kind, amount FROM gift_card_entries WHERE sale_id = ? AND kind IN ('issue', 'top_up') "
            "ORDER BY id",
            (sale_id,),
        ).fetchall()
    )


def slip_figures(conn: Connection, card_id: int) -> Any:
    """code, balance, currency and expires_at of the card (a row)."""
    return conn.execute(
        "SELECT code, balance, currency, expires_at FROM gift_cards WHERE id = ?", (card_id,)
    ).fetchone()


def insert_office_card(
    conn: Connection, code: str, currency: str, balance: int, expires_at: str | None, now: str
) -> int:
    """A card sold at another lane, as the office answered for it: live, held by the office."""
    cur = conn.execute(
        "INSERT INTO gift_cards(code, status, balance, currency, created_at, activated_at, expires_at, office_held) "
        "VALUES (?, 'active', ?, ?, ?, ?, ?, 1)",
        (code, balance, currency, now, now, expires_at),
    )
    return int(cur.lastrowid)


def office_answered(conn: Connection, card_id: int, balance: int) -> None:
    """The office answered for the card: its balance as the office has it, nothing spent offline."""
    conn.execute("UPDATE gift_cards SET balance = ?, offline_spent = 0 WHERE id = ?", (balance, card_id))


def spent_offline(conn: Connection, card_id: int, amount: int) -> None:
    conn.execute("UPDATE gift_cards SET offline_spent = offline_spent + ? WHERE id = ?", (amount, card_id))
