"""Checkout benchmark: a big store served for real on loopback, compared with the floor.

    .venv/bin/python bench/checkout.py [--products 1000000] [--lines 1000000] [--sales 2000] [--tills 8]

Small size (CI, a check that it runs): --products 200 --lines 1000 --sales 50 --tills 2.

The server is `python -m appliance serve` (what `comptoir serve` runs) on a throwaway copy of
a store built once per size in build/bench/ (its key is the copy's own). The client is one
reused HTTP/1.1 keep-alive connection per till (http.client): its own cost per request is
measured once against a canned local answer and printed, so it can be taken off.

The floor is the durable work of a real 5-line cash sale done straight on the same SQLCipher
file with the store's pragmas: the sale opened and each scan (a product read by barcode, a
line written) committed at synchronous=NORMAL, the completion (stock, receipt counter, sale,
taxes, payment, idempotency row) committed at FULL. It runs in blocks interleaved with the
HTTP blocks, so both see the same machine load. CPU per sale: the server process's CPU time
(/proc/<pid>/stat) over an HTTP block, this process's over a floor block.

Cold start is timed to the first 200 from /healthz, polled over a raw socket.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cold_start import free_port, start_healthy, stop
from bench.datagen import DATA_VERSION, PASSWORD, barcode, build

ROOT = Path(__file__).resolve().parent.parent
LINES_PER_SALE = 5
REQUESTS_PER_SALE = 2 + LINES_PER_SALE  # open, five scans, the cash payment
TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def pct(samples: list[float], p: float) -> float:
    """The p-th quantile in ms (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def store_for(cache: Path, products: int, lines: int) -> Path:
    base = cache / f"store-{products}-{lines}-v{DATA_VERSION}"
    if (base / "data" / "store.db").exists():
        return base / "data"
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    started = time.perf_counter()
    build(base / "data", products, lines).close()
    print(f"built store in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return base / "data"


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of the process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_S  # utime, stime (fields 14, 15)


class Till:
    """One keep-alive connection, JSON in and out: the lightest client that still speaks HTTP."""

    def __init__(self, port: int, token: str = "") -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"content-type": "application/json"}
        if token:
            self.headers["authorization"] = f"Bearer {token}"

    def post(self, path: str, body: object = None, extra: dict[str, str] | None = None) -> tuple[int, Any]:
        payload = b"" if body is None else json.dumps(body).encode()
        self.conn.request("POST", path, payload, {**self.headers, **(extra or {})})
        answer = self.conn.getresponse()
        data = answer.read()
        return answer.status, json.loads(data) if data else None

    def close(self) -> None:
        self.conn.close()


def client_overhead(requests: int = 2000) -> float:
    """Seconds one Till.post costs on its own: a thread answers a canned response at once."""
    body = b'{"totals": {"due": 1234567}}'
    canned = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            buffered = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buffered += chunk
                while b"\r\n\r\n" in buffered:
                    head, buffered = buffered.split(b"\r\n\r\n", 1)
                    length = next(
                        (int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")),
                        0,
                    )
                    while len(buffered) < length:
                        buffered += conn.recv(65536)
                    buffered = buffered[length:]
                    conn.sendall(canned)

    server = threading.Thread(target=answer, daemon=True)
    server.start()
    till = Till(port, "x" * 43)
    scan = {"barcode": barcode(1)}
    for _ in range(100):
        till.post("/api/v1/sales/1/items", scan)
    t = time.perf_counter()
    for _ in range(requests):
        till.post("/api/v1/sales/1/items", scan)
    took = (time.perf_counter() - t) / requests
    till.close()
    server.join(5)
    listener.close()
    return took


class Items:
    """Barcodes spread over the whole catalogue, so reads are not all from a warm page."""

    def __init__(self, products: int, start: int = 0) -> None:
        self.products = products
        self.step = max(products // 997, 1)
        self.item = start

    def next(self) -> str:
        self.item = (self.item + self.step) % self.products + 1
        return barcode(self.item)


def http_sale(till: Till, items: Items, key: str, scans: list[float]) -> None:
    status, sale = till.post("/api/v1/sales")
    assert status == 201, sale
    answer: Any = None
    for _ in range(LINES_PER_SALE):
        t = time.perf_counter()
        status, answer = till.post(f"/api/v1/sales/{sale['id']}/items", {"barcode": items.next()})
        scans.append(time.perf_counter() - t)
        assert status == 200, answer
    due = answer["totals"]["due"]
    status, paid = till.post(
        f"/api/v1/sales/{sale['id']}/payments", {"method": "cash", "amount": due + 1000}, {"Idempotency-Key": key}
    )
    assert status == 201 and paid["status"] == "completed", (status, paid)


class Floor:
    """The durable work of a 5-line cash sale straight on the store's SQLCipher file."""

    def __init__(self, data: Path, products: int) -> None:
        from appliance.app.store.db import Database
        from appliance.security.keys import provider_for

        self.db = Database(data / "store.db", provider_for("store", data))
        self.conn = self.db.conn  # the store's own pragmas (WAL, FULL, foreign keys, secure_delete)
        self.items = Items(products, start=products // 2)
        self.cashier = self.conn.execute("SELECT id FROM users WHERE username = 'cashier'").fetchone()[0]
        self.n = 0

    def _commit(self, durable: bool, work: Callable[[Any], None]) -> None:
        self.conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
        self.conn.execute("BEGIN IMMEDIATE")
        work(self.conn)
        self.conn.execute("COMMIT")

    def sale(self, scans: list[float]) -> None:
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        sale_id = 0
        lines: list[tuple[int, int, int]] = []  # product_id, line_no, price

        def open_sale(tx: Any) -> None:
            nonlocal sale_id
            tx.execute("INSERT OR IGNORE INTO terminals(id) VALUES ('T01')")
            sale_id = tx.execute(
                "INSERT INTO sales(terminal_id, status, cashier_id, currency, prices_include_tax, opened_at, "
                "business_day) VALUES ('T01', 'open', ?, 'CAD', 0, ?, ?)",
                (self.cashier, now, now[:10]),
            ).lastrowid

        self._commit(False, open_sale)
        for line_no in range(1, LINES_PER_SALE + 1):
            code = self.items.next()

            def scan(tx: Any, line_no: int = line_no, code: str = code) -> None:
                p = tx.execute(
                    "SELECT p.id, p.sku, p.name, p.price, p.tax_class FROM barcodes b "
                    "JOIN products p ON p.id = b.product_id WHERE b.code = ?",
                    (code,),
                ).fetchone()
                # The row as the store's sales.save_line writes it, every column.
                tx.execute(
                    "INSERT INTO sale_lines(sale_id, line_no, product_id, sku, name, barcode, unit_price, quantity, "
                    "tax_class, voided, category, discount_kind, discount_value, discount_reason, original_price, "
                    "override_reason, measure, restricted, restricted_approved_by) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, 0, NULL, NULL, NULL, '', NULL, '', '', 0, NULL)",
                    (sale_id, line_no, p[0], p[1], p[2], code, p[3], p[4]),
                )
                lines.append((p[0], line_no, p[3]))

            t = time.perf_counter()
            self._commit(False, scan)
            scans.append(time.perf_counter() - t)
        subtotal = sum(price for _, _, price in lines)
        gst, qst = subtotal * 5 // 100, subtotal * 9975 // 100000
        self.n += 1

        def complete(tx: Any) -> None:
            for product_id, _, _ in lines:
                tx.execute("UPDATE products SET stock_on_hand = stock_on_hand - 1 WHERE id = ?", (product_id,))
            tx.execute("INSERT OR IGNORE INTO terminals(id) VALUES ('T01')")
            receipt = tx.execute("SELECT next_receipt FROM terminals WHERE id = 'T01'").fetchone()[0]
            tx.execute("UPDATE terminals SET next_receipt = next_receipt + 1 WHERE id = 'T01'")
            tx.execute(
                "INSERT INTO payments(sale_id, method, amount, tendered, change, rounding, details, created_at, "
                "user_id) VALUES (?, 'cash', ?, ?, 1000, 0, '{}', ?, ?)",
                (sale_id, subtotal + gst + qst, subtotal + gst + qst + 1000, now, self.cashier),
            )
            tx.execute(
                "UPDATE sales SET status = 'completed', receipt_no = ?, completed_at = ?, subtotal = ?, tax = ?, "
                "total = ?, discount = 0, cash_rounding = 0 WHERE id = ? AND status = 'open'",
                (receipt, now, subtotal, gst + qst, subtotal + gst + qst, sale_id),
            )
            tx.executemany(
                "UPDATE sale_lines SET discount = 0, promotion = NULL WHERE sale_id = ? AND line_no = ?",
                [(sale_id, line_no) for _, line_no, _ in lines],
            )
            tx.executemany(
                "INSERT INTO sale_taxes(sale_id, name, rate, base, amount) VALUES (?, ?, ?, ?, ?)",
                [(sale_id, "GST", "5", subtotal, gst), (sale_id, "QST", "9.975", subtotal, qst)],
            )
            tx.execute(
                "INSERT INTO idempotency(key, user_id, route, request_hash, status, response, created_at) "
                "VALUES (?, ?, 'POST /api/v1/sales/{id}/payments', ?, 200, ?, ?)",
                (f"floor-{os.getpid()}-{self.n}", self.cashier, "0" * 64, receipt_json(sale_id, lines), now),
            )

        self._commit(True, complete)

    def close(self) -> None:
        self.db.close()


def receipt_json(sale_id: int, lines: list[tuple[int, int, int]]) -> str:
    """As long as the answer the server keeps with the idempotency key (the completed 5-line sale,
    about 2.7 kB when traced): its size, not its content, is what costs."""
    line = {"sku": "", "name": "", "barcode": "", "quantity": 1, "discount": 0, "net": 0, "promotion": None}
    body = {"id": sale_id, "status": "completed", "receipt_number": f"T01-{sale_id:06d}", "payments": [{}]}
    body["lines"] = [{**line, "line": n, "product": p, "unit_price": price} for p, n, price in lines]
    return json.dumps(body).ljust(2700)


def login(port: int) -> str:
    till = Till(port)
    status, answer = till.post("/api/v1/auth/login", {"username": "cashier", "password": PASSWORD})
    till.close()
    assert status == 200, answer
    return str(answer["token"])


def one_till(port: int, pid: int, data: Path, products: int, sales: int, block: int) -> dict[str, Any]:
    """HTTP blocks and floor blocks taken in turn; the order flips each round."""
    token = login(port)
    till = Till(port, token)
    # Cash is taken only while a shift is open on the till (the store's rule).
    status, opened = till.post("/api/v1/shifts", {"count": {"2000": 5}})
    assert status == 201, opened
    floor = Floor(data, products)
    items = Items(products)
    out: dict[str, Any] = {"http_sale": [], "http_scan": [], "floor_sale": [], "floor_scan": []}
    http_cpu = floor_cpu = 0.0
    done = 0
    for round_no in range((sales + block - 1) // block):
        n = min(block, sales - done)

        def http_block(n: int = n, done: int = done) -> float:
            # A fresh connection: after a floor block longer than uvicorn's keep-alive (5 s, on
            # a loaded machine) the server has closed the idle one and the next POST would fail.
            till.close()
            till.conn.connect()
            before = cpu_of(pid)
            for i in range(n):
                t = time.perf_counter()
                http_sale(till, items, f"bench-{os.getpid()}-{done + i}", out["http_scan"])
                out["http_sale"].append(time.perf_counter() - t)
            return cpu_of(pid) - before

        def floor_block(n: int = n) -> float:
            before = time.process_time()
            for _ in range(n):
                t = time.perf_counter()
                floor.sale(out["floor_scan"])
                out["floor_sale"].append(time.perf_counter() - t)
            return time.process_time() - before

        if round_no % 2:
            floor_cpu += floor_block()
            http_cpu += http_block()
        else:
            http_cpu += http_block()
            floor_cpu += floor_block()
        done += n
    till.close()
    floor.close()
    out["http_cpu"] = http_cpu / sales
    out["floor_cpu"] = floor_cpu / sales
    return out


def many_tills(port: int, products: int, sales: int, tills: int) -> tuple[list[float], float]:
    """`tills` clients at once, each on its own connection, `sales` sales in all."""
    token = login(port)

    def run(k: int) -> list[float]:
        till = Till(port, token)
        items = Items(products, start=k * 7919)
        took = []
        try:
            for i in range(k, sales, tills):
                t = time.perf_counter()
                http_sale(till, items, f"bench-{os.getpid()}-t{tills}-{i}", [])
                took.append(time.perf_counter() - t)
        finally:
            till.close()
        return took

    t = time.perf_counter()
    with ThreadPoolExecutor(tills) as pool:
        runs = list(pool.map(run, range(tills)))
    return [s for took in runs for s in took], time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=1_000_000, help="past sale lines already in the store")
    parser.add_argument("--sales", type=int, default=2000, help="sales at 1 till (and again at --tills)")
    parser.add_argument("--block", type=int, default=100, help="sales in each HTTP or floor block")
    parser.add_argument("--tills", type=int, default=8, help="concurrent tills for the last run (1: none)")
    parser.add_argument("--cold-starts", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "bench", help="where built stores are kept")
    args = parser.parse_args()
    built = store_for(args.cache, args.products, args.lines)
    with tempfile.TemporaryDirectory(prefix="comptoir-bench-") as scratch:
        # The whole folder: the store's key file sits beside the data dir, not in it.
        shutil.copytree(built.parent, Path(scratch) / "store")
        data = Path(scratch) / "store" / built.name
        port = free_port()
        cold = []
        for _ in range(args.cold_starts):
            proc, took = start_healthy(data, port)
            cold.append(took)
            stop(proc)
        overhead = client_overhead()
        proc, _ = start_healthy(data, port)
        try:
            one = one_till(port, proc.pid, data, args.products, args.sales, args.block)
            crowd = many_tills(port, args.products, args.sales, args.tills) if args.tills > 1 else None
        finally:
            stop(proc)
        size_mb = (data / "store.db").stat().st_size / 1e6
    print(f"store: {args.products} products, {args.lines} past lines, {size_mb:.1f} MB")
    print(f"machine: {os.cpu_count()} cpus, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"client overhead: {overhead * 1000:.3f} ms a request, "
        f"{overhead * REQUESTS_PER_SALE * 1000:.2f} ms a sale ({REQUESTS_PER_SALE} requests; included below)"
    )
    http50, floor50 = pct(one["http_sale"], 0.5), pct(one["floor_sale"], 0.5)
    print(f"sale p50: http {http50:.2f} ms, floor {floor50:.2f} ms, ratio {http50 / floor50:.1f}x")
    print(
        f"cpu per sale: server {one['http_cpu'] * 1000:.2f} ms, floor {one['floor_cpu'] * 1000:.2f} ms, "
        f"ratio {one['http_cpu'] / max(one['floor_cpu'], 1e-9):.1f}x"
    )
    print(
        f"scan p99 (1 till): http {pct(one['http_scan'], 0.99):.2f} ms, floor {pct(one['floor_scan'], 0.99):.2f} ms"
        f" ({len(one['http_scan'])} scans)"
    )
    print(
        f"sale p99 (1 till): http {pct(one['http_sale'], 0.99):.2f} ms, floor {pct(one['floor_sale'], 0.99):.2f} ms"
        f" ({len(one['http_sale'])} sales)"
    )
    if crowd is not None:
        crowd_took, wall = crowd
        print(
            f"sale p99 ({args.tills} tills): http {pct(crowd_took, 0.99):.2f} ms, p50 {pct(crowd_took, 0.5):.2f} ms,"
            f" {len(crowd_took) / wall:.1f} sales/s ({len(crowd_took)} sales)"
        )
    runs = ", ".join(f"{c:.2f}" for c in cold)
    print(f"cold start to /healthz: median {sorted(cold)[len(cold) // 2]:.2f} s (runs {runs})")
    if args.sales < 2000:
        print(f"note: {args.sales} sales is too few for a p99 worth quoting (use --sales 2000 or more)")


if __name__ == "__main__":
    main()
