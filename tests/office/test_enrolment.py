"""Enrolling a till at the office, and its first calls over mutual TLS."""

from __future__ import annotations

import datetime as dt
import json
import socket
import ssl
import stat
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from appliance.cli import main
from appliance.lane import enrolment as lane
from appliance.office.services import audit_log, enrolment, lanes
from appliance.security import pki
from appliance.security.keys import key_dir_for
from tests.office.conftest import RunningOffice


def _token(office: RunningOffice, store: str = "lyon", till: str = "T01", **kw: object) -> enrolment.IssuedToken:
    return enrolment.issue_token(office.office, store, till, issued_by="test", **kw)  # type: ignore[arg-type]


def test_a_good_token_gives_the_till_a_key_a_certificate_and_the_pinned_ca(
    running_office: RunningOffice, till_dir: Path
) -> None:
    issued = _token(running_office)
    link = lane.enrol(till_dir, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
    assert (link.store, link.till) == ("lyon", "T01")
    # The private key is kept like the store key: in the key folder, never in the data dir.
    assert link.key_path.parent == key_dir_for(till_dir)
    assert not link.key_path.is_relative_to(till_dir)
    assert stat.S_IMODE(link.key_path.stat().st_mode) == 0o600
    assert not any(p.suffix == ".key" for p in till_dir.rglob("*"))
    cert = pki.load_cert(link.cert_path)
    assert pki.lane_of(cert) == ("lyon", "T01")
    assert "T01.lyon" in cert.subject.rfc4514_string()
    assert pki.fingerprint(pki.load_cert(link.ca_path)) == issued.ca_fingerprint
    assert link.lane_url == running_office.lane_url


def test_the_enrol_command_enrols_and_says_hello(
    running_office: RunningOffice, till_dir: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One random token in 64 started with "-", which the command line took for an option.
    unlucky = SimpleNamespace(token_urlsafe=lambda n: "-" + "A" * (4 * n // 3 - 1))
    monkeypatch.setattr("appliance.office.services.enrolment.secrets", unlucky)
    issued = _token(running_office)
    pretty = pki.show_fingerprint(issued.ca_fingerprint).upper()  # pasted as shown, in capitals
    argv = ["enrol", "--data-dir", str(till_dir), "--office", running_office.enrol_url, "--token", issued.token]
    assert main([*argv, "--ca-fingerprint", pretty]) == 0
    assert "Enrolled: till T01 of store lyon" in capsys.readouterr().out
    (row,) = lanes.listing(running_office.office)  # type: ignore[arg-type]
    assert row["last_contact"] is not None


def test_a_token_is_good_once(running_office: RunningOffice, till_dir: Path, tmp_path: Path) -> None:
    issued = _token(running_office)
    lane.enrol(till_dir, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
    other = tmp_path / "another-till"
    other.mkdir()
    with pytest.raises(lane.EnrolmentError, match="used already"):
        lane.enrol(other, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
    assert not (other / lane.OFFICE_DIR / lane.CLIENT_CERT).exists()


def test_an_expired_token_is_refused(running_office: RunningOffice, till_dir: Path) -> None:
    issued = _token(running_office, ttl=dt.timedelta(minutes=15))
    office = running_office.office
    issued_at = office.now()  # type: ignore[attr-defined]
    office.now = lambda: issued_at + dt.timedelta(minutes=15, seconds=1)  # type: ignore[attr-defined]
    with pytest.raises(lane.EnrolmentError, match="expired"):
        lane.enrol(till_dir, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
    assert lanes.listing(office) == []  # type: ignore[arg-type]


def test_an_unknown_token_is_refused(running_office: RunningOffice, till_dir: Path) -> None:
    issued = _token(running_office)
    with pytest.raises(lane.EnrolmentError, match="not one the office issued"):
        lane.enrol(till_dir, running_office.enrol_url, issued.token + "x", ca_fingerprint=issued.ca_fingerprint)


def test_a_wrong_fingerprint_is_refused_before_the_token_is_sent(running_office: RunningOffice, till_dir: Path) -> None:
    issued = _token(running_office)
    wrong = pki.fingerprint(pki.Authority.create("impostor").cert)
    with pytest.raises(lane.EnrolmentError, match="not your office"):
        lane.enrol(till_dir, running_office.enrol_url, issued.token, ca_fingerprint=wrong)
    assert not key_dir_for(till_dir).exists() or not any(key_dir_for(till_dir).iterdir())
    # The token was never shown to the office: it is still good.
    lane.enrol(till_dir, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)


def test_hello_over_mutual_tls_records_the_last_contact(running_office: RunningOffice, till_dir: Path) -> None:
    issued = _token(running_office)
    lane.enrol(till_dir, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
    (before,) = lanes.listing(running_office.office)  # type: ignore[arg-type]
    assert before["last_contact"] is None
    answer = lane.hello(till_dir)
    assert (answer["store"], answer["till"]) == ("lyon", "T01")
    (after,) = lanes.listing(running_office.office)  # type: ignore[arg-type]
    assert isinstance(after["last_contact"], dt.datetime)


def _first_bytes(office: RunningOffice, context: ssl.SSLContext) -> bytes:
    """What the lanes' port sends back to a GET /v1/hello over this TLS context: the start of
    an HTTP answer, or nothing at all when the handshake refused the caller."""
    try:
        with socket.create_connection(("127.0.0.1", office.port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(b"GET /v1/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                return tls.recv(12)
    except (ssl.SSLError, OSError):
        return b""


def _context(office: RunningOffice, version: ssl.TLSVersion) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(office.data_dir / "ca.pem"))
    context.maximum_version = version
    return context


TLS_VERSIONS = [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3]


@pytest.mark.parametrize("version", TLS_VERSIONS)
def test_hello_answers_a_lane_certificate_at_the_tls_layer(
    running_office: RunningOffice, till_dir: Path, version: ssl.TLSVersion
) -> None:
    # The control for the two refusals below: the same request, with the lane's certificate.
    issued = _token(running_office)
    link = lane.enrol(till_dir, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
    context = _context(running_office, version)
    context.load_cert_chain(link.cert_path, link.key_path)
    assert _first_bytes(running_office, context) == b"HTTP/1.1 200"


@pytest.mark.parametrize("version", TLS_VERSIONS)
def test_hello_without_a_client_certificate_is_refused_in_the_handshake(
    running_office: RunningOffice, version: ssl.TLSVersion
) -> None:
    assert _first_bytes(running_office, _context(running_office, version)) == b""


@pytest.mark.parametrize("version", TLS_VERSIONS)
def test_hello_with_a_certificate_from_another_ca_is_refused_in_the_handshake(
    running_office: RunningOffice, tmp_path: Path, version: ssl.TLSVersion
) -> None:
    stranger = pki.Authority.create("another CA")
    key = pki.new_key()
    cert = stranger.lane_certificate(pki.lane_request(key, "lyon", "T01"), "lyon", "T01")
    (tmp_path / "k.pem").write_bytes(pki.key_pem(key))
    (tmp_path / "c.pem").write_bytes(pki.cert_pem(cert))
    context = _context(running_office, version)
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    assert _first_bytes(running_office, context) == b""
    assert lanes.listing(running_office.office) == []  # type: ignore[arg-type]


def test_a_till_enrolled_again_retires_its_old_certificate(
    running_office: RunningOffice, till_dir: Path, tmp_path: Path
) -> None:
    first = _token(running_office)
    lane.enrol(till_dir, running_office.enrol_url, first.token, ca_fingerprint=first.ca_fingerprint)
    replacement = tmp_path / "replacement"
    replacement.mkdir()
    second = _token(running_office)
    lane.enrol(replacement, running_office.enrol_url, second.token, ca_fingerprint=second.ca_fingerprint)
    assert lane.hello(replacement)["till"] == "T01"
    with pytest.raises(lane.EnrolmentError, match="not a lane's current one"):
        lane.hello(till_dir)


def test_the_names_come_from_the_token_not_the_request(running_office: RunningOffice) -> None:
    issued = _token(running_office, store="paris", till="T07")
    key = pki.new_key()
    csr = pki.request_pem(pki.lane_request(key, "lyon", "T01"))
    context = ssl.create_default_context(cadata=(running_office.data_dir / "ca.pem").read_text())
    answer = httpx.post(
        f"{running_office.enrol_url}/v1/enrol", json={"token": issued.token, "csr": csr}, verify=context
    )
    assert answer.status_code == 200
    cert = pki.x509.load_pem_x509_certificate(answer.json()["certificate"].encode())
    assert pki.lane_of(cert) == ("paris", "T07")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"token": "x"}, 422),
        ({"token": "x", "csr": "not a request"}, 422),
        ([1, 2], 400),
    ],
)
def test_a_bad_enrolment_request_is_a_4xx_with_a_reason(
    running_office: RunningOffice, body: object, status: int
) -> None:
    context = ssl.create_default_context(cadata=(running_office.data_dir / "ca.pem").read_text())
    answer = httpx.post(
        f"{running_office.enrol_url}/v1/enrol",
        content=json.dumps(body),
        headers={"content-type": "application/json"},
        verify=context,
    )
    assert answer.status_code == status
    assert answer.json()["message"]


def test_the_audit_log_records_issue_enrolment_and_refusal(
    running_office: RunningOffice, till_dir: Path, tmp_path: Path
) -> None:
    issued = _token(running_office)
    lane.enrol(till_dir, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
    (tmp_path / "other").mkdir()
    with pytest.raises(lane.EnrolmentError):
        lane.enrol(tmp_path / "other", running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
    office = running_office.office
    actions = [(e["action"], e["outcome"], e["object"]) for e in audit_log.entries(office)]  # type: ignore[arg-type]
    assert ("store_added", "success", "store:lyon") in actions
    assert ("enrol_token_issued", "success", "lane:lyon/T01") in actions
    assert ("lane_enrolled", "success", "lane:lyon/T01") in actions
    assert ("lane_enrol_refused", "failure", "enrol_token") in actions
    count, problems = audit_log.verify(office)  # type: ignore[arg-type]
    assert problems == [] and count == len(actions)


def test_two_tills_racing_with_one_token_get_one_certificate(running_office: RunningOffice) -> None:
    import threading

    issued = _token(running_office)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def redeem() -> None:
        csr = pki.request_pem(pki.lane_request(pki.new_key(), "lyon", "T01"))
        start.wait()
        try:
            enrolment.enrol(running_office.office, issued.token, csr, origin="test")  # type: ignore[arg-type]
            outcomes.append("enrolled")
        except Exception as exc:  # noqa: BLE001 the refusal is the outcome under test
            outcomes.append(getattr(exc, "code", repr(exc)))

    threads = [threading.Thread(target=redeem) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["enrolled", "token_used"]
    assert len(lanes.listing(running_office.office)) == 1  # type: ignore[arg-type]


def test_the_database_gone_is_a_503_not_a_500(running_office: RunningOffice, pg_cluster) -> None:
    import psycopg

    issued = _token(running_office)
    database = running_office.dsn.rsplit("dbname=", 1)[1]
    with psycopg.connect(pg_cluster.dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
    csr = pki.request_pem(pki.lane_request(pki.new_key(), "lyon", "T01"))
    context = ssl.create_default_context(cadata=(running_office.data_dir / "ca.pem").read_text())
    answer = httpx.post(
        f"{running_office.enrol_url}/v1/enrol", json={"token": issued.token, "csr": csr}, verify=context, timeout=30
    )
    assert answer.status_code == 503
    assert answer.json()["error"] == "office_unavailable"
