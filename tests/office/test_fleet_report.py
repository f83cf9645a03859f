"""Compliance and logs pushed (issue 19, point 4): a real till data dir enrolled at a real
office sends its signed compliance report, its journal's security entries and its audit
chain's head; the fleet report is built from the office alone, with no SSH (nor any other
program) run."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from appliance import __version__
from appliance.app.services import audit_log as till_audit
from appliance.app.services import outbox, security_log
from appliance.cli import main
from appliance.lane import compliance as lane_compliance
from appliance.lane import enrolment as lane
from appliance.lane import journal
from appliance.office.services import audit_log, enrolment, fleet, lane_events
from appliance.office.store import security_log as security_log_store
from appliance.security import pki, signing
from tests.conftest import Store
from tests.office.conftest import RunningOffice, fleet_cli
from tests.office.test_outbox import enrol, push_all

T0 = 1_796_000_000_000_000  # µs since the epoch: 2026-11-30


def entry(n: int, program: str, message: str, **fields: str) -> dict[str, str]:
    return {
        "__CURSOR": f"s=abc;i={n}",
        "__REALTIME_TIMESTAMP": str(T0 + n * 1_000_000),
        "PRIORITY": "5",
        "SYSLOG_IDENTIFIER": program,
        "MESSAGE": message,
        **fields,
    }


JOURNAL = [
    entry(1, "sudo", "pam_unix(sudo:auth): authentication failure; logname=kiosk uid=1000"),
    entry(2, "systemd", "Started Session 3 of User kiosk.", _PID="1"),  # chatter: left at the box
    entry(3, "usbguard-daemon", "Device block: id 0781:5567 name Cruzer"),
    entry(4, "systemd", "comptoir.service: Scheduled restart job, restart counter is at 1.", _PID="1"),
    entry(5, "kernel", "usb 1-1: new high-speed USB device"),  # not security news here
    entry(6, "login", "FAILED LOGIN 1 FROM tty1 FOR root, Authentication failure"),
]


class FakeJournal:
    """journalctl at the edge: the entries after a cursor, and the cursors asked for."""

    def __init__(self, entries: list[dict[str, str]]) -> None:
        self.entries = entries
        self.asked: list[str | None] = []

    def __call__(self, after: str | None) -> Iterator[Mapping[str, object]]:
        self.asked.append(after)
        start = 0 if after is None else next(i for i, e in enumerate(self.entries) if e["__CURSOR"] == after) + 1
        yield from self.entries[start:]


def scan_report(tmp_path: Path, hostname: str = "lyon-t01") -> Path:
    """`comptoir compliance scan` of a small root, with the repository's policies: the
    report folder the box's timer writes (many controls fail on a root this bare)."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "etc" / "hostname").write_text(hostname + "\n")
    reports = tmp_path / "reports"
    assert main(["compliance", "scan", "--root", str(root), "--report-dir", str(reports), "--output", "/dev/null"]) == 1
    return reports


def test_a_box_pushes_its_report_and_logs_and_the_fleet_report_lists_it_without_ssh(
    running_office: RunningOffice,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    reports = scan_report(tmp_path)
    enrol(running_office, store)
    fake = FakeJournal(JOURNAL)
    monkeypatch.setattr(journal, "read", fake)
    argv = ["compliance", "push", "--data-dir", str(store.path), "--report-dir", str(reports)]
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert "4 security entries of 6 read" in said and "taken by the office for lyon/T01" in said
    push_all(store)  # the till's push loop: the journal's and audit's events go up the outbox
    assert main(argv) == 0  # the timer's next run: nothing new
    assert "0 security entries of 0 read" in (said := capsys.readouterr().out) and "has it already" in said

    # The office holds the report, signed by the lane's key, and the security entries.
    held = [e for e in lane_events.events(running_office.office, "lyon", "T01", limit=10_000)]  # type: ignore[arg-type]
    kinds = [e["kind"] for e in held]
    assert kinds.count("journal_entries") == 1 and kinds.count("audit_head") == 1
    with running_office.office.connection() as conn:  # type: ignore[attr-defined]
        logged = security_log_store.entries(conn, "lyon", "T01")
    assert [(e["category"], e["program"]) for e in logged] == [
        ("auth_failure", "sudo"),
        ("usb", "usbguard-daemon"),
        ("service", "systemd"),
        ("auth_failure", "login"),
    ]
    assert logged[0]["at"] == dt.datetime.fromtimestamp(T0 / 1e6 + 1, dt.UTC).isoformat(timespec="seconds")

    # The fleet report, from the office alone: no ssh, no program at all.
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a))
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: started.append(a))
    out = tmp_path / "fleet.json"
    assert fleet_cli(running_office, "--format", "json", "--output", str(out)) == 1  # the bare root fails controls
    assert started == []
    data = json.loads(out.read_text())
    (row,) = data["lanes"]
    scanned = json.loads(lane_compliance.read(lane_compliance.latest(reports)))
    assert (row["lane"], row["hostname"], row["version"], row["backlog"]) == ("lyon/T01", "lyon-t01", __version__, 0)
    assert row["last_contact"] is not None and row["state"] == "failing"
    assert row["report"]["signature_ok"] is True and row["report"]["stale"] is False
    assert row["report"]["scanned_at"] == scanned["started"]
    assert row["report"]["statuses"] == {r["id"]: r["status"] for r in scanned["results"]}
    assert sorted(row["report"]["failing"]) == sorted(
        r["id"] for r in scanned["results"] if r["status"] in ("fail", "error")
    )
    assert row["security_log"] == {"auth_failure": 2, "service": 1, "usb": 1}
    anchored = till_audit.read_head(store.path)
    assert anchored is not None and row["audit_head"]["entry_id"] == anchored.entry_id
    assert data["failing_lanes"] == ["lyon/T01"] and data["unreported_lanes"] == []
    some_failing = row["report"]["failing"][0]
    assert data["controls"][some_failing]["failing_lanes"] == ["lyon/T01"]

    # The same in CSV and HTML (the back office's page).
    assert "lyon/T01: FAILING" in capsys.readouterr().out  # with --output, a summary on the terminal
    assert fleet_cli(running_office, "--format", "csv") == 1
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["lane"], r["state"], r["version"], r["backlog"]) for r in table] == [
        ("lyon/T01", "failing", __version__, "0")
    ]
    assert table[0][some_failing] in ("fail", "error")
    assert fleet_cli(running_office, "--format", "html") == 1
    page = capsys.readouterr().out
    assert "lyon/T01" in page and some_failing in page and "<script" not in page


