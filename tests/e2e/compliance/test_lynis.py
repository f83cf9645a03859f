"""Lynis (Debian's 3.0.8) on the same two roots, its hardening index beside ours.

Lynis's --rootdir reads files from the root but kernel, process, sysctl and network facts
from the host that runs it, so its index for an image root is partly the host's; a fair
Lynis score needs the root booted (nspawn or qemu). Our scanner reads only the root and
says not_applicable for what it cannot know there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from appliance.security.compliance.policy import Policy

from .conftest import REPO, run_scan

pytestmark = pytest.mark.slow
ARTIFACT = REPO / "test-artifacts" / "compliance" / "lynis-comparison.txt"


def _start(root: Path, work: Path) -> subprocess.Popen[str]:
    # Log and report go to the test's folder: Lynis writes /var/log/lynis*.{log,dat} otherwise.
    return subprocess.Popen(
        [
            "lynis", "audit", "system", "--rootdir", str(root), "--quick", "--no-colors",
            "--log-file", str(work / "lynis.log"), "--report-file", str(work / "lynis-report.dat"),
        ],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def test_lynis_index_beside_ours(
    base_root: Path, hardened_root: Path, policies: list[Policy], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("lynis") is None:
        pytest.skip("lynis is missing: make system-deps installs it (tools/apt-packages.txt)")
    roots = {"bare debootstrap": base_root, "after site.yml": hardened_root}
    runs = {}
    for name, root in roots.items():
        work = tmp_path / name.replace(" ", "-").replace(".", "")
        work.mkdir()
        runs[name] = (work, _start(root, work))  # both at once: Lynis spends its time waiting
    lines = ["root                 Lynis index   Lynis tests   our score   ours pass/fail/n.a.   our scan"]
    indexes = {}
    for name, (work, proc) in runs.items():
        output, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, output[-2000:]
        report = (work / "lynis-report.dat").read_text()
        index = int(re.search(r"^hardening_index=(\d+)$", report, re.M).group(1))  # type: ignore[union-attr]
        tests = len(re.search(r"^tests_executed=(.*)$", report, re.M).group(1).strip("|").split("|"))  # type: ignore[union-attr]
        ours = run_scan(roots[name], policies)
        c = ours.counts()
        indexes[name] = (index, ours.score())
        lines.append(
            f"{name:<20} {index:>11}   {tests:>11}   {ours.score():>8}%   "
            f"{c['pass']:>4}/{c['fail']}/{c['not_applicable']:<13} {ours.seconds:.2f} s"
        )
    table = "\n".join(lines)
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(table + "\n")
    with capsys.disabled():
        print("\n" + table)
    # Lynis's index is recorded, not judged: with --rootdir it barely moves (see the module doc).
    assert all(0 <= lynis <= 100 for lynis, _ in indexes.values())
    assert indexes["after site.yml"][1] == 100 and indexes["bare debootstrap"][1] < 50
