"""`bench/checkout.py` runs end to end at a tiny size (a real server on loopback, the floor on
the same file, two tills at once) and prints every figure the issue asks for. The values are
the machine's; only that each figure is there, with a number, is checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"\d+(\.\d+)?"
FIGURES = [
    rf"^store: 200 products, 1000 past lines, {NUMBER} MB$",
    rf"^client overhead: {NUMBER} ms a request, {NUMBER} ms a sale",
    rf"^sale p50: http {NUMBER} ms, floor {NUMBER} ms, ratio {NUMBER}x$",
    rf"^cpu per sale: server {NUMBER} ms, floor {NUMBER} ms, ratio {NUMBER}x$",
    rf"^scan p99 \(1 till\): http {NUMBER} ms, floor {NUMBER} ms \(150 scans\)$",
    rf"^sale p99 \(1 till\): http {NUMBER} ms, floor {NUMBER} ms \(30 sales\)$",
    rf"^sale p99 \(2 tills\): http {NUMBER} ms, p50 {NUMBER} ms, {NUMBER} sales/s \(30 sales\)$",
    rf"^cold start to /healthz: median {NUMBER} s \(runs {NUMBER}\)$",
]


@pytest.mark.slow
def test_checkout_bench_prints_every_figure(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "checkout.py"),
            *("--products", "200", "--lines", "1000", "--sales", "30", "--block", "10"),
            *("--tills", "2", "--cold-starts", "1", "--cache", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    for figure in FIGURES:
        assert re.search(figure, run.stdout, re.MULTILINE), f"{figure!r} not in:\n{run.stdout}"
