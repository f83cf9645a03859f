"""A simulated terminal stops on SIGTERM even when more SIGTERMs land while it handles the first:
its parent's death sends one per thread of the parent (PR_SET_PDEATHSIG), and `comptoir demo`
once left the nexo simulator running behind a SIGKILL that way."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.processes import free_port

HARNESS = Path(__file__).with_name("signals_while_stopping.py")


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("protocol", ["nexo", "caisse-ap"])
def test_sigterms_arriving_while_it_stops_do_not_keep_it_running(tmp_path: Path, protocol: str) -> None:
    port = free_port()
    args = ["terminal-sim", "serve", "--protocol", protocol, "--port", str(port), "--state", str(tmp_path / "s.json")]
    proc = subprocess.Popen(
        [sys.executable, str(HARNESS), *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not listening(port):
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the simulator did not listen"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("the simulator still runs 10 s after SIGTERM: its handler deadlocked on a second one")
        assert proc.returncode == 0, err
        assert not listening(port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