def test_the_journal_is_read_once_from_where_the_last_event_left_it(store: Store) -> None:
    fake = FakeJournal(JOURNAL[:3])
    assert security_log.send_journal(store.shop, fake) == (3, 2)
    assert security_log.send_journal(store.shop, fake) == (0, 0)  # nothing new: no event
    fake.entries = JOURNAL
    assert security_log.send_journal(store.shop, fake, batch=1) == (3, 2)
    assert fake.asked == [None, "s=abc;i=3", "s=abc;i=3"]
    bodies = [e["body"] for e in outbox.events(store.shop) if e["kind"] == "journal_entries"]
    assert [len(b["entries"]) for b in bodies] == [2, 1, 1]
    assert [b["cursor"] for b in bodies] == ["s=abc;i=3", "s=abc;i=4", "s=abc;i=6"]
    # Read and nothing kept still moves the cursor, so it is not read again.
    fake.entries = [*JOURNAL, entry(7, "kernel", "nothing to see")]
    assert security_log.send_journal(store.shop, fake) == (1, 0)
    assert security_log.cursor(store.shop) == "s=abc;i=7"


def test_a_card_number_in_the_journal_never_leaves_the_box(store: Store) -> None:
    pan = "4111111111111111"
    fake = FakeJournal([entry(1, "sudo", f"kiosk : COMMAND=/usr/bin/echo card {pan} exp 12/30")])
    assert security_log.send_journal(store.shop, fake) == (1, 1)
    text = json.dumps([e["body"] for e in outbox.events(store.shop)])
    assert pan not in text and "411111" in text and "withheld" in text


def test_the_audit_head_goes_up_only_when_it_moved(store: Store) -> None:
    first = security_log.send_audit_head(store.shop)
    assert first is not None and security_log.send_audit_head(store.shop) is None
    store.actor("manager")  # a login: an audit entry, so the head moves
    second = security_log.send_audit_head(store.shop)
    assert second is not None and second["entry_id"] > first["entry_id"]
    heads = [e["body"] for e in outbox.events(store.shop) if e["kind"] == "audit_head"]
    assert heads == [first, second]


def test_a_report_not_signed_by_the_lane_is_refused_and_audited(
    running_office: RunningOffice, store: Store, tmp_path: Path
) -> None:
    reports = scan_report(tmp_path)
    enrol(running_office, store)
    text = lane_compliance.read(lane_compliance.latest(reports))
    found = lane.link(store.path)
    other = pki.new_key()
    with lane.client(found) as http:
        forged = http.post("/v1/compliance", json={"report": text, "signature": signing.sign(other, text.encode())})
        changed = http.post(
            "/v1/compliance",
            json={
                "report": text.replace('"pass"', '"fail"', 1),
                "signature": signing.sign(pki.load_key(found.key_path), text.encode()),
            },
        )
        junk = http.post("/v1/compliance", json={"report": '{"results": 3}', "signature": "AAAA"})
    assert (forged.status_code, forged.json()["error"]) == (422, "bad_signature")
    assert (changed.status_code, changed.json()["error"]) == (422, "bad_signature")
    assert junk.status_code == 422 and junk.json()["error"] == "invalid_report"
    data = fleet.report(running_office.office)  # type: ignore[arg-type]
    assert data["unreported_lanes"] == ["lyon/T01"] and data["lanes"][0]["state"] == "no report"
    actions = [e["action"] for e in audit_log.entries(running_office.office)]  # type: ignore[arg-type]
    assert actions.count("compliance_report_refused") == 2


