"""`comptoir demo-store` (what `make run-store` runs): a PostgreSQL cluster, the office and two
demo tills enrolled to it come up; each lane's events reach the office; Ctrl-C stops every
one of them, the cluster too. Real processes on free loopback ports."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from appliance.office import local_cluster

STARTS_WITHIN = 60.0  # seconds: the first run makes the cluster, the office and both tills
ACKED_WITHIN = 20.0  # a till pushes its outbox every 3 s
STOPS_WITHIN = 20.0


def five_free_ports() -> int:
    """The first of five consecutive free loopback ports (office, enrolment, lane 1, lane 2,
    back office)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = int(probe.getsockname()[1])
        if first + 4 < 65536 and all(free(first + n) for n in range(5)):
            return first
    raise AssertionError("no five free ports in a row")


def free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def descendants(pid: int) -> set[int]:
    """Every process below pid, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(text[text.rindex(")") + 2 :].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] != "Z"


def postmaster(folder: Path) -> int | None:
    """The pid the cluster's postmaster.pid names, when that process is there."""
    try:
        pid = int((folder / "pg" / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if alive(pid) else None


@pytest.fixture
def folder() -> Iterator[Path]:
    # Under /tmp itself: as root the server runs as postgres, who cannot pass through pytest's
    # own (0700) temporary folders.
    root = Path(tempfile.mkdtemp(prefix="comptoir-run-store-"))
    root.chmod(0o755)
    try:
        yield root / "store"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Running:
    said: str  # what it printed once up
    dsn: str


@contextlib.contextmanager
def demo_store(folder: Path, port: int) -> Iterator[Running]:
    """`comptoir demo-store` in a session of its own, as a terminal runs it; yields once the
    office and both tills are up. Leaving: Ctrl-C, and everything it started is gone."""
    out = folder.parent / "out.txt"
    with open(out, "wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "appliance", "demo-store", "--dir", str(folder), "--port", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTS_WITHIN
        while not ("Ctrl-C stops it all" in out.read_text() and healthy(port + 2) and healthy(port + 3)):
            assert proc.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.3)
        said = out.read_text()
        assert f"http://127.0.0.1:{port + 2}/" in said and f"http://127.0.0.1:{port + 3}/" in said
        assert f"Back office: https://127.0.0.1:{port + 4}/" in said and listening(port + 4), said
        dsn = re.search(r"COMPTOIR_OFFICE_DATABASE='([^']+)'", said)
        assert dsn, said
        seen = descendants(proc.pid)
        pg = postmaster(folder)
        assert pg is not None and len(seen) >= 3  # the office, two tills (the postmaster is its own session)

        yield Running(said, dsn.group(1))

        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C at a terminal: to the whole group
        assert proc.wait(STOPS_WITHIN) == 130, out.read_text()
        said = out.read_text()
        for stopped in ("Lane T02 stopped.", "Lane T01 stopped.", "The office stopped.", "PostgreSQL stopped."):
            assert stopped in said
        assert said.index("Lane T01 stopped.") < said.index("The office stopped.") < said.index("PostgreSQL stopped.")
        assert not [pid for pid in seen if alive(pid)], said
        assert not alive(pg), "the cluster is still running"
        assert not any(listening(port + n) for n in range(5))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        left = postmaster(folder)
        if left is not None:
            os.kill(left, signal.SIGKILL)
        out.unlink()


def lanes(running: Running, folder: Path) -> dict[str, tuple[int, int]]:
    """`comptoir office lanes`, read: till → (seq held, backlog)."""
    shown = subprocess.run(
        [sys.executable, "-m", "appliance", "office", "lanes", "--data-dir", str(folder / "office")],
        env={**os.environ, "COMPTOIR_OFFICE_DATABASE": running.dsn},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {
        m.group(1): (int(m.group(2)), int(m.group(3)))
        for m in re.finditer(r"demo-market +(T0\d) .* (\d+) +(\d+) +\d+\n", shown)
    }


@pytest.mark.slow
def test_demo_store_starts_an_office_and_two_lanes_and_ctrl_c_stops_them_all(folder: Path) -> None:
    why = local_cluster.missing()
    if why:
        pytest.skip(why)
    port = five_free_ports()
    with demo_store(folder, port) as first:
        # Shown once, made on the spot: the office's chain admin, each lane's admin.
        assert len(re.findall(r"one-time password: \S{8,}", first.said)) == 3, first.said
        deadline = time.monotonic() + ACKED_WITHIN
        # Both lanes' events held by the office, none left behind on either.
        while not (
            set(found := lanes(first, folder)) == {"T01", "T02"}
            and all(acked > 0 and backlog == 0 for acked, backlog in found.values())
        ):
            assert time.monotonic() < deadline, found
            time.sleep(1)

    with demo_store(folder, port) as again:  # a second `make run-store` reuses it all
        assert "one-time password" not in again.said and "Using the office" in again.said
        assert set(lanes(again, folder)) == {"T01", "T02"}


def refused(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appliance", "demo-store", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_port_taken_is_said_and_nothing_is_made(folder: Path) -> None:
    port = five_free_ports()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port + 3))
        squatter.listen()
        done = refused("--dir", str(folder), "--port", str(port))
    assert done.returncode == 2
    assert f"port {port + 3} (lane 2) already taken" in done.stderr
    assert not folder.exists()


def test_without_postgresql_it_says_how_to_get_it(folder: Path) -> None:
    done = refused("--dir", str(folder), "--port", str(five_free_ports()), COMPTOIR_PG_BIN=str(folder / "nowhere"))
    assert done.returncode == 2
    assert "PostgreSQL 15 is not installed" in done.stderr and "make system-deps-fast" in done.stderr
