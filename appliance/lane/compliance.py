"""The till's compliance report, sent to its office: the newest signed JSON scan report of
the report folder (what `comptoir compliance scan --report-dir` writes), signed with the
lane's office key and sent over mutual TLS (`POST /v1/compliance` on the lanes' port).

Not through the outbox: a report is some 100 KiB written once a week by the root-run
scanner, only the newest matters, and the outbox keeps every event forever on the till.
Who sent it is the lane's certificate; the signature stays with the report at the office.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx

from appliance.lane import enrolment
from appliance.lane.outbox import OfficeUnreachable
from appliance.security import pki, signing

PATTERN = "compliance-*.json"  # the scanner's name: compliance-YYYYmmddTHHMMSSZ.json, sorts by time
SENT = "compliance.sent"  # in the data dir's office folder: the SHA-256 of the last report the office took


class NoReport(Exception):
    """Nothing to send: no report in the folder, or a file that is not one."""


def latest(report_dir: Path) -> Path:
    found = sorted(report_dir.glob(PATTERN)) if report_dir.is_dir() else []
    if not found:
        raise NoReport(f"no compliance report ({PATTERN}) in {report_dir}")
    return found[-1]


def read(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise NoReport(f"{path}: not a JSON report ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise NoReport(f"{path}: not a compliance scan report (no results)")
    return text


def send(data_dir: Path, report: str) -> dict[str, Any]:
    """Signs the report as it is (its bytes in UTF-8) and sends it; the office's answer."""
    try:
        found = enrolment.link(data_dir)
        signature = signing.sign(pki.load_key(found.key_path), report.encode("utf-8"))
        with enrolment.client(found) as http:
            answer = http.post("/v1/compliance", json={"report": report, "signature": signature})
    except (httpx.HTTPError, OSError, pki.CertificateError) as exc:
        raise OfficeUnreachable(f"the office did not answer: {exc}") from None
    return enrolment.accepted(
        answer,
        lambda status, message: OfficeUnreachable(
            f"the office refused the report (HTTP {status}): {message or ''}".strip()
        ),
    )


def _sent_file(data_dir: Path) -> Path:
    return data_dir / enrolment.OFFICE_DIR / SENT


def already_sent(data_dir: Path, report: str) -> bool:
    """The office took this very report already: the push timer runs every few minutes for
    the logs, and the weekly report need not go again each time."""
    try:
        held = _sent_file(data_dir).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return False
    return held == hashlib.sha256(report.encode("utf-8")).hexdigest()


def mark_sent(data_dir: Path, report: str) -> None:
    path = _sent_file(data_dir)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(hashlib.sha256(report.encode("utf-8")).hexdigest() + "\n", encoding="ascii")
    tmp.replace(path)
