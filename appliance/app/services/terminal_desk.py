"""The terminal desk: the payment terminal a card-present tender needs, and what this process
is doing with it right now (which transactions are on their way, and what the terminal's
screen says for each).

Made once at start-up (services.devices.start) and held on the till's devices; it lives
apart from services.terminal_payments so that the devices can name it without the steps."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Literal

from appliance.drivers.terminal import PaymentTerminal, TerminalState


@dataclass
class TerminalDesk:
    """The terminal, and the transactions this process has on their way to it."""

    terminal: PaymentTerminal
    # How long the terminal may take for the customer and the acquirer.
    timeout: float = 120.0
    # A "not found" asked sooner than this after a send is not final: the request may still land.
    in_flight_window: float = 10.0
    # How long POST /payments/terminal waits for the outcome before answering 202.
    answer_wait: float = 30.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, init=False)
    _states: dict[int, TerminalState] = field(default_factory=dict, repr=False, init=False)
    _done: dict[int, threading.Event] = field(default_factory=dict, repr=False, init=False)

    def begin(self, transaction_id: int) -> bool:
        """Takes the transaction for one sender; False when this process already sends it
        (a retried request or the resolver must then not send it again)."""
        with self._lock:
            if transaction_id in self._done:
                return False
            self._done[transaction_id] = threading.Event()
            self._states[transaction_id] = "in_progress"  # until the driver hears more
            return True

    def end(self, transaction_id: int) -> None:
        with self._lock:
            self._states.pop(transaction_id, None)
            done = self._done.pop(transaction_id, None)
        if done is not None:
            done.set()

    def in_flight(self, transaction_id: int) -> bool:
        with self._lock:
            return transaction_id in self._done

    def set_state(self, transaction_id: int, state: TerminalState) -> None:
        with self._lock:
            if transaction_id in self._states:
                self._states[transaction_id] = state

    def state(self, transaction_id: int) -> TerminalState | None:
        """What the terminal's screen says for a transaction on its way (None: not on its way)."""
        with self._lock:
            return self._states.get(transaction_id)

    def wait(self, transaction_id: int, seconds: float) -> None:
        """Waits until this process's send of the transaction ends, at most `seconds`."""
        with self._lock:
            done = self._done.get(transaction_id)
        if done is not None:
            done.wait(seconds)


# What the terminal says of one payment, for the till's and the customer's screens: while it
# is on the terminal, the step the protocol tells (waiting_for_card, pin, processing), else
# in_progress (Caisse-AP, or a nexo terminal whose display notifications do not reach the
# till); unknown while the till asks the terminal after a lost answer or a restart; then
# its outcome (unavailable: the terminal never took it).
TerminalLiveState = Literal[
    "waiting_for_card",
    "pin",
    "processing",
    "in_progress",
    "unknown",
    "approved",
    "declined",
    "cancelled",
    "unavailable",
]
_SETTLED_STATES: dict[str, TerminalLiveState] = {
    "approved": "approved",
    # approved by the terminal, then given back (or to be) because the sale could not take it
    "unattached": "approved",
    "reversed": "approved",
    "flagged": "approved",
    "declined": "declined",
    "cancelled": "cancelled",
    "failed": "unavailable",
}
_LIVE: dict[str, TerminalLiveState] = {
    "waiting_for_card": "waiting_for_card",
    "pin": "pin",
    "processing": "processing",
    "in_progress": "in_progress",
}


def live_state(desk: TerminalDesk | None, transaction_id: int, status: str) -> TerminalLiveState:
    """A payment's `TerminalLiveState`, from its status and, while pending, what the desk heard."""
    if status != "pending":
        return _SETTLED_STATES.get(status, "unknown")
    live = desk.state(transaction_id) if desk is not None else None
    return _LIVE.get(live or "", "unknown")  # not on its way in this process: being asked
