"""The receipt printer connection: one small interface, whatever the cable.

A shop's printer hangs off USB, a serial port, the network (raw TCP on port 9100) or a
device file (/dev/usb/lp0). Each is a `PrinterConnection`; config names one with a spec
string that `printer_spec.printer_from_spec` reads. Anything that goes wrong comes out as a
`PrinterError` whose message a cashier can act on; `reason` lets the print queue decide
whether to retry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# Real-time status: DLE EOT n. The printer answers one byte per query as soon as the
# query arrives, even mid-job; bits 1 and 4 are always set, so 0x12 means "all fine".
DLE_EOT = b"\x10\x04"
STATUS_PRINTER = 1
STATUS_OFFLINE_CAUSE = 2
STATUS_ERROR_CAUSE = 3
STATUS_PAPER = 4

_FIXED_BITS = 0x12
_FIXED_MASK = 0x93  # bits 0, 1, 4 and 7 have fixed values (0, 1, 1, 0) in every answer
_OFFLINE = 0x08  # in answer 1
_COVER_OPEN = 0x04  # in answer 2
_PAPER_STOP = 0x20  # in answer 2: printing stopped at paper end
_ERROR = 0x40  # in answer 2
_PAPER_NEAR_END = 0x0C  # in answer 4
_PAPER_END = 0x60  # in answer 4


def status_query(n: int) -> bytes:
    return DLE_EOT + bytes((n,))


def is_status_byte(value: int) -> bool:
    """A byte that can be an answer to DLE EOT rather than noise on the line."""
    return value & _FIXED_MASK == _FIXED_BITS


# Reasons a print failed, for the screen to pick its words. The queue retries every one:
# even a wrong permission gets fixed by a person while the receipt waits.
OFFLINE = "offline"
PAPER_OUT = "paper_out"
COVER_OPEN = "cover_open"
DISCONNECTED = "disconnected"
FAULT = "fault"
BAD_CONFIG = "bad_config"


class PrinterError(Exception):
    """Printing failed. The message says what a person should do about it."""

    def __init__(self, message: str, reason: str = FAULT, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.detail = detail or message  # the short cause, for a status line


class PrinterSpecError(ValueError):
    """A printer spec in config cannot be read. The message names the spec and the fault."""


@dataclass(frozen=True)
class PrinterStatus:
    online: bool
    paper_out: bool = False
    cover_open: bool = False
    paper_low: bool = False
    error: bool = False
    unknown: bool = False  # the printer does not answer status queries
    detail: str = ""  # why it is offline, when that is known

    @classmethod
    def not_answering(cls) -> PrinterStatus:
        return cls(online=True, unknown=True)

    @classmethod
    def from_answers(cls, printer: int, cause: int | None, paper: int | None) -> PrinterStatus:
        """From the answers to DLE EOT 1, 2 and 4 (2 and 4 may be missing)."""
        cover_open = cause is not None and bool(cause & _COVER_OPEN)
        paper_out = bool(
            (paper is not None and paper & _PAPER_END == _PAPER_END) or (cause is not None and cause & _PAPER_STOP)
        )
        return cls(
            online=not printer & _OFFLINE,
            paper_out=paper_out,
            cover_open=cover_open,
            paper_low=paper is not None and bool(paper & _PAPER_NEAR_END),
            error=cause is not None and bool(cause & _ERROR),
        )

    @property
    def ready(self) -> bool:
        return self.problem() is None

    def problem(self, where: str = "The receipt printer") -> PrinterError | None:
        """What stops printing, as the error to raise; None when it can print."""
        if self.cover_open:
            return PrinterError(f"{where}'s cover is open. Close it to print.", COVER_OPEN)
        if self.paper_out:
            return PrinterError(f"{where} is out of paper. Load a new roll.", PAPER_OUT)
        if self.error:
            return PrinterError(
                f"{where} reports an error (paper jam or cutter). Clear it, then switch the printer off and on.",
                FAULT,
            )
        if not self.online:
            detail = f" ({self.detail})" if self.detail else ""
            return PrinterError(f"{where} is offline{detail}. Check that it is on and connected.", OFFLINE)
        return None

    def raise_problem(self, where: str = "The receipt printer") -> None:
        """Raises what stops printing, if anything does."""
        problem = self.problem(where)
        if problem is not None:
            raise problem


def read_status(ask: Callable[[int], int | None]) -> PrinterStatus:
    """The status from a printer, given `ask(n)` that sends DLE EOT n and returns the
    answer byte, or None when none came in time (the printer has no status support)."""
    printer = ask(STATUS_PRINTER)
    if printer is None:
        return PrinterStatus.not_answering()
    return PrinterStatus.from_answers(printer, ask(STATUS_OFFLINE_CAUSE), ask(STATUS_PAPER))


def ready_to_print(ask: Callable[[int], int | None], where: str) -> bool:
    """Raises what stops printing before a job starts. True when the printer answers
    status queries, so that an answer after the job can prove it was all received."""
    before = read_status(ask)
    before.raise_problem(where)
    return not before.unknown


def stopped_answering(where: str) -> PrinterError:
    """No answer to the status query sent after a job: the job may not have arrived whole."""
    return PrinterError(
        f"{where} stopped answering while printing; the receipt may be incomplete.",
        DISCONNECTED,
        detail="stopped answering",
    )


@runtime_checkable
class PrinterConnection(Protocol):
    def send(self, data: bytes) -> None:
        """Delivers one whole job, or raises PrinterError."""
        ...

    def status(self) -> PrinterStatus:
        """Asks the printer how it is; never raises: an unreachable printer is offline."""
        ...

    def close(self) -> None: ...


class NullPrinter:
    """A till without a printer: jobs go nowhere and succeed."""

    def send(self, data: bytes) -> None:
        pass

    def status(self) -> PrinterStatus:
        return PrinterStatus.not_answering()

    def close(self) -> None:
        pass

    def __repr__(self) -> str:
        return "NullPrinter()"


class MemoryPrinter:
    """Keeps every job in memory, for tests and development. Set `fault` to a PrinterError
    to make sends fail as a real printer would, and back to None to recover."""

    def __init__(self) -> None:
        self.jobs: list[bytes] = []
        self.fault: PrinterError | None = None
        self.closed = False

    @property
    def data(self) -> bytes:
        return b"".join(self.jobs)

    def send(self, data: bytes) -> None:
        if self.fault is not None:
            raise self.fault
        self.jobs.append(bytes(data))

    def status(self) -> PrinterStatus:
        if self.fault is None:
            return PrinterStatus(online=True)
        return PrinterStatus(
            online=self.fault.reason not in (OFFLINE, DISCONNECTED),
            paper_out=self.fault.reason == PAPER_OUT,
            cover_open=self.fault.reason == COVER_OPEN,
            detail=self.fault.message,
        )

    def close(self) -> None:
        self.closed = True

    def __repr__(self) -> str:
        return f"MemoryPrinter(jobs={len(self.jobs)})"
