"""The simulated Caisse-AP terminal in its own process, on a free loopback port: the
`restart` behaviour ends the process, as a terminal rebooting mid-transaction would."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.drivers.terminal_caisse_ap import CaisseApTerminal
from appliance.processes import free_port

SIMULATOR = "appliance.drivers.terminal_sim_caisse_ap"


class Simulator:
    def __init__(self, state: Path) -> None:
        self.state = state
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", SIMULATOR, "--port", str(self.port), "--state", str(self.state)]
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the simulated terminal did not start") from None
                time.sleep(0.05)

    def exited(self, within: float = 10) -> int:
        assert self.proc is not None
        return self.proc.wait(within)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def terminal(self, *, lookup: str = "journal", status_timeout: float = 10.0) -> CaisseApTerminal:
        return CaisseApTerminal("127.0.0.1", self.port, lookup=lookup, status_timeout=status_timeout)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Simulator]:
    simulator = Simulator(tmp_path / "terminal" / "state.json")
    simulator.start()
    yield simulator
    simulator.stop()
