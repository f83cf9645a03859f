"""A device file like /dev/usb/lp0, emulated by a named pipe with the virtual printer
reading the far end (the kernel's usblp itself needs real hardware)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appliance.drivers.escpos_receipt import render_escpos
from appliance.drivers.printer import DISCONNECTED, OFFLINE, PrinterError
from appliance.drivers.printer_file import FilePrinter
from appliance.drivers.printer_spec import printer_from_spec
from appliance.drivers.profiles import PAPER_80MM
from tests.fakes.escpos_printer import FifoPrinter
from tests.integration.drivers.conftest import assert_receipt_on
from tests.unit.drivers.samples import cafe_receipt, hardware_receipt


def test_a_sale_prints_through_the_device_file(tmp_path: Path) -> None:
    with FifoPrinter(str(tmp_path / "lp0")) as device:
        printer = printer_from_spec(device.path)
        receipt = cafe_receipt(copy=True)
        printer.send(render_escpos(receipt, PAPER_80MM))
        [paper] = device.printer.wait_for_cuts(1)
        assert printer.status().unknown, "a pipe answers no status"
    assert_receipt_on(paper, receipt)


def test_printer_unplugged(tmp_path: Path) -> None:
    device = FifoPrinter(str(tmp_path / "lp0"))
    device.unplug()
    printer = printer_from_spec(f"file:{device.path}")
    with pytest.raises(PrinterError) as caught:
        printer.send(render_escpos(cafe_receipt(), PAPER_80MM))
    assert caught.value.reason == DISCONNECTED
    assert caught.value.message == (
        f"The receipt printer at {device.path} is not connected. Check the cable and that it is on."
    )
    assert not printer.status().online


def test_a_missing_device_node_is_never_created() -> None:
    path = Path("/dev/comptoir-test-no-such-lp")
    printer = FilePrinter(path)
    with pytest.raises(PrinterError) as caught:
        printer.send(b"\x1b@hello\n")
    assert caught.value.reason == DISCONNECTED
    assert not path.exists()


def test_a_plain_file_collects_jobs_for_development(tmp_path: Path) -> None:
    path = tmp_path / "receipts.bin"
    printer = printer_from_spec(f"file:{path}")
    first = render_escpos(cafe_receipt(), PAPER_80MM)
    second = render_escpos(hardware_receipt(), PAPER_80MM)
    printer.send(first)
    printer.send(second)
    assert path.read_bytes() == first + second
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_printer_that_stops_taking_data_times_out(tmp_path: Path) -> None:
    path = tmp_path / "stuck"
    os.mkfifo(path)
    reader = os.open(path, os.O_RDWR | os.O_NONBLOCK)  # holds the pipe open, never reads
    try:
        printer = FilePrinter(path, timeout=0.3)
        with pytest.raises(PrinterError) as caught:
            printer.send(b"x" * 1_000_000)
    finally:
        os.close(reader)
    assert caught.value.reason == OFFLINE
    assert "stopped taking data for 0.3 s" in caught.value.message


@pytest.mark.skipif(os.geteuid() == 0, reason="root opens any file")
def test_permission_denied_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "lp0"
    path.touch(mode=0o400)
    with pytest.raises(PrinterError, match="needs to be in the printer's group"):
        FilePrinter(path).send(b"x")
