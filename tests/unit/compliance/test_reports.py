"""Waivers, the four report formats, the CLI's exit codes and the fleet report."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.security.compliance import fleet, report
from appliance.security.compliance.engine import ScanReport, scan
from appliance.security.compliance.model import Status
from appliance.security.compliance.policy import PolicyError, load_policies
from appliance.security.compliance.target import Target
from appliance.security.compliance.waivers import load_waivers

from .conftest import Root

POLICY = """policy: {id: tiny, title: Tiny, source: Comptoir}
controls:
  - id: T-PRESENT
    title: <script>alert("x")</script> is escaped
    rationale: Titles come from files that people edit.
    severity: high
    references: [{source: TA14-002A, item: "3"}]
    check: {type: file_contains, path: /etc/motd, pattern: 'welcome'}
    remediation: {role: firewall, tag: firewall_ruleset, text: The firewall role writes it <b>bold</b>.}
  - id: T-ABSENT
    title: No telnet server
    rationale: Nothing listens for remote shells.
    severity: critical
    references: [{source: TA14-002A, item: "6"}]
    check: {type: file_absent, path: /usr/sbin/in.telnetd}
    remediation: {role: no_remote_access, tag: no_remote_access_packages, text: The role purges telnetd.}
  - id: T-LIVE
    title: Nothing listens
    rationale: Only on a running host.
    severity: low
    references: [{source: TA14-002A, item: "6"}]
    check: {type: live_listeners}
    remediation: {role: no_remote_access, tag: no_remote_access_listeners, text: The role checks listeners.}
