"""`bench/office.py` runs end to end at its CI size (an office in its own process on this
session's cluster, a till's backlog, simulated tills through the service and over HTTPS, the
catalogue feed) and prints every figure the issue asks for. The values are the machine's;
only that each figure is there, with a number, is checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.office.conftest import Cluster

ROOT = Path(__file__).resolve().parents[2]
N = r"\d+(\.\d+)?"
LOAD = rf"; load {N}$"
FIGURES = [
    rf"^backlog: 20 sales, {N} events sent in {N} s \({N} events/s, .*\) until acked_seq == last_seq == {N};.*{LOAD}",
    *(
        rf"^{tills} tills, {way}.*: {N} events/s \({events} events in {N} s\), batch p50 {N} ms, p99 {N} ms{more}{LOAD}"
        for tills in (5, 20)
        for way, events, more in (
            ("service lane_events.ingest", tills * 100, ""),
            ("https POST /v1/events", 4 * 100, rf", office CPU {N} ms a batch"),
        )
    ),
    *(
        rf"^catalogue apply \({case}, 300 products\): office import {N} s, till apply {N} s .*"
        rf" scan p99 during it {N} ms over \d+ scans .*{LOAD}"
        for case in ("first catalogue", "new price for every product")
    ),
]


def test_office_bench_prints_every_figure(pg_cluster: Cluster, tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.office", "--small", "--dsn", pg_cluster.dsn(), "--dir", str(tmp_path / "bench")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    for figure in FIGURES:
        assert re.search(figure, run.stdout, re.MULTILINE), f"{figure!r} not in:\n{run.stdout}"
