"""The lanes' signed compliance reports, kept as they came: rows only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from appliance.office.store.db import Connection


def add(
    conn: Connection,
    store: str,
    till: str,
    at: dt.datetime,
    scanned_at: str,
    version: str,
    text: str,
    signature: str,
    cert_der: bytes,
) -> int:
    row = conn.execute(
        "INSERT INTO lane_compliance_reports"
        " (store, till, received_at, scanned_at, version, report_text, signature, cert_der)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (store, till, at, scanned_at, version, text, signature, cert_der),
    ).fetchone()
    assert row is not None
    return int(str(row["id"]))


def newest(conn: Connection) -> list[dict[str, Any]]:
    """Each lane's newest report (lanes that never sent one are not here)."""
    return conn.execute(
        "SELECT DISTINCT ON (store, till) id, store, till, received_at, scanned_at, version, report_text,"
        " signature, cert_der FROM lane_compliance_reports ORDER BY store, till, received_at DESC, id DESC"
    ).fetchall()
