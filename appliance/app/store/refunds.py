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
