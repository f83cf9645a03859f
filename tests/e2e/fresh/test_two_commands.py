"""The two commands on a fresh machine: a Debian 12 root with Python 3.11 and nothing else
(debootstrap minbase plus python3, make, git and ca-certificates: what it takes to clone the
repository and type `make`) clones this repository's HEAD, and then

1. `make run` installs what it needs and serves the till: it answers /healthz on its loopback
   port, the simulated acquirer on the port `make run` printed; Ctrl-C (SIGINT to make's
   process group, as a terminal sends it) stops everything it started and frees both ports;
2. `make test-fast` installs what it needs and passes.

The root runs in systemd-nspawn inside `unshare -m`, without --private-network: it needs the
package registries, and shares this machine's network (so the till's loopback port is reached
from here). It gets this machine's way to the registries: its local CA certificates (bound in,
then update-ca-certificates) and the environment that points tools at the bundle, and proxies if
any. Nothing else of this machine goes in.

The bare root is made once by debootstrap and kept in build/roots/bookworm-fresh; the container
sees it read-only under a tmpfs overlay (--volatile=overlay), so nothing is copied before and
nothing is left to delete after, even when the test dies. What a developer's machine keeps
between two runs anyway (apt's .deb files, pip's and uv's caches, npm's) is bound in from
build/cache/fresh-root/. Figures go to test-artifacts/fresh/timings.txt.

The clone is of HEAD (through a git bundle): commit first to try a change here.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..provisioning.helpers import BUILD, REPO, ROOTS, remove_root

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3600)]

SUITE = "bookworm"
MIRROR = os.environ.get("COMPTOIR_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SECURITY_MIRROR = os.environ.get("COMPTOIR_DEBIAN_SECURITY_MIRROR", "http://deb.debian.org/debian-security")
# What a person has before typing the two commands: Python 3.11, and the tools to get the code.
FRESH_PACKAGES = ("python3", "make", "git", "ca-certificates")
RECIPE = f"debootstrap --variant=minbase --include={','.join(FRESH_PACKAGES)} {SUITE} + {SUITE}-security"
BASE_ROOT = ROOTS / f"{SUITE}-fresh"
CACHE = BUILD / "cache" / "fresh-root"
# Inside the root: (cache folder under CACHE, where the tool keeps it in the root).
CACHES = (("apt-archives", "/var/cache/apt/archives"), ("dot-cache", "/root/.cache"), ("npm", "/root/.npm"))
ARTIFACTS = REPO / "test-artifacts" / "fresh"
CLONE = "/root/comptoir"

# This machine's way to the registries: variables naming a CA bundle, and proxies.
CA_VARIABLES = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "NODE_EXTRA_CA_CERTS",
    "CURL_CA_BUNDLE",
    "GIT_SSL_CAINFO",
)
PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")

RUN_HEALTHY_WITHIN = 900.0  # seconds, from nothing: apt, the venv, the demo store
STOPS_WITHIN = 20.0
TEST_FAST_WITHIN = 1800.0


def _require_tools() -> None:
    if os.geteuid() != 0:
        pytest.skip("building a root and running it in a container needs root")
    for tool in ("debootstrap", "systemd-nspawn", "unshare", "chroot", "git"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing: run `make system-deps`")


def build_base_root(dest: Path) -> None:
    """The fresh machine: debootstrap minbase with FRESH_PACKAGES, the security repository a
    Debian install has, and a policy-rc.d so that no package starts a service on the network
    this root shares with us. The recipe is written in the root: a changed one makes it anew."""
    tmp = dest.with_name(dest.name + ".tmp")
    remove_root(tmp)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["debootstrap", "--variant=minbase", f"--include={','.join(FRESH_PACKAGES)}", SUITE, str(tmp), MIRROR],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=1200,
    )
    with open(tmp / "etc/apt/sources.list", "a") as sources:
        sources.write(f"deb {SECURITY_MIRROR} {SUITE}-security main\n")
    policy = tmp / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\n# no service starts in this root: it shares the host's network\nexit 101\n")
    policy.chmod(0o755)
    for deb in (tmp / "var/cache/apt/archives").glob("*.deb"):
        deb.unlink()
    (tmp / ".comptoir-recipe").write_text(RECIPE + "\n")
    tmp.rename(dest)


def base_root() -> Path:
    recipe = BASE_ROOT / ".comptoir-recipe"
    if not recipe.exists() or recipe.read_text().strip() != RECIPE:
        remove_root(BASE_ROOT)
        build_base_root(BASE_ROOT)
    return BASE_ROOT


def registry_access() -> tuple[list[str], dict[str, str]]:
    """nspawn options and environment that give the container this machine's way to the
    registries: its local CA certificates bound in read-only (the script runs
    update-ca-certificates first, as installing them would), a CA file named by a variable bound
    at the same path when the fresh root has none there, those variables, and proxies."""
    options = []
    local = Path("/usr/local/share/ca-certificates")
    if local.is_dir() and any(local.glob("*.crt")):
        options.append(f"--bind-ro={local}")
    env = {}
    for name in CA_VARIABLES:
        value = os.environ.get(name)
        if not value or not os.path.isabs(value) or not os.path.exists(value):
            continue
        if not (BASE_ROOT / value.lstrip("/")).exists():
            options.append(f"--bind-ro={value}")
        env[name] = value
    env.update({name: os.environ[name] for name in PROXY_VARIABLES if os.environ.get(name)})
    return options, env


@dataclass
class Timings:
    commit: str
    figures: dict[str, float] = field(default_factory=dict)

    def __setitem__(self, name: str, seconds: float) -> None:
        self.figures[name] = seconds
        self.write()

    def write(self) -> None:
        lines = [f"commit {self.commit}"] + [f"{name}: {seconds:.0f} s" for name, seconds in self.figures.items()]
        (ARTIFACTS / "timings.txt").write_text("\n".join(lines) + "\n")


def nspawn(script: str, binds: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`bash -c script` as root in the fresh root (read-only, under a tmpfs overlay), output to log."""
    command = [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        'set -e; mkdir -p /run/systemd/nspawn; mount -t tmpfs tmpfs /run/systemd/nspawn; exec "$@"',
        "sh",
        "systemd-nspawn",
        "--quiet",
        "--as-pid2",
        "--register=no",
        "--keep-unit",
        "--console=pipe",
        "--volatile=overlay",
        f"--directory={BASE_ROOT}",
        *binds,
        *(f"--setenv={name}={value}" for name, value in env.items()),
        "bash",
        "-c",
        script,
    ]
    with open(log, "wb") as sink:
        return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=sink, stderr=subprocess.STDOUT)


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


