"""Sales, their lines and tenders, and the per-terminal receipt counter."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from typing import Any

from appliance.app.domain.pricing import Discount, Promotion
from appliance.app.domain.sale import Sale, SaleLine, Tender
from appliance.app.domain.tax import TaxLine
from appliance.app.store.db import Connection


def header(conn: Connection, sale_id: int) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT s.*, u.username AS cashier FROM sales s JOIN users u ON u.id = s.cashier_id WHERE s.id = ?",
        (sale_id,),
    ).fetchone()
    return dict(row) if row else None


def _discount(kind: str | None, value: int | None, reason: str | None) -> Discount | None:
    return Discount(kind, int(value), reason or "") if kind and value else None


# A promotion's row with its category's name (what a sale line carries from the scan).
PROMOTIONS = "SELECT p.*, c.name AS category FROM promotions p LEFT JOIN categories c ON c.id = p.category_id"


def live_promotions(conn: Connection, day: dt.date) -> tuple[Promotion, ...]:
    rows = conn.execute(
        PROMOTIONS + " WHERE p.active AND p.starts <= ? AND p.ends >= ? ORDER BY p.id",
        (day.isoformat(), day.isoformat()),
    )
    return tuple(promotion(r) for r in rows)


def promotion(r: Any) -> Promotion:
    return Promotion(
        id=r["id"],
        name=r["name"],
        kind=r["kind"],
        starts=dt.date.fromisoformat(r["starts"]),
        ends=dt.date.fromisoformat(r["ends"]),
        product_id=r["product_id"],
        category=r["category"],
        quantity=r["quantity"],
        price=r["price"],
        percent=r["percent"],
    )


@dataclass
class SaleRecord:
    """A sale as a request reads it, once: the domain's Sale; its sales row (`head`, with its
    cashier's name, its customer's id and what card payments on it still wait for); its
    payment rows; each line's frozen discount and promotion; and its frozen taxes (a
    completed sale's, read when first asked for). What the sale's view is made of."""

    sale: Sale
    head: dict[str, Any]
    payments: list[dict[str, Any]]
    frozen: dict[int, tuple[int, str | None]]
    taxes: list[TaxLine] | None = None

    def copy(self) -> SaleRecord:
        """A copy whose changes leave this one as it is (its lines and tenders are immutable)."""
        sale = replace(self.sale, lines=list(self.sale.lines), tenders=list(self.sale.tenders))
        taxes = None if self.taxes is None else list(self.taxes)
        return SaleRecord(sale, dict(self.head), [dict(p) for p in self.payments], dict(self.frozen), taxes)


def load(conn: Connection, sale_id: int) -> Sale | None:
    """The sale with what prices it: the promotions live on its business day."""
    found = record(conn, sale_id)
    return found.sale if found is not None else None


def record(conn: Connection, sale_id: int) -> SaleRecord | None:
    """The sale and what its view shows, in four reads: its row, its lines, its payments
    and the promotions live on its business day."""
    row = conn.execute(
        "SELECT s.*, u.username AS cashier, "
        "(SELECT c.customer_id FROM sale_customers c WHERE c.sale_id = s.id) AS customer_id, "
        "(SELECT coalesce(sum(a.amount), 0) FROM payment_attempts a WHERE a.sale_id = s.id AND a.status = 'pending') "
        # A payment terminal's too: its charge may yet land on the sale (as card_pending below).
        "+ (SELECT coalesce(sum(t.amount), 0) FROM terminal_transactions t "
        "WHERE t.sale_id = s.id AND t.kind = 'payment' AND t.status = 'pending') "
        "AS card_pending FROM sales s JOIN users u ON u.id = s.cashier_id WHERE s.id = ?",
        (sale_id,),
    ).fetchone()
    if row is None:
        return None
    head = dict(row)
    day = dt.date.fromisoformat(row["business_day"]) if row["business_day"] else None
    line_rows = conn.execute("SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no", (sale_id,)).fetchall()
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
            category=r["category"],
            discount=_discount(r["discount_kind"], r["discount_value"], r["discount_reason"]),
            original_price=r["original_price"],
            override_reason=r["override_reason"],
            measure=r["measure"],
            restricted=bool(r["restricted"]),
            restricted_approved_by=r["restricted_approved_by"],
        )
        for r in line_rows
    ]
    paid = payments(conn, sale_id)
    tenders = [
        Tender(
            method=r["method"],
            amount=r["amount"],
            tendered=r["tendered"],
            change=r["change"],
            reference=r["reference"],
            rounding=r["rounding"],
        )
        for r in paid
    ]
    sale = Sale(
        id=row["id"],
        currency=row["currency"],
        prices_include_tax=bool(row["prices_include_tax"]),
        status=row["status"],
        lines=lines,
        tenders=tenders,
        receipt_no=row["receipt_no"],
        order_discount=_discount(row["order_discount_kind"], row["order_discount_value"], row["order_discount_reason"]),
        business_day=day,
        promotions=live_promotions(conn, day) if day else (),
        parked=row["parked_at"] is not None,
    )
    frozen = {r["line_no"]: (r["discount"], r["promotion"]) for r in line_rows}
    return SaleRecord(sale, head, paid, frozen)


def revision(conn: Connection, sale_id: int) -> tuple[int, str] | None:
    """The sale's revision (one more at each change to what `record` reads of it but the live
    promotions, kept by the triggers of migration 0039) and when it opened, or None."""
    row = conn.execute("SELECT revision, opened_at FROM sales WHERE id = ?", (sale_id,)).fetchone()
    return (int(row[0]), str(row[1])) if row is not None else None


def insert(
    conn: Connection,
    *,
    terminal_id: str,
    cashier_id: int,
    cashier: str,
    currency: str,
    prices_include_tax: bool,
    now: str,
    business_day: str,
) -> SaleRecord:
    """Opens a sale; returns it as `record` would read it back (open, empty), without the read."""
    conn.execute("INSERT OR IGNORE INTO terminals(id) VALUES (?)", (terminal_id,))
    cur = conn.execute(
        "INSERT INTO sales(terminal_id, status, cashier_id, currency, prices_include_tax, opened_at, business_day) "
        "VALUES (?, 'open', ?, ?, ?, ?, ?)",
        (terminal_id, cashier_id, currency, int(prices_include_tax), now, business_day),
    )
    sale_id = int(cur.lastrowid)
    head = {
        "id": sale_id,
        "terminal_id": terminal_id,
        "status": "open",
        "cashier_id": cashier_id,
        "cashier": cashier,
        "currency": currency,
        "prices_include_tax": int(prices_include_tax),
        "receipt_no": None,
        "opened_at": now,
        "completed_at": None,
        "business_day": business_day,
        "customer_id": None,
        "card_pending": 0,
        "revision": 0,
    }
    sale = Sale(sale_id, currency, prices_include_tax, business_day=dt.date.fromisoformat(business_day))
    return SaleRecord(sale, head, [], {})


def payment_row(payment_id: int, tender: Tender) -> dict[str, Any]:
    """The row `insert_payment` just wrote, as `payments` would read it back (its view's part)."""
    return {
        "id": payment_id,
        "method": tender.method,
        "amount": tender.amount,
        "tendered": tender.tendered,
        "change": tender.change,
        "rounding": tender.rounding,
        "reference": tender.reference,
    }


def save_line(conn: Connection, sale_id: int, line: SaleLine) -> None:
    conn.execute(
        "INSERT INTO sale_lines"
        "(sale_id, line_no, product_id, sku, name, barcode, unit_price, quantity, tax_class, voided, category, "
        "discount_kind, discount_value, discount_reason, original_price, override_reason, measure, restricted, "
        "restricted_approved_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(sale_id, line_no) DO UPDATE SET quantity = excluded.quantity, voided = excluded.voided, "
        "unit_price = excluded.unit_price, discount_kind = excluded.discount_kind, "
        "discount_value = excluded.discount_value, discount_reason = excluded.discount_reason, "
        "original_price = excluded.original_price, override_reason = excluded.override_reason, "
        "restricted_approved_by = excluded.restricted_approved_by",
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
            line.category,
            line.discount.kind if line.discount else None,
            line.discount.value if line.discount else None,
            line.discount.reason if line.discount else "",
            line.original_price,
            line.override_reason,
            line.measure,
            int(line.restricted),
            line.restricted_approved_by,
        ),
    )


