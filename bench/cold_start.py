"""Cold start benchmark: from `comptoir serve` to a healthy till, and what its imports cost.

    .venv/bin/python bench/cold_start.py [--runs 5] [--printer none] [--repo PATH]

A throwaway store is made with `comptoir init` (its comptoir.toml says printer = "none", as
on a fresh box); `--printer memory` (or any printer spec) serves it with a printer instead.
Each run starts `python -m appliance serve` on a free loopback port and polls GET /healthz
over a raw socket until it answers 200: the time from the spawn to that answer is the cold
start. Then `python -X importtime -c "import appliance.app.server"` shows where the import
time goes (cumulative per module). `--repo` times another checkout's code with the same
interpreter, e.g. the commit before a change. Prints one JSON object of medians in ms, with
the load average before and after (this machine is shared: compare runs made together).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEALTHY_WITHIN = 60.0  # seconds; past that the run fails rather than hangs
DRIVERS = ("escpos", "usb", "serial", "qrcode", "barcode", "PIL", "httpx")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def healthz_status(port: int) -> int | None:
    """The status of one GET /healthz, or None while nothing listens yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            head = conn.recv(64)
    except OSError:
        return None
    parts = head.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


def environment(printer: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPTOIR_")}
    env["COMPTOIR_PRINTER"] = printer
    return env


def start_healthy(
    data_dir: Path, port: int, *, repo: Path = ROOT, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], float]:
    """`python -m appliance serve` on `port`, and the seconds from the spawn to its first
    healthy answer (GET /healthz polled over a raw socket: the poll costs the start nothing)."""
    command = [sys.executable, "-m", "appliance", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    began = time.perf_counter()
    proc = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while healthz_status(port) != 200:
            if proc.poll() is not None:
                said = proc.stderr.read().decode() if proc.stderr else ""
                raise SystemExit(f"the server stopped ({proc.returncode}): {said[-2000:]}")
            if time.perf_counter() - began > HEALTHY_WITHIN:
                raise SystemExit(f"no healthy answer in {HEALTHY_WITHIN:.0f} s")
            time.sleep(0.005)
    except BaseException:
        stop(proc)
        raise
    return proc, time.perf_counter() - began


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def cold_start(repo: Path, data_dir: Path, printer: str) -> float:
    """Seconds from spawning the server to its first healthy answer."""
    proc, took = start_healthy(data_dir, free_port(), repo=repo, env=environment(printer))
    stop(proc)
    return took


def import_times(repo: Path, printer: str) -> dict[str, int]:
    """Cumulative microseconds per module of one `import appliance.app.server`."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import appliance.app.server"],
        cwd=repo,
        env=environment(printer),
        capture_output=True,
        text=True,
        check=True,
    )
    times: dict[str, int] = {}
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "[us]" in line:
            continue
        _, cumulative, name = line.split("|")
        times[name.strip()] = int(cumulative)
    return times


def interpreter_start(repo: Path) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], cwd=repo, check=True)
    return time.perf_counter() - began


def ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--printer", default="none", help="the printer spec to serve with (default none)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout whose code is timed")
    parser.add_argument("--top", type=int, default=15, help="how many modules to list by import time")
    args = parser.parse_args()
    repo = args.repo.resolve()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="comptoir-cold-start-") as tmp:
        data_dir = Path(tmp) / "data"
        subprocess.run(
            [sys.executable, "-m", "appliance", "init", "--data-dir", str(data_dir)],
            cwd=repo,
            env=environment("none"),
            stdout=subprocess.DEVNULL,
            check=True,
        )
        starts = [cold_start(repo, data_dir, args.printer) for _ in range(args.runs)]
    imports = [import_times(repo, args.printer) for _ in range(args.runs)]
    bare = [interpreter_start(repo) for _ in range(args.runs)]
    names = set().union(*imports)
    median_us = {name: statistics.median(run.get(name, 0) for run in imports) for name in names}
    top = sorted(median_us.items(), key=lambda item: -item[1])[: args.top]
    print(
        json.dumps(
            {
                "repo": str(repo),
                "printer": args.printer,
                "runs": args.runs,
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "cold_start_to_healthy_ms": {"median": ms(statistics.median(starts)), "all": [ms(s) for s in starts]},
                "python_c_pass_ms": ms(statistics.median(bare)),
                "import_appliance_app_server_ms": round(median_us.get("appliance.app.server", 0) / 1000, 1),
                "top_cumulative_imports_ms": {name: round(us / 1000, 1) for name, us in top},
                "driver_libraries_imported": [name for name in DRIVERS if name in names],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
