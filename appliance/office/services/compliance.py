"""A lane's signed compliance report coming in (`POST /v1/compliance`).

The report is the JSON `comptoir compliance scan` wrote on the box, as text, with the lane's
signature over it (`security/signing.py`). The signature is checked against the public key of
the certificate the lane called with (its current one: a till enrolled again leaves its old
certificate without a lane), and kept with the report and that certificate. A report that is
not signed by the lane is refused and audited: a box that cannot sign its own report, or a
report changed on the way, is news for the security team."""

from __future__ import annotations

import json
from typing import Any

from appliance.app.domain.errors import Forbidden, Invalid
from appliance.office.services import audit_log
from appliance.office.services.office import Office
from appliance.office.store import compliance_reports
from appliance.office.store import lanes as lanes_store
from appliance.security import pki, signing
from appliance.security.compliance.fleet import FleetError, parse

MAX_REPORT = 4 * 1024 * 1024  # characters; a full scan's report is some 100 KiB


def _checked(report: object, signature: object) -> tuple[str, str, dict[str, Any]]:
    if not isinstance(report, str) or not 0 < len(report) <= MAX_REPORT:
        raise Invalid(f"report is the scan's JSON as text, at most {MAX_REPORT} characters", "invalid_report")
    if not isinstance(signature, str) or not 0 < len(signature) <= 512:
        raise Invalid("signature is the lane's ECDSA signature of the report, in base64", "invalid_report")
    try:
        data = json.loads(report)
    except ValueError:
        raise Invalid("report is not JSON", "invalid_report") from None
    if not isinstance(data, dict):
        raise Invalid("report is not a compliance scan report", "invalid_report")
    try:
        parse(data, "report", "the report")
    except FleetError as exc:
        raise Invalid(str(exc), "invalid_report") from None
    return report, signature, data


def receive(office: Office, cert_der: bytes, report: object, signature: object, origin: str = "") -> dict[str, Any]:
    """Stores the report when the lane signed it; what was stored (id, lane, scan time)."""
    text, sig, data = _checked(report, signature)
    now = office.now()
    signed = signing.verify(cert_der, text.encode("utf-8"), sig)
    with office.connection() as conn:
        with conn.transaction():
            lane = lanes_store.touch(conn, pki.der_fingerprint(cert_der), now)
            if lane is None:
                raise Forbidden("this certificate is not a lane's current one: enrol the till again", "unknown_lane")
            store, till = str(lane["store"]), str(lane["till"])
            scanned_at, version = str(data.get("started", "")), str(data.get("version", ""))
            if signed:
                report_id = compliance_reports.add(conn, store, till, now, scanned_at, version, text, sig, cert_der)
            else:
                audit_log.record(
                    office,
                    conn,
                    actor=f"lane:{store}/{till}",
                    action="compliance_report_refused",
                    object=f"lane:{store}/{till}",
                    details={"reason": "bad_signature", "scanned_at": scanned_at[:40]},
                    origin=origin or "lane",
                    outcome="failure",
                )
        if not signed:
            audit_log.anchor(office, conn)
            raise Invalid("the report's signature is not this lane's", "bad_signature")
    return {"id": report_id, "store": store, "till": till, "scanned_at": scanned_at, "version": version}
