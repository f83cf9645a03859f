"""A lane's events coming in: each stored once, and what does not fit raised as an alarm.

A batch is taken whole in one transaction, under the lane's row lock (one batch of a lane at
a time). Each event's hash is made again here (`domain/outbox.py`); an event whose hash is not
its content's is refused. An event is stored once by (store, till, seq): the same number with
the same hash again is a duplicate (a retry: acknowledged, nothing written); with another hash
it is an alarm, and the stored event stays as it was. An event that does not link to the one
before it is stored and raised as an alarm (it is what the till said; the alarm says the till's
history was changed or lost). Events held past a missing one raise a gap alarm, closed when
the missing ones come. A lane that says it has written fewer events than the office holds of
it (restored from an old backup, or another box under its name) raises an alarm too: its
next events would come under numbers already held. A batch held in the network and delivered
after newer ones says the same, so that alarm closes when new events past it link to what the
office holds. The answer names the highest seq held
with none missing before it: the till sends again from there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from appliance.app.domain.errors import Forbidden, Invalid
from appliance.app.domain.outbox import GENESIS, event_hash
from appliance.office.services import audit_log, projections
from appliance.office.services.office import Office
from appliance.office.store import events as events_store

MAX_EVENTS = 1000  # in one batch; the till sends 500
_HASH = re.compile(r"[0-9a-f]{64}")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")
# Alarms that say the lane's history was changed or cut: while one comes, till_behind stays.
_HISTORY_CUT = ("bad_hash", "conflicting_resend", "broken_chain", "till_behind")


@dataclass
class Ingested:
    store: str
    till: str
    acked_seq: int  # the highest seq held with none missing before it
    stored: int = 0
    duplicates: int = 0
    refused: int = 0
    alarms: list[dict[str, Any]] = field(default_factory=list)


def _checked(raw: object) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise Invalid("each event is an object {seq, at, kind, body, prev_hash, hash}", "invalid_event")
    seq, at, kind, body = raw.get("seq"), raw.get("at"), raw.get("kind"), raw.get("body")
    prev_hash, link = raw.get("prev_hash"), raw.get("hash")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 < seq < 2**62:
        raise Invalid("an event's seq is a whole number from 1", "invalid_event")
    if not isinstance(at, str) or not 0 < len(at) <= 40:
        raise Invalid(f"event {seq}: at is the till's time", "invalid_event")
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise Invalid(f"event {seq}: kind is a word in lower case", "invalid_event")
    if not isinstance(body, dict):
        raise Invalid(f"event {seq}: body is an object", "invalid_event")
    if not isinstance(prev_hash, str) or not _HASH.fullmatch(prev_hash):
        raise Invalid(f"event {seq}: prev_hash is 64 hex digits", "invalid_event")
    if not isinstance(link, str) or not _HASH.fullmatch(link):
        raise Invalid(f"event {seq}: hash is 64 hex digits", "invalid_event")
    return {"seq": seq, "at": at, "kind": kind, "body": body, "prev_hash": prev_hash, "hash": link}


def checked_batch(events: object, till_last_seq: object) -> tuple[list[dict[str, Any]], int]:
    if not isinstance(events, list) or len(events) > MAX_EVENTS:
        raise Invalid(f"events is a list of at most {MAX_EVENTS}", "invalid_batch")
    if isinstance(till_last_seq, bool) or not isinstance(till_last_seq, int) or till_last_seq < 0:
        raise Invalid("last_seq is the till's last event number", "invalid_batch")
    found = sorted((_checked(e) for e in events), key=lambda e: int(e["seq"]))
    if len({e["seq"] for e in found}) != len(found):
        raise Invalid("a batch names each seq once", "invalid_batch")
    return found, till_last_seq


def ingest(office: Office, cert_fingerprint: str, events: object, till_last_seq: object, origin: str = "") -> Ingested:
    batch, till_last = checked_batch(events, till_last_seq)
    now = office.now()
    with office.connection() as conn:
        with conn.transaction():
            lane = events_store.lock_lane(conn, cert_fingerprint, now)
            if lane is None:
                raise Forbidden("this certificate is not a lane's current one: enrol the till again", "unknown_lane")
            store, till, acked = str(lane["store"]), str(lane["till"]), int(str(lane["acked_seq"]))
            done = Ingested(store, till, acked)
            alarms: list[tuple[str, int, dict[str, Any], str]] = []
            sound = []
            for e in batch:
                made = event_hash(e["prev_hash"], e["seq"], e["at"], e["kind"], e["body"])
                if made != e["hash"]:
                    done.refused += 1
                    alarms.append(("bad_hash", e["seq"], {"kind": e["kind"], "at": e["at"]}, e["hash"]))
                else:
                    sound.append(e)
            new = events_store.insert_new(conn, store, till, sound, now)
            done.stored = len(new)
            if sound:
                first, last = int(sound[0]["seq"]), int(sound[-1]["seq"])
                held = events_store.links(conn, store, till, max(first - 1, 1), last + 1)
                for e in sound:
                    seq = int(e["seq"])
                    if seq not in new:
                        if held[seq][1] == e["hash"]:
                            done.duplicates += 1
                        else:
                            details = {"held_hash": held[seq][1], "kind": e["kind"], "at": e["at"], "body": e["body"]}
                            alarms.append(("conflicting_resend", seq, details, e["hash"]))
                        continue
                    before = GENESIS if seq == 1 else (held[seq - 1][1] if seq - 1 in held else None)
                    if before is not None and e["prev_hash"] != before:
                        alarms.append(("broken_chain", seq, {"links_to": e["prev_hash"], "held_before": before}, ""))
                    after = held.get(seq + 1)
                    if after is not None and seq + 1 not in new and after[0] != e["hash"]:
                        alarms.append(("broken_chain", seq + 1, {"links_to": after[0], "held_before": e["hash"]}, ""))
            top = events_store.contiguous_from(conn, store, till, acked)
            highest = max([int(e["seq"]) for e in sound] + [int(str(lane["last_seq"]))])
            events_store.moved(conn, store, till, top, highest, till_last)
            done.acked_seq = top
            filled = events_store.resolve_gaps(conn, store, till, top, now)
            if till_last < highest:
                said = {"till_last_seq": till_last, "office_last_seq": highest}
                alarms.append(("till_behind", highest, said, ""))
            following = events_store.first_after(conn, store, till, top)
            if following is not None:
                alarms.append(("gap", top + 1, {"missing_from": top + 1, "missing_to": following - 1}, ""))
            stored = [e for e in sound if int(e["seq"]) in new]
            for f in projections.project(conn, projections.Lane(store, till), stored):
                alarms.append((f.kind, f.seq, f.details, ""))
            caught_up: list[int] = []
            if till_last >= highest and not any(a[0] in _HISTORY_CUT for a in alarms):
                # A batch held in the network and delivered after newer ones says less than the
                # lane has written since: it raised till_behind. New events past it, linked to
                # what the office holds, show the lane was never behind.
                caught_up = events_store.resolve_caught_up(conn, store, till, top, now)
            for kind, seq, details, offered in alarms:
                if events_store.raise_alarm(conn, store, till, kind, seq, details, now, offered):
                    done.alarms.append({"kind": kind, "seq": seq})
                    audit_log.record(
                        office,
                        conn,
                        actor=f"lane:{store}/{till}",
                        action=f"lane_alarm_{kind}",
                        object=f"lane:{store}/{till}#{seq}",
                        details={k: v for k, v in details.items() if k != "body"},
                        origin=origin or "lane",
                        outcome="failure",
                    )
            for seq in caught_up:
                audit_log.record(
                    office,
                    conn,
                    actor=f"lane:{store}/{till}",
                    action="lane_caught_up",
                    object=f"lane:{store}/{till}#{seq}",
                    origin=origin or "lane",
                )
            for seq in filled:
                audit_log.record(
                    office,
                    conn,
                    actor=f"lane:{store}/{till}",
                    action="lane_gap_filled",
                    object=f"lane:{store}/{till}#{seq}",
                    origin=origin or "lane",
                )
            if done.alarms or filled or caught_up:
                audit_log.anchor(office, conn)
    return done


def alarms(office: Office, *, open_only: bool = True) -> list[dict[str, Any]]:
    with office.connection() as conn:
        return events_store.alarms(conn, open_only=open_only)


def events(office: Office, store: str, till: str, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    with office.connection() as conn:
        return events_store.events(conn, store, till, after, limit)
