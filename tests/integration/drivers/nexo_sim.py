"""The nexo terminal simulator as a real process (`comptoir terminal-sim serve`), started,
stopped and restarted on one loopback port, and a driver connected to it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from appliance.drivers import terminal
from appliance.drivers.nexo_sim_answers import POIID
from appliance.drivers.terminal_nexo import NexoTerminal
from appliance.drivers.terminal_sim_nexo import KEY_ID
from appliance.processes import free_port

SERVE = (sys.executable, "-m", "appliance", "terminal-sim", "serve", "--protocol", "nexo")


class Simulator:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.state = folder / "terminal-state.json"
        self.port = free_port()
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"nexo://127.0.0.1:{self.port}?poi={POIID}&key_id={KEY_ID}&sale_id=till-1"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [*SERVE, "--port", str(self.port), "--state", str(self.state)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if "listening on" not in line:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
            raise RuntimeError(f"the simulator did not start: {line!r} {err[-2000:]}")

    def wait_exit(self, timeout: float = 30) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout)
        self._close()
        return code

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        assert self.proc is not None
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        self.proc = None

    def driver(self) -> NexoTerminal:
        found = terminal.connect(self.url, key_dir=self.folder)
        assert isinstance(found, NexoTerminal)
        return found


def until(check: object, timeout: float = 20) -> None:
    """Waits until check() is true: for a state another process reaches, not a timing test."""
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the simulator never got there")
        time.sleep(0.05)
