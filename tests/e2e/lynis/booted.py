"""Lynis run inside a root booted by systemd-nspawn, and its report read back.

Lynis's --rootdir mixes the host's kernel, process and network facts into its findings; inside a
booted root it sees the appliance's own. The root is booted on a volatile overlay (nothing in it
changes), with a private network (the kiosk's default-deny firewall stays off the host) and inside
`unshare -m` (nspawn's mounts stay off the host's mount table). The host's Lynis is bound in
read-only, so the image carries no audit tool it does not need.

`python -m tests.e2e.lynis.booted ROOT OUT` prints the index, the tests run and the suggestions.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

_NSPAWN = (
    "set -e; mkdir -p /run/systemd/nspawn; mount -t tmpfs tmpfs /run/systemd/nspawn; "
    'exec systemd-nspawn --quiet --boot --register=no --keep-unit --private-network --volatile=overlay -D "$0" '
    '--bind-ro=/usr/sbin/lynis --bind-ro=/usr/share/lynis --bind-ro=/etc/lynis --bind="$1":/lynis-out'
)


@dataclass
class LynisReport:
    index: int
    tests: int
    warnings: list[str]
    suggestions: list[str]
    seconds: float
    text: str

    @classmethod
    def parse(cls, text: str, seconds: float) -> LynisReport:
        index = re.search(r"^hardening_index=(\d+)$", text, re.M)
        if index is None:
            raise ValueError("no hardening_index in Lynis's report")
        done = re.search(r"^lynis_tests_done=(\d+)$", text, re.M)
        return cls(
            index=int(index.group(1)),
            tests=int(done.group(1)) if done else 0,
            warnings=re.findall(r"^warning\[\]=(.*)$", text, re.M),
            suggestions=re.findall(r"^suggestion\[\]=(.*)$", text, re.M),
            seconds=seconds,
            text=text,
        )


def missing_tools() -> list[str]:
    return [t for t in ("systemd-nspawn", "lynis", "unshare", "nsenter") if shutil.which(t) is None]


def _container_init(nspawn_pid: int, timeout: float) -> int | None:
    """The host PID of the container's systemd (a descendant of nspawn), once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        parents: dict[int, int] = {}
        names: dict[int, str] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            pid = int(stat.parent.name)
            names[pid] = text[text.index("(") + 1 : text.rindex(")")]
            parents[pid] = int(text[text.rindex(")") + 2 :].split()[1])
        for pid, name in names.items():
            ancestor = parents.get(pid)
            while ancestor and ancestor != nspawn_pid:
                ancestor = parents.get(ancestor)
            if ancestor == nspawn_pid and name == "systemd":
                return pid
        time.sleep(1)
    return None


def run_lynis(rootfs: Path, out: Path, console: Path) -> LynisReport:
    """Boot rootfs, wait for the boot to settle, run `lynis audit system` in it, power it off."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with open(console, "w") as log:
        nspawn = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "sh", "-c", _NSPAWN, str(rootfs), str(out)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # unshare and sh exec systemd-nspawn: nspawn.pid is nspawn's, its descendant systemd the container's.
            init = _container_init(nspawn.pid, 60)
            if init is None:
                raise RuntimeError(f"the container's systemd did not start (console: {console})")
            # Let the boot settle (first-boot store, units) before Lynis looks at the running services.
            inside = ["nsenter", "-t", str(init), "-a"]
            subprocess.run([*inside, "systemctl", "is-system-running", "--wait"], capture_output=True, timeout=600)
            lynis = subprocess.run(
                [*inside, "/usr/sbin/lynis", "audit", "system", "--quick", "--no-colors",
                 "--logfile", "/lynis-out/lynis.log", "--report-file", "/lynis-out/report.dat"],
                capture_output=True, text=True, timeout=900,
            )  # fmt: skip
            (out / "output.txt").write_text(lynis.stdout + lynis.stderr)
            os.kill(init, signal.SIGRTMIN + 4)  # systemd powers the container off
            nspawn.wait(timeout=120)
        finally:
            if nspawn.poll() is None:
                nspawn.kill()
                nspawn.wait()
    report = out / "report.dat"
    if not report.exists():
        raise RuntimeError(f"Lynis wrote no report:\n{(out / 'output.txt').read_text()[-2000:]}")
    return LynisReport.parse(report.read_text(errors="replace"), time.monotonic() - started)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tests.e2e.lynis.booted ROOT OUT (OUT gets Lynis's log and report)", file=sys.stderr)
        return 2
    out = Path(argv[1]).resolve()
    report = run_lynis(Path(argv[0]).resolve(), out, out / "console.log")
    print(f"hardening index {report.index} ({report.tests} tests, {report.seconds:.0f} s)")
    for line in report.warnings:
        print(f"warning    {line}")
    for line in report.suggestions:
        print(f"suggestion {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