def free_port_pair() -> int:
    """A port free on loopback, and the one after it too (the acquirer's first choice)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
        if port < 65535 and not listening(port + 1):
            return port
    pytest.skip("no two free ports in a row on loopback")


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    pgid: int
    state: str
    name: str
    started: str  # start time in clock ticks: tells a reused pid


def processes() -> dict[int, Process]:
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        pid = int(stat.parent.name)
        name = text[text.index("(") + 1 : text.rindex(")")]
        found[pid] = Process(pid, int(fields[1]), int(fields[2]), fields[0], name, fields[19])
    return found


def descendants(ancestor: int) -> list[Process]:
    table = processes()
    out = []
    for proc in table.values():
        parent = proc.ppid
        while parent and parent != ancestor and parent in table:
            parent = table[parent].ppid
        if parent == ancestor and proc.state != "Z":
            out.append(proc)
    return out


def still_there(proc: Process) -> bool:
    now = processes().get(proc.pid)
    return now is not None and now.started == proc.started and now.state != "Z"


def tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def head_is_committed() -> bool:
    status = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        check=False,
    )
    return status.returncode == 0 and not status.stdout.strip()


def test_make_run_then_make_test_fast_on_a_fresh_debian(tmp_path: Path) -> None:
    _require_tools()
    started = time.monotonic()
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    base_root()
    commit = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    timings = Timings(commit)
    timings["bare root (debootstrap; 0 when cached)"] = time.monotonic() - started
    if not head_is_committed():
        print(f"note: the root gets HEAD ({commit[:12]}), not the uncommitted changes of this tree")
    bundle = tmp_path / "head.bundle"
    subprocess.run(["git", "-C", str(REPO), "bundle", "create", "--quiet", str(bundle), "HEAD"], check=True)
    for name, _ in CACHES:
        (CACHE / name).mkdir(parents=True, exist_ok=True)
    (CACHE / "apt-archives" / "partial").mkdir(exist_ok=True)
    binds, env = registry_access()
    binds += [f"--bind={CACHE / name}:{inside}" for name, inside in CACHES]
    binds.append(f"--bind-ro={bundle}:/tmp/comptoir.bundle")
    port = free_port_pair()
    # setsid: make in a process group of its own, as a shell's job control puts a job. After
    # make run, bash waits for a line on its stdin: we look at what is left in the container first.
    script = f"""set -eu
