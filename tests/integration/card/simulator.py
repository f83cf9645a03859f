"""Starts the simulated acquirer as a real subprocess on loopback, and stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def running_simulator(*, state: Path | None = None, hang_seconds: float = 30.0, port: int = 0) -> Iterator[str]:
    """Yields the simulator's base URL once it listens."""
    cmd = [
        sys.executable,
        "-m",
        "appliance.drivers.acquirer_sim",
        "--port",
        str(port),
        "--hang-seconds",
        str(hang_seconds),
    ]
    if state is not None:
        cmd += ["--state", str(state)]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "listening on" not in line:
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise RuntimeError(f"simulator did not start: {line!r} {err[-2000:]}")
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
