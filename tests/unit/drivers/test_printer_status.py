"""DLE EOT answers to a status a cashier can read, and the in-memory connections."""

from __future__ import annotations

import pytest

from appliance.drivers.printer import (
    COVER_OPEN,
    OFFLINE,
    PAPER_OUT,
    MemoryPrinter,
    NullPrinter,
    PrinterError,
    PrinterStatus,
    is_status_byte,
    read_status,
)


def test_all_fine() -> None:
    status = PrinterStatus.from_answers(0x12, 0x12, 0x12)
    assert status == PrinterStatus(online=True)
    assert status.ready and status.problem() is None


def test_cover_open_is_named_before_offline() -> None:
    status = PrinterStatus.from_answers(0x12 | 0x08, 0x12 | 0x04, 0x12)
    assert not status.online and status.cover_open
    problem = status.problem()
    assert problem is not None and problem.reason == COVER_OPEN
    assert problem.message == "The receipt printer's cover is open. Close it to print."


def test_paper_end_from_either_answer() -> None:
    assert PrinterStatus.from_answers(0x1A, 0x12, 0x72).paper_out
    assert PrinterStatus.from_answers(0x1A, 0x32, None).paper_out
    problem = PrinterStatus.from_answers(0x1A, 0x32, 0x72).problem("The printer at lp0")
    assert problem is not None and problem.reason == PAPER_OUT
    assert problem.message == "The printer at lp0 is out of paper. Load a new roll."


def test_near_end_still_prints() -> None:
    status = PrinterStatus.from_answers(0x12, 0x12, 0x12 | 0x0C)
    assert status.paper_low and status.ready


def test_offline_without_a_known_cause() -> None:
    problem = PrinterStatus(online=False, detail="refused").problem()
    assert problem is not None and problem.reason == OFFLINE
    assert "offline (refused)" in problem.message


def test_a_printer_that_never_answers_is_assumed_ready() -> None:
    asked: list[int] = []

    def ask(n: int) -> int | None:
        asked.append(n)
        return None

    status = read_status(ask)
    assert status.unknown and status.ready
    assert asked == [1], "no point asking more once the first query goes unanswered"


def test_status_bytes_are_told_from_noise() -> None:
    assert is_status_byte(0x12) and is_status_byte(0x1A) and is_status_byte(0x72)
    assert not is_status_byte(0x11)  # XON
    assert not is_status_byte(0x13)  # XOFF
    assert not is_status_byte(0x00)


def test_memory_printer_keeps_jobs_and_fails_on_demand() -> None:
    printer = MemoryPrinter()
    printer.send(b"one")
    printer.fault = PrinterError("out of paper", PAPER_OUT)
    with pytest.raises(PrinterError, match="out of paper"):
        printer.send(b"two")
    assert printer.status().paper_out
    printer.fault = None
    printer.send(b"three")
    assert printer.jobs == [b"one", b"three"] and printer.data == b"onethree"


def test_null_printer_prints_nowhere() -> None:
    printer = NullPrinter()
    printer.send(b"\x1b@hello")
    assert printer.status().ready
    printer.close()
