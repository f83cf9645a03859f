"""The payment terminal (PIN pad): the till sends an amount and hears a result; the card is
read, and the PIN typed, on the terminal, so that no card number ever reaches the box.

`PaymentTerminal` is what the till's services call, beside `payment.PaymentGateway` (the
keyed, card-not-present path). A driver speaks one published protocol:

- `nexo://HOST:PORT`: the nexo retailer protocol as Adyen's Terminal API speaks it
  (`appliance.drivers.terminal_nexo`);
- `caisse-ap://HOST:PORT`: Caisse-AP over IP, the French ECR-terminal protocol
  (`appliance.drivers.terminal_caisse_ap`).

Every transaction carries OUR reference (the sale's payment key), committed in the store
before the request leaves, so that whatever dies the till can ask the terminal what became
of it. The distinction a caller must never get wrong is whether money may have moved:

- a `TerminalResult` with outcome approved, declined or cancelled is a known outcome;
- `TerminalUnavailable`: the request never reached the terminal (connection refused, connect
  timeout, the terminal busy with another transaction and saying so). This send did nothing;
  it says nothing of an EARLIER send of the same reference;
- `TerminalTimeout`: the request was sent but no complete answer came back. The outcome is
  UNKNOWN: resolve it with `status(reference)` before offering another card tender, never by
  paying again under a new reference.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import parse_qsl, urlsplit

TERMINAL_URL_ENV = "COMPTOIR_TERMINAL_URL"

# What the terminal is doing, for the till's screen and header.
TerminalState = Literal[
    "idle",  # ready for a transaction
    "waiting_for_card",  # the customer is asked to tap, insert or swipe
    "pin",  # the customer is typing the PIN
    "processing",  # the card is read: the terminal works on it (online to the acquirer)
    # The request is on the terminal and the protocol says no more (Caisse-AP carries no
    # intermediate display; a nexo terminal whose display notifications do not reach us).
    "in_progress",
    "busy",  # in a transaction that is not ours, or in its own maintenance
    "offline",  # does not answer
]

# What became of one transaction, by our reference.
Outcome = Literal[
    "approved",
    "declined",
    "cancelled",  # stopped before any money moved (by the till, the customer or a time-out on the terminal)
    "in_progress",  # the terminal is still on it: ask again
    "not_found",  # the terminal never heard of this reference: nothing was charged under it
]

Kind = Literal["payment", "refund"]

# Called by a driver each time it learns that the terminal's state changed (the screen shows
# "insert card", then "PIN", ...): from the thread that runs pay/refund, or from the thread
# that hears the terminal's own notifications (nexo display notifications).
StateListener = Callable[[TerminalState], None]


class TerminalError(Exception):
    """The terminal could not give an answer. Subclasses say whether money may have moved."""


class TerminalUnavailable(TerminalError):
    """Not processed: the request did not reach the terminal, or it refused it unread. Nothing moved."""


class TerminalTimeout(TerminalError):
    """Outcome unknown: sent, but no answer. Resolve with status(reference) before anything else."""


class TerminalRejected(TerminalError):
    """The terminal refused the request as malformed (a protocol error, a bad message
    protection, an unsupported currency). Nothing was charged; `code` says why."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class TerminalResult:
    """The terminal's answer for one transaction, as answered or as found by status().

    Only what a shop needs is kept: never the card number, its expiry or track data. The
    last four are the ones the terminal prints on its own ticket (masked PAN)."""

    reference: str  # ours: the sale's payment key (or the refund's key)
    kind: Kind
    outcome: Outcome
    amount: int  # minor units approved; 0 unless approved
    currency: str  # ISO 4217 letters
    terminal_reference: str | None = None  # the terminal's / acquirer's id of the transaction
    brand: str | None = None
    last_four: str | None = None
    card_token: str | None = None  # what the terminal gives to refund the same card later
    auth_code: str | None = None
    decline_reason: str | None = None  # the terminal's words, shown to the cashier
    # The lines the terminal requires on the customer's and on the merchant's receipt.
    customer_receipt: tuple[str, ...] = ()
    merchant_receipt: tuple[str, ...] = ()

    @property
    def approved(self) -> bool:
        return self.outcome == "approved"

    @property
    def settled(self) -> bool:
        """The outcome is final (approved, declined or cancelled): no need to ask again."""
        return self.outcome in ("approved", "declined", "cancelled")


class PaymentTerminal(Protocol):
    """One payment terminal, reached over the shop's LAN. Every call blocks; the till runs it
    off the event loop. `timeout` is how long to wait for the customer and the acquirer."""

    protocol: str  # "nexo" or "caisse-ap"

    def pay(
        self,
        reference: str,
        amount: int,
        currency: str,
        *,
        timeout: float,
        on_state: StateListener | None = None,
    ) -> TerminalResult:
        """Asks the customer to present a card for `amount` and waits for the outcome."""
        ...

    def refund(
        self,
        reference: str,
        amount: int,
        currency: str,
        *,
        original: TerminalResult | None = None,
        timeout: float,
        on_state: StateListener | None = None,
    ) -> TerminalResult:
        """Gives `amount` back, to the card of `original` (its token and reference) when the
        terminal can, else to the card the customer presents."""
        ...

    def cancel(self, reference: str) -> None:
        """Asks the terminal to stop the transaction `reference` while it waits for the card
        or the PIN. The outcome still comes from pay/refund or status(): a cancel that
        arrives after the card was charged changes nothing."""
        ...

    def status(self, reference: str) -> TerminalResult:
        """What became of the transaction `reference`, as the terminal recorded it."""
        ...

    def terminal_status(self) -> TerminalState:
        """Whether the terminal answers and is free (for the till's header)."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class TerminalUrl:
    """`nexo://HOST:PORT?poi=…` or `caisse-ap://HOST:PORT`; options in the query string.
    Secrets (a key passphrase) are never in the URL: a driver reads them from the key dir."""

    scheme: str
    host: str
    port: int
    options: dict[str, str] = field(default_factory=dict)


DRIVERS = {"nexo": "appliance.drivers.terminal_nexo", "caisse-ap": "appliance.drivers.terminal_caisse_ap"}


class TerminalConfigError(ValueError):
    """The terminal URL cannot be used; the message says why."""


def parse_url(url: str) -> TerminalUrl:
    parts = urlsplit(url.strip())
    if parts.scheme not in DRIVERS:
        schemes = " or ".join(f"{s}://HOST:PORT" for s in DRIVERS)
        raise TerminalConfigError(f"terminal_url must be {schemes}, not {url!r}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if not parts.hostname or port is None:
        raise TerminalConfigError(f"terminal_url {url!r} needs a host and a port")
    if parts.path not in ("", "/") or parts.username or parts.password or parts.fragment:
        raise TerminalConfigError(f"terminal_url {url!r}: only scheme://HOST:PORT?option=value is understood")
    return TerminalUrl(parts.scheme, parts.hostname, port, dict(parse_qsl(parts.query)))


def connect(url: str, *, key_dir: Path | None = None) -> PaymentTerminal:
    """The driver for `url`. Its module is imported only here: a till with no terminal
    configured never loads it."""
    where = parse_url(url)
    module = importlib.import_module(DRIVERS[where.scheme])
    terminal: PaymentTerminal = module.connect(where, key_dir=key_dir)
    return terminal


def url_from_env(default: str | None = None) -> str | None:
    return os.environ.get(TERMINAL_URL_ENV) or default
