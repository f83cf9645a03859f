"""A serial printer through a pseudo-terminal pair: pyserial opens the terminal end as it
would /dev/ttyUSB0; the virtual printer reads the other end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from appliance.drivers.escpos_receipt import render_escpos
from appliance.drivers.printer import COVER_OPEN, DISCONNECTED, PrinterError
from appliance.drivers.printer_serial import SerialPrinter
from appliance.drivers.printer_spec import printer_from_spec
from appliance.drivers.profiles import PAPER_80MM
from tests.fakes.escpos_printer import PtyPrinter
from tests.integration.drivers.conftest import assert_receipt_on
from tests.unit.drivers.samples import cafe_receipt, hardware_receipt


@pytest.fixture
def pty_printer() -> Iterator[PtyPrinter]:
    with PtyPrinter() as device:
        yield device


def test_a_sale_prints_over_serial(pty_printer: PtyPrinter) -> None:
    printer = printer_from_spec(f"serial:{pty_printer.path}?baud=19200")
    try:
        receipt = hardware_receipt()
        printer.send(render_escpos(receipt, PAPER_80MM))
        printer.send(render_escpos(cafe_receipt(copy=True), PAPER_80MM))
        first, second = pty_printer.printer.wait_for_cuts(2)
        assert_receipt_on(first, receipt)
        assert_receipt_on(second, cafe_receipt(copy=True))
        assert printer.status().ready
    finally:
        printer.close()


def test_cover_open_over_serial(pty_printer: PtyPrinter) -> None:
    pty_printer.printer.cover_open = True
    printer = SerialPrinter(pty_printer.path)
    try:
        with pytest.raises(PrinterError) as caught:
            printer.send(render_escpos(cafe_receipt(), PAPER_80MM))
        assert caught.value.reason == COVER_OPEN
        assert caught.value.message == (
            f"The receipt printer on {pty_printer.path}'s cover is open. Close it to print."
        )
    finally:
        printer.close()


def test_cable_pulled(pty_printer: PtyPrinter) -> None:
    printer = SerialPrinter(pty_printer.path, timeout=0.5, status_timeout=0.1)
    try:
        printer.send(render_escpos(cafe_receipt(), PAPER_80MM))
        pty_printer.unplug()
        with pytest.raises(PrinterError) as caught:
            printer.send(render_escpos(cafe_receipt(), PAPER_80MM))
        assert caught.value.reason == DISCONNECTED
    finally:
        printer.close()


def test_no_such_port() -> None:
    printer = printer_from_spec("serial:/dev/ttyCOMPTOIR-missing")
    with pytest.raises(PrinterError) as caught:
        printer.send(b"\x1b@")
    assert caught.value.reason == DISCONNECTED
    assert caught.value.message.startswith("The receipt printer on /dev/ttyCOMPTOIR-missing cannot be opened")
    assert not printer.status().online
