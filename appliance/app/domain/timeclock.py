"""Staff time: clocking in and out, breaks, and how a day's hours add up. Pure.

A person is off, working, or on a break. Clocking out ends a break that was left open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from appliance.app.domain.errors import Conflict

OFF = "off"
WORKING = "working"
ON_BREAK = "on_break"

ACTIONS = ("clock_in", "clock_out", "break_start", "break_end")


def state(work_open: bool, break_open: bool) -> str:
    if not work_open:
        return OFF
    return ON_BREAK if break_open else WORKING


def check_action(current: str, action: str) -> None:
    allowed = {
        "clock_in": (OFF,),
        "clock_out": (WORKING, ON_BREAK),
        "break_start": (WORKING,),
        "break_end": (ON_BREAK,),
    }[action]
    if current not in allowed:
        words = {OFF: "not clocked in", WORKING: "working", ON_BREAK: "on a break"}
        raise Conflict(f"cannot {action.replace('_', ' ')}: you are {words[current]}", f"time_clock_{current}")


@dataclass(frozen=True)
class Stretch:
    kind: str  # work or break
    start: dt.datetime
    end: dt.datetime | None


def minutes(stretch: Stretch, now: dt.datetime, start: dt.datetime, end: dt.datetime) -> int:
    """Whole minutes of a stretch inside [start, end) (an open one runs until now)."""
    until = min(stretch.end or now, end)
    since = max(stretch.start, start)
    return max(int((until - since).total_seconds() // 60), 0)


def day_totals(stretches: list[Stretch], now: dt.datetime, start: dt.datetime, end: dt.datetime) -> tuple[int, int]:
    """(paid minutes, break minutes) inside a day: work time less breaks."""
    work = sum(minutes(s, now, start, end) for s in stretches if s.kind == "work")
    breaks = sum(minutes(s, now, start, end) for s in stretches if s.kind == "break")
    return max(work - breaks, 0), breaks
