"""Sales, their lines and tenders, and the per-terminal receipt counter."""

from __future__ import annotations

import json
from typing import Any

from appliance.app.domain.sale import Sale, SaleLine, Tender
from appliance.app.domain.tax import TaxLine
from appliance.app.store.db import Connection


def insert(
    conn: Connection,
    *,
    terminal_id: str,
    cashier_id: int,
    currency: str,
    prices_include_tax: bool,
    now: str,
) -> int:
    conn.execute("INSERT OR IGNORE INTO terminals(id) VALUES (?)", (terminal_id,))
    cur = conn.execute(
        "INSERT INTO sales(terminal_id, status, cashier_id, currency, prices_include_tax, opened_at) "
        "VALUES (?, 'open', ?, ?, ?, ?)",
        (terminal_id, cashier_id, currency, int(prices_include_tax), now),
    )
    return int(cur.lastrowid)


def header(conn: Connection, sale_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT s.*, u.username AS cashier FROM sales s JOIN users u ON u.id = s.cashier_id WHERE s.id = ?",
        (sale_id,),
    ).fetchone()
    return dict(row) if row else None


def load(conn: Connection, sale_id: int) -> Sale | None:
    row = conn.execute(
        "SELECT id, status, currency, prices_include_tax, receipt_no FROM sales WHERE id = ?",
        (sale_id,),
    ).fetchone()
    if row is None:
        return None
    lines = [
        SaleLine(
            line_no=r["line_no"],
            product_id=r["product_id"],
            sku=r["sku"],
            name=r["name"],
            unit_price=r["unit_price"],
            quantity=r["quantity"],
            tax_class=r["tax_class"],
            barcode=r["barcode"],
            voided=bool(r["voided"]),
            refunded_qty=r["refunded_qty"],
        )
        for r in conn.execute("SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no", (sale_id,))
    ]
    tenders = [
        Tender(
            method=r["method"],
            amount=r["amount"],
            tendered=r["tendered"],
            change=r["change"],
            reference=r["reference"],
        )
        for r in conn.execute("SELECT * FROM payments WHERE sale_id = ? ORDER BY id", (sale_id,))
    ]
    return Sale(
        id=row["id"],
        currency=row["currency"],
        prices_include_tax=bool(row["prices_include_tax"]),
        status=row["status"],
        lines=lines,
        tenders=tenders,
        receipt_no=row["receipt_no"],
    )


def save_line(conn: Connection, sale_id: int, line: SaleLine) -> None:
    conn.execute(
        "INSERT INTO sale_lines"
        "(sale_id, line_no, product_id, sku, name, barcode, unit_price, quantity, tax_class, voided) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(sale_id, line_no) DO UPDATE SET quantity = excluded.quantity, voided = excluded.voided",
        (
            sale_id,
            line.line_no,
            line.product_id,
            line.sku,
            line.name,
            line.barcode,
            line.unit_price,
            line.quantity,
            line.tax_class,
            int(line.voided),
        ),
    )


def mark_voided_by(conn: Connection, sale_id: int, line_no: int, user_id: int) -> None:
    conn.execute(
        "UPDATE sale_lines SET voided_by = ? WHERE sale_id = ? AND line_no = ?",
        (user_id, sale_id, line_no),
    )


def insert_payment(
    conn: Connection,
    sale_id: int,
    tender: Tender,
    user_id: int,
    now: str,
    details: dict[str, Any] | None = None,
) -> int:
    cur = conn.execute(
        "INSERT INTO payments(sale_id, method, amount, tendered, change, reference, details, created_at, user_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            sale_id,
            tender.method,
            tender.amount,
            tender.tendered,
            tender.change,
            tender.reference,
            json.dumps(details or {}),
            now,
            user_id,
        ),
    )
    return int(cur.lastrowid)


def payments(conn: Connection, sale_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute("SELECT * FROM payments WHERE sale_id = ? ORDER BY id", (sale_id,))]


def next_receipt_no(conn: Connection, terminal_id: str) -> int:
    """Takes the terminal's next number inside the caller's transaction: a rollback gives it
    back, so completed receipts have no gaps."""
    conn.execute("INSERT OR IGNORE INTO terminals(id) VALUES (?)", (terminal_id,))
    row = conn.execute("SELECT next_receipt FROM terminals WHERE id = ?", (terminal_id,)).fetchone()
    conn.execute("UPDATE terminals SET next_receipt = next_receipt + 1 WHERE id = ?", (terminal_id,))
    return int(row[0])


def complete(
    conn: Connection,
    sale_id: int,
    receipt_no: int,
    subtotal: int,
    tax: int,
    total: int,
    taxes: tuple[TaxLine, ...],
    now: str,
) -> None:
    conn.execute(
        "UPDATE sales SET status = 'completed', receipt_no = ?, completed_at = ?, subtotal = ?, tax = ?, total = ? "
        "WHERE id = ? AND status = 'open'",
        (receipt_no, now, subtotal, tax, total, sale_id),
    )
    conn.executemany(
        "INSERT INTO sale_taxes(sale_id, name, rate, base, amount) VALUES (?, ?, ?, ?, ?)",
        [(sale_id, t.name, t.rate, t.base, t.amount) for t in taxes],
    )


def cancel(conn: Connection, sale_id: int) -> None:
    conn.execute("UPDATE sales SET status = 'cancelled' WHERE id = ? AND status = 'open'", (sale_id,))


def stored_taxes(conn: Connection, sale_id: int) -> list[TaxLine]:
    return [
        TaxLine(r["name"], r["rate"], r["base"], r["amount"])
        for r in conn.execute(
            "SELECT name, rate, base, amount FROM sale_taxes WHERE sale_id = ? ORDER BY rowid",
            (sale_id,),
        )
    ]
