"""The till's link to the office as staff see it: the header's "Office: …", and the figures a
Z report keeps at close.

In touch means the office answered lately: an idle till still says hello once a heartbeat
(services/outbox_push.py), so three heartbeats without an answer is out of touch, whatever
the cause (the network, the office, a certificate). The backlog and the age of the oldest
unsent event say what the office does not know yet; nothing here is needed to sell.
"""

from __future__ import annotations

from typing import TypedDict

from appliance.app.domain import report as report_rules
from appliance.app.domain.errors import Forbidden
from appliance.app.services import outbox, outbox_push
from appliance.app.services.shop import Actor, Shop, parse_iso
from appliance.security.rbac import STAFF_ROLES

IN_TOUCH_SECONDS = int(3 * outbox_push.HEARTBEAT)
ERROR_CHARS = 200  # a line of the header's details; the full reason is in the till's log


class OfficeStatus(TypedDict):
    """GET /office/status. On a till not enrolled, only `enrolled` (false) means anything."""

    enrolled: bool
    in_touch: bool  # the office answered within the last `in_touch_within_seconds`
    in_touch_within_seconds: int
    last_contact: str | None  # the office's last answer (UTC); null: it never answered
    out_of_touch_seconds: int | None  # since the last answer, when out of touch and it ever answered
    backlog: int  # events the office has not acknowledged
    oldest_unsent_at: str | None
    oldest_unsent_age_seconds: int | None
    last_error: str | None  # why the last try failed, in one line, until one succeeds


class OfficeAtClose(TypedDict):
    """What a Z report keeps of the link, at the close (before the Z's own event)."""

    backlog: int
    oldest_unsent_age_seconds: int | None
    last_contact: str | None


def _one_line(text: str | None) -> str | None:
    if text is None:
        return None
    line = " ".join(text.split())
    return line if len(line) <= ERROR_CHARS else line[: ERROR_CHARS - 1] + "…"


def read(shop: Shop) -> OfficeStatus:
    """The link's state, for anyone at the till (no permission: a supervisor called over
    needs to see it as much as the cashier)."""
    held = outbox.backlog(shop)
    contact = held["last_contact"]
    since = None if contact is None else max(0, int((shop.clock() - parse_iso(contact)).total_seconds()))
    in_touch = since is not None and since <= IN_TOUCH_SECONDS
    return {
        "enrolled": outbox_push.enrolled(shop),
        "in_touch": in_touch,
        "in_touch_within_seconds": IN_TOUCH_SECONDS,
        "last_contact": contact,
        "out_of_touch_seconds": None if in_touch else since,
        "backlog": held["backlog"],
        "oldest_unsent_at": held["oldest_unsent_at"],
        "oldest_unsent_age_seconds": held["oldest_unsent_age_seconds"],
        "last_error": _one_line(held["last_error"]),
    }


def status(shop: Shop, actor: Actor) -> OfficeStatus:
    if actor.role not in STAFF_ROLES:
        raise Forbidden("the office link is for the till's staff", "forbidden")
    return read(shop)


class OnZ(TypedDict, total=False):
    """The part of a Z report that is the link's: nothing on a till not enrolled."""

    office: OfficeAtClose


def at_close(shop: Shop) -> OnZ:
    """The figures a Z keeps; none on a till not enrolled (its Z says nothing of an office)."""
    if not outbox_push.enrolled(shop):
        return {}
    held = outbox.backlog(shop)
    return {
        "office": {
            "backlog": held["backlog"],
            "oldest_unsent_age_seconds": held["oldest_unsent_age_seconds"],
            "last_contact": held["last_contact"],
        }
    }


def _age(seconds: int) -> str:
    """A short age for paper: 45 s, 12 min, 3 h 05 min, 2 d 4 h."""
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def report_rows(figures: OfficeAtClose, timezone: str) -> list[tuple[str, str]]:
    """The Z's paper rows of the link (services/shifts.report_rows), in its English, the last
    contact on the store's clock like the shift's times."""
    age = figures["oldest_unsent_age_seconds"]
    contact = figures["last_contact"]
    zone = report_rules.zone_named(timezone)
    return [
        ("Office", ""),
        ("  events not sent", str(figures["backlog"])),
        ("  oldest not sent", "-" if age is None else _age(age)),
        ("  last contact", "never" if contact is None else report_rules.wall_clock(contact, zone)),
    ]
