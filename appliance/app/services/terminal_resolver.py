"""The payment terminal for the till's header, and the background resolver that asks it
about every transaction whose outcome is still unknown (terminal_payments.resolve_open)."""

from __future__ import annotations

import logging
import threading
from typing import TypedDict

from appliance.app.domain.errors import NotFound
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop
from appliance.app.services.terminal_desk import TerminalDesk
from appliance.app.services.terminal_payments import resolve_open
from appliance.app.store import terminal_transactions as store
from appliance.security.rbac import Permission

log = logging.getLogger(__name__)


class TerminalHeader(TypedDict):
    """The terminal for the till's header."""

    protocol: str
    state: str  # idle, waiting_for_card, pin, processing, busy or offline
    unresolved: int  # transactions whose outcome the till still asks the terminal for
    flagged: int  # charges or refunds a manager must put right


def header(shop: Shop, actor: Actor, desk: TerminalDesk | None) -> TerminalHeader:
    require(shop, actor, Permission.SELL)
    if desk is None:
        raise NotFound("no payment terminal is set up on this till (terminal_url)", "terminal_not_configured")
    try:
        state = str(desk.terminal.terminal_status())
    except Exception:  # noqa: BLE001 - a header shows "offline", never an error
        state = "offline"
    counts = store.counts(shop.db.conn)
    return {
        "protocol": str(getattr(desk.terminal, "protocol", "")),
        "state": state,
        "unresolved": counts.get("pending", 0) + counts.get("unattached", 0),
        "flagged": counts.get("flagged", 0),
    }


class TerminalResolver:
    """A background thread that asks the terminal about open transactions: every `first`
    seconds while some wait, backing off to `longest` while the same ones keep waiting,
    a cheap check every `idle` seconds when none do."""

    def __init__(
        self, shop: Shop, desk: TerminalDesk, *, first: float = 1.0, longest: float = 30.0, idle: float = 5.0
    ) -> None:
        self.shop = shop
        self.desk = desk
        self.first, self.longest, self.idle = first, longest, idle
        # A send stamps its transaction within milliseconds of writing it.
        self.unsent_grace = max(30.0, desk.in_flight_window)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> TerminalResolver:
        self._thread = threading.Thread(target=self._run, name="terminal-resolver", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        delay, backoff, seen = self.first, self.first, frozenset[str]()
        while not self._stop.wait(delay):
            try:
                waiting = frozenset(store.open_references(self.shop.db.conn))
                if not waiting:
                    delay, backoff, seen = self.idle, self.first, waiting
                    continue
                if not waiting <= seen:
                    backoff = self.first
                resolve_open(self.shop, self.desk, unsent_grace=self.unsent_grace)
                seen = frozenset(store.open_references(self.shop.db.conn))
                delay = backoff if seen else self.idle
                backoff = min(backoff * 2, self.longest)
            except Exception:
                log.exception("the terminal resolver's round failed; it tries again")
                delay = backoff = min(backoff * 2, self.longest)
