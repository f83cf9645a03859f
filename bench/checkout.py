"""Checkout benchmark: a big store served for real on loopback, timed from a client.

    .venv/bin/python bench/checkout.py [--products 100000] [--lines 1000000] [--sales 200]

Prints one JSON object: login, scan-to-line and 5-line cash sale latencies (p50/p99, ms)
over HTTP, cold start to a healthy /healthz, and the same writes done directly on an
SQLCipher connection (the floor the HTTP path is compared with). The store is built once
per size in build/bench/ and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.datagen import DATA_VERSION, PASSWORD, barcode, build

ROOT = Path(__file__).resolve().parent.parent


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000, 2)


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": pct(samples, 0.50),
        "p99_ms": pct(samples, 0.99),
        "mean_ms": round(statistics.mean(samples) * 1000, 2),
        "n": len(samples),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def store_for(products: int, lines: int) -> Path:
    base = ROOT / "build" / "bench" / f"store-{products}-{lines}-v{DATA_VERSION}"
    if (base / "data" / "store.db").exists():
        return base / "data"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    started = time.perf_counter()
    build(base / "data", products, lines).close()
    print(f"built store in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return base / "data"


def start_server(data: Path, port: int, gateway: str | None = None) -> tuple[subprocess.Popen[bytes], float]:
    started = time.perf_counter()
    env = {**os.environ, **({"COMPTOIR_GATEWAY_URL": gateway} if gateway else {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "appliance", "serve", "--data-dir", str(data), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/healthz"
    while True:
        try:
            if httpx.get(url, timeout=0.5).status_code == 200:
                return proc, time.perf_counter() - started
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server died: {proc.stderr.read().decode() if proc.stderr else ''}")
        if time.perf_counter() - started > 30:
            raise SystemExit("server did not become healthy in 30 s")
        time.sleep(0.01)


def start_acquirer() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "appliance", "acquirer", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        raise SystemExit(f"acquirer did not start: {line!r}")
    return proc, line.rsplit(" ", 1)[1].strip()


def over_http(data: Path, products: int, sales: int) -> dict[str, object]:
    port = free_port()
    cold = []
    for _ in range(3):
        proc, took = start_server(data, port)
        cold.append(took)
        proc.terminate()
        proc.wait(10)
    acquirer, gateway = start_acquirer()
    proc, _ = start_server(data, port, gateway)
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        logins = []
        token = ""
        for _ in range(10):
            t = time.perf_counter()
            answer = client.post("/api/v1/auth/login", json={"username": "cashier", "password": PASSWORD})
            logins.append(time.perf_counter() - t)
            token = answer.json()["token"]
        client.headers["authorization"] = f"Bearer {token}"
        # Cash is taken only while a shift is open on the till (the store's rule).
        opened = client.post("/api/v1/shifts", json={"count": {"2000": 5}})
        assert opened.status_code == 201, opened.text
        scans: list[float] = []
        whole: list[float] = []
        step = max(products // 997, 1)
        item = 0
        for n in range(sales):
            t0 = time.perf_counter()
            sale = client.post("/api/v1/sales").json()
            for _ in range(5):
                item = (item + step) % products + 1
                t = time.perf_counter()
                answer = client.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": barcode(item)})
                scans.append(time.perf_counter() - t)
                assert answer.status_code == 200, answer.text
            due = answer.json()["totals"]["due"]
            paid = client.post(
                f"/api/v1/sales/{sale['id']}/payments",
                json={"method": "cash", "amount": due + 1000},
                headers={"Idempotency-Key": f"bench-{os.getpid()}-{n}"},
            )
            assert paid.json()["status"] == "completed", paid.text
            whole.append(time.perf_counter() - t0)
        cards: list[float] = []
        for n in range(max(sales // 4, 10)):
            t0 = time.perf_counter()
            sale = client.post("/api/v1/sales").json()
            item = (item + step) % products + 1
            due = client.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": barcode(item)}).json()["totals"][
                "due"
            ]
            card = {"number": "4111" + "1" * 12, "exp_month": 12, "exp_year": time.gmtime().tm_year + 2}
            paid = client.post(
                f"/api/v1/sales/{sale['id']}/payments",
                json={"method": "card", "amount": due, "card": card},
                headers={"Idempotency-Key": f"bench-card-{os.getpid()}-{n}"},
            )
            assert paid.json()["status"] == "completed", paid.text
            cards.append(time.perf_counter() - t0)
        return {
            "card_sale_1_line_via_acquirer": summary(cards),
            "cold_start_to_healthz": {
                "runs_s": [round(c, 3) for c in cold],
                "median_s": round(statistics.median(cold), 3),
            },
            "login": summary(logins),
            "scan_to_line": summary(scans),
            "cash_sale_5_lines": summary(whole),
        }
    finally:
        proc.terminate()
        proc.wait(10)
        acquirer.terminate()
        acquirer.wait(10)


def floor(data: Path, products: int, sales: int) -> dict[str, object]:
    """The same writes as a 5-line sale, straight on one SQLCipher connection: no HTTP, no
    services, one transaction per step as the services use."""
    from appliance.app.store.db import Database
    from appliance.security.keys import provider_for

    db = Database(data / "store.db", provider_for("store", data))
    scans: list[float] = []
    whole: list[float] = []
    step = max(products // 991, 1)
    item = 0
    for _ in range(sales):
        t0 = time.perf_counter()
        with db.transaction() as tx:
            sale_id = tx.execute(
                "INSERT INTO sales(terminal_id, status, cashier_id, currency, prices_include_tax, opened_at) "
                "VALUES ('T01', 'open', 1, 'CAD', 0, 'now')"
            ).lastrowid
        for n in range(1, 6):
            item = (item + step) % products + 1
            t = time.perf_counter()
            with db.transaction() as tx:
                row = tx.execute(
                    "SELECT p.id, sku, name, price FROM barcodes b JOIN products p ON p.id = b.product_id "
                    "WHERE b.code = ?",
                    (barcode(item),),
                ).fetchone()
                tx.execute(
                    "INSERT INTO sale_lines(sale_id, line_no, product_id, sku, name, unit_price, quantity, "
                    "tax_class) VALUES (?, ?, ?, ?, ?, ?, 1, 'standard')",
                    (sale_id, n, row[0], row[1], row[2], row[3]),
                )
            scans.append(time.perf_counter() - t)
        with db.transaction() as tx:
            tx.execute(
                "INSERT INTO payments(sale_id, method, amount, tendered, created_at, user_id) "
                "VALUES (?, 'cash', 1, 1, 'now', 1)",
                (sale_id,),
            )
            tx.execute("UPDATE sales SET status = 'cancelled' WHERE id = ?", (sale_id,))
        whole.append(time.perf_counter() - t0)
    db.close()
    return {"scan_to_line": summary(scans), "cash_sale_5_lines": summary(whole)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=200)
    args = parser.parse_args()
    data = store_for(args.products, args.lines)
    result = {
        "store": {
            "products": args.products,
            "past_sale_lines": args.lines,
            "size_mb": round((data / "store.db").stat().st_size / 1e6, 1),
        },
        "http": over_http(data, args.products, args.sales),
        "sqlcipher_floor": floor(data, args.products, args.sales),
        "targets": {"scan_to_line_p99_ms": 15, "cash_sale_p99_ms": 60, "cold_start_s": 2},
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
