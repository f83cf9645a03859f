"""`comptoir demo` (what `make run` runs) stops everything it started: the till, the simulated
card acquirer and the simulated payment terminal beside it, however it is stopped. Real
processes on free loopback ports."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.processes import free_port

STARTS_WITHIN = 60.0  # seconds; the first run also makes the demo store
STOPS_WITHIN = 15.0


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def alive(pid: int, started: str) -> bool:
    """The process is there and is still the one we saw (not a zombie, not a reused pid)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    fields = stat[stat.rindex(")") + 2 :].split()
    return fields[0] != "Z" and fields[19] == started


def children(pid: int) -> dict[int, str]:
    """The direct children of pid, each with its start time (to tell a reused pid)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found[int(stat.parent.name)] = fields[19]
    return found


@dataclass
class Demo:
    proc: subprocess.Popen[bytes]
    out: Path
    till_port: int
    acquirer_port: int
    acquirer_pid: int
    acquirer_started: str
    terminal_port: int
    kids: dict[int, str]

    def output(self) -> str:
        return self.out.read_text(errors="replace")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "data"  # the first demo makes the store, the others reuse it


@contextlib.contextmanager
def demo(data_dir: Path, out: Path, till_port: int) -> Iterator[Demo]:
    """`comptoir demo` in a session of its own, as a terminal would run it in its own process
    group; yields once the till and the acquirer both answer /healthz. Kills what is left at the end."""
    dropped = ("DISPLAY", "WAYLAND_DISPLAY", "COMPTOIR_GATEWAY_URL", "COMPTOIR_TERMINAL_URL", "COMPTOIR_DEMO_TERMINAL")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["PYTHONUNBUFFERED"] = "1"
    with open(out, "wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "appliance", "demo", "--data-dir", str(data_dir), "--port", str(till_port)],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    kids: dict[int, str] = {}
    try:
        deadline = time.monotonic() + STARTS_WITHIN
        acquirer_port = terminal_port = None
        while time.monotonic() < deadline and proc.poll() is None:
            said = re.search(r"Simulated card acquirer listening on port (\d+) ", out.read_text(errors="replace"))
            acquirer_port = int(said.group(1)) if said else None
            told = re.search(
                r"Simulated payment terminal \(nexo\) listening on port (\d+):", out.read_text(errors="replace")
            )
            terminal_port = int(told.group(1)) if told else None
            if acquirer_port and terminal_port and healthy(till_port) and healthy(acquirer_port):
                break
            time.sleep(0.2)
        else:
            pytest.fail(f"the demo did not come up (exit {proc.poll()}):\n{out.read_text(errors='replace')}")
        assert acquirer_port is not None and terminal_port is not None
        assert listening(terminal_port)
        kids = children(proc.pid)
        assert len(kids) == 2, f"the demo should have started two processes, the acquirer and the terminal: {kids}"
        acquirer = acquirer_port_owner(kids, acquirer_port)
        yield Demo(proc, out, till_port, acquirer_port, acquirer, kids[acquirer], terminal_port, kids)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for pid, started in kids.items():
            if alive(pid, started):
                os.kill(pid, signal.SIGKILL)


def acquirer_port_owner(kids: dict[int, str], acquirer_port: int) -> int:
    """Which child is the acquirer: the one whose command line names `acquirer`."""
    for pid in kids:
        if b"acquirer" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
            return pid
    pytest.fail(f"no child of the demo is the acquirer (port {acquirer_port}): {kids}")


def assert_all_stopped(run: Demo) -> None:
    try:
        run.proc.wait(STOPS_WITHIN)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the demo still runs {STOPS_WITHIN:.0f} s after being told to stop:\n{run.output()}")
    deadline = time.monotonic() + STOPS_WITHIN
    while time.monotonic() < deadline and any(alive(pid, started) for pid, started in run.kids.items()):
        time.sleep(0.1)
    assert not alive(run.acquirer_pid, run.acquirer_started), "the simulated acquirer outlived the demo"
    assert not any(alive(pid, started) for pid, started in run.kids.items()), "the simulated terminal outlived the demo"
    assert not listening(run.till_port), "something still listens on the till's port"
    assert not listening(run.acquirer_port), "something still listens on the acquirer's port"
    assert not listening(run.terminal_port), "something still listens on the terminal's port"
    assert "Traceback" not in run.output(), run.output()


def test_ctrl_c_at_the_terminal_stops_the_till_and_the_acquirer(data_dir: Path, tmp_path: Path) -> None:
    """Ctrl-C: the terminal sends SIGINT to the whole foreground process group."""
    port = free_port()
    with demo(data_dir, tmp_path / "out.txt", port) as run:
        assert f"serving Comptoir Demo Market on http://127.0.0.1:{port}/" in run.output()
        os.killpg(run.proc.pid, signal.SIGINT)
        assert_all_stopped(run)
        assert run.proc.returncode == 130
        assert "Simulated card acquirer stopped." in run.output()
        assert "Simulated payment terminal stopped." in run.output()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_to_the_demo_alone_stops_the_acquirer_too(
    data_dir: Path, tmp_path: Path, signum: signal.Signals
) -> None:
    """`kill PID`, an editor's stop button, make passing on SIGTERM, a closed terminal: only the
    demo hears it, and it stops the acquirer on its way out (SIGTERM and SIGHUP once left it running)."""
    with demo(data_dir, tmp_path / "out.txt", free_port()) as run:
        os.kill(run.proc.pid, signum)
        assert_all_stopped(run)
        # Ctrl-C's usual 130; SIGTERM's 143, and SIGHUP is taken as SIGTERM.
        assert run.proc.returncode == (130 if signum == signal.SIGINT else 128 + signal.SIGTERM)
        assert "Simulated card acquirer stopped." in run.output()


def test_a_killed_demo_does_not_leave_the_acquirer_behind(data_dir: Path, tmp_path: Path) -> None:
    """SIGKILL runs no `finally`: the acquirer is told by the kernel that its parent is gone."""
    with demo(data_dir, tmp_path / "out.txt", free_port()) as run:
        os.kill(run.proc.pid, signal.SIGKILL)
        assert_all_stopped(run)


def test_the_acquirer_takes_another_port_when_the_next_one_is_taken(data_dir: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        till_port = taken.getsockname()[1] - 1
        if listening(till_port) or till_port < 1024:
            pytest.skip("the port before the one taken is in use")
        with demo(data_dir, tmp_path / "out.txt", till_port) as run:
            assert run.acquirer_port not in (till_port, till_port + 1)
            assert f"(http://127.0.0.1:{run.acquirer_port})" in run.output()
            os.killpg(run.proc.pid, signal.SIGINT)
            assert_all_stopped(run)
