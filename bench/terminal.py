"""Terminal card sale benchmark: the time of a card-present sale on the till, over HTTP,
against each terminal simulator.

    .venv/bin/python bench/terminal.py [--sales 200] [--protocols nexo,caisse-ap]

Small size (CI, a check that it runs): --sales 10.

Per protocol, three real processes on loopback: the simulator (`comptoir terminal-sim serve
--protocol P`, approving at once), a fresh store's `comptoir serve` with
COMPTOIR_TERMINAL_URL on it (the nexo simulator's passphrase and CA copied to the till's key
dir, as an installer would), and this client on one keep-alive connection. One sale is what a
cashier does: open a sale, scan 3 items, pay the total by terminal, approved (201, the sale
completed); timed from the open to the answer of the payment. The machine's load average
(`uptime`) is printed beside the figures: on a shared machine they move with it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appliance.app.services import auth, catalog, users
from appliance.app.services.setup import NewStore, init_store
from appliance.security.keys import key_dir_for
from bench.datagen import barcode

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Bench-terminal-2026"  # a throwaway store's account
BARCODES = (barcode(1), barcode(2), barcode(3))
CATALOG = (
    "sku,name,price,tax_class,barcodes,stock\n"
    f"APL,Apple,1.20,exempt,{BARCODES[0]},1000000\n"
    f"BRD,Bread,3.45,exempt,{BARCODES[1]},1000000\n"
    f"MLK,Milk,2.10,exempt,{BARCODES[2]},1000000\n"
)
URLS = {
    "nexo": "nexo://127.0.0.1:{port}?poi=SIM400-000000001&key_id=comptoir-sim",
    "caisse-ap": "caisse-ap://127.0.0.1:{port}?lookup=journal",
}
SIMULATOR = (sys.executable, "-m", "appliance", "terminal-sim", "serve")
KEY_FILES = {"nexo": ("terminal-nexo.passphrase", "terminal-nexo-ca.pem"), "caisse-ap": ()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pct(samples: list[float], p: float) -> float:
    """The p-th quantile in ms (nearest rank)."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def load_average() -> str:
    """`uptime`'s load average, as it prints it."""
    out = subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout
    return out.rsplit("load average:", 1)[-1].strip() if "load average:" in out else "unknown"


def wait_for(port: int, proc: subprocess.Popen[bytes], what: str, path: str | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if path is None:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).status_code == 200:
                return
        except (OSError, httpx.HTTPError):
            pass
        time.sleep(0.05)
    raise SystemExit(f"{what} did not come up")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def sale(http: httpx.Client) -> float:
    """One card sale, seconds from the open to the payment's answer."""
    started = time.perf_counter()
    opened = http.post("/api/v1/sales")
    assert opened.status_code == 201, opened.text
    path = f"/api/v1/sales/{opened.json()['id']}"
    answer = opened
    for code in BARCODES:
        answer = http.post(path + "/items", json={"barcode": code})
        assert answer.status_code == 200, answer.text
    due = answer.json()["totals"]["due"]
    paid = http.post(path + "/payments/terminal", json={"amount": due}, headers={"Idempotency-Key": str(uuid.uuid4())})
    took = time.perf_counter() - started
    assert paid.status_code == 201 and paid.json()["status"] == "completed", paid.text
    return took


def run(protocol: str, sales: int, warmup: int, work: Path) -> list[float]:
    data = work / "data"
    state = work / "terminal" / "state.json"
    shop, _ = init_store(data, NewStore(store_name="Terminal Bench", currency="EUR"))
    users.add_user(shop, None, "cashier", "cashier", PASSWORD)
    catalog.import_csv(shop, None, CATALOG)
    auth.throttle._failures.clear()
    shop.close()
    sim_port, port = free_port(), free_port()
    logs = open(work / "processes.log", "ab")
    sim = subprocess.Popen(
        [*SIMULATOR, "--protocol", protocol, "--port", str(sim_port), "--state", str(state)],
        cwd=ROOT,
        stdout=logs,
        stderr=logs,
    )
    server = None
    try:
        wait_for(sim_port, sim, "the terminal simulator")
        keys = key_dir_for(data)
        keys.mkdir(parents=True, exist_ok=True)
        for name in KEY_FILES[protocol]:
            shutil.copy(state.parent / name, keys / name)
            (keys / name).chmod(0o600)
        env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
        env["COMPTOIR_TERMINAL_URL"] = URLS[protocol].format(port=sim_port)
        server = subprocess.Popen(
            [sys.executable, "-m", "appliance", "serve", "--data-dir", str(data), "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=logs,
            stderr=logs,
        )
        wait_for(port, server, "the till's server", "/healthz")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60, trust_env=False) as http:
            login = http.post("/api/v1/auth/login", json={"username": "cashier", "password": PASSWORD})
            assert login.status_code == 200, login.text
            http.headers["authorization"] = f"Bearer {login.json()['token']}"
            for _ in range(warmup):
                sale(http)
            return [sale(http) for _ in range(sales)]
    finally:
        if server is not None:
            stop(server)
        stop(sim)
        logs.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sales", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--protocols", default="nexo,caisse-ap")
    args = parser.parse_args(argv)
    protocols = [p for p in args.protocols.split(",") if p]
    unknown = set(protocols) - set(URLS)
    if unknown or args.sales < 1:
        print(f"--protocols is among {', '.join(URLS)}; --sales is 1 or more", file=sys.stderr)
        return 2
    for protocol in protocols:
        with tempfile.TemporaryDirectory(prefix="bench-terminal-") as work:
            took = run(protocol, args.sales, args.warmup, Path(work))
        print(
            f"terminal card sale ({protocol}, open + 3 scans + pay by terminal, approved):"
            f" p50 {pct(took, 0.5):.1f} ms, p99 {pct(took, 0.99):.1f} ms ({len(took)} sales);"
            f" load average {load_average()}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
