"""The scanner on real roots: a bare debootstrap root fails what it should, with
evidence; the same root after site.yml passes every control that applies to an image;
undoing one control at a time fails exactly that control."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from appliance.security.compliance.engine import ScanReport
from appliance.security.compliance.model import Status
from appliance.security.compliance.policy import Policy

from .conftest import run_scan

pytestmark = pytest.mark.slow

# Controls that need a running host, or data the first start makes (the store).
IMAGE_NOT_APPLICABLE = {
    "TA14-002A-6.4",  # listeners
    "TA14-002A-6.5",  # processes
    "PCI-1.3.2-FIREWALL-LIVE",  # the loaded ruleset
    "PCI-10.2.1-SERVICES-LIVE",  # running services
    "PCI-3.5.1-STORE-ENCRYPTED",  # no store before the first start
}
# A Luhn-valid Visa test number.
TEST_PAN = "4111111111111111"


def by_id(report: ScanReport) -> dict[str, tuple[Status, list[str]]]:
    return {r.control.id: (r.status, [f"{e.where}: {e.found}" for e in r.evidence]) for r in report.results}


def failing(report: ScanReport) -> set[str]:
    return {r.control.id for r in report.results if r.status in (Status.FAIL, Status.ERROR)}


def test_bare_root_fails_what_it_should_with_evidence(base_root: Path, policies: list[Policy]) -> None:
    report = run_scan(base_root, policies)
    results = by_id(report)
    print(f"\nbare root: {report.counts()} score {report.score()}% in {report.seconds:.2f} s")
    expected_evidence = {
        "TA14-002A-3.1": "not installed: nftables",  # no firewall
        "TA14-002A-5.1": "/etc/nftables.conf: file missing",
        "TA14-002A-4.1": "not installed: clamav, clamav-freshclam",
        "TA14-002A-1.3": "pam_unix.so nullok",  # Debian's PAM accepts empty passwords
        "TA14-212A-RD-1.1": "/etc/pam.d/common-auth: no matching line",  # no faillock
        "TA14-212A-RD-5.1": "PASS_MAX_DAYS = 99999",
        "PCI-2.2.6-SYSRQ": "not set (the kernel's default applies)",
        "PCI-10.2.1-AUDITD": "not installed: auditd",
        "TA14-002A-1.6": "Comptoir is not installed there",
        "TA14-212A-P-5.3": "not installed: usbguard",
    }
    for control, evidence in expected_evidence.items():
        status, found = results[control]
        assert status is Status.FAIL, (control, found)
        assert any(evidence in line for line in found), (control, found)
    # What a bare Debian already gets right.
    for control in ("TA14-002A-6.1", "TA14-002A-1.2", "TA14-212A-P-2.1", "PCI-3.3.1-NO-PAN-AT-REST"):
        assert results[control][0] is Status.PASS, (control, results[control])
    assert {c for c, (s, _) in results.items() if s is Status.NOT_APPLICABLE} == IMAGE_NOT_APPLICABLE
    assert len(failing(report)) >= 50
    assert not [c for c, (s, _) in results.items() if s is Status.ERROR]


def test_provisioned_root_passes_every_control_that_applies(hardened_root: Path, policies: list[Policy]) -> None:
    started = time.perf_counter()
    report = run_scan(hardened_root, policies)
    elapsed = time.perf_counter() - started
    print(f"\nprovisioned root: {report.counts()} score {report.score()}% in {elapsed:.2f} s")
    problems = {
        r.control.id: [f"{e.where}: {e.found}" for e in r.evidence]
        for r in report.results
        if r.status not in (Status.PASS, Status.NOT_APPLICABLE)
    }
    assert not problems, problems
    assert {r.control.id for r in report.results if r.status is Status.NOT_APPLICABLE} == IMAGE_NOT_APPLICABLE
    assert elapsed < 5, f"a scan should take a second or two, took {elapsed:.1f} s"


# -- undo one control at a time ------------------------------------------------------------

Undo = Callable[[Path], None]


def add_ssh_server(root: Path) -> None:
    status = root / "var/lib/dpkg/status"
    status.write_text(
        status.read_text().rstrip("\n")
        + "\n\nPackage: openssh-server\nStatus: install ok installed\nPriority: optional\n"
        + "Architecture: amd64\nVersion: 1:9.2p1-2+deb12u3\nDescription: secure shell (SSH) server\n"
    )


def open_output_policy(root: Path) -> None:
    conf = root / "etc/nftables.conf"
    text, count = re.subn(r"(hook output priority \w+; policy )drop;", r"\1accept;", conf.read_text())
    assert count == 1
    conf.write_text(text)


def drop_faillock(root: Path) -> None:
    auth = root / "etc/pam.d/common-auth"
    auth.write_text("".join(line for line in auth.read_text().splitlines(keepends=True) if "pam_faillock" not in line))


def world_readable_store_key(root: Path) -> None:
    key = root / "etc/credstore.encrypted/comptoir-store-key"
    key.write_bytes(os.urandom(64))
    key.chmod(0o644)


def pan_in_a_log(root: Path) -> None:
    log = root / "var/log/comptoir/app.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(f"2026-11-23 10:02:11 payment declined for card {TEST_PAN} (do not log this)\n")


def no_push_to_the_office(root: Path) -> None:
    unit = root / "etc/systemd/system/comptoir-office-push.service"
    text, count = re.subn(r"(?m)^ExecStart=.*$", "ExecStart=/bin/true", unit.read_text())
    assert count == 1
    unit.write_text(text)


UNDO_CASES = [
    ("ssh server package", add_ssh_server, "TA14-002A-6.1", "installed: openssh-server"),
    ("firewall output policy open", open_output_policy, "TA14-002A-5.1", "policy accept"),
    ("faillock dropped", drop_faillock, "TA14-212A-RD-1.1", "/etc/pam.d/common-auth: no matching line"),
    ("store key world-readable", world_readable_store_key, "PCI-3.6.1-KEY-PRIVATE", "mode 0644 (extra 0044)"),
    ("PAN planted in a log", pan_in_a_log, "PCI-3.3.1-NO-PAN-AT-REST", "pan 411111******1111 (visa)"),
    ("no push to the office", no_push_to_the_office, "PCI-10.3.3-LOGS-TO-OFFICE", "no matching line"),
]


@pytest.mark.parametrize(("name", "undo", "control", "evidence"), UNDO_CASES, ids=[c[0] for c in UNDO_CASES])
def test_undoing_one_control_fails_exactly_that_control(
    hardened_copy: Path, policies: list[Policy], name: str, undo: Undo, control: str, evidence: str
) -> None:
    # Each case starts from a clean copy: restore what the previous case changed.
    snapshot = _snapshot(hardened_copy)
    try:
        assert failing(run_scan(hardened_copy, policies)) == set(), "the copy must pass before the change"
        undo(hardened_copy)
        report = run_scan(hardened_copy, policies)
        assert failing(report) == {control}, f"{name}: {failing(report)}"
        (result,) = [r for r in report.results if r.control.id == control]
        assert any(evidence in e.found or evidence in f"{e.where}: {e.found}" for e in result.evidence), result.evidence
        assert TEST_PAN not in repr(report.to_dict())  # a finding never repeats the number
    finally:
        _restore(hardened_copy, snapshot)


# Files the undo cases touch, kept so that each case can put the copy back as it was.
TOUCHED = [
    "var/lib/dpkg/status",
    "etc/nftables.conf",
    "etc/pam.d/common-auth",
    "etc/credstore.encrypted/comptoir-store-key",
    "var/log/comptoir/app.log",
    "etc/systemd/system/comptoir-office-push.service",
]


def _snapshot(root: Path) -> dict[str, tuple[bytes, int] | None]:
    saved: dict[str, tuple[bytes, int] | None] = {}
    for rel in TOUCHED:
        path = root / rel
        saved[rel] = (path.read_bytes(), path.stat().st_mode) if path.exists() else None
    return saved


def _restore(root: Path, saved: dict[str, tuple[bytes, int] | None]) -> None:
    for rel, content in saved.items():
        path = root / rel
        if content is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(content[0])
            path.chmod(content[1] & 0o7777)


def test_cli_formats_on_the_provisioned_root(hardened_root: Path, tmp_path: Path) -> None:
    """The command people type, as a process: every format, exit 0, timed."""
    for fmt in ("text", "json", "junit", "html"):
        out = tmp_path / f"report.{fmt}"
        started = time.perf_counter()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "appliance",
                "compliance",
                "scan",
                "--root",
                str(hardened_root),
                "--format",
                fmt,
                "--output",
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        elapsed = time.perf_counter() - started
        assert proc.returncode == 0, proc.stderr
        assert out.stat().st_size > 1000
        print(f"\ncomptoir compliance scan --format {fmt}: {elapsed:.2f} s (process start included)")
