"""Staff time: clock in and out, breaks, and the timesheet built from them."""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any, TypedDict

from appliance.app.domain import timeclock
from appliance.app.domain.errors import Invalid
from appliance.app.domain.report_shapes import TimesheetRow
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop, iso, parse_iso
from appliance.app.store import time_entries
from appliance.app.store.db import Connection
from appliance.security.rbac import Permission


class ClockStatus(TypedDict):
    user: str
    state: str  # timeclock.state: off, working or on_break
    since: str | None  # when the open stretch (the break, else the work) started


def _open(conn: Connection, user_id: int) -> dict[str, Any]:
    return {r["kind"]: r for r in time_entries.open_entries(conn, user_id)}


def status(shop: Shop, actor: Actor) -> ClockStatus:
    require(shop, actor, Permission.CLOCK_IN)
    open_ = _open(shop.db.conn, actor.user_id)
    return {
        "user": actor.username,
        "state": timeclock.state("work" in open_, "break" in open_),
        "since": (open_.get("break") or open_.get("work") or {}).get("started_at"),
    }


def act(shop: Shop, actor: Actor, action: str) -> ClockStatus:
    require(shop, actor, Permission.CLOCK_IN)
    if action not in timeclock.ACTIONS:
        raise Invalid(f"the action is one of {', '.join(timeclock.ACTIONS)}", "invalid_action")
    now = shop.now()
    with shop.db.transaction() as tx:
        open_ = _open(tx, actor.user_id)
        timeclock.check_action(timeclock.state("work" in open_, "break" in open_), action)
        if action == "clock_in":
            _start(tx, actor, "work", now)
        elif action == "break_start":
            _start(tx, actor, "break", now)
        elif action == "break_end":
            _end(tx, open_["break"]["id"], now)
        else:
            if "break" in open_:
                _end(tx, open_["break"]["id"], now)
            _end(tx, open_["work"]["id"], now)
    return status(shop, actor)


def _start(tx: Connection, actor: Actor, kind: str, now: str) -> None:
    time_entries.start(tx, actor.user_id, kind, now, actor.origin[:64])


def _end(tx: Connection, entry_id: int, now: str) -> None:
    time_entries.end(tx, entry_id, now)


def stretches(conn: Connection, start: str, end: str) -> dict[str, list[timeclock.Stretch]]:
    """Each person's stretches that touch [start, end), by user name."""
    rows = time_entries.touching(conn, start, end)
    out: dict[str, list[timeclock.Stretch]] = {}
    for r in rows:
        ended = parse_iso(r["ended_at"]) if r["ended_at"] else None
        out.setdefault(r["username"], []).append(timeclock.Stretch(r["kind"], parse_iso(r["started_at"]), ended))
    return out


def timesheet(shop: Shop, actor: Actor, days: list[tuple[str, dt.datetime, dt.datetime]]) -> list[TimesheetRow]:
    """Hours per person per local day; `days` are consecutive (label, start, end) in UTC."""
    require(shop, actor, Permission.VIEW_REPORTS)
    if not days:
        return []
    people = stretches(shop.db.conn, iso(days[0][1]), iso(days[-1][2]))
    now = shop.clock()
    starts = [start for _, start, _ in days]
    rows: list[TimesheetRow] = []
    for user, items in sorted(people.items()):
        # Each stretch lands on the one or two days it overlaps, found by bisection.
        touched: dict[int, list[timeclock.Stretch]] = {}
        for s in items:
            first = max(bisect.bisect_right(starts, s.start) - 1, 0)
            last = bisect.bisect_left(starts, s.end or now)
            for index in range(first, min(last, len(days))):
                touched.setdefault(index, []).append(s)
        for index in sorted(touched):
            label, start, end = days[index]
            inside = touched[index]
            paid, breaks = timeclock.day_totals(inside, now, start, end)
            work = [s for s in inside if s.kind == "work"]
            last_out = max((s.end for s in work if s.end), default=None)
            rows.append(
                {
                    "day": label,
                    "employee": user,
                    "first_in": iso(min(s.start for s in work)) if work else None,
                    "last_out": iso(last_out) if last_out else None,
                    "worked_minutes": paid,
                    "break_minutes": breaks,
                    "still_open": any(s.end is None for s in inside),
                }
            )
    rows.sort(key=lambda r: (r["day"], r["employee"]))
    return rows
