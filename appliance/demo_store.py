"""`comptoir demo-store` (what `make run-store` runs): a store of two lanes and its office on
this machine. A PostgreSQL cluster in a folder, the office served from it, two demo tills
enrolled to it, each served on its own loopback port; Ctrl-C (or SIGTERM, SIGHUP) stops the
tills, the office and the cluster, in that order.

Everything is made on the first run and reused after: the cluster's data, the office, the
tills and their enrolment. Passwords are made on the spot and shown once, as `make run`
does. The tills run without the simulated acquirer and terminal of `make run` (the Card
tender is off): two of each would only be noise beside what this demo shows, the office.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.resources
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from appliance import shell
from appliance.office import local_cluster
from appliance.processes import ended_with_us, port_free, stop_child, stopped_by_term_and_hup

STORE = "demo-market"  # the store's code at the office
TILLS = ("T01", "T02")
SUPERUSER = "comptoir"
DATABASE = "office"
SOCKET_PORT = 5432  # names the socket file in the cluster's own folder; no TCP port is opened
STARTS_WITHIN = 30.0  # seconds, for each server


class DemoStoreError(Exception):
    """The demo cannot start; the message says why (exit 2)."""


def run(folder: Path, port: int) -> int:
    """Serves the office on `port` (lanes) and `port`+1 (enrolment), the tills on the two after,
    and the office's back office on the one after them (`port`+4)."""
    ports = {
        "the office": port,
        "its enrolment": port + 1,
        "lane 1": port + 2,
        "lane 2": port + 3,
        "its back office": port + 4,
    }
    taken = [f"{p} ({name})" for name, p in ports.items() if not port_free(p)]
    if taken:
        raise DemoStoreError(f"port {', '.join(taken)} already taken: stop what uses it or pick others with --port")
    why = local_cluster.missing()
    if why:
        raise DemoStoreError(why)
    folder = folder.resolve()
    _reachable(folder)
    lanes = [folder / f"lane{n}" for n in (1, 2)]
    _same_office(lanes, port)
    with stopped_by_term_and_hup(), contextlib.ExitStack() as running:
        try:
            cluster = local_cluster.start(folder / "pg", superuser=SUPERUSER, port=SOCKET_PORT)
        except local_cluster.ClusterError as exc:
            raise DemoStoreError(str(exc)) from None
        running.callback(_stop_cluster, cluster)
        dsn = _database(cluster)
        office_dir = folder / "office"
        _office(dsn, office_dir)
        office_args = ["--database", dsn, "--data-dir", str(office_dir), "--port", str(port)]
        office_args += ["--enrol-port", str(port + 1), "--back-office-port", str(port + 4)]
        office_up = functools.partial(_listening_on, port, port + 1, port + 4)
        servers = {
            "the office": running.enter_context(_served("the office", ["office", "serve", *office_args], office_up))
        }
        for lane, till, till_port in zip(lanes, TILLS, (port + 2, port + 3), strict=True):
            _till(lane, till, dsn, office_dir, port + 1)
            name, up = f"lane {till}", functools.partial(shell.healthy, f"http://127.0.0.1:{till_port}")
            servers[name] = running.enter_context(
                _served(name, ["serve", "--data-dir", str(lane), "--port", str(till_port)], up)
            )
        _tell(folder, dsn, office_dir, port)
        return _until_stopped(servers)


def _reachable(folder: Path) -> None:
    """Makes the folder; as root the server runs as another user, who must reach its folder
    through ours: every folder made here is opened for passing through (not for listing)."""
    made = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        made.append(parent)
    folder.mkdir(parents=True, exist_ok=True)
    for path in made:
        path.chmod(0o711)
    folder.chmod(0o711)


def _same_office(lanes: list[Path], port: int) -> None:
    """Tills enrolled on an earlier run know the office by its port then."""
    from appliance.lane import enrolment
    from appliance.lane.feed import enrolled

    for lane in lanes:
        if enrolled(lane):
            known = enrolment.link(lane).lane_url
            if not known.endswith(f":{port}"):
                raise DemoStoreError(
                    f"the tills in {lane.parent} are enrolled to the office at {known}: run with that port"
                    f" (make run-store STORE_PORT=…), or delete {lane.parent} to start over"
                )


def _stop_cluster(cluster: local_cluster.Cluster) -> None:
    cluster.stop()
    print("PostgreSQL stopped.", flush=True)


def _database(cluster: local_cluster.Cluster) -> str:
    try:
        local_cluster.create_database(cluster, DATABASE)
    except local_cluster.ClusterError as exc:
        raise DemoStoreError(str(exc)) from None
    return cluster.dsn(DATABASE)


def _demo_catalogue() -> str:
    """The demo store's catalogue without its stock column (stock is each store's own)."""
    text = (importlib.resources.files("appliance.app") / "demo" / "catalog.csv").read_text(encoding="utf-8")
    return "\n".join(line.rsplit(",", 1)[0] for line in text.splitlines()) + "\n"