def save_order_discount(conn: Connection, sale_id: int, discount: Discount | None) -> None:
    conn.execute(
        "UPDATE sales SET order_discount_kind = ?, order_discount_value = ?, order_discount_reason = ? WHERE id = ?",
        (
            discount.kind if discount else None,
            discount.value if discount else None,
            discount.reason if discount else "",
            sale_id,
        ),
    )


def set_parked(conn: Connection, sale_id: int, user_id: int | None, now: str | None) -> None:
    conn.execute("UPDATE sales SET parked_at = ?, parked_by = ? WHERE id = ?", (now, user_id, sale_id))


def parked(conn: Connection, terminal_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT s.id, s.parked_at, u.username AS parked_by, "
        "(SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id AND NOT l.voided) AS lines, "
        "(SELECT coalesce(sum(p.amount), 0) FROM payments p WHERE p.sale_id = s.id) AS paid "
        "FROM sales s LEFT JOIN users u ON u.id = s.parked_by "
        "WHERE s.terminal_id = ? AND s.parked_at IS NOT NULL AND s.status = 'open' ORDER BY s.parked_at",
        (terminal_id,),
    )
    return [dict(r) for r in rows]


def left_open(conn: Connection, terminal_id: str, cashier_id: int | None = None) -> list[dict[str, Any]]:
    """The open sales of a till that are not parked: the one its screen shows, and any a
    reload, a crash or a session that ended left behind (oldest first); with `cashier_id`,
    only those that person opened."""
    rows = conn.execute(
        "SELECT s.id, s.terminal_id, s.opened_at, u.username AS cashier, "
        "(SELECT count(*) FROM sale_lines l WHERE l.sale_id = s.id AND NOT l.voided) AS lines, "
        "(SELECT coalesce(sum(p.amount), 0) FROM payments p WHERE p.sale_id = s.id) AS paid "
        "FROM sales s JOIN users u ON u.id = s.cashier_id "
        "WHERE s.terminal_id = ? AND s.status = 'open' AND s.parked_at IS NULL "
        "AND (? IS NULL OR s.cashier_id = ?) ORDER BY s.opened_at, s.id",
        (terminal_id, cashier_id, cashier_id),
    )
    return [dict(r) for r in rows]


