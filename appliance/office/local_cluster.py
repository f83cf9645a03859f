"""A PostgreSQL 15 cluster in a folder of this machine, for the office's tests, its bench and
`comptoir demo-store`: reached only through a UNIX socket in that folder (no TCP port is
opened; the port number only names the socket file), started with pg_ctl, never as a
service of the host.

The server refuses to run as root: when we are root, initdb and postgres run as the
`postgres` user (Debian's package makes it) through runuser, and the folder is handed to it.
"""

from __future__ import annotations

import os
import pwd
import subprocess
from dataclasses import dataclass
from pathlib import Path

from appliance.processes import free_port

PG_BIN = Path(os.environ.get("COMPTOIR_PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVER_USER = "postgres"  # who runs the server when we are root
# A throwaway cluster trades durability for speed: its data is gone at the end anyway.
THROWAWAY = "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"


class ClusterError(Exception):
    """The cluster cannot be made or started; the message says why."""


@dataclass(frozen=True)
class Cluster:
    folder: Path  # data/ (the cluster), run/ (its socket), log
    port: int
    superuser: str
    owner: str | None  # the user the server runs as, when not us

    @property
    def socket_dir(self) -> Path:
        return self.folder / "run"

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def dsn(self, database: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} user={self.superuser} dbname={database}"

    def running(self) -> bool:
        return _pg_ctl(self.owner, self.data, "status").returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """Stops the server and waits for it to be gone; quiet when it is not running."""
        _pg_ctl(self.owner, self.data, "-m", mode, "-w", "stop")


def missing() -> str | None:
    """Why no cluster can be made here (no PostgreSQL 15, root without a postgres user); None
    when one can."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL 15 is not installed ({PG_BIN}); `make system-deps-fast` installs it"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root, and there is no {SERVER_USER} user to run the server as"
    return None


def _as_owner(owner: str | None, command: list[str]) -> list[str]:
    return ["runuser", "-u", owner, "--", *command] if owner else command


def _pg_ctl(owner: str | None, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The server in a session of its own: a Ctrl-C at the terminal reaches whoever started
    # it, who stops it after what uses it, not the server first.
    return subprocess.run(
        _as_owner(owner, [str(PG_BIN / "pg_ctl"), "-D", str(data), *args]),
        check=False,
        capture_output=True,
        text=True,
        start_new_session=True,
    )


def start(folder: Path, *, superuser: str, port: int | None = None, throwaway: bool = False) -> Cluster:
    """The cluster in `folder`, made there on first use (an existing one is kept, with its
    data) and started on `port` (only the socket file's name: a fixed one keeps the DSN the
    same from run to run), else a free one. A server left running there (a run killed
    with SIGKILL) is stopped first, so that the socket is where the answer says."""
    why = missing()
    if why:
        raise ClusterError(why)
    owner = SERVER_USER if os.geteuid() == 0 else None
    cluster = Cluster(folder, port or free_port(), superuser, owner)
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    cluster.socket_dir.mkdir(exist_ok=True)
    if owner:
        entry = pwd.getpwnam(owner)
        for path in (folder, cluster.socket_dir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        if subprocess.run(_as_owner(owner, ["test", "-w", str(folder)]), check=False).returncode != 0:
            raise ClusterError(f"the {owner} user cannot reach {folder}: a folder above it is closed to others")
    if not (cluster.data / "PG_VERSION").exists():
        made = subprocess.run(
            _as_owner(
                owner,
                [str(PG_BIN / "initdb"), "-D", str(cluster.data), "-A", "trust", "-U", superuser, "-E", "UTF8"]
                + (["--no-sync"] if throwaway else []),
            ),
            check=False,
            capture_output=True,
            text=True,
        )
        if made.returncode != 0:
            raise ClusterError(f"initdb failed in {cluster.data}: {made.stderr.strip() or made.stdout.strip()}")
    elif cluster.running():
        cluster.stop()
    options = f"-k {cluster.socket_dir} -p {cluster.port} -c listen_addresses=''"
    if throwaway:
        options += f" {THROWAWAY}"
    started = _pg_ctl(owner, cluster.data, "-o", options, "-l", str(folder / "log"), "-w", "start")
    if started.returncode != 0:
        raise ClusterError(f"PostgreSQL did not start (see {folder / 'log'}): {started.stderr.strip()}")
    return cluster


def create_database(cluster: Cluster, name: str) -> None:
    """Makes the database unless it is there already."""
    made = subprocess.run(
        [
            str(PG_BIN / "createdb"),
            "-h",
            str(cluster.socket_dir),
            "-p",
            str(cluster.port),
            "-U",
            cluster.superuser,
            name,
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if made.returncode != 0 and "already exists" not in made.stderr:
        raise ClusterError(f"createdb {name} failed: {made.stderr.strip()}")
