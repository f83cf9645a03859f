"""The lanes (a store's tills) enrolled at the office, and when each last called."""

from __future__ import annotations

import datetime as dt

from appliance.office.store.db import Connection


def enrol(
    conn: Connection,
    store: str,
    till: str,
    fingerprint: str,
    serial: str,
    not_after: dt.datetime,
    at: dt.datetime,
) -> bool:
    """Records the lane's certificate; a till enrolled again gets its new one (the old one
    no longer opens anything). True when the lane is new."""
    row = conn.execute(
        "INSERT INTO lanes (store, till, cert_fingerprint, cert_serial, cert_not_after, enrolled_at)"
        " VALUES (%s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (store, till) DO UPDATE SET cert_fingerprint = excluded.cert_fingerprint,"
        " cert_serial = excluded.cert_serial, cert_not_after = excluded.cert_not_after,"
        " enrolled_at = excluded.enrolled_at"
        " RETURNING (xmax = 0) AS new",
        (store, till, fingerprint, serial, not_after, at),
    ).fetchone()
    return bool(row and row["new"])


def touch(conn: Connection, fingerprint: str, at: dt.datetime) -> dict[str, object] | None:
    """The lane whose current certificate this is, with its last contact set to `at`."""
    return conn.execute(
        "UPDATE lanes SET last_contact = %s WHERE cert_fingerprint = %s"
        " RETURNING store, till, enrolled_at, last_contact",
        (at, fingerprint),
    ).fetchone()


def all_lanes(conn: Connection) -> list[dict[str, object]]:
    """Each lane with its outbox: the seq held with none missing (acked_seq), the highest
    held, what the till last said it has written, its backlog and its open alarms; the lanes
    with the largest backlog first."""
    return conn.execute(
        "SELECT l.store, l.till, l.enrolled_at, l.last_contact, l.cert_not_after, l.acked_seq, l.last_seq,"
        " l.till_last_seq, l.last_push, greatest(l.till_last_seq - l.acked_seq, 0) AS backlog,"
        " (SELECT count(*) FROM lane_alarms a WHERE a.store = l.store AND a.till = l.till"
        "  AND a.resolved_at IS NULL) AS open_alarms"
        " FROM lanes l ORDER BY backlog DESC, l.store, l.till"
    ).fetchall()
