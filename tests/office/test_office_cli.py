"""`comptoir office …` and `comptoir enrol` as a person types them: what they print, and a
bad input exits 2 with one line saying what is wrong."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from appliance.cli import main
from appliance.office.services import enrolment
from appliance.security import pki
from tests.office.conftest import RunningOffice, free_port

REPO = Path(__file__).resolve().parents[2]


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_enrol_token_prints_a_token_and_the_cas_fingerprint(
    office_dsn: str, office_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        [
            "office",
            "enrol-token",
            "--database",
            office_dsn,
            "--data-dir",
            str(office_dir),
            "--store",
            "lyon",
            "--till",
            "T01",
        ],
        capsys,
    )
    assert code == 0
    ca = pki.fingerprint(pki.load_cert(office_dir / "ca.pem"))
    assert pki.show_fingerprint(ca) in out
    assert f"--ca-fingerprint {ca}" in out
    token = out.split(": ", 1)[1].split()[0]
    assert token.startswith("enrol_") and len(token) == len("enrol_") + 32  # never read as an option
    import psycopg

    with psycopg.connect(office_dsn) as conn:
        stored = [t for (t,) in conn.execute("SELECT token_hash FROM enrol_tokens")]
    assert stored == [enrolment.token_hash(token)]  # kept hashed, never as typed


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--store", "Lyon centre", "--till", "T01"], "store 'Lyon centre' must be"),
        (["--store", "lyon", "--till", "T/01"], "till 'T/01' must be"),
        (["--store", "lyon", "--till", "T01", "--minutes", "0"], "a token lives 1 to 1440 minutes"),
        (["--store", "lyon", "--till", "T01", "--minutes", "soon"], "not a whole number of minutes"),
        (["--till", "T01"], "the following arguments are required: --store"),
    ],
)
def test_a_bad_enrol_token_request_exits_2(
    office_dsn: str, office_dir: Path, capsys: pytest.CaptureFixture[str], extra: list[str], says: str
) -> None:
    argv = ["office", "enrol-token", "--database", office_dsn, "--data-dir", str(office_dir), *extra]
    try:
        code, _, err = _run(argv, capsys)
    except SystemExit as exc:  # argparse's own refusals
        code, err = int(str(exc.code)), capsys.readouterr().err
    assert code == 2
    assert says in err


def test_no_database_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.delenv("COMPTOIR_OFFICE_DATABASE", raising=False)
    code, _, err = _run(["office", "init", "--data-dir", str(tmp_path / "o")], capsys)
    assert code == 2 and "--database DSN" in err


def test_an_unreachable_database_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dsn = f"host={tmp_path} port=1 user=nobody dbname=none"
    code, _, err = _run(["office", "init", "--database", dsn, "--data-dir", str(tmp_path / "o")], capsys)
    assert code == 2 and "cannot connect to the office's database" in err
    assert not (tmp_path / "o").exists()


def test_an_office_that_was_never_made_exits_2(office_dsn: str, tmp_path: Path, capsys) -> None:
    code, _, err = _run(["office", "lanes", "--database", office_dsn, "--data-dir", str(tmp_path)], capsys)
    assert code == 2 and "comptoir office init" in err


def test_a_weak_admin_password_exits_2(office_dsn: str, tmp_path: Path, capsys, monkeypatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    argv = ["office", "init", "--database", office_dsn, "--data-dir", str(tmp_path / "o"), "--password-stdin"]
    code, _, err = _run(argv, capsys)
    assert code == 2 and "at least 12 characters" in err


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--office", "http://127.0.0.1:9", "--token", "t"], "must be https://HOST:PORT"),
        (["--office", "https://127.0.0.1:9/v1", "--token", "t"], "without a path"),
        (["--office", "https://127.0.0.1:9", "--token", "t", "--ca-fingerprint", "abc"], "64 hex characters"),
        (["--office", "https://127.0.0.1:9", "--token", "t"], "cannot reach the office"),
    ],
)
def test_a_bad_enrol_exits_2(till_dir: Path, capsys, extra: list[str], says: str) -> None:
    code, _, err = _run(["enrol", "--data-dir", str(till_dir), *extra], capsys)
    assert code == 2
    assert says in err


def test_enrol_without_a_fingerprint_trusts_on_first_use_and_says_so(
    running_office: RunningOffice, till_dir: Path, capsys
) -> None:
    issued = enrolment.issue_token(running_office.office, "lyon", "T02", issued_by="test")  # type: ignore[arg-type]
    argv = ["enrol", "--data-dir", str(till_dir), "--office", running_office.enrol_url, "--token", issued.token]
    code, out, err = _run(argv, capsys)
    assert code == 0 and "till T02 of store lyon" in out
    assert pki.show_fingerprint(issued.ca_fingerprint) in err
    code, _, err = _run(argv, capsys)  # the same till again
    assert code == 2 and "already enrolled" in err


def test_lanes_lists_store_till_enrolled_at_and_last_contact(
    running_office: RunningOffice, till_dir: Path, capsys
) -> None:
    where = ["--database", running_office.dsn, "--data-dir", str(running_office.data_dir)]
    code, out, _ = _run(["office", "lanes", *where], capsys)
    assert code == 0 and "No lane enrolled yet." in out
    for till in ("T01", "T02"):
        issued = enrolment.issue_token(running_office.office, "lyon", till, issued_by="test")  # type: ignore[arg-type]
        folder = till_dir / till
        folder.mkdir()
        argv = ["enrol", "--data-dir", str(folder), "--office", running_office.enrol_url, "--token", issued.token]
        assert main([*argv, "--ca-fingerprint", issued.ca_fingerprint]) == 0
    capsys.readouterr()
    code, out, _ = _run(["office", "lanes", *where], capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == [
        "store", "till", "enrolled", "at", "last", "contact", "seq", "backlog", "alarms"
    ]  # fmt: skip
    assert [line.split()[:2] for line in lines[1:]] == [["lyon", "T01"], ["lyon", "T02"]]
    assert [line.split()[-3:] for line in lines[1:]] == [["0", "0", "0"], ["0", "0", "0"]]  # nothing pushed yet
    assert all("never" not in line for line in lines[1:])  # each said hello at enrolment
    code, out, _ = _run(["office", "audit-verify", *where], capsys)
    assert code == 0 and ", 0 problems" in out


def test_office_serve_serves_https_on_both_ports(office_dsn: str, office_dir: Path) -> None:
    port, enrol_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "appliance",
            "office",
            "serve",
            "--database",
            office_dsn,
            "--data-dir",
            str(office_dir),
            "--port",
            str(port),
            "--enrol-port",
            str(enrol_port),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        context = ssl.create_default_context(cafile=str(office_dir / "ca.pem"))
        answer = None
        deadline = time.monotonic() + 30
        while answer is None:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "the office did not start"
            try:
                answer = httpx.get(f"https://127.0.0.1:{enrol_port}/v1/ca", verify=context, timeout=5)
            except httpx.ConnectError:
                time.sleep(0.1)
        assert answer.status_code == 200
        assert pki.x509.load_pem_x509_certificate(answer.content) == pki.load_cert(office_dir / "ca.pem")
        with pytest.raises(httpx.TransportError):  # plain HTTP is not served
            httpx.get(f"http://127.0.0.1:{enrol_port}/v1/ca", timeout=5).raise_for_status()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
