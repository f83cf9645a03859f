"""The fleet's compliance as the office knows it, with no SSH: each lane's newest signed
compliance report (hosts × controls), its last contact, its software version (the one it runs,
the one its ring or pin says, its last update event), its outbox backlog, its security log,
its audit chain's head and its last run of the pulled configuration (the version it applied
against the one the office serves it now, and drift).

`report(office)` is what `comptoir compliance fleet-report --office-database …` prints and
what the office's back office shows; `security/compliance/fleet.py` renders it as HTML, JSON,
CSV or text. A lane whose newest report is older than `STALE_AFTER` (the box scans once a
week) is flagged stale, and one that never sent a report is listed with none: both are as
much a finding as a failing control."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from appliance.office.services import configuration, updates
from appliance.office.services.office import Office
from appliance.office.store import compliance_reports
from appliance.office.store import lanes as lanes_store
from appliance.office.store import security_log as security_log_store
from appliance.office.store import updates as updates_store
from appliance.security import signing
from appliance.security.compliance.fleet import FleetError, parse

STALE_AFTER = dt.timedelta(days=8)  # a weekly scan and a day's grace


def _iso(value: object) -> str | None:
    return value.isoformat(timespec="seconds") if isinstance(value, dt.datetime) else None


def _when(text: str) -> dt.datetime | None:
    try:
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _report(row: dict[str, Any], name: str, now: dt.datetime, stale_after: dt.timedelta) -> dict[str, Any]:
    text = str(row["report_text"])
    signed = signing.verify(bytes(row["cert_der"]), text.encode("utf-8"), str(row["signature"]))
    try:
        host, controls = parse(json.loads(text), name, f"lane {name}")
    except (ValueError, FleetError):
        host, controls = None, {}
    # The scan's own time: a box that sends an old report again is still stale.
    scanned = _when(str(row["scanned_at"])) or row["received_at"]
    return {
        "id": int(row["id"]),
        "scanned_at": str(row["scanned_at"]),
        "received_at": _iso(row["received_at"]),
        "signature_ok": signed,
        "stale": now - scanned > stale_after,
        "hostname": host.hostname if host else "",
        "summary": host.summary if host else {},
        "failing": host.failing if host else [],
        "statuses": host.statuses if host else {},
        "controls": controls,
    }


def _update(event: dict[str, Any] | None, wanted: dict[str, Any] | None, reported: str | None) -> dict[str, Any]:
    """What the box runs (its newest update event says; else its compliance report's
    version), what its ring or pin says it should, and its newest update event."""
    body = event["body"] if event and isinstance(event["body"], dict) else {}
    running = body.get("version") if event and event["kind"] == "update_booted" else body.get("running")
    return {
        "running_version": str(running) if running else reported,
        "wanted_version": wanted["version"] if wanted else None,
        "ring": wanted["ring"] if wanted else None,
        "pinned": bool(wanted and wanted["pinned"]),
        "last_update": (
            {"kind": str(event["kind"]), "at": str(event["at"]), "version": body.get("version"),
             "reason": body.get("reason")}
            if event
            else None
        ),
    }  # fmt: skip


def report(office: Office, now: dt.datetime | None = None, stale_after: dt.timedelta = STALE_AFTER) -> dict[str, Any]:
    """Every lane with its newest report; the controls × lanes matrix; who fails, who is
    stale, who never reported. Lanes are named `store/till`."""
    now = now or office.now()
    with office.connection() as conn:
        lanes = lanes_store.all_lanes(conn)
        reports = {(str(r["store"]), str(r["till"])): r for r in compliance_reports.newest(conn)}
        heads = {(str(h["store"]), str(h["till"])): h for h in security_log_store.audit_heads(conn)}
        update_events = updates_store.last_update_events(conn)
        wanted = updates.wanted(conn)  # the rings' and pins' decision, as a lane hears it
        logs: dict[tuple[str, str], dict[str, int]] = {}
        for c in security_log_store.counts(conn):
            logs.setdefault((str(c["store"]), str(c["till"])), {})[str(c["category"])] = int(str(c["entries"]))
    keys = sorted((str(r["store"]), str(r["till"])) for r in lanes)
    configs = configuration.fleet_states(office, keys)
    rows: list[dict[str, Any]] = []
    controls: dict[str, dict[str, str]] = {}
    for lane in sorted(lanes, key=lambda r: (str(r["store"]), str(r["till"]))):
        key = (str(lane["store"]), str(lane["till"]))
        name = "/".join(key)
        found = reports.get(key)
        mine = _report(found, name, now, stale_after) if found else None
        if mine:
            for cid, meta in mine.pop("controls").items():
                controls.setdefault(cid, meta)
        head = heads.get(key)
        update = _update(update_events.get(key), wanted.get(key[0]), str(found["version"]) if found else None)
        if mine is None:
            state = "no report"
        elif not mine["signature_ok"]:
            state = "bad signature"
        elif mine["failing"]:
            state = "failing"
        elif mine["stale"]:
            state = "stale"
        else:
            state = "passing"
        rows.append(
            {
                "lane": name,
                "store": key[0],
                "till": key[1],
                "state": state,
                "hostname": mine["hostname"] if mine else "",
                "version": str(found["version"]) if found else None,
                **update,
                "last_contact": _iso(lane["last_contact"]),
                "backlog": int(str(lane["backlog"])),
                "open_alarms": int(str(lane["open_alarms"])),
                "report": mine,
                "security_log": logs.get(key, {}),
                "config": configs[key],
                "audit_head": (
                    {"entry_id": int(str(head["entry_id"])), "link": str(head["link"]), "at": str(head["at"])}
                    if head
                    else None
                ),
            }
        )
    failing = {r["lane"] for r in rows if r["report"] and r["report"]["failing"]}
    return {
        "generated_at": now.isoformat(timespec="seconds"),
        "stale_after_days": stale_after.total_seconds() / 86400,
        "lanes": rows,
        "controls": {
            cid: {
                **meta,
                "failing_lanes": [
                    r["lane"] for r in rows if r["report"] and r["report"]["statuses"].get(cid) in ("fail", "error")
                ],
            }
            for cid, meta in sorted(controls.items())
        },
        "failing_lanes": sorted(failing),
        "stale_lanes": [r["lane"] for r in rows if r["report"] and r["report"]["stale"]],
        "unreported_lanes": [r["lane"] for r in rows if r["report"] is None],
        "bad_signature_lanes": [r["lane"] for r in rows if r["report"] and not r["report"]["signature_ok"]],
        "config_drift_lanes": [r["lane"] for r in rows if r["config"]["state"] == "drift"],
        "config_failed_lanes": [r["lane"] for r in rows if r["config"]["state"] in ("failed", "refused")],
    }
