"""The store's update window: the hours of the store's day when a box may install an update
(the store rule `update_window`, "02:00-05:00" by default, in the store's time zone). A window
may run past midnight ("22:00-02:00"); its end is not in it."""

from __future__ import annotations

import datetime as dt
import re

from appliance.app.domain.errors import Invalid

RULE = "update_window"
DEFAULT = "02:00-05:00"
_WINDOW = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


def parse(text: object) -> tuple[dt.time, dt.time]:
    if not isinstance(text, str) or not _WINDOW.fullmatch(text):
        raise Invalid(
            f"the update window is HH:MM-HH:MM in the store's time, e.g. {DEFAULT}, not {text!r}", "invalid_window"
        )
    start, end = text.split("-")
    first, last = dt.time.fromisoformat(start), dt.time.fromisoformat(end)
    if first == last:
        raise Invalid("the update window's start and end are the same: it would hold no time", "invalid_window")
    return first, last


def within(text: str, local: dt.datetime) -> bool:
    """Whether the store's local time `local` is in the window `text`."""
    first, last = parse(text)
    now = local.time().replace(tzinfo=None)
    if first < last:
        return first <= now < last
    return now >= first or now < last  # past midnight
