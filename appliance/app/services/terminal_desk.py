"""The terminal desk: the payment terminal a card-present tender needs, and what this process
is doing with it right now (which transactions are on their way, and what the terminal's
screen says for each).

Made once at start-up (services.devices.start) and held on the till's devices; it lives
apart from services.terminal_payments so that the devices can name it without the steps."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

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
