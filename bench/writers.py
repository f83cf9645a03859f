"""Writers of one process: how long a write waits for its turn, with the store's writer
queue and without it (SQLite's busy handler alone), and commits per second at FULL and NORMAL.

    python -m bench.writers [--per-thread 100] [--work-us 300] [--dir build/bench/writers]

Then one writer alone, FULL and NORMAL in alternate blocks: commits per second at each.

Each write is sale-like: read the sale's header, insert a line, update the header, with
`--work-us` of Python work inside the transaction (pricing a real scan takes about that).
The wait is from asking for the transaction to the first statement inside it (queue and
BEGIN IMMEDIATE). "busy handler" replaces the queue with nothing: the threads then wait in
SQLite's busy handler (busy_timeout 10 s), as they did before the queue.

The store lives under --dir, on a real disk: in tmpfs an fsync costs nothing and FULL and
NORMAL would look the same. Prints one line per case, then JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

from appliance.app.store import db as store
from appliance.app.store.writers import WriterQueue
from appliance.security.keys import key_dir_for

ROOT = Path(__file__).resolve().parent.parent
THREADS = (1, 2, 8)


def pct(samples: list[float], p: float) -> float:
    """The p-th quantile in ms (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def busy(us: int) -> None:
    until = time.perf_counter() + us / 1e6
    while time.perf_counter() < until:
        pass


def sale_like(db: store.Database, sale: int, work_us: int, durable: bool, waits: list[float]) -> None:
    asked = time.perf_counter()
    with db.transaction(durable=durable) as tx:
        waits.append(time.perf_counter() - asked)
        tx.execute("SELECT lines FROM bench_sales WHERE id = ?", (sale,)).fetchone()
        busy(work_us)
        tx.execute("INSERT INTO bench_lines(sale, sku, qty, price) VALUES (?, 'APL', 1, 125)", (sale,))
        tx.execute("UPDATE bench_sales SET lines = lines + 1 WHERE id = ?", (sale,))


@contextlib.contextmanager
def without_queue() -> Iterator[None]:
    with (
        mock.patch.object(WriterQueue, "acquire", lambda self, timeout=0: None),
        mock.patch.object(WriterQueue, "release", lambda self: None),
    ):
        yield


def run(db: store.Database, threads: int, per_thread: int, work_us: int, durable: bool) -> dict[str, object]:
    waits: list[float] = []
    errors: list[str] = []
    done: list[float] = []  # when each till finished its writes: far apart when some starve
    start = threading.Barrier(threads + 1)

    def till(n: int) -> None:
        mine: list[float] = []
        try:
            db.conn  # noqa: B018 - the thread's connection opened before the clock starts
            start.wait()
            for _ in range(per_thread):
                sale_like(db, n + 1, work_us, durable, mine)
            done.append(time.perf_counter())
        except Exception as exc:  # noqa: BLE001 - counted and printed
            errors.append(str(exc))
        waits.extend(mine)

    pool = [threading.Thread(target=till, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began
    return {
        "p50_wait_ms": round(pct(waits, 0.50), 2),
        "p99_wait_ms": round(pct(waits, 0.99), 2),
        "max_wait_ms": round(max(waits) * 1000, 2),
        "commits_per_s": round(len(waits) / elapsed),
        "first_till_done_s": round(min(done) - began, 3) if done else None,
        "last_till_done_s": round(max(done) - began, 3) if done else None,
        "errors": len(errors),
    }


def levels(db: store.Database, per_block: int, blocks: int, work_us: int) -> dict[str, float]:
    """Commits per second of one writer at FULL and at NORMAL, in blocks taken in turn so
    that both see the same disk and the same load; the median block of each."""
    rates: dict[str, list[float]] = {"FULL": [], "NORMAL": []}
    for _ in range(blocks):
        for name, durable in (("FULL", True), ("NORMAL", False)):
            waits: list[float] = []
            began = time.perf_counter()
            for _ in range(per_block):
                sale_like(db, 1, work_us, durable, waits)
            rates[name].append(per_block / (time.perf_counter() - began))
    return {name: round(sorted(r)[len(r) // 2]) for name, r in rates.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-thread", type=int, default=100)
    parser.add_argument("--work-us", type=int, default=300)
    parser.add_argument("--blocks", type=int, default=7, help="blocks of --per-thread commits at each level")
    parser.add_argument("--dir", type=Path, default=ROOT / "build" / "bench" / "writers")
    args = parser.parse_args()
    for left in (args.dir, key_dir_for(args.dir)):
        shutil.rmtree(left, ignore_errors=True)
    db, _ = store.create(args.dir)
    with db.transaction() as tx:
        tx.execute("CREATE TABLE bench_sales (id INTEGER PRIMARY KEY, lines INTEGER NOT NULL)")
        tx.execute("CREATE TABLE bench_lines (id INTEGER PRIMARY KEY, sale INT, sku TEXT, qty INT, price INT)")
        tx.executemany("INSERT INTO bench_sales VALUES (?, 0)", [(n + 1,) for n in range(max(THREADS))])
    results = []
    try:
        for durable in (False, True):
            for threads in THREADS:
                for queued in (True, False):
                    with contextlib.nullcontext() if queued else without_queue():
                        figures = run(db, threads, args.per_thread, args.work_us, durable)
                    case = {
                        "level": "FULL" if durable else "NORMAL",
                        "threads": threads,
                        "writers": "queue" if queued else "busy handler",
                        **figures,
                    }
                    results.append(case)
                    print(
                        f"{case['level']:6s} {threads} thread(s) {case['writers']:12s} "
                        f"wait p50 {figures['p50_wait_ms']:7.2f} ms p99 {figures['p99_wait_ms']:7.2f} ms "
                        f"max {figures['max_wait_ms']:7.2f} ms  {figures['commits_per_s']:5d} commits/s  "
                        f"tills done {figures['first_till_done_s']}-{figures['last_till_done_s']} s"
                        f"  errors {figures['errors']}",
                        flush=True,
                    )
        rates = levels(db, args.per_thread, args.blocks, args.work_us)
        print(
            f"one writer, median of {args.blocks} blocks: "
            f"FULL {rates['FULL']} commits/s, NORMAL {rates['NORMAL']} commits/s"
        )
    finally:
        db.close()
        for left in (args.dir, key_dir_for(args.dir)):
            shutil.rmtree(left, ignore_errors=True)
    figures = {"per_thread": args.per_thread, "work_us": args.work_us, "cases": results, "one_writer": rates}
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
