"""tools/system-deps.sh asks apt for what each command needs and nothing more: the lists by
tier (run, fast, all), only what is missing, and npm only when no npm command exists (Debian's
nodejs has none; a Node.js from elsewhere brings its own, which Debian's npm would conflict with).

It runs against stand-ins for dpkg-query, apt-get and sudo on a PATH of their own, so nothing
is installed; the fresh-root test (tests/e2e/fresh) runs it for real."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "system-deps.sh"
TOOLS = ("bash", "dirname", "sed", "sort", "grep", "env", "id", "cat")


def packages(*names: str) -> set[str]:
    wanted = set()
    for name in names:
        for line in (REPO / "tools" / name).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                wanted.add(line.split()[0])
    return wanted


RUN = packages("apt-packages-run.txt")
FAST = RUN | packages("apt-packages-test-fast.txt")
ALL = FAST | packages("apt-packages.txt")


class Machine:
    """A PATH with the few tools the script uses, and stand-ins that record what apt was asked."""

    def __init__(self, where: Path) -> None:
        self.bin = where / "bin"
        self.bin.mkdir()
        self.log = where / "apt.log"
        self.installed = where / "installed"
        self.installed.write_text("")
        for tool in TOOLS:
            found = shutil.which(tool)
            assert found, tool
            (self.bin / tool).symlink_to(found)
        self.stub("dpkg-query", f'grep -qx "${{@: -1}}" {self.installed} && echo "install ok installed" || exit 1')
        self.stub("apt-get", f'echo "$@" >> {self.log}')
        self.stub("sudo", 'exec "$@"')

    def stub(self, name: str, body: str) -> None:
        path = self.bin / name
        path.write_text(f"#!{shutil.which('bash')}\n{body}\n")
        path.chmod(0o755)

    def has(self, *names: str) -> None:
        self.installed.write_text("".join(f"{n}\n" for n in names))

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / "bash"), str(SCRIPT), *args],
            env={"PATH": str(self.bin), "HOME": os.environ.get("HOME", "/root")},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def asked(self) -> set[str] | None:
        """The packages of the `apt-get install` call; None when apt was not called."""
        if not self.log.exists():
            return None
        (words,) = [line.split() for line in self.log.read_text().splitlines() if "install" in line.split()]
        return {word for word in words[words.index("install") + 1 :] if not word.startswith("-")}


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def test_a_fresh_machine_gets_npm_from_apt(machine: Machine) -> None:
    done = machine.run()
    assert done.returncode == 0, done.stderr
    assert machine.asked() == ALL
    assert "npm" in ALL and "nodejs" in ALL


def test_an_npm_already_on_the_path_is_left_alone(machine: Machine) -> None:
    machine.stub("npm", "echo 10.0.0")  # as NodeSource's nodejs brings
    done = machine.run()
    assert done.returncode == 0, done.stderr
    assert machine.asked() == ALL - {"npm"}


def test_each_tier_asks_for_its_own_list(machine: Machine) -> None:
    assert machine.run("run").returncode == 0
    assert machine.asked() == RUN
    machine.log.unlink()
    assert machine.run("fast").returncode == 0
    assert machine.asked() == FAST and "nodejs" in FAST - RUN


def test_apt_is_not_asked_when_everything_is_there(machine: Machine) -> None:
    machine.has(*ALL)
    machine.stub("npm", "echo 9.2.0")
    done = machine.run()
    assert done.returncode == 0, done.stderr
    assert machine.asked() is None


def test_only_what_is_missing_is_asked_for(machine: Machine) -> None:
    machine.has(*(ALL - {"chromium", "python3-gi"}))
    machine.stub("npm", "echo 9.2.0")
    assert machine.run().returncode == 0
    assert machine.asked() == {"chromium", "python3-gi"}


def test_an_unknown_tier_is_a_usage_error(machine: Machine) -> None:
    done = machine.run("everything")
    assert done.returncode == 2 and "usage" in done.stderr
    assert machine.asked() is None