update-ca-certificates >/dev/null
git -c advice.detachedHead=false clone --quiet /tmp/comptoir.bundle {CLONE}
cd {CLONE}
git -c advice.detachedHead=false checkout --quiet {commit}
set +e  # make run ends with Ctrl-C: make says 130
setsid make run PORT={port}
echo "== make run exited with $?"
read -r _
make test-fast
"""
    log = ARTIFACTS / "fresh-root.log"
    container = nspawn(script, binds, env, log)
    assert container.stdin is not None
    try:
        # 1. make run: the till and the acquirer answer.
        running = time.monotonic()
        deadline = running + RUN_HEALTHY_WITHIN
        acquirer_port = None
        while time.monotonic() < deadline:
            assert container.poll() is None, f"the container ended before the till answered:\n{tail(log)}"
            said = re.search(r"Simulated card acquirer listening on port (\d+) ", log.read_text(errors="replace"))
            acquirer_port = int(said.group(1)) if said else None
            if acquirer_port and healthy(port) and healthy(acquirer_port):
                break
            time.sleep(1)
        else:
            pytest.fail(f"`make run` did not serve a healthy till in {RUN_HEALTHY_WITHIN:.0f} s:\n{tail(log)}")
        timings["make run until the till and the acquirer answer /healthz"] = time.monotonic() - running
        assert acquirer_port is not None
        assert f"serving Comptoir Demo Market on http://127.0.0.1:{port}/" in log.read_text()

        # 2. Ctrl-C: all that make run started stops, both ports are free, nothing else is left.
        inside = descendants(container.pid)
        (make,) = [p for p in inside if p.name == "make"]
        job = [p for p in inside if p.pgid == make.pgid]
        assert len(job) >= 3, f"make, the till and the acquirer in make's process group: {job}"
        stopping = time.monotonic()
        os.killpg(make.pgid, signal.SIGINT)
        deadline = stopping + STOPS_WITHIN
        while time.monotonic() < deadline and any(still_there(p) for p in job):
            time.sleep(0.2)
        left = [p for p in job if still_there(p)]
        assert not left, f"still running {STOPS_WITHIN:.0f} s after Ctrl-C: {left}\n{tail(log)}"
        timings["Ctrl-C until all of make run's processes are gone"] = time.monotonic() - stopping
        assert not listening(port), "the till's port is still open after Ctrl-C"
        assert not listening(acquirer_port), "the acquirer's port is still open after Ctrl-C"
        now = descendants(container.pid)
        table = {p.pid: p for p in now}
        (bash,) = [p for p in now if p.name == "bash"]
        keep = {bash.pid}  # our bash, waiting to go on, and what runs it (nspawn's stub init)
        parent = bash.ppid
        while parent in table:
            keep.add(parent)
            parent = table[parent].ppid
        others = [p for p in now if p.pid not in keep]
        assert not others, f"left running in the root after Ctrl-C: {others}"
        assert "Simulated card acquirer stopped." in log.read_text()

        # 3. make test-fast, in the same root after make run, as a developer would.
        testing = time.monotonic()
        container.stdin.write(b"go on\n")
        container.stdin.close()
        returncode = container.wait(TEST_FAST_WITHIN)
        timings["make test-fast (after make run)"] = time.monotonic() - testing
        assert returncode == 0, f"`make test-fast` failed in the fresh root:\n{tail(log, 120)}"
        summary = re.findall(r"=+ (\d+ passed.*) in [\d.]+s", log.read_text(errors="replace"))
        assert summary and "failed" not in summary[-1], tail(log, 120)
    finally:
        if container.poll() is None:
            # nspawn's stub init first: when a PID namespace's init dies, all in it die with it.
            for proc in descendants(container.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
            container.kill()
            container.wait()
        timings["fresh-root test in all"] = time.monotonic() - started
        print((ARTIFACTS / "timings.txt").read_text())
