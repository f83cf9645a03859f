"""Reports benchmark: every report over a year of a busy store, timed at the service.

    .venv/bin/python bench/reports.py [--products 100000] [--lines 1000000] [--runs 5]

The store is the checkout benchmark's (bench/datagen.py: N products, M sale lines), built
once per size in build/bench/reports-store-N-M/ and reused; on top of it this adds what
the back office keeps (costs, reorder points, a year of time clock, gift cards, refunds,
voided lines, cancelled sales). Prints one JSON object: for each report the median and
worst of `--runs` runs (ms), as JSON and as CSV, and the row count.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appliance.app.services import auth, reports
from appliance.app.services.opening import open_shop
from appliance.app.services.shop import Shop, iso
from appliance.config import load
from bench.datagen import DATA_VERSION, PASSWORD, build

ROOT = Path(__file__).resolve().parent.parent
START = dt.datetime(2025, 11, 1, 8, tzinfo=dt.UTC)


def extras(shop: Shop, products: int, seed: int = 11) -> None:
    """What a year of the back office leaves behind, written straight through SQL."""
    rng = random.Random(seed)
    conn = shop.db.conn
    users = [r[0] for r in conn.execute("SELECT id FROM users")]
    last_sale = conn.execute("SELECT max(id) FROM sales").fetchone()[0]
    with shop.db.transaction() as tx:
        tx.execute("UPDATE products SET cost = price * 6 / 10, reorder_point = CASE WHEN id % 10 = 0 THEN 1200 END")
        entries = []
        for day in range(365):
            for user in users:
                begin = START + dt.timedelta(days=day, minutes=rng.randint(0, 60))
                end = begin + dt.timedelta(hours=8)
                entries.append((user, "work", iso(begin), iso(end)))
                brk = begin + dt.timedelta(hours=4)
                entries.append((user, "break", iso(brk), iso(brk + dt.timedelta(minutes=30))))
        tx.executemany("INSERT INTO time_entries(user_id, kind, started_at, ended_at) VALUES (?, ?, ?, ?)", entries)
        for n in range(10_000):
            at = iso(START + dt.timedelta(minutes=50 * n))
            cur = tx.execute(
                "INSERT INTO gift_cards(code, status, balance, currency, created_at, activated_at, expires_at) "
                "VALUES (?, 'active', ?, 'CAD', ?, ?, ?)",
                (f"BENCH{n:011d}", rng.randint(0, 10_000), at, at, iso(START + dt.timedelta(days=365 + n % 400))),
            )
            tx.execute(
                "INSERT INTO gift_card_entries(card_id, kind, amount, balance, at) VALUES (?, 'issue', 5000, 5000, ?)",
                (cur.lastrowid, at),
            )
        cashier = users[0]
        for _ in range(2_000):
            sale = rng.randint(1, last_sale)
            at = conn.execute("SELECT completed_at, total FROM sales WHERE id = ?", (sale,)).fetchone()
            cur = tx.execute(
                "INSERT INTO refunds(sale_id, user_id, reason, amount, tax, created_at) "
                "VALUES (?, ?, 'damaged', ?, 0, ?)",
                (sale, cashier, at[1] // 3, at[0]),
            )
            payment = conn.execute("SELECT id, method FROM payments WHERE sale_id = ?", (sale,)).fetchone()
            tx.execute(
                "INSERT INTO refund_tenders(refund_id, payment_id, method, amount) VALUES (?, ?, ?, ?)",
                (cur.lastrowid, payment[0], payment[1], at[1] // 3),
            )
        tx.execute("UPDATE sale_lines SET voided = 1, voided_by = ? WHERE id % 97 = 0", (cashier,))
        tx.executemany(
            "INSERT INTO sales(terminal_id, status, cashier_id, currency, prices_include_tax, opened_at) "
            "VALUES ('T01', 'cancelled', ?, 'CAD', 0, ?)",
            [(cashier, iso(START + dt.timedelta(hours=3 * n))) for n in range(3_000)],
        )
    conn.execute("ANALYZE")


def store_for(products: int, lines: int) -> Path:
    base = ROOT / "build" / "bench" / f"reports-store-{products}-{lines}-v{DATA_VERSION}"
    if (base / "data" / "store.db").exists() and (base / "ready").exists():
        return base / "data"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    started = time.perf_counter()
    shop = build(base / "data", products, lines)
    extras(shop, products)
    shop.close()
    (base / "ready").write_text("ok\n")
    print(f"built store in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return base / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated report names")
    args = parser.parse_args()
    data = store_for(args.products, args.lines)
    shop = open_shop(load(data))
    manager = auth.login(shop, "manager", PASSWORD, "127.0.0.1").actor
    start, end = "2025-11-01", "2026-10-31"  # a whole year on the store's calendar
    wanted = [n for n in args.only.split(",") if n] or list(reports.REPORTS)
    results = {}
    for name in wanted:
        as_json: list[float] = []
        as_csv: list[float] = []
        rows = 0
        for _ in range(args.runs):
            t = time.perf_counter()
            report = reports.run(shop, manager, name, start, end)
            json.dumps(report)
            as_json.append(time.perf_counter() - t)
            t = time.perf_counter()
            full = reports.run(shop, manager, name, start, end, csv_rows=True)
            reports.to_csv(full)
            as_csv.append(time.perf_counter() - t)
            rows = len(full["rows"])
        results[name] = {
            "json_median_ms": round(statistics.median(as_json) * 1000, 1),
            "json_max_ms": round(max(as_json) * 1000, 1),
            "csv_median_ms": round(statistics.median(as_csv) * 1000, 1),
            "csv_max_ms": round(max(as_csv) * 1000, 1),
            "rows": rows,
        }
    lines = shop.db.conn.execute("SELECT count(*) FROM sale_lines").fetchone()[0]
    sales = shop.db.conn.execute("SELECT count(*) FROM sales WHERE status = 'completed'").fetchone()[0]
    shop.close()
    print(
        json.dumps(
            {
                "store": {
                    "products": args.products,
                    "sale_lines": lines,
                    "completed_sales": sales,
                    "size_mb": round((data / "store.db").stat().st_size / 1e6, 1),
                    "period": [start, end],
                },
                "reports": results,
                "target_ms": 500,
                "all_under_target": all(r["json_max_ms"] < 500 and r["csv_max_ms"] < 500 for r in results.values()),
                "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
