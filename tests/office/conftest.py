"""A throwaway PostgreSQL 15 cluster for the office's tests: one per session, made by the
test run itself in a temporary folder, reached only through a UNIX socket in that folder
(no TCP port is opened), and a fresh database for each test.

The cluster is appliance/office/local_cluster.py's (as root, the server runs as the `postgres`
user). Nothing is started as a service on the host, and the cluster is stopped and removed at
the end of the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from appliance.office import local_cluster
from appliance.office.local_cluster import Cluster
from appliance.processes import free_port

SUPERUSER = "comptoir_test"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    why = local_cluster.missing()
    if why:
        pytest.skip(why)
    root = Path(tempfile.mkdtemp(prefix="comptoir-pg-"))
    cluster = local_cluster.start(root, superuser=SUPERUSER, throwaway=True)
    try:
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


_numbers = itertools.count(1)


@pytest.fixture
def office_dsn(pg_cluster: Cluster) -> Iterator[str]:
    """A fresh, empty database for one test; dropped after it."""
    import psycopg

    name = f"office_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_cluster.dsn(name)
    finally:
        with psycopg.connect(pg_cluster.dsn(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- an office, made and served ------------------------------------------------------------------

ADMIN_PASSWORD = "Office-2026-open"  # meets the rules; test accounts only


@dataclass
class RunningOffice:
    office: object  # appliance.office.services.office.Office
    data_dir: Path
    dsn: str
    port: int
    enrol_port: int

    @property
    def enrol_url(self) -> str:
        return f"https://127.0.0.1:{self.enrol_port}"

    @property
    def lane_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"


def fleet_cli(office: RunningOffice, *extra: str) -> int:
    """`comptoir compliance fleet-report` built from this office alone; its exit code."""
    from appliance.cli import main

    return main(
        [
            "compliance",
            "fleet-report",
            "--office-database",
            office.dsn,
            "--office-data-dir",
            str(office.data_dir),
            *extra,
        ]
    )


@pytest.fixture
def office_dir(office_dsn: str, tmp_path: Path) -> Path:
    """An initialised office: its data dir (the database is `office_dsn`)."""
    from appliance.office.services.setup import init_office

    folder = tmp_path / "office"
    init_office(office_dsn, folder, password=ADMIN_PASSWORD, host_names=["localhost", "127.0.0.1"])
    return folder


@pytest.fixture
def running_office(office_dsn: str, office_dir: Path) -> Iterator[RunningOffice]:
    """The office served on two free loopback ports, in a thread of the test process."""
    from appliance.office import server
    from appliance.office.services.office import open_office

    office = open_office(office_dsn, office_dir, pooled=True)
    port, enrol_port = free_port(), free_port()
    try:
        with served(server.servers(office, "127.0.0.1", port, enrol_port)):
            yield RunningOffice(office, office_dir, office_dsn, port, enrol_port)
    finally:
        office.close()  # type: ignore[attr-defined]


@contextlib.contextmanager
def served(found: list[uvicorn.Server]) -> Iterator[None]:
    """The office's servers on a thread of the test process while the block runs. One that
    cannot start (uvicorn says why in the log, then exits its thread) fails the test with that."""
    from appliance.office import server

    ended: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.run(found))
        except (Exception, SystemExit) as exc:  # noqa: BLE001 reported below; SystemExit is uvicorn's failed bind
            ended.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not all(s.started for s in found):
        assert thread.is_alive(), f"the office's servers did not start: {ended!r} (the log above says why)"
        assert time.monotonic() < deadline, "the office's servers did not start within 20 s"
        time.sleep(0.02)
    try:
        yield
    finally:
        for s in found:
            s.should_exit = True
        thread.join(timeout=20)
        assert not thread.is_alive(), "the office's servers did not stop within 20 s"


@pytest.fixture
def till_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "till"
    folder.mkdir(mode=0o700)
    return folder


def writes_go_on_while_asked(
    asking: threading.Event, go_on: threading.Event, ask: Callable[[], object], write: Callable[[], object]
) -> bool:
    """`ask` (a till's request whose office call sets `asking`, then waits for `go_on`) runs on a
    thread; while the office is being asked, `write` (another write of the same till) runs on
    another. True when that write finished before the office answered: the office call held no
    transaction, so the process's one writer queue was free."""
    asked = threading.Thread(target=ask)
    asked.start()
    try:
        assert asking.wait(10), "the office was never asked"
        done: list[object] = []
        other = threading.Thread(target=lambda: done.append(write()))
        other.start()
        other.join(10)
        return not other.is_alive() and len(done) == 1
    finally:
        go_on.set()
        asked.join(10)
