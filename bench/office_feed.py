"""The office's catalogue feed: a 100,000-product change reaching a till while it sells.

    python -m bench.office_feed [--products 100000] [--dir build/bench/office_feed] [--dsn DSN]

Without --dsn it makes a throwaway PostgreSQL 15 cluster under --dir (as the `postgres`
user when run as root), like tests/office. Then, for real: an office served on two loopback
ports, a till (an encrypted store) enrolled to it, the feed pulled over mutual TLS.

Two changes are timed: the chain's first catalogue of N products (each new on the till), then
a new price for every one of them. For each: the office's import, and the till's apply
(pages of 1,000, chunks of 100 rows per transaction) while a cashier scans without pause on
another thread: one scan = one line added to an open sale (a write through the writer
queue, like every scan). Scan latency is shown without the feed too, as the baseline.
Prints one line per case (with the load average: on a shared machine the wall times are
mostly waiting for a core; apply_cpu_s is the applying thread's own CPU), then JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from appliance.office import local_cluster
from appliance.office.local_cluster import free_port

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Sesame-2026-open"  # bench accounts only


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000 if ordered else 0.0


@contextmanager
def cluster(folder: Path) -> Iterator[str]:
    """A throwaway PostgreSQL 15 cluster under `folder` (appliance/office/local_cluster.py); its DSN."""
    import psycopg

    folder.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="pg-", dir=folder))
    found = local_cluster.start(root, superuser="bench", throwaway=True)
    try:
        with psycopg.connect(found.dsn(), autocommit=True) as c:
            c.execute("CREATE DATABASE office")
        yield found.dsn("office")
    finally:
        found.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def catalogue_file(count: int, price: str) -> str:
    from appliance.app.domain.barcode import with_check_digit

    rows = [
        f"B{n:06d},Product {n},{price},standard,{with_check_digit(f'200{n:09d}')},Aisle {n % 40}" for n in range(count)
    ]
    return "sku,name,price,tax_class,barcodes,category\n" + "\n".join(rows) + "\n"


def scanning(shop: object, cashier: object, stop: threading.Event, latencies: list[float]) -> None:
    from appliance.app.services import sales

    sale = None
    while not stop.is_set():
        if sale is None or len(latencies) % 25 == 0:
            sale = sales.open_sale(shop, cashier)  # type: ignore[arg-type]
        asked = time.perf_counter()
        sales.add_item(shop, cashier, sale["id"], barcode="4006381333931")  # type: ignore[arg-type]
        latencies.append(time.perf_counter() - asked)


def timed_apply(shop: object, fetch: object, cashier: object) -> dict[str, float]:
    from appliance.app.services import office_feed

    latencies: list[float] = []
    stop = threading.Event()
    scanner = threading.Thread(target=scanning, args=(shop, cashier, stop, latencies))
    scanner.start()
    time.sleep(0.2)
    before = len(latencies)
    started, cpu = time.perf_counter(), time.thread_time()
    rows = office_feed.pull(shop, fetch)  # type: ignore[arg-type]
    took, cpu = time.perf_counter() - started, time.thread_time() - cpu
    during = latencies[before:]
    stop.set()
    scanner.join()
    return {
        "rows": rows,
        "apply_s": round(took, 2),
        # The applying thread's own CPU: what the apply costs when the machine is not shared.
        "apply_cpu_s": round(cpu, 2),
        "scans": len(during),
        "scan_p50_ms": round(pct(during, 0.50), 2),
        "scan_p99_ms": round(pct(during, 0.99), 2),
        "scan_max_ms": round(max(during, default=0) * 1000, 2),
    }


def baseline(shop: object, cashier: object, seconds: float = 2.0) -> dict[str, float]:
    latencies: list[float] = []
    stop = threading.Event()
    scanner = threading.Thread(target=scanning, args=(shop, cashier, stop, latencies))
    scanner.start()
    time.sleep(seconds)
    stop.set()
    scanner.join()
    return {
        "scans": len(latencies),
        "scan_p50_ms": round(pct(latencies, 0.5), 2),
        "scan_p99_ms": round(pct(latencies, 0.99), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=ROOT / "build" / "bench" / "office_feed")
    parser.add_argument("--dsn", help="an empty PostgreSQL database (default: a throwaway cluster under --dir)")
    args = parser.parse_args()
    # A SIGTERM (timeout, kill) unwinds like Ctrl-C, so the throwaway cluster is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    if args.dsn:
        run(args.dsn, args.dir, args.products)
    else:
        with cluster(args.dir) as dsn:
            run(dsn, args.dir, args.products)


@contextmanager
def served_office(dsn: str, folder: Path) -> Iterator[tuple[Any, int]]:
    """An office made in the empty database `dsn` and served in a thread on two loopback
    ports: the office and its enrolment port."""
    from appliance.office import server
    from appliance.office.services.office import open_office
    from appliance.office.services.setup import init_office

    init_office(dsn, folder, password="Office-2026-open", host_names=["127.0.0.1"])
    office = open_office(dsn, folder, pooled=True)
    port, enrol_port = free_port(), free_port()
    found = server.servers(office, "127.0.0.1", port, enrol_port)
    threading.Thread(target=lambda: asyncio.run(server.run(found)), daemon=True).start()
    while not all(s.started for s in found):
        time.sleep(0.02)
    try:
        yield office, enrol_port
    finally:
        for s in found:
            s.should_exit = True
        office.close()


def run(dsn: str, folder: Path, count: int) -> dict[str, object]:
    with served_office(dsn, folder / "office") as (office, enrol_port):
        return run_served(office, enrol_port, folder, count)


def run_served(office: Any, enrol_port: int, folder: Path, count: int) -> dict[str, object]:
    from appliance.app.services import auth, catalog, users
    from appliance.app.services.setup import NewStore, init_store
    from appliance.lane import enrolment as lane
    from appliance.lane.feed import Fetcher
    from appliance.office.services import catalogue, enrolment

    shop, _ = init_store(folder / "till" / "data", NewStore(store_name="Bench", currency="EUR", taxes=(("VAT", "20"),)))
    users.add_user(shop, None, "cashier", "cashier", PASSWORD)
    catalog.import_csv(shop, None, "sku,name,price,tax_class,barcodes\nAPL,Apple,1.25,standard,4006381333931\n")
    cashier = auth.login(shop, "cashier", PASSWORD, "127.0.0.1").actor
    issued = enrolment.issue_token(office, "bench", "T01", issued_by="bench")
    lane.enrol(shop.data_dir, f"https://127.0.0.1:{enrol_port}", issued.token, ca_fingerprint=issued.ca_fingerprint)
    fetch = Fetcher(shop.data_dir)
    catalogue.put_tax_class(office, "standard", "Standard", [("VAT", "20")], actor="bench")
    results: dict[str, object] = {"products": count, "baseline": baseline(shop, cashier)}
    results["load_average_before"] = os.getloadavg()[0]
    print(f"scans alone: {results['baseline']}")
    for case, price in (("first catalogue", "1.00"), ("new price for every product", "1.10")):
        started = time.perf_counter()
        done = catalogue.import_csv(office, catalogue_file(count, price), actor="bench")
        office_s = round(time.perf_counter() - started, 2)
        applied = timed_apply(shop, fetch, cashier)
        results[case] = {"office_import_s": office_s, "changed": done.changed, **applied, "load": os.getloadavg()[0]}
        print(f"{case}: office import {office_s} s ({done.changed} changes); till {applied}")
    fetch.close()
    shop.close()
    print(json.dumps(results))
    return results


if __name__ == "__main__":
    main()
