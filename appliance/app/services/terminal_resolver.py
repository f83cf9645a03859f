"""The payment terminal for the till's header, and the background resolver that asks it
about every transaction whose outcome is still unknown (terminal_payments.resolve_open)."""

from __future__ import annotations

from typing import TypedDict

from appliance.app.domain.errors import NotFound
from appliance.app.services.auth import require
from appliance.app.services.resolver import Resolver
from appliance.app.services.shop import Actor, Shop
from appliance.app.services.terminal_desk import TerminalDesk
from appliance.app.services.terminal_payments import resolve_open
from appliance.app.store import terminal_transactions as store
from appliance.security.rbac import Permission


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


class TerminalResolver(Resolver):
    """A background thread that asks the terminal about open transactions
    (services.resolver: soon while some wait, backing off while the same ones keep waiting,
    a cheap check when none do)."""

    name = "terminal-resolver"

    def __init__(
        self, shop: Shop, desk: TerminalDesk, *, first: float = 1.0, longest: float = 30.0, idle: float = 5.0
    ) -> None:
        super().__init__(first=first, longest=longest, idle=idle)
        self.shop = shop
        self.desk = desk
        # A send stamps its transaction within milliseconds of writing it.
        self.unsent_grace = max(30.0, desk.in_flight_window)

    def start(self) -> TerminalResolver:
        super().start()
        return self

    def waiting(self) -> frozenset[str]:
        return frozenset(store.open_references(self.shop.db.conn))

    def run_once(self) -> bool:
        resolve_open(self.shop, self.desk, unsent_grace=self.unsent_grace)
        return bool(self.waiting())
