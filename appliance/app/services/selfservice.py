"""What a self-service till needs beyond selling: its screen timings (store settings a
manager changes, audited) and a customer calling an attendant (audited, and kept so a
staff screen can list who is waiting)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, TypedDict

from appliance.app.domain.errors import Invalid
from appliance.app.services import audit_log
from appliance.app.services.auth import Throttle, require
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import settings as settings_store
from appliance.security.rbac import Permission

# Keys in the store's settings table; absent means the defaults below.
IDLE_KEY = "selfservice_idle_seconds"
COUNTDOWN_KEY = "selfservice_countdown_seconds"
DEFAULT_IDLE = 45  # the figure: a customer reading the screen is not idle for 45 s
DEFAULT_COUNTDOWN = 20
IDLE_RANGE = (2, 600)
COUNTDOWN_RANGE = (2, 120)
REASONS = ("help", "restricted", "payment")
MAX_CALLS = 50  # a process-lifetime list; the audit log is the record that lasts


@dataclass(frozen=True)
class Timings:
    idle_seconds: int
    countdown_seconds: int


def timings(shop: Shop) -> Timings:
    values = settings_store.get_all(shop.db.conn)
    return Timings(
        idle_seconds=_clamp(values.get(IDLE_KEY, DEFAULT_IDLE), IDLE_RANGE, DEFAULT_IDLE),
        countdown_seconds=_clamp(values.get(COUNTDOWN_KEY, DEFAULT_COUNTDOWN), COUNTDOWN_RANGE, DEFAULT_COUNTDOWN),
    )


def _clamp(value: Any, bounds: tuple[int, int], default: int) -> int:
    # A hand-edited store must not make the screen reset every second or never.
    if not isinstance(value, int) or isinstance(value, bool):
        return default
    return min(max(value, bounds[0]), bounds[1])


def set_timings(shop: Shop, actor: Actor, idle_seconds: int, countdown_seconds: int) -> Timings:
    require(shop, actor, Permission.MANAGE_SETTINGS)
    for name, value, (low, high) in (
        ("idle_seconds", idle_seconds, IDLE_RANGE),
        ("countdown_seconds", countdown_seconds, COUNTDOWN_RANGE),
    ):
        if not low <= value <= high:
            raise Invalid(f"{name} must be {low}-{high} seconds", "invalid_setting")
    with shop.db.transaction() as tx:
        before = timings(shop)
        settings_store.put(tx, IDLE_KEY, idle_seconds)
        settings_store.put(tx, COUNTDOWN_KEY, countdown_seconds)
        audit_log.record(
            shop,
            actor=actor,
            action="selfservice_timings",
            object="settings",
            details={
                "before": [before.idle_seconds, before.countdown_seconds],
                "after": [idle_seconds, countdown_seconds],
            },
        )
    return timings(shop)


# A customer's screen needs no login: without a limit one page could write hundreds of audit
# rows a second. Six calls a minute from one till is more than anyone waiting would press.
attendant_throttle = Throttle(limit=6, message="an attendant has been called; they are on their way")


class TimingsJson(TypedDict):
    idle_seconds: int
    countdown_seconds: int


class ScreenConfig(TimingsJson):
    """What the self-service screen starts with (web/api_selfservice.py builds it)."""

    mode: str  # the till's mode
    languages: list[str]  # those the shop's words have


class AttendantCall(TypedDict):
    terminal_id: str
    reason: str  # one of REASONS
    sale: int | None
    at: str


class Called(AttendantCall):
    status: str  # called


class AttendantCalls(TypedDict):
    """The web layer's answer: the calls waiting, newest first."""

    calls: list[AttendantCall]


_calls: dict[str, list[AttendantCall]] = {}  # per store (tests run several in one process)
_calls_lock = threading.Lock()


def call_attendant(shop: Shop, actor: Actor, reason: str, sale_id: int | None) -> Called:
    """A customer asks for help. Anyone who may sell may ask; it is audited so that a
    flood of calls from one screen is visible afterwards."""
    require(shop, actor, Permission.SELL)
    if reason not in REASONS:
        raise Invalid(f"reason must be one of {', '.join(REASONS)}", "invalid_request")
    attendant_throttle.take(f"{shop.data_dir}|{shop.config.terminal_id}")
    at = shop.now()
    call: AttendantCall = {"terminal_id": shop.config.terminal_id, "reason": reason, "sale": sale_id, "at": at}
    audit_log.record(shop, actor=actor, action="attendant_call", object=f"sale:{sale_id or 0}", details={**call})
    with _calls_lock:
        waiting = _calls.setdefault(str(shop.data_dir), [])
        waiting.append(call)
        del waiting[:-MAX_CALLS]
    return {"status": "called", **call}


def attendant_calls(shop: Shop, actor: Actor) -> list[AttendantCall]:
    require(shop, actor, Permission.APPROVE_RESTRICTED)
    with _calls_lock:
        return list(reversed(_calls.get(str(shop.data_dir), [])))