def _office(dsn: str, office_dir: Path) -> None:
    """The office, made on the first run with the demo's catalogue and the tills' tax classes."""
    from appliance.office.services import catalogue
    from appliance.office.services.office import open_office
    from appliance.office.services.setup import init_office

    if office_dir.exists():
        print(f"Using the office in {office_dir} (delete {office_dir.parent} to start over).")
        return
    done = init_office(dsn, office_dir, host_names=["127.0.0.1", "localhost"])
    office = open_office(dsn, office_dir)
    try:
        # As the tills have them: the feed brings these to every lane.
        catalogue.put_tax_class(office, "standard", "Standard", [("GST", "5"), ("QST", "9.975")], actor="demo-store")
        catalogue.put_tax_class(office, "exempt", "Exempt", [], actor="demo-store")
        catalogue.import_csv(office, _demo_catalogue(), actor="demo-store", currency="CAD")
    finally:
        office.close()
    print(f"Office created in {office_dir}, with the demo catalogue.")
    print(f"Chain admin: {done.admin}   one-time password: {done.one_time_password}   (shown once)")


def _till(lane: Path, till: str, dsn: str, office_dir: Path, enrol_port: int) -> None:
    """A demo till in `lane`, made on the first run and enrolled to the office."""
    from appliance.app.services.setup import NewStore, init_store
    from appliance.lane import enrolment as lane_side
    from appliance.lane.feed import enrolled
    from appliance.office.services import enrolment
    from appliance.office.services.office import open_office

    if not (lane / "store.db").exists():
        shop, password = init_store(
            lane,
            NewStore(store_name="Comptoir Demo Market", header=("123 Rue Saint-Denis, Montréal",)),
            terminal_id=till,
        )
        shop.close()
        (lane / "comptoir.toml").write_text(f'[comptoir]\nterminal_id = "{till}"\nhost = "127.0.0.1"\n', "utf-8")
        print(f"Lane {till} created in {lane}: log in as admin, one-time password: {password}   (shown once)")
    if enrolled(lane):
        return
    office = open_office(dsn, office_dir)
    try:
        issued = enrolment.issue_token(office, STORE, till, issued_by="demo-store")
    finally:
        office.close()
    lane_side.enrol(lane, f"https://127.0.0.1:{enrol_port}", issued.token, ca_fingerprint=issued.ca_fingerprint)
    print(f"Lane {till} enrolled to the office as till {till} of store {STORE}.")


@contextlib.contextmanager
def _served(name: str, command: list[str], up: Callable[[], bool]) -> Iterator[subprocess.Popen[str]]:
    """`comptoir COMMAND` as a child that ends with us; yields once `up()` says it serves."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "appliance", *command],
        stdin=subprocess.DEVNULL,
        text=True,
        preexec_fn=ended_with_us(),  # no thread of ours runs yet: safe between fork and exec
    )
    try:
        deadline = time.monotonic() + STARTS_WITHIN
        while not up():
            if proc.poll() is not None:
                raise DemoStoreError(f"{name} did not start (it said why above)")
            if time.monotonic() > deadline:
                raise DemoStoreError(f"{name} did not answer within {STARTS_WITHIN:.0f} s")
            time.sleep(0.2)
        yield proc
    finally:
        stop_child(proc)
        print(f"{name[0].upper()}{name[1:]} stopped.", flush=True)


def _listening_on(*ports: int) -> bool:
    return not any(port_free(p) for p in ports)


def _tell(folder: Path, dsn: str, office_dir: Path, port: int) -> None:
    print()
    print(f"Office of store {STORE}: https://127.0.0.1:{port} (lanes, mutual TLS), enrolment on {port + 1}.")
    print(f"Back office: https://127.0.0.1:{port + 4}/   log in as admin: the office's password shown when it")
    print(f"  was made (its certificate is the office's own: the browser asks you to trust {office_dir}/ca.pem)")
    print(f"  From a terminal: export COMPTOIR_OFFICE_DATABASE='{dsn}'")
    print(f"  then: comptoir office lanes --data-dir {office_dir}")
    for n, till in enumerate(TILLS, start=1):
        print(f"Lane {n} (till {till}): http://127.0.0.1:{port + 1 + n}/   log in as admin: the password shown")
        lane = folder / f"lane{n}"
        print(f"  when it was made, or a new one from `comptoir user reset-password --data-dir {lane} admin`")
    print("No simulated card terminal or acquirer here (`make run` has them). Ctrl-C stops it all.", flush=True)


def _until_stopped(servers: dict[str, subprocess.Popen[str]]) -> int:
    """Waits for Ctrl-C; a server that ends by itself ends the demo (1), stopping the rest."""
    while True:
        time.sleep(0.5)
        for name, proc in servers.items():
            if proc.poll() is not None:
                print(f"{name} ended by itself (exit {proc.returncode}); stopping the rest.", flush=True)
                return 1