def test_a_stale_report_and_a_lane_that_never_reported_are_flagged(
    running_office: RunningOffice, store: Store, tmp_path: Path
) -> None:
    reports = scan_report(tmp_path)
    enrol(running_office, store)
    issued = enrolment.issue_token(running_office.office, "lyon", "T02", issued_by="test")  # type: ignore[arg-type]
    second = tmp_path / "second-till"
    second.mkdir(mode=0o700)
    lane.enrol(second, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
    lane_compliance.send(store.path, lane_compliance.read(lane_compliance.latest(reports)))
    now = fleet.report(running_office.office)  # type: ignore[arg-type]
    assert (now["stale_lanes"], now["unreported_lanes"]) == ([], ["lyon/T02"])
    assert [r["state"] for r in now["lanes"]] == ["failing", "no report"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=9)
    assert fleet.report(running_office.office, now=later)["stale_lanes"] == ["lyon/T01"]  # type: ignore[arg-type]
    assert fleet.report(running_office.office, now=later, stale_after=dt.timedelta(days=10))["stale_lanes"] == []  # type: ignore[arg-type]


def test_a_push_from_a_till_that_is_not_enrolled_exits_2(
    store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compliance", "push", "--data-dir", str(store.path), "--report-dir", str(tmp_path)]) == 2
    assert "not enrolled" in capsys.readouterr().err


def test_the_bench_report_still_needs_its_folders_or_the_office(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compliance", "fleet-report"]) == 2
    assert "--office-data-dir" in capsys.readouterr().err


def test_journalctl_is_asked_for_the_security_sources_after_the_cursor() -> None:
    argv = journal.command("s=abc;i=9")
    assert argv[:5] == ["journalctl", "--output", "json", "--no-pager", "--after-cursor"]
    assert "SYSLOG_IDENTIFIER=usbguard-daemon" in argv and "SYSLOG_FACILITY=10" in argv and argv[-1] != "+"
    assert journal.command(None)[4:6] == ["--since", journal.FIRST_LOOK]


def test_an_audit_head_that_goes_back_is_an_alarm_whatever_order_the_events_come_in(
    running_office: RunningOffice, store: Store
) -> None:
    from appliance.office.services import security_log as office_security_log
    from appliance.office.services.found import Lane

    enrol(running_office, store)

    def head(seq: int, entry_id: int, link: str = "ab" * 32) -> list[str]:
        event = {"seq": seq, "at": "2026-12-06T10:00:00+00:00", "kind": "audit_head"}
        with running_office.office.connection() as conn, conn.transaction():  # type: ignore[attr-defined]
            found = office_security_log.project(
                conn, Lane("lyon", "T01"), {**event, "body": {"entry_id": entry_id, "link": link}}
            )
        return [f.kind for f in found]

    assert head(10, 5) == []
    assert head(12, 9) == []
    assert head(11, 10) == ["audit_head_back"]  # came late, and names an entry past the later head
    assert head(13, 9, "cd" * 32) == ["audit_head_back"]  # the same entry with another link
    assert head(14, 12) == []
    with running_office.office.connection() as conn:  # type: ignore[attr-defined]
        held = security_log_store.audit_head(conn, "lyon", "T01")
    assert held is not None and (held["seq"], held["entry_id"]) == (14, 12)


def test_the_journal_is_read_through_journalctl_and_its_refusals_are_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin" / "journalctl"
    fake.parent.mkdir()
    # Answers two entries, or refuses a cursor it cannot seek to, as systemd 252 does.
    fake.write_text(
        "#!/bin/sh\n"
        'case "$*" in *"i=bad"*) echo "Failed to seek to cursor: Invalid argument" >&2; exit 1;; esac\n'
        'echo "$@" > "$(dirname "$0")/argv"\n'
        'printf \'%s\\n\' \'{"__CURSOR": "s=1;i=1", "SYSLOG_IDENTIFIER": "sudo", "MESSAGE": "x"}\' \'\' '
        '\'{"__CURSOR": "s=1;i=2", "_PID": "1", "MESSAGE": "Reached target"}\'\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    assert [e["__CURSOR"] for e in journal.read("s=1;i=0")] == ["s=1;i=1", "s=1;i=2"]
    assert (fake.parent / "argv").read_text().startswith("--output json --no-pager --after-cursor s=1;i=0 ")
    assert [e["__CURSOR"] for e in journal.read(None, limit=1)] == ["s=1;i=1"]
    with pytest.raises(journal.JournalUnreadable, match="seek to cursor"):
        list(journal.read("s=1;i=bad"))
