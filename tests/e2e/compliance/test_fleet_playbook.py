"""provisioning/compliance.yml over a two-host inventory (chroot connection): each host
scans itself with its own installed `comptoir`, the reports come back, and the fleet
report names the failing host; the play fails because one host does."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.provisioning.helpers import ANSIBLE_PLAYBOOK, PROVISIONING, ansible_env

from .conftest import REPO

pytestmark = pytest.mark.slow

EXTRA_POLICY = """policy: {id: site-extra, title: A site rule this kiosk breaks, source: Comptoir}
controls:
  - id: SITE-MOTD-1
    title: The store's legal notice is shown at the console
    rationale: Stands in for any site rule; here it fails so that the fleet has a failing host.
    severity: low
    references: [{source: Comptoir, item: "site"}]
    check: {type: file_present, path: /etc/comptoir/legal-notice.txt}
    remediation: {role: kiosk_base, tag: kiosk_base, text: No role writes it yet; the test expects this failure.}
"""


def test_fleet_report_names_the_failing_host(hardened_copy: Path, tmp_path: Path) -> None:
    if shutil.which("chroot") is None:
        pytest.skip("the chroot connection needs chroot(8)")
    strict = tmp_path / "policies-strict"
    shutil.copytree(REPO / "policies", strict)
    (strict / "site-extra.yaml").write_text(EXTRA_POLICY)
    inventory = tmp_path / "fleet.yml"
    host = "ansible_host: {root}, ansible_connection: community.general.chroot"
    host += ", ansible_python_interpreter: /usr/bin/python3"
    inventory.write_text(
        "kiosks:\n  hosts:\n"
        f"    lyon-1: {{{host.format(root=hardened_copy)}}}\n"
        f"    nantes-2: {{{host.format(root=hardened_copy)}, compliance_fleet_policies: {strict}}}\n"
    )
    out = tmp_path / "audits"
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory), "compliance.yml", "-e", f"compliance_fleet_dir={out}"],
        cwd=PROVISIONING,
        env=ansible_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode != 0, "the play must fail when a host fails"
    assert "hosts fail controls" in proc.stdout, proc.stdout[-3000:]
    (run,) = out.iterdir()
    fleet = json.loads((run / "fleet.json").read_text())
    lyon_not_passing = {c: s for c, s in fleet["matrix"]["lyon-1"].items() if s not in ("pass", "not_applicable")}
    assert fleet["failing_hosts"] == ["nantes-2"], lyon_not_passing
    assert fleet["controls"]["SITE-MOTD-1"]["failing_hosts"] == ["nantes-2"]
    lyon = fleet["matrix"]["lyon-1"]
    assert len(lyon) >= 50 and set(lyon.values()) <= {"pass", "not_applicable"}
    assert {h["hostname"] for h in fleet["hosts"]} == {"kiosk-under-test"}
    page = (run / "fleet.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "nantes-2" in page
    assert not list(hardened_copy.glob("tmp/ansible*compliance")), "the scratch folders are removed"
