"""The office's audit log: who did what, when, from where, with what outcome.

Entries are chained like the till's (appliance.security.audit: an HMAC-SHA256 link under the
office's audit key), the table refuses UPDATE, DELETE and TRUNCATE (migration 0001), and the
head of the chain is anchored in the data dir after each commit, so that entries cut off the
end are seen too.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

from appliance.office.services.office import Office
from appliance.office.store import audit as audit_store
from appliance.office.store.db import Connection
from appliance.security.audit import GENESIS, Anchor, ChainProblem, entry_mac, verify_chain

HEAD_FILE = "audit.head"


def record(
    office: Office,
    conn: Connection,
    *,
    actor: str,
    action: str,
    object: str = "",
    details: dict[str, Any] | None = None,
    origin: str = "cli",
    outcome: str = "success",
) -> None:
    """Appends an entry in the caller's transaction (call `anchor` after it commits)."""
    entry_id, held_link = audit_store.next_entry(conn)
    prev_link = GENESIS if held_link is None else held_link
    entry = {
        "id": entry_id,
        "at": office.now().isoformat(timespec="microseconds"),
        "actor": actor[:64],
        "action": action,
        "outcome": outcome,
        "origin": origin[:64],
        "object": object[:128],
        "details": audit_store.details_text(details or {}),
    }
    audit_store.insert(conn, entry, prev_link=prev_link, link=entry_mac(office.audit_key, prev_link, entry))


def anchor(office: Office, conn: Connection) -> None:
    """Moves the anchor outside the database to the committed head, never backwards."""
    rows = audit_store.entries_from_end(conn)
    if not rows:
        return
    head = Anchor(int(str(rows[0]["id"])), str(rows[0]["hash"]))
    fd = os.open(office.data_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # one anchor writer at a time, across threads and processes
        current = read_head(office.data_dir)
        if current is not None and current.entry_id >= head.entry_id:
            return
        tmp = office.data_dir / (HEAD_FILE + ".tmp")
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(out, head.line().encode("ascii"))
            os.fsync(out)
        finally:
            os.close(out)
        os.replace(tmp, office.data_dir / HEAD_FILE)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_head(data_dir: Path) -> Anchor | None:
    try:
        return Anchor.parse((data_dir / HEAD_FILE).read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError):
        return None


def entries(office: Office, after: int = 0, limit: int | None = None) -> list[dict[str, object]]:
    with office.connection() as conn:
        return audit_store.entries(conn, after=after, limit=limit)


def verify(office: Office) -> tuple[int, list[ChainProblem]]:
    found = entries(office)
    return len(found), verify_chain(found, office.audit_key, anchor=read_head(office.data_dir))
