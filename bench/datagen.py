"""Builds a big store for benchmarks: N products with EAN-13 barcodes and M past sale lines,
written straight through SQL in a few large transactions (the services would take hours)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from appliance.app.domain.barcode import with_check_digit
from appliance.app.services import users
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Shop, iso

PASSWORD = "Bench-Password-2026"
# Bumped whenever the generated data changes shape, so cached stores are rebuilt.
DATA_VERSION = 2
# 1,000,000 lines at ~5 a sale are ~200,000 sales: one every 158 s fills a year.
SALE_SPACING_S = 158


def barcode(i: int) -> str:
    return with_check_digit(f"20{i:010d}")


def build(data_dir: Path, products: int, lines: int, seed: int = 7) -> Shop:
    rng = random.Random(seed)
    shop, _ = init_store(data_dir, NewStore(store_name="Bench Store"))
    users.add_user(shop, None, "cashier", "cashier", PASSWORD)
    users.add_user(shop, None, "manager", "manager", PASSWORD)
    now = shop.now()
    with shop.db.transaction() as tx:
        tx.executemany(
            "INSERT INTO products(id, sku, name, price, tax_class, stock_on_hand, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, 1000, ?, ?)",
            (
                (i, f"SKU{i:07d}", f"Product {i}", rng.randint(50, 5000), "standard" if i % 3 else "exempt", now, now)
                for i in range(1, products + 1)
            ),
        )
        tx.executemany(
            "INSERT INTO barcodes(code, product_id) VALUES (?, ?)", ((barcode(i), i) for i in range(1, products + 1))
        )
    cashier_id = shop.db.conn.execute("SELECT id FROM users WHERE username = 'cashier'").fetchone()[0]
    start = dt.datetime(2025, 11, 1, 8, tzinfo=dt.UTC)
    sale_id = 0
    written = 0
    batch = 50_000
    while written < lines:
        with shop.db.transaction() as tx:
            tx.execute("INSERT OR IGNORE INTO terminals(id, next_receipt) VALUES ('T01', 1)")
            rows: list[tuple[int, int, int, str, str, int, int]] = []
            sales: list[tuple[int, int, str, str, int, int, int]] = []
            taxes: list[tuple[int, str, str, int, int]] = []
            payments: list[tuple[int, str, int, int, str]] = []
            while len(rows) < batch and written + len(rows) < lines:
                sale_id += 1
                at = iso(start + dt.timedelta(seconds=sale_id * SALE_SPACING_S))
                count = rng.randint(1, 9)
                subtotal = 0
                for n in range(1, count + 1):
                    pid = rng.randint(1, products)
                    price = 50 + pid % 4950
                    qty = rng.randint(1, 3)
                    subtotal += price * qty
                    rows.append((sale_id, n, pid, f"SKU{pid:07d}", f"Product {pid}", price, qty))
                tax = subtotal * 14975 // 100000
                sales.append((sale_id, sale_id, at, at, subtotal, tax, subtotal + tax))
                taxes.append((sale_id, "GST", "5", subtotal, subtotal * 5 // 100))
                taxes.append((sale_id, "QST", "9.975", subtotal, tax - subtotal * 5 // 100))
                payments.append((sale_id, "cash" if sale_id % 3 else "card", subtotal + tax, subtotal + tax, at))
            tx.executemany(
                "INSERT INTO sales(id, terminal_id, status, cashier_id, currency, prices_include_tax, receipt_no, "
                "opened_at, completed_at, subtotal, tax, total) "
                f"VALUES (?, 'T01', 'completed', {cashier_id}, 'CAD', 0, ?, ?, ?, ?, ?, ?)",
                sales,
            )
            tx.executemany(
                "INSERT INTO sale_lines(sale_id, line_no, product_id, sku, name, unit_price, quantity, tax_class) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, 'standard')",
                rows,
            )
            tx.executemany("INSERT INTO sale_taxes(sale_id, name, rate, base, amount) VALUES (?, ?, ?, ?, ?)", taxes)
            tx.executemany(
                "INSERT INTO payments(sale_id, method, amount, tendered, change, details, created_at, user_id) "
                f"VALUES (?, ?, ?, ?, 0, '{{}}', ?, {cashier_id})",
                payments,
            )
            tx.execute("UPDATE terminals SET next_receipt = ? WHERE id = 'T01'", (sale_id + 1,))
            written += len(rows)
    shop.db.conn.execute("ANALYZE")
    return shop