"""


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(POLICY)
    return path


def run(root: Root, policy_file: Path, waivers: Path | None = None, today: dt.date | None = None) -> ScanReport:
    policies = load_policies([policy_file])
    loaded = load_waivers(waivers, [c.id for p in policies for c in p.controls]) if waivers else []
    return scan(Target.open(root.path), policies, loaded, today)


def statuses(result: ScanReport) -> dict[str, Status]:
    return {r.control.id: r.status for r in result.results}


def test_scan_results_and_score(root: Root, policy_file: Path) -> None:
    root.write("/etc/motd", "hello <b>\n")
    result = run(root, policy_file)
    assert statuses(result) == {"T-PRESENT": Status.FAIL, "T-ABSENT": Status.PASS, "T-LIVE": Status.NOT_APPLICABLE}
    assert result.score() == 50 and result.exit_code() == 1
    assert [r.control.id for r in result.ordered()] == ["T-PRESENT", "T-ABSENT", "T-LIVE"]


def test_waiver_valid_then_expired(root: Root, policy_file: Path, tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - control: T-PRESENT\n    reason: New motd ships with the next image.\n    expires: 2030-01-31\n"
    )
    result = run(root, policy_file, waivers, dt.date(2030, 1, 31))
    assert statuses(result)["T-PRESENT"] is Status.WAIVED and result.exit_code() == 0
    expired = run(root, policy_file, waivers, dt.date(2030, 2, 1))
    assert statuses(expired)["T-PRESENT"] is Status.FAIL
    assert expired.results[0].evidence[-1].found == "waiver expired on 2030-01-31"
    root.write("/etc/motd", "welcome\n")  # even a passing control fails on a stale waiver
    assert statuses(run(root, policy_file, waivers, dt.date(2031, 1, 1)))["T-PRESENT"] is Status.FAIL


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("waivers:\n  - control: T-PRESENT\n    expires: 2030-01-31\n", 2, "'reason' is a required property"),
        ("waivers:\n  - control: T-PRESENT\n    reason: Because we said so.\n", 2, "'expires' is a required property"),
        (
            "waivers:\n  - control: T-NOPE\n    reason: Because we said so.\n    expires: 2030-01-31\n",
            2,
            "unknown control T-NOPE",
        ),
        (
            "waivers:\n  - control: T-PRESENT\n    reason: Because we said so.\n    expires: 2030-02-31\n",
            4,
            "not a date",
        ),
    ],
)
def test_bad_waivers_are_refused(policy_file: Path, tmp_path: Path, text: str, line: int, reason: str) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(text)
    with pytest.raises(PolicyError) as caught:
        load_waivers(path, ["T-PRESENT", "T-ABSENT"])
    assert caught.value.problems[0].line == line and reason in caught.value.problems[0].reason


def test_json_junit_html(root: Root, policy_file: Path) -> None:
    root.write("/etc/motd", "</pre><img src=x onerror=alert(1)>\n")
    result = run(root, policy_file)
    data = json.loads(report.to_json(result))
    assert data["summary"] == {
        "fail": 1,
        "error": 0,
        "waived": 0,
        "pass": 1,
        "not_applicable": 1,
        "total": 3,
        "score": 50,
    }
    first = data["results"][0]
    assert first["references"] == [{"source": "TA14-002A", "item": "3"}]
    assert first["evidence"][0] == {
        "where": "/etc/motd",
        "expected": "a line matching /welcome/",
        "found": "no matching line",
        "ok": False,
    }
    suites = ET.fromstring(report.to_junit(result))
    assert (suites.get("tests"), suites.get("failures"), suites.get("skipped")) == ("3", "1", "1")
    cases = suites.findall("testsuite/testcase")
    assert len(cases) == 3 and cases[0].find("failure") is not None and cases[2].find("skipped") is not None
    page = report.to_html(result)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page
    assert page.index("Failures and errors") < page.index("Passed") < page.index("Not applicable")
    text = report.to_text(result)
    assert text.splitlines()[1].startswith("3 controls: 1 pass, 1 fail")
    assert "fix: role firewall, tag firewall_ruleset" in text


def test_cli_exit_codes(root: Root, policy_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["compliance", "scan", "--root", str(root.path), "--policy", str(policy_file)]
    assert main(args) == 1
    root.write("/etc/motd", "welcome\n")
    out = tmp_path / "r.json"
    assert main([*args, "--format", "json", "--output", str(out)]) == 0
    assert json.loads(out.read_text())["summary"]["pass"] == 2
    capsys.readouterr()
    assert main(["compliance", "scan", "--root", str(tmp_path / "nowhere"), "--policy", str(policy_file)]) == 2
    assert capsys.readouterr().err.strip().endswith("not a folder")
    bad = tmp_path / "bad.yaml"
    bad.write_text(POLICY.replace("severity: low", "severity: meh"))
    assert main(["compliance", "scan", "--root", str(root.path), "--policy", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{bad}:20: " in err
    with pytest.raises(SystemExit) as exited:
        main([*args, "--format", "pdf"])
    assert exited.value.code == 2
    assert main(["compliance", "coverage"]) == 0
    assert "TA14-002A" in capsys.readouterr().out


def test_the_compliance_roles_timer_command_works(root: Root, policy_file: Path, tmp_path: Path) -> None:
    """provisioning/roles/compliance runs `scan --root / --policies DIR --report-dir DIR`."""
    root.write("/etc/motd", "welcome\n")
    reports = tmp_path / "reports"
    argv = ["compliance", "scan", "--root", str(root.path), "--policies", str(policy_file.parent)]
    assert main([*argv, "--report-dir", str(reports)]) == 0
    assert sorted(p.suffix for p in reports.iterdir()) == [".html", ".json"]


def test_fleet_report(root: Root, policy_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    reports = tmp_path / "fleet"
    reports.mkdir()
    root.write("/etc/hostname", "lyon-1\n")
    root.write("/etc/motd", "welcome\n")
    (reports / "lyon-1.json").write_text(report.to_json(run(root, policy_file)))
    root.write("/etc/hostname", "nantes-<2>\n")
    root.write("/etc/motd", "bonjour\n")
    (reports / "nantes-2.json").write_text(report.to_json(run(root, policy_file)))
    loaded = fleet.load([reports])
    assert [(h.host, h.hostname) for h in loaded.hosts] == [("lyon-1", "lyon-1"), ("nantes-2", "nantes-<2>")]
    assert loaded.failing_hosts == ["nantes-2"] and loaded.exit_code() == 1
    data = json.loads(fleet.to_json(loaded))
    assert data["matrix"]["lyon-1"]["T-PRESENT"] == "pass"
    assert [h["hostname"] for h in data["hosts"]] == ["lyon-1", "nantes-<2>"]
    assert data["controls"]["T-PRESENT"]["failing_hosts"] == ["nantes-2"]
    page = fleet.to_html(loaded)
    assert "nantes-&lt;2&gt;" in page and "nantes-<2>" not in page
    html_out, json_out = tmp_path / "fleet.html", tmp_path / "fleet.json"
    assert main(["compliance", "fleet-report", str(reports), "--html", str(html_out), "--json", str(json_out)]) == 1
    assert html_out.exists() and json.loads(json_out.read_text())["failing_hosts"] == ["nantes-2"]
    (reports / "junk.json").write_text("{not json")
    capsys.readouterr()
    assert main(["compliance", "fleet-report", str(reports)]) == 2
    assert "junk.json: not a compliance scan report" in capsys.readouterr().err
