"""What a refund's slip reads: the refund, the lines and taxes it gave back, and where the
money went (the sale's tenders, store credit on a gift card, or an exchange's new sale)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from appliance.app.domain.tax import TaxLine
from appliance.app.store.db import Connection


def insert_taxes(conn: Connection, refund_id: int, taxes: Iterable[TaxLine]) -> None:
    """The taxes the refund gives back, frozen with it (as sale_taxes are with a sale)."""
    conn.executemany(
        "INSERT INTO refund_taxes(refund_id, name, rate, base, amount) VALUES (?, ?, ?, ?, ?)",
        [(refund_id, t.name, t.rate, t.base, t.amount) for t in taxes],
    )


def header(conn: Connection, refund_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT r.id, r.sale_id, r.amount, r.tax, r.created_at, r.terminal_id, r.approved_by, "
        "u.username AS refunded_by, s.terminal_id AS sale_terminal, s.receipt_no, s.currency, "
        "s.prices_include_tax, s.cashier_id "
        "FROM refunds r JOIN users u ON u.id = r.user_id JOIN sales s ON s.id = r.sale_id WHERE r.id = ?",
        (refund_id,),
    ).fetchone()
    return dict(row) if row is not None else None


def lines(conn: Connection, refund_id: int) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in conn.execute(
            "SELECT sl.line_no, sl.name, sl.sku, sl.unit_price, sl.measure, rl.quantity, rl.amount "
            "FROM refund_lines rl JOIN sale_lines sl ON sl.id = rl.line_id WHERE rl.refund_id = ? "
            "ORDER BY sl.line_no",
            (refund_id,),
        )
    ]


def taxes(conn: Connection, refund_id: int) -> list[TaxLine]:
    return [
        TaxLine(r["name"], r["rate"], r["base"], r["amount"])
        for r in conn.execute(
            "SELECT name, rate, base, amount FROM refund_taxes WHERE refund_id = ? ORDER BY rowid", (refund_id,)
        )
    ]


def tenders(conn: Connection, refund_id: int) -> list[dict[str, Any]]:
    """The sale's tenders the money went back to, with the payment's details (a card's brand
    and last four, a gift card's masked number: never more)."""
    return [
        dict(r)
        for r in conn.execute(
            "SELECT t.payment_id, t.method, t.amount, t.rounding, p.details FROM refund_tenders t "
            "JOIN payments p ON p.id = t.payment_id WHERE t.refund_id = ? ORDER BY t.rowid",
            (refund_id,),
        )
    ]


def store_credits(conn: Connection, refund_id: int) -> list[dict[str, Any]]:
    """Store credit the refund put on a new gift card: the amount and the card's number (the
    caller shows its last four only)."""
    return [
        dict(r)
        for r in conn.execute(
            "SELECT c.amount, g.code FROM store_credits c JOIN gift_cards g ON g.id = c.gift_card_id "
            "WHERE c.refund_id = ? ORDER BY c.rowid",
            (refund_id,),
        )
    ]


def exchanges(conn: Connection, refund_id: int) -> list[dict[str, Any]]:
    """What the refund paid of an exchange's new sale, and that sale's receipt number."""
    return [
        dict(r)
        for r in conn.execute(
            "SELECT p.amount, s.terminal_id, s.receipt_no FROM payments p JOIN sales s ON s.id = p.sale_id "
            "WHERE p.method = 'exchange' AND p.reference = ? ORDER BY p.id",
            (f"refund:{refund_id}",),
        )
    ]


def insert(
    conn: Connection,
    *,
    sale_id: int,
    user_id: int,
    reason: str,
    amount: int,
    tax: int,
    created_at: str,
    terminal_id: str,
    approved_by: str | None,
) -> int:
    cur = conn.execute(
        "INSERT INTO refunds(sale_id, user_id, reason, amount, tax, created_at, terminal_id, approved_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (sale_id, user_id, reason, amount, tax, created_at, terminal_id, approved_by),
    )
    return int(cur.lastrowid)


def insert_line(conn: Connection, refund_id: int, sale_id: int, line_no: int, quantity: int, amount: int) -> None:
    conn.execute(
        "INSERT INTO refund_lines(refund_id, line_id, quantity, amount) "
        "SELECT ?, id, ?, ? FROM sale_lines WHERE sale_id = ? AND line_no = ?",
        (refund_id, quantity, amount, sale_id, line_no),
    )


def insert_store_credit(conn: Connection, refund_id: int, gift_card_id: int, amount: int) -> None:
    conn.execute(
        "INSERT INTO store_credits(refund_id, gift_card_id, amount) VALUES (?, ?, ?)",
        (refund_id, gift_card_id, amount),
    )


def insert_tender(conn: Connection, refund_id: int, payment_id: int, method: str, amount: int, rounding: int) -> None:
    conn.execute(
        "INSERT INTO refund_tenders(refund_id, payment_id, method, amount, rounding) VALUES (?, ?, ?, ?, ?)",
        (refund_id, payment_id, method, amount, rounding),
    )


def refunded(conn: Connection, sale_id: int) -> int:
    """What the sale's refunds gave back so far, minor units."""
    return int(conn.execute("SELECT coalesce(sum(amount), 0) FROM refunds WHERE sale_id = ?", (sale_id,)).fetchone()[0])


def tenders_left(conn: Connection, sale_id: int) -> list[dict[str, Any]]:
    """The sale's tenders (id, method, taken) with what refunds have not yet given back of
    each (`left`), in the order they were taken."""
    rows = conn.execute(
        "SELECT p.id, p.method, p.amount, p.amount - coalesce((SELECT sum(rt.amount) FROM refund_tenders rt "
        "WHERE rt.payment_id = p.id), 0) AS left FROM payments p WHERE p.sale_id = ? ORDER BY p.id",
        (sale_id,),
    )
    return [dict(r) for r in rows]


def insert_receiptless(
    conn: Connection,
    *,
    terminal_id: str,
    user_id: int,
    approved_by: str | None,
    reason: str,
    amount: int,
    tax: int,
    refund_to: str,
    created_at: str,
    cash_rounding: int = 0,
) -> int:
    cur = conn.execute(
        "INSERT INTO receiptless_returns(terminal_id, user_id, approved_by, reason, amount, tax, refund_to, "
        "created_at, cash_rounding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (terminal_id, user_id, approved_by, reason, amount, tax, refund_to, created_at, cash_rounding),
    )
    return int(cur.lastrowid)


def insert_receiptless_line(
    conn: Connection, return_id: int, product_id: int, quantity: int, unit_price: int, amount: int
) -> None:
    conn.execute(
        "INSERT INTO receiptless_return_lines(return_id, product_id, quantity, unit_price, amount) "
        "VALUES (?, ?, ?, ?, ?)",
        (return_id, product_id, quantity, unit_price, amount),
    )


def set_receiptless_card(conn: Connection, return_id: int, gift_card_id: int) -> None:
    conn.execute("UPDATE receiptless_returns SET gift_card_id = ? WHERE id = ?", (gift_card_id, return_id))


def receiptless_header(conn: Connection, return_id: int) -> dict[str, Any] | None:
    """A return without a receipt as its slip shows it, with the store credit's card number
    (the caller shows its last four only)."""
    row = conn.execute(
        "SELECT r.id, r.amount, r.tax, r.cash_rounding, r.refund_to, r.created_at, r.terminal_id, r.approved_by, "
        "u.username AS refunded_by, g.code AS gift_card_code "
        "FROM receiptless_returns r JOIN users u ON u.id = r.user_id "
        "LEFT JOIN gift_cards g ON g.id = r.gift_card_id WHERE r.id = ?",
        (return_id,),
    ).fetchone()
    return dict(row) if row is not None else None


def receiptless_lines(conn: Connection, return_id: int) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in conn.execute(
            "SELECT p.name, l.quantity, l.unit_price, l.amount FROM receiptless_return_lines l "
            "JOIN products p ON p.id = l.product_id WHERE l.return_id = ? ORDER BY l.rowid",
            (return_id,),
        )
    ]
