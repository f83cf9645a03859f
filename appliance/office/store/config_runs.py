"""The runs of the pulled configuration the lanes reported, one row per event."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from appliance.office.store.db import Connection


def add(conn: Connection, store: str, till: str, seq: int, run: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO lane_config_runs (store, till, seq, outcome, bundle_version, ok, changed, failed,"
        " changed_tasks, started, ended, message) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (
            store,
            till,
            seq,
            run["outcome"],
            run["bundle_version"],
            run["ok"],
            run["changed"],
            run["failed"],
            Jsonb(run["changed_tasks"]),
            run["started"],
            run["ended"],
            run["message"],
        ),
    )


def last_two(conn: Connection) -> list[dict[str, Any]]:
    """Each lane's two newest runs (by the events' numbers), newest first."""
    return conn.execute(
        "SELECT * FROM (SELECT r.*, row_number() OVER (PARTITION BY store, till ORDER BY seq DESC) AS n"
        " FROM lane_config_runs r) ranked WHERE n <= 2 ORDER BY store, till, seq DESC"
    ).fetchall()
