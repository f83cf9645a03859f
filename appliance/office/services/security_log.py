"""The lanes' security log and audit heads, projected from their events
(`journal_entries`, `audit_head`; `app/services/security_log.py` writes them at the till).

A projection must not fail on what a lane said (a failing projection takes its batch with it,
and the lane would send it again forever): an entry of the wrong shape is left out and raised
as an alarm. An audit head that goes back (a later event naming an earlier entry, or the same
entry with another link) is an alarm too: the till's audit log was cut or rewritten."""

from __future__ import annotations

from typing import Any

from appliance.office.services.found import Found, Lane
from appliance.office.store import security_log as security_log_store
from appliance.office.store.db import Connection

KINDS = frozenset({"journal_entries", "audit_head"})
_TEXT = {"category": 40, "program": 64, "unit": 128, "message": 1000}


def _entry(raw: object) -> dict[str, Any] | None:
    if not isinstance(raw, dict):
        return None
    entry: dict[str, Any] = {}
    for key, limit in _TEXT.items():
        value = raw.get(key, "")
        if not isinstance(value, str):
            return None
        entry[key] = value[:limit]
    at, priority = raw.get("at"), raw.get("priority")
    entry["at"] = at[:40] if isinstance(at, str) else None
    entry["priority"] = priority if isinstance(priority, int) and not isinstance(priority, bool) else None
    return entry if entry["category"] else None


def _journal(conn: Connection, lane: Lane, event: dict[str, Any]) -> list[Found]:
    raw = event["body"].get("entries")
    raw = raw if isinstance(raw, list) else [None]
    entries = [e for e in map(_entry, raw) if e is not None]
    security_log_store.add_entries(conn, lane.store, lane.till, int(event["seq"]), entries)
    if len(entries) < len(raw):
        return [Found("bad_security_log", int(event["seq"]), {"left_out": len(raw) - len(entries)})]
    return []


def _audit_head(conn: Connection, lane: Lane, event: dict[str, Any]) -> list[Found]:
    seq, body = int(event["seq"]), event["body"]
    entry_id, link = body.get("entry_id"), body.get("link")
    if not isinstance(entry_id, int) or isinstance(entry_id, bool) or not isinstance(link, str):
        return [Found("bad_security_log", seq, {"audit_head": "no entry_id or link"})]
    held = security_log_store.audit_head(conn, lane.store, lane.till)
    found: list[Found] = []
    if held is not None:
        # Ordered by the events' numbers, the heads must not go back, nor change a link.
        offered: dict[str, Any] = {"seq": seq, "entry_id": entry_id, "link": link}
        earlier, later = (held, offered) if seq > int(held["seq"]) else (offered, held)
        back = int(later["entry_id"]) < int(earlier["entry_id"])
        relinked = int(later["entry_id"]) == int(earlier["entry_id"]) and later["link"] != earlier["link"]
        if back or relinked:
            details = {
                "earlier": {"seq": int(earlier["seq"]), "entry_id": int(earlier["entry_id"])},
                "later": {"seq": int(later["seq"]), "entry_id": int(later["entry_id"])},
            }
            found.append(Found("audit_head_back", seq, details))
    if held is None or seq > int(held["seq"]):
        security_log_store.set_audit_head(conn, lane.store, lane.till, seq, entry_id, link[:128], str(event["at"]))
    return found


def project(conn: Connection, lane: Lane, event: dict[str, Any]) -> list[Found]:
    if event["kind"] == "journal_entries":
        return _journal(conn, lane, event)
    return _audit_head(conn, lane, event)
