"""The office's audit log: rows only (the chain is appliance.security.audit's)."""

from __future__ import annotations

import json
from typing import Any

from appliance.office.store.db import Connection

COLUMNS = "id, at, actor, action, outcome, origin, object, details, prev_hash, hash"


def details_text(details: dict[str, Any]) -> str:
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def next_entry(conn: Connection) -> tuple[int, str | None]:
    """The next entry's number and the last entry's link, with the table locked against other
    writers until the transaction ends: numbers are given in order with no gap (a rolled-back
    entry gives its number back, which a sequence would not), and each entry links to the last."""
    conn.execute("LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE")
    row = conn.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return 1, None
    return int(str(row["id"])) + 1, str(row["hash"])


def insert(conn: Connection, entry: dict[str, Any], *, prev_link: str, link: str) -> None:
    conn.execute(
        f"INSERT INTO audit_log ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",  # noqa: S608 fixed columns
        (
            entry["id"],
            entry["at"],
            entry["actor"],
            entry["action"],
            entry["outcome"],
            entry["origin"],
            entry["object"],
            entry["details"],
            prev_link,
            link,
        ),
    )


def entries(conn: Connection, after: int = 0, limit: int | None = None) -> list[dict[str, object]]:
    return conn.execute(
        f"SELECT {COLUMNS} FROM audit_log WHERE id > %s ORDER BY id LIMIT %s",  # noqa: S608 fixed columns
        (after, limit),
    ).fetchall()


def entries_from_end(conn: Connection, limit: int = 1) -> list[dict[str, object]]:
    return conn.execute(
        f"SELECT {COLUMNS} FROM audit_log ORDER BY id DESC LIMIT %s",  # noqa: S608 fixed columns
        (limit,),
    ).fetchall()
