"""The lanes' events and their alarms: rows only (the chain is domain/outbox.py's)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb

from appliance.office.store.db import Connection


def lock_lane(conn: Connection, fingerprint: str, at: dt.datetime) -> dict[str, Any] | None:
    """The lane whose current certificate this is, locked until the transaction ends (one
    batch of a lane at a time: the contiguity and the chain are read and moved under it)."""
    return conn.execute(
        "UPDATE lanes SET last_contact = %s, last_push = %s WHERE cert_fingerprint = %s"
        " RETURNING store, till, acked_seq, last_seq",
        (at, at, fingerprint),
    ).fetchone()


def insert_new(conn: Connection, store: str, till: str, events: Sequence[dict[str, Any]], at: dt.datetime) -> set[int]:
    """Stores the events whose seq the lane does not hold yet (one statement); their seqs."""
    if not events:
        return set()
    # One JSON document for the batch: arrays of jsonb would be quoted element by element.
    rows = conn.execute(
        "INSERT INTO lane_events (store, till, seq, at, kind, body, prev_hash, hash, received_at)"
        " SELECT %s, %s, e.seq, e.at, e.kind, e.body, e.prev_hash, e.hash, %s"
        " FROM jsonb_to_recordset(%s::jsonb)"
        " AS e(seq bigint, at text, kind text, body jsonb, prev_hash text, hash text)"
        " ON CONFLICT (store, till, seq) DO NOTHING RETURNING seq",
        (store, till, at, Jsonb(list(events))),
    ).fetchall()
    return {int(str(r["seq"])) for r in rows}


def links(conn: Connection, store: str, till: str, first: int, last: int) -> dict[int, tuple[str, str]]:
    """seq → (prev_hash, hash) of the events held from `first` to `last`."""
    rows = conn.execute(
        "SELECT seq, prev_hash, hash FROM lane_events WHERE store = %s AND till = %s AND seq BETWEEN %s AND %s",
        (store, till, first, last),
    ).fetchall()
    return {int(str(r["seq"])): (str(r["prev_hash"]), str(r["hash"])) for r in rows}


def contiguous_from(conn: Connection, store: str, till: str, acked: int) -> int:
    """The highest seq held with none missing from 1 (given that all up to `acked` are)."""
    row = conn.execute(
        "SELECT max(seq) AS top FROM ("
        " SELECT seq, seq - row_number() OVER (ORDER BY seq) AS island FROM lane_events"
        " WHERE store = %s AND till = %s AND seq > %s) AS held WHERE island = %s",
        (store, till, acked, acked),
    ).fetchone()
    return int(str(row["top"])) if row and row["top"] is not None else acked


def first_after(conn: Connection, store: str, till: str, seq: int) -> int | None:
    row = conn.execute(
        "SELECT min(seq) AS next FROM lane_events WHERE store = %s AND till = %s AND seq > %s", (store, till, seq)
    ).fetchone()
    return int(str(row["next"])) if row and row["next"] is not None else None


def moved(conn: Connection, store: str, till: str, acked: int, last: int, till_last: int) -> None:
    conn.execute(
        "UPDATE lanes SET acked_seq = %s, last_seq = greatest(last_seq, %s),"
        " till_last_seq = greatest(till_last_seq, %s) WHERE store = %s AND till = %s",
        (acked, last, till_last, store, till),
    )


def raise_alarm(
    conn: Connection,
    store: str,
    till: str,
    kind: str,
    seq: int,
    details: dict[str, Any],
    at: dt.datetime,
    offered_hash: str = "",
) -> bool:
    """Records the alarm unless the same one is already open; True when it is new."""
    row = conn.execute(
        "INSERT INTO lane_alarms (store, till, kind, seq, offered_hash, details, raised_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (store, till, kind, seq, offered_hash) WHERE resolved_at IS NULL DO NOTHING RETURNING id",
        (store, till, kind, seq, offered_hash, Jsonb(details), at),
    ).fetchone()
    return row is not None


def resolve_gaps(conn: Connection, store: str, till: str, acked: int, at: dt.datetime) -> list[int]:
    """Closes the gap alarms the lane has now filled; the seqs they began at."""
    rows = conn.execute(
        "UPDATE lane_alarms SET resolved_at = %s WHERE store = %s AND till = %s AND kind = 'gap'"
        " AND seq <= %s AND resolved_at IS NULL RETURNING seq",
        (at, store, till, acked),
    ).fetchall()
    return [int(str(r["seq"])) for r in rows]


def resolve_caught_up(conn: Connection, store: str, till: str, acked: int, at: dt.datetime) -> list[int]:
    """Closes the `till_behind` alarms of a lane now holding, with none missing, events past
    what the office held when each was raised; the seqs they were raised at."""
    rows = conn.execute(
        "UPDATE lane_alarms SET resolved_at = %s WHERE store = %s AND till = %s AND kind = 'till_behind'"
        " AND seq < %s AND resolved_at IS NULL RETURNING seq",
        (at, store, till, acked),
    ).fetchall()
    return [int(str(r["seq"])) for r in rows]


def alarms(conn: Connection, *, open_only: bool = True, limit: int = 500) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT id, store, till, kind, seq, offered_hash, details, raised_at, resolved_at FROM lane_alarms"
        " WHERE NOT %s OR resolved_at IS NULL ORDER BY id LIMIT %s",
        (open_only, limit),
    ).fetchall()


def events(conn: Connection, store: str, till: str, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    return conn.execute(
        "SELECT seq, at, kind, body, prev_hash, hash FROM lane_events WHERE store = %s AND till = %s AND seq > %s"
        " ORDER BY seq LIMIT %s",
        (store, till, after, limit),
    ).fetchall()
