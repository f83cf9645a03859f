"""Shared helpers for the provisioning tests: paths, running Ansible, reading a root."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
PROVISIONING = REPO / "provisioning"
BUILD = REPO / "build"
ROOTS = BUILD / "roots"
VENV_BIN = Path(sys.executable).parent
ANSIBLE_PLAYBOOK = VENV_BIN / "ansible-playbook"
ANSIBLE_LINT = VENV_BIN / "ansible-lint"


def ansible_env() -> dict[str, str]:
    """The environment for ansible-playbook: no pip settings of this machine leak
    into the target, no colour, the project's ansible.cfg."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "ANSIBLE_"))}
    env.update(
        ANSIBLE_CONFIG=str(PROVISIONING / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks",
        PATH=f"{VENV_BIN}:{env.get('PATH', '/usr/sbin:/usr/bin:/sbin:/bin')}",
    )
    return env


@dataclass
class Run:
    returncode: int
    output: str

    @property
    def recap(self) -> dict[str, int]:
        """Counters of the (single host) PLAY RECAP line, summed over plays."""
        totals: dict[str, int] = {}
        for line in self.output.splitlines():
            if re.search(r"\bok=\d+\s+changed=\d+", line):
                for key, value in re.findall(r"(\w+)=(\d+)", line):
                    totals[key] = totals.get(key, 0) + int(value)
        return totals

    def changed_tasks(self) -> list[str]:
        """Names of the tasks that reported a change (for failure messages)."""
        names, current = [], ""
        for line in self.output.splitlines():
            if line.startswith(("TASK [", "RUNNING HANDLER [")):
                current = line.split("[", 1)[1].rsplit("]", 1)[0]
            elif line.startswith("changed:"):
                names.append(current)
        return names

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def run_playbook(inventory: Path, *extra: str, timeout: int = 900) -> Run:
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), str(PROVISIONING / "site.yml"), *extra],
        cwd=PROVISIONING,
        env=ansible_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(proc.returncode, proc.stdout)


def mounts_under(path: Path) -> list[str]:
    """Mount points at or below path (a root must have none before it is removed)."""
    prefix = str(path.resolve())
    found = []
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            point = line.split()[1].replace("\\040", " ")
            if point == prefix or point.startswith(prefix + "/"):
                found.append(point)
    return found


def remove_root(path: Path) -> None:
    """rm -rf a root we made, refusing if anything is mounted inside it (a bind
    mount of a host folder would be emptied with it)."""
    if not path.exists():
        return
    busy = mounts_under(path)
    if busy:
        raise RuntimeError(f"refusing to remove {path}: mounted inside: {busy}")
    subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], check=True)


def processes_in_root(root: Path) -> list[int]:
    """PIDs whose root directory is this root (a started service would show up)."""
    target = str(root.resolve())
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if os.readlink(entry / "root") == target:
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def installed_packages(root: Path) -> set[str]:
    """Packages dpkg marks as installed in the root."""
    installed, name = set(), None
    text = (root / "var/lib/dpkg/status").read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        if line.startswith("Package: "):
            name = line.split(": ", 1)[1].strip()
        elif line.startswith("Status: ") and line.endswith("install ok installed") and name:
            installed.add(name)
    return installed
