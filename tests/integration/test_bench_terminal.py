"""`bench/terminal.py` runs end to end at a tiny size (the till's server and each terminal
simulator for real on loopback) and prints the time of a terminal card sale for each
protocol, with the load average. The values are the machine's; only that each figure is
there, with a number, is checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NUMBER = r"\d+(\.\d+)?"


@pytest.mark.slow
def test_terminal_bench_prints_a_card_sale_time_per_protocol() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "terminal.py"), "--sales", "5", "--warmup", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    for protocol in ("nexo", "caisse-ap"):
        figure = (
            rf"^terminal card sale \({protocol}, open \+ 3 scans \+ pay by terminal, approved\):"
            rf" p50 {NUMBER} ms, p99 {NUMBER} ms \(5 sales\); load average {NUMBER}, {NUMBER}, {NUMBER}$"
        )
        assert re.search(figure, run.stdout, re.MULTILINE), f"{figure!r} not in:\n{run.stdout}"


def test_the_terminal_bench_refuses_an_unknown_protocol() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "terminal.py"), "--protocols", "telepathy"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert run.returncode == 2 and "--protocols" in run.stderr
