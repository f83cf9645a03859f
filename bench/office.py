"""The office under load: lanes' events coming in, a day's backlog sent, a catalogue change
applied while the till sells.

    python -m bench.office [--tills 100,1000] [--sales 2000] [--products 100000] [--small]
                           [--dir build/bench/office] [--dsn DSN]

Without --dsn it makes a throwaway PostgreSQL 15 cluster under --dir (bench/office_feed.py's);
with it, DSN names a database whose user may create databases: two are made and dropped.
The office runs in a process of its own (`comptoir office serve`), as it does in a store.

1. Ingest with N simulated tills. N lanes are enrolled through the office's enrolment
   service (a key and certificate request each, the certificate made by the office's CA).
   Each sends --batches batches of --batch events, chained as a till chains them (the bodies
   are the real till's events of part 2, numbered and hashed again per lane with
   domain/outbox.py, so the office checks every link). Two ways in:
   - "service": every batch of the N lanes through lane_events.ingest (the function the
     HTTPS endpoint calls), --workers at once, round after round as tills push on a timer;
     the figure is the office's database work without TLS or HTTP.
   - "https": --https-lanes more lanes, enrolled over HTTPS, each in its own thread sending
     through appliance/lane/outbox.py as a till does (mutual TLS, a new connection a batch).
   Each prints events/s and the p99 of one batch's round trip.
2. A day's backlog: a real till store (encrypted) with --sales completed sales made through
   the services before it was enrolled, then its Pusher sends everything over mutual TLS until
   the office acknowledges its last event.
3. The catalogue apply: bench/office_feed.py's run, on its own database.

Each figure line ends with the 1-minute load average: on a shared machine a wall time is
mostly waiting for a core.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench import office_feed
from bench.checkout import cpu_of
from bench.office_feed import pct

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Sesame-2026-open"  # bench accounts only
SMALL = {"tills": "5,20", "sales": 20, "products": 300, "https_lanes": 4}


def load() -> str:
    return f"load {os.getloadavg()[0]:.2f}"


@contextmanager
def database(server_dsn: str, name: str) -> Iterator[str]:
    """A new, empty database beside `server_dsn`'s; dropped after."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    with psycopg.connect(server_dsn, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_conninfo(server_dsn, dbname=name)
    finally:
        with psycopg.connect(server_dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def office_process(dsn: str, data_dir: Path) -> Iterator[tuple[int, int]]:
    """`comptoir office serve` in a process of its own: its pid and its enrolment port."""
    port, enrol_port = office_feed.free_port(), office_feed.free_port()
    where = ["--database", dsn, "--data-dir", str(data_dir)]
    command = [sys.executable, "-m", "appliance", "office", "serve", *where, "--port", str(port)]
    served = subprocess.Popen([*command, "--enrol-port", str(enrol_port)], cwd=ROOT, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        for at in (port, enrol_port):
            while True:
                if served.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the office did not start")
                try:
                    socket.create_connection(("127.0.0.1", at), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
        yield served.pid, enrol_port
    finally:
        served.terminate()
        served.wait(timeout=30)


# -- 2. a day's backlog --------------------------------------------------------------------------


def till_with_sales(data_dir: Path, sales: int) -> Any:
    """An encrypted till store with `sales` completed sales of three lines, paid cash."""
    from appliance.app.services import auth, catalog, shifts, users
    from appliance.app.services import sales as selling
    from appliance.app.services.setup import NewStore, init_store

    shop, _ = init_store(data_dir, NewStore(store_name="Bench", currency="EUR", taxes=(("VAT", "20"),)))
    users.add_user(shop, None, "cashier", "cashier", PASSWORD)
    catalog.import_csv(
        shop,
        None,
        "sku,name,price,tax_class,barcodes\nAPL,Apple,1.25,standard,4006381333931\n"
        "BRD,Bread,3.49,standard,96385074\nMLK,Milk 2 L,5.29,standard,036000291452\n",
    )
    cashier = auth.login(shop, "cashier", PASSWORD, "127.0.0.1").actor
    shifts.open_shift(shop, cashier, {"10000": 1})
    for n in range(sales):
        sale = selling.open_sale(shop, cashier)
        selling.add_item(shop, cashier, sale["id"], barcode="4006381333931")
        selling.add_item(shop, cashier, sale["id"], sku="BRD", quantity=1 + n % 3)
        selling.add_item(shop, cashier, sale["id"], sku="MLK")
        selling.pay_cash(shop, cashier, sale["id"], 5000)
    return shop


def backlog(folder: Path, enrol_url: str, office: Any, sales: int) -> list[dict[str, Any]]:
    """Part 2; the till's events, for part 1 to use as the shape of a till's events."""
    from appliance.app.services import outbox, outbox_push
    from appliance.lane import enrolment as lane
    from appliance.office.services import enrolment

    started = time.perf_counter()
    shop = till_with_sales(folder / "till" / "data", sales)
    made = time.perf_counter() - started
    issued = enrolment.issue_token(office, "bench", "DAY", issued_by="bench")
    lane.enrol(shop.data_dir, enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
    pusher = outbox_push.Pusher(shop, outbox_push.office_sender(shop))
    state = outbox.backlog(shop)
    started = time.perf_counter()
    while pusher.run_once():
        pass
    took = time.perf_counter() - started
    after = outbox.backlog(shop)
    if after["acked_seq"] != after["last_seq"]:
        raise SystemExit(f"the backlog was not all taken: {after}")
    events = [dict(e) for e in outbox.events(shop)]
    shop.close()
    print(
        f"backlog: {sales} sales, {state['backlog']} events sent in {took:.2f} s"
        f" ({state['backlog'] / took:.0f} events/s, batches of {outbox.BATCH}, mutual TLS)"
        f" until acked_seq == last_seq == {after['last_seq']}; the sales took {made:.1f} s to make; {load()}"
    )
    return events


# -- 1. ingest -----------------------------------------------------------------------------------


def chained(shapes: list[dict[str, Any]], count: int, till: str) -> list[dict[str, Any]]:
    """`count` events as a till would write them: the shapes' kinds and bodies in turn,
    numbered from 1 and each linked to the one before."""
    from appliance.app.domain.outbox import GENESIS, event_hash

    events, prev = [], GENESIS
    for seq in range(1, count + 1):
        shape = shapes[(seq - 1) % len(shapes)]
        body = {**shape["body"], "terminal_id": till} if "terminal_id" in shape["body"] else shape["body"]
        at = f"2026-12-06T{8 + seq // 3600 % 12:02d}:{seq // 60 % 60:02d}:{seq % 60:02d}+00:00"
        link = event_hash(prev, seq, at, shape["kind"], body)
        events.append({"seq": seq, "at": at, "kind": shape["kind"], "body": body, "prev_hash": prev, "hash": link})
        prev = link
    return events


def enrol_lanes(office: Any, store: str, tills: list[str], workers: int) -> dict[str, str]:
    """Each till enrolled through the office's enrolment service; its certificate's fingerprint."""
    from cryptography import x509

    from appliance.office.services import enrolment
    from appliance.security import pki

    def one(till: str) -> tuple[str, str]:
        issued = enrolment.issue_token(office, store, till, issued_by="bench")
        request = pki.request_pem(pki.lane_request(pki.new_key(), "lane", "till"))
        cert = enrolment.enrol(office, issued.token, request, origin="bench").certificate
        return till, pki.fingerprint(x509.load_pem_x509_certificate(cert.encode("ascii")))

    with ThreadPoolExecutor(workers) as pool:
        return dict(pool.map(one, tills))


def figures(events: int, wall: float, latencies: list[float], more: str = "") -> str:
    return (
        f"{events / wall:.0f} events/s ({events} events in {wall:.2f} s),"
        f" batch p50 {pct(latencies, 0.5):.1f} ms, p99 {pct(latencies, 0.99):.1f} ms{more}; {load()}"
    )


def ingest_service(
    office: Any, lanes: dict[str, str], plan: dict[str, list[list[dict[str, Any]]]], workers: int
) -> str:
    from appliance.office.services import lane_events

    latencies: list[float] = []
    total = sum(len(b) for batches in plan.values() for b in batches)

    def send(till: str, round_no: int) -> int:
        batch = plan[till][round_no]
        asked = time.perf_counter()
        done = lane_events.ingest(office, lanes[till], batch, batch[-1]["seq"], origin="bench")
        latencies.append(time.perf_counter() - asked)
        if done.stored != len(batch) or done.alarms:
            raise SystemExit(f"{till}: the office did not take its batch as is: {done}")
        return done.stored

    rounds = len(next(iter(plan.values())))
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        for r in range(rounds):
            list(pool.map(send, plan, [r] * len(plan)))
    return figures(total, time.perf_counter() - started, latencies)


def ingest_https(
    folder: Path,
    served: tuple[int, str],
    office: Any,
    store: str,
    lanes: int,
    shapes: list[dict[str, Any]],
    batches: int,
    size: int,
) -> str:
    from appliance.lane import enrolment as lane
    from appliance.lane import outbox as wire
    from appliance.office.services import enrolment

    pid, enrol_url = served
    dirs = []
    for n in range(lanes):
        data = folder / f"H{n:03d}" / "data"
        data.mkdir(parents=True)
        issued = enrolment.issue_token(office, store, f"H{n:03d}", issued_by="bench")
        lane.enrol(data, enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
        dirs.append(data)
    plan = [chained(shapes, batches * size, f"H{n:03d}") for n in range(lanes)]
    latencies: list[float] = []
    failures: list[str] = []
    gate = threading.Barrier(lanes + 1)

    def till(n: int) -> None:
        gate.wait()
        for b in range(batches):
            batch = plan[n][b * size : (b + 1) * size]
            asked = time.perf_counter()
            answer = wire.send(dirs[n], batch, batch[-1]["seq"])
            latencies.append(time.perf_counter() - asked)
            if answer["stored"] != len(batch) or answer["alarms"]:
                failures.append(f"H{n:03d}: {answer}")

    threads = [threading.Thread(target=till, args=(n,)) for n in range(lanes)]
    for t in threads:
        t.start()
    gate.wait()
    started, cpu = time.perf_counter(), cpu_of(pid)
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - started, cpu_of(pid) - cpu
    if failures or len(latencies) != lanes * batches:
        raise SystemExit(f"over HTTPS, batches were not taken: {failures[:3]}")
    # The office's own CPU: what a batch costs it, TLS handshake and all, apart from the
    # simulated tills that share the machine with it.
    office_ms = cpu / (lanes * batches) * 1000
    return figures(lanes * batches * size, wall, latencies, f", office CPU {office_ms:.1f} ms a batch")


def ingest(
    args: argparse.Namespace,
    folder: Path,
    office: Any,
    served: tuple[int, str],
    shapes: list[dict[str, Any]],
    tills: int,
) -> None:
    store = f"bench{tills}"
    names = [f"T{n:04d}" for n in range(tills)]
    started = time.perf_counter()
    lanes = enrol_lanes(office, store, names, args.workers)
    print(f"{tills} tills: enrolled through the enrolment service in {time.perf_counter() - started:.1f} s; {load()}")
    plan = {}
    for till in names:
        events = chained(shapes, args.batches * args.batch, till)
        plan[till] = [events[b * args.batch : (b + 1) * args.batch] for b in range(args.batches)]
    shown = f"{args.batches} batches of {args.batch} events a till"
    measured = ingest_service(office, lanes, plan, args.workers)
    print(f"{tills} tills, service lane_events.ingest, no HTTP ({args.workers} at once, {shown}): {measured}")
    https = min(tills, args.https_lanes)
    measured = ingest_https(folder / store, served, office, store, https, shapes, args.batches, args.batch)
    print(f"{tills} tills, https POST /v1/events ({https} of them at once, mutual TLS, {shown}): {measured}")


# -- all three -----------------------------------------------------------------------------------


def run(args: argparse.Namespace, server_dsn: str) -> None:
    from appliance.office.services.office import open_office
    from appliance.office.services.setup import init_office

    folder: Path = args.dir
    print(f"office bench: tills {args.tills}, sales {args.sales}, products {args.products}; {load()}")
    with database(server_dsn, f"bench_office_{os.getpid()}") as dsn:
        init_office(dsn, folder / "office", password="Office-2026-open", host_names=["127.0.0.1"])
        with office_process(dsn, folder / "office") as (pid, enrol_port):
            office = open_office(dsn, folder / "office", pooled=True)
            enrol_url = f"https://127.0.0.1:{enrol_port}"
            try:
                shapes = backlog(folder, enrol_url, office, args.sales)
                for tills in [int(t) for t in args.tills.split(",")]:
                    ingest(args, folder / "lanes", office, (pid, enrol_url), shapes, tills)
            finally:
                office.close()
    with database(server_dsn, f"bench_feed_{os.getpid()}") as dsn:
        print(f"catalogue apply: bench/office_feed.py with {args.products} products; {load()}")
        results = office_feed.run(dsn, folder / "feed", args.products)
    for case in ("first catalogue", "new price for every product"):
        got: Any = results[case]
        print(
            f"catalogue apply ({case}, {args.products} products): office import {got['office_import_s']} s,"
            f" till apply {got['apply_s']} s (cpu {got['apply_cpu_s']} s), scan p99 during it"
            f" {got['scan_p99_ms']} ms over {got['scans']} scans (alone: {json.dumps(results['baseline'])});"
            f" load {got['load']:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tills", default="100,1000", help="the numbers of simulated tills, comma separated")
    parser.add_argument("--sales", type=int, default=2000, help="the day's sales in the backlog")
    parser.add_argument("--products", type=int, default=100_000, help="the catalogue change")
    parser.add_argument("--batch", type=int, default=20, help="events in one batch of a simulated till")
    parser.add_argument("--batches", type=int, default=5, help="batches each simulated till sends")
    parser.add_argument("--workers", type=int, default=8, help="batches at once through the service")
    parser.add_argument("--https-lanes", type=int, default=50, help="tills sending over HTTPS at once")
    parser.add_argument("--small", action="store_true", help=f"a size for CI: {SMALL}")
    parser.add_argument("--dir", type=Path, default=ROOT / "build" / "bench" / "office")
    parser.add_argument("--dsn", help="a database whose user may create databases (default: a throwaway cluster)")
    args = parser.parse_args()
    if args.small:
        for name, value in SMALL.items():
            setattr(args, name, value)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    if args.dsn:
        run(args, args.dsn)
    else:
        with office_feed.cluster(args.dir / "pg") as dsn:
            run(args, dsn)


if __name__ == "__main__":
    main()
