"""The lanes' alarms as the back office reads and closes them (the table is lane_alarms,
raised by store/events.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from appliance.office.store.db import Connection


def listing(conn: Connection, *, open_only: bool, store: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """The newest first: the one raised last is the one nobody has looked at yet."""
    return conn.execute(
        "SELECT id, store, till, kind, seq, details, raised_at, resolved_at, resolved_by, resolution"
        " FROM lane_alarms WHERE (NOT %s OR resolved_at IS NULL) AND (%s::text IS NULL OR store = %s)"
        " ORDER BY id DESC LIMIT %s",
        (open_only, store, store, limit),
    ).fetchall()


def close(conn: Connection, alarm_id: int, by: str, reason: str, at: dt.datetime) -> dict[str, Any] | None:
    """Closes an open alarm; the alarm, or None if there is no open alarm of that number."""
    return conn.execute(
        "UPDATE lane_alarms SET resolved_at = %s, resolved_by = %s, resolution = %s"
        " WHERE id = %s AND resolved_at IS NULL RETURNING id, store, till, kind, seq",
        (at, by, reason, alarm_id),
    ).fetchone()