def open_with_payments(conn: Connection, terminal_id: str) -> list[dict[str, Any]]:
    """Open sales of a till (parked or not) that hold money: what they hold, and in cash."""
    rows = conn.execute(
        "SELECT s.id, s.parked_at IS NOT NULL AS parked, sum(p.amount) AS paid, "
        "sum(CASE WHEN p.method = 'cash' THEN p.amount ELSE 0 END) AS cash "
        "FROM sales s JOIN payments p ON p.sale_id = s.id "
        "WHERE s.terminal_id = ? AND s.status = 'open' GROUP BY s.id ORDER BY s.id",
        (terminal_id,),
    )
    return [{**dict(r), "parked": bool(r["parked"])} for r in rows]


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
        "INSERT INTO payments(sale_id, method, amount, tendered, change, rounding, reference, details, created_at, "
        "user_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            sale_id,
            tender.method,
            tender.amount,
            tender.tendered,
            tender.change,
            tender.rounding,
            tender.reference,
            json.dumps(details or {}),
            now,
            user_id,
        ),
    )
    return int(cur.lastrowid)


def payments(conn: Connection, sale_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute("SELECT * FROM payments WHERE sale_id = ? ORDER BY id", (sale_id,))]


def card_pending(conn: Connection, sale_id: int) -> int:
    """What card payments on the sale still wait for the acquirer's definitive answer (0 when
    none: a sale with one waiting is neither parked nor left for another screen)."""
    row = conn.execute(
        "SELECT (SELECT coalesce(sum(amount), 0) FROM payment_attempts WHERE sale_id = ? AND status = 'pending')"
        # A payment terminal's too: its charge may yet land on the sale.
        " + (SELECT coalesce(sum(amount), 0) FROM terminal_transactions"
        " WHERE sale_id = ? AND kind = 'payment' AND status = 'pending')",
        (sale_id, sale_id),
    ).fetchone()
    return int(row[0])


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
    discount: int = 0,
    line_discounts: tuple[tuple[int, int, str | None], ...] = (),
    cash_rounding: int = 0,
) -> None:
    """Freezes what the sale came to: totals, taxes, and each line's discount and promotion
    (so a promotion ended later changes no past receipt or report), and its cash rounding."""
    conn.execute(
        "UPDATE sales SET status = 'completed', receipt_no = ?, completed_at = ?, subtotal = ?, tax = ?, total = ?, "
        "discount = ?, cash_rounding = ? WHERE id = ? AND status = 'open'",
        (receipt_no, now, subtotal, tax, total, discount, cash_rounding, sale_id),
    )
    conn.executemany(
        "UPDATE sale_lines SET discount = ?, promotion = ? WHERE sale_id = ? AND line_no = ?",
        [(off, promo, sale_id, line_no) for line_no, off, promo in line_discounts],
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


def line_discounts(conn: Connection, sale_id: int) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT line_no, discount, promotion FROM sale_lines WHERE sale_id = ?", (sale_id,))
    return [dict(r) for r in rows]


def by_receipt(conn: Connection, terminal_id: str, receipt_no: int) -> int | None:
    """The sale a receipt number names, if any."""
    row = conn.execute(
        "SELECT id FROM sales WHERE terminal_id = ? AND receipt_no = ?", (terminal_id, receipt_no)
    ).fetchone()
    return int(row[0]) if row is not None else None


def completed_on(
    conn: Connection, business_day: str, terminal_id: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """A page of a business day's completed sales (one till's with `terminal_id`), in order."""
    rows = conn.execute(
        "SELECT s.id, s.terminal_id, s.receipt_no, s.completed_at, s.total, u.username AS cashier "
        "FROM sales s JOIN users u ON u.id = s.cashier_id "
        "WHERE s.status = 'completed' AND s.business_day = ? AND (? IS NULL OR s.terminal_id = ?) "
        "ORDER BY s.completed_at, s.id LIMIT ? OFFSET ?",
        (business_day, terminal_id, terminal_id, limit, offset),
    )
    return [dict(r) for r in rows]


def add_refunded(conn: Connection, sale_id: int, line_no: int, quantity: int) -> None:
    conn.execute(
        "UPDATE sale_lines SET refunded_qty = refunded_qty + ? WHERE sale_id = ? AND line_no = ?",
        (quantity, sale_id, line_no),
    )


def payment_reference(conn: Connection, payment_id: int) -> str | None:
    row = conn.execute("SELECT reference FROM payments WHERE id = ?", (payment_id,)).fetchone()
    return str(row[0]) if row is not None and row[0] is not None else None


def figures(conn: Connection, sale_id: int) -> Any:
    """The sale's status, total and currency (a row), or None."""
    return conn.execute("SELECT status, total, currency FROM sales WHERE id = ?", (sale_id,)).fetchone()


def has_payment(conn: Connection, sale_id: int, method: str) -> bool:
    return (
        conn.execute("SELECT 1 FROM payments WHERE sale_id = ? AND method = ?", (sale_id, method)).fetchone()
        is not None
    )


def paid_by(conn: Connection, sale_id: int, method: str) -> int:
    """What the sale's tenders of one method took, minor units."""
    return int(
        conn.execute(
            "SELECT coalesce(sum(amount), 0) FROM payments WHERE sale_id = ? AND method = ?", (sale_id, method)
        ).fetchone()[0]
    )


def sold_of(conn: Connection, sale_id: int, sku: str) -> int:
    """What the sale's live lines of one product come to before discounts, minor units."""
    return int(
        conn.execute(
            "SELECT coalesce(sum(l.unit_price * l.quantity), 0) FROM sale_lines l "
            "JOIN products p ON p.id = l.product_id WHERE l.sale_id = ? AND NOT l.voided AND p.sku = ?",
            (sale_id, sku),
        ).fetchone()[0]
    )


def receipt_no(conn: Connection, sale_id: int) -> int | None:
    row = conn.execute("SELECT receipt_no FROM sales WHERE id = ?", (sale_id,)).fetchone()
    return row[0] if row is not None else None
