"""When the box installs an update, and the record of it (docs/updates.md).

`apply` asks the office which version this store should run; when it is not the running one
it installs it only inside the store's update window, with no shift open on this till and
nothing left in the outbox (the office has every sale made on the old version before the
box reboots); then the bundle is fetched (its SHA-256 checked against the office's answer),
RAUC installs it into the other slot and the reboot is scheduled. `booted`, at each boot,
compares the running version with the one installed: the other slot booted means RAUC fell
back (the new one failed its health check three times), and that is recorded too.

Every try, refusal, install, failure, boot and rollback is an audit entry and an outbox
event (`update_refused`, `update_installed`, `update_failed`, `update_booted`,
`update_rolled_back`). A refusal for the same version and reason as the last update event is
not written again: the timer asks every quarter hour, and the window is closed most of the day.

RAUC, the office and the mirror are at the edge; they come in as a `Box` and two callables.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from appliance.app.domain import update_window
from appliance.app.services import audit_log, outbox
from appliance.app.services.shop import Shop
from appliance.app.store import outbox as outbox_store
from appliance.app.store import settings as settings_store
from appliance.app.store import shifts as shifts_store

ACTOR = "update"
PENDING = "update_pending"  # the setting that remembers what was installed, until the next boot
KINDS = ("update_refused", "update_installed", "update_failed", "update_booted", "update_rolled_back")


@dataclass(frozen=True)
class Running:
    slot: str | None  # the booted slot's name (rootfs.0)
    version: str | None


class UpdateFailed(Exception):
    """The edge could not do its part (fetch, check, install); `reason` is the event's code."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


class Box(Protocol):
    def running(self) -> Running: ...

    def install(self, bundle: Path) -> None: ...  # UpdateFailed("install_failed", …)

    def reboot(self) -> None: ...


@dataclass(frozen=True)
class Outcome:
    state: str  # current, none, refused, installed, failed
    running: str | None
    wanted: str | None
    reason: str = ""
    message: str = ""


def _local(shop: Shop) -> Any:
    try:
        return shop.clock().astimezone(ZoneInfo(shop.settings.timezone))
    except (ZoneInfoNotFoundError, ValueError):
        return shop.clock()


def gate(shop: Shop) -> tuple[str, str] | None:
    """Why the box may not install now ((reason, message)), or None."""
    conn = shop.db.conn
    window = settings_store.get_all(conn).get(update_window.RULE) or update_window.DEFAULT
    local = _local(shop)
    if not update_window.within(str(window), local):
        return "outside_window", f"outside the store's update window {window} (it is {local:%H:%M} here)"
    if shifts_store.open_row(conn, shop.config.terminal_id) is not None:
        return "open_shift", "a shift is open on this till: close it first"
    waiting = outbox.backlog(shop)["backlog"]
    if waiting:
        return "unsent_events", f"{waiting} event(s) have not reached the office yet"
    return None


def _record(shop: Shop, kind: str, body: dict[str, Any], *, outcome: str = "success") -> None:
    with shop.db.transaction():
        audit_log.record(shop, actor=ACTOR, action=kind, outcome=outcome, object="software", details=body)
        outbox.emit(shop, kind, body)


def _refuse(shop: Shop, running: Running, wanted: str, reason: str, message: str) -> Outcome:
    body = {"version": wanted, "running": running.version, "reason": reason, "message": message}
    last = outbox_store.last_of_kinds(shop.db.conn, KINDS)
    said = json.loads(last[1]) if last and last[0] == "update_refused" else None
    if not (isinstance(said, dict) and (said.get("version"), said.get("reason")) == (wanted, reason)):
        _record(shop, "update_refused", body, outcome="failure")
    return Outcome("refused", running.version, wanted, reason, message)


def check(box: Box, ask: Callable[[], dict[str, Any]]) -> tuple[Running, dict[str, Any]]:
    """What runs and what the office says should."""
    return box.running(), ask()


def apply(
    shop: Shop,
    box: Box,
    ask: Callable[[], dict[str, Any]],
    fetch: Callable[[dict[str, Any]], Path],
) -> Outcome:
    """One try: install what the office says when it is not what runs and the gate is open."""
    running, answer = check(box, ask)
    wanted = answer.get("version")
    if not isinstance(wanted, str):
        return Outcome("none", running.version, None, message="the office names no version for this store")
    if wanted == running.version:
        return Outcome("current", running.version, wanted, message=f"{wanted} runs already")
    closed = gate(shop)
    if closed is not None:
        return _refuse(shop, running, wanted, *closed)
    try:
        bundle = fetch(answer)
    except UpdateFailed as exc:
        return _refuse(shop, running, wanted, exc.reason, exc.message)
    body = {"version": wanted, "running": running.version, "from_slot": running.slot,
            "bundle": bundle.name, "sha256": answer.get("sha256"), "source": answer.get("source")}  # fmt: skip
    audit_log.record(shop, actor=ACTOR, action="update_attempt", object="software", details=body)
    try:
        box.install(bundle)
    except UpdateFailed as exc:
        _record(shop, "update_failed", body | {"reason": exc.reason, "message": exc.message}, outcome="failure")
        return Outcome("failed", running.version, wanted, exc.reason, exc.message)
    with shop.db.transaction() as tx:
        settings_store.put(tx, PENDING, body)
        _record(shop, "update_installed", body)
    box.reboot()
    return Outcome("installed", running.version, wanted, message=f"{wanted} installed; the box reboots into it")


def booted(shop: Shop, box: Box) -> Outcome | None:
    """At boot: what was installed and what runs now; None when no install waits for its boot."""
    pending = settings_store.get_all(shop.db.conn).get(PENDING)
    if not isinstance(pending, dict):
        return None
    running = box.running()
    wanted = str(pending.get("version"))
    body = {"version": wanted, "running": running.version, "slot": running.slot, "from_slot": pending.get("from_slot")}
    rolled_back = running.version != wanted or (running.slot is not None and running.slot == pending.get("from_slot"))
    with shop.db.transaction() as tx:
        settings_store.put(tx, PENDING, None)  # recorded once: the next boot is an ordinary one
        if rolled_back:
            _record(shop, "update_rolled_back", body, outcome="failure")
        else:
            _record(shop, "update_booted", body)
    if rolled_back:
        return Outcome("rolled_back", running.version, wanted, "rolled_back",
                       f"{wanted} did not boot good: the box runs {running.version} again")  # fmt: skip
    return Outcome("booted", running.version, wanted, message=f"{wanted} booted")
