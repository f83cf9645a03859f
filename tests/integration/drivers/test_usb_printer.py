"""USB through real pyusb code with a test backend standing in for libusb and the device:
kernel driver detached and given back, endpoints from config, status over bulk IN."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from appliance.drivers.drawer import DrawerKick
from appliance.drivers.escpos_receipt import render_escpos, render_test_page
from appliance.drivers.printer import (
    BAD_CONFIG,
    DISCONNECTED,
    OFFLINE,
    PAPER_OUT,
    PrinterError,
)
from appliance.drivers.printer_usb import UsbPrinter
from appliance.drivers.profiles import PAPER_80MM
from tests.fakes.escpos_printer import DrawerPulse, VirtualPrinter
from tests.fakes.usb_backend import FakeUsbBackend
from tests.integration.drivers.conftest import assert_receipt_on
from tests.unit.drivers.samples import cafe_receipt

EPSON, TM_T88 = 0x04B8, 0x0202


@pytest.fixture
def backend() -> FakeUsbBackend:
    return FakeUsbBackend(EPSON, TM_T88, printer=VirtualPrinter(), out_ep=0x01, in_ep=0x82)


@pytest.fixture
def usb_printer(backend: FakeUsbBackend) -> Iterator[UsbPrinter]:
    printer = UsbPrinter(EPSON, TM_T88, backend=backend, timeout_ms=200, status_timeout_ms=50)
    yield printer
    printer.close()


def test_a_sale_prints_over_usb(backend: FakeUsbBackend, usb_printer: UsbPrinter) -> None:
    receipt = cafe_receipt()
    job = render_escpos(receipt, PAPER_80MM, open_drawer=DrawerKick(pin=5))
    usb_printer.send(job)
    assert backend.printer is not None
    [paper] = backend.printer.cut_papers()
    assert_receipt_on(paper, receipt)
    assert paper.pulses == [DrawerPulse(5, 100, 100)]
    assert job in backend.written, "the job went to the OUT endpoint in one bulk write"
    assert {ep for ep, _ in backend.writes} == {0x01}


def test_kernel_driver_is_detached_while_printing_and_given_back(
    backend: FakeUsbBackend, usb_printer: UsbPrinter
) -> None:
    usb_printer.send(render_test_page(PAPER_80MM))
    usb_printer.send(render_test_page(PAPER_80MM))
    assert (backend.detached, backend.attached, backend.kernel_driver_active) == (1, 0, False)
    assert backend.configuration == 1 and backend.claimed == {0}
    usb_printer.close()
    assert (backend.attached, backend.kernel_driver_active) == (1, True)
    assert backend.claimed == set() and backend.open_handles == 0


def test_no_kernel_driver_nothing_to_give_back() -> None:
    backend = FakeUsbBackend(EPSON, TM_T88, printer=VirtualPrinter(), kernel_driver_active=False)
    printer = UsbPrinter(EPSON, TM_T88, backend=backend, status_timeout_ms=50)
    printer.send(render_test_page(PAPER_80MM))
    printer.close()
    assert (backend.detached, backend.attached) == (0, 0)


def test_endpoints_and_interface_from_config() -> None:
    backend = FakeUsbBackend(0x0416, 0x5011, printer=VirtualPrinter(), interface=1, out_ep=0x03, in_ep=0x81)
    printer = UsbPrinter(0x0416, 0x5011, interface=1, in_ep=0x81, out_ep=0x03, backend=backend)
    printer.send(render_test_page(PAPER_80MM))
    printer.close()
    assert {ep for ep, _ in backend.writes} == {0x03}
    assert backend.printer is not None and len(backend.printer.cut_papers()) == 1


def test_paper_out_read_over_bulk_in(backend: FakeUsbBackend, usb_printer: UsbPrinter) -> None:
    assert backend.printer is not None
    backend.printer.paper_out = True
    assert usb_printer.status().paper_out
    with pytest.raises(PrinterError) as caught:
        usb_printer.send(render_test_page(PAPER_80MM))
    assert caught.value.reason == PAPER_OUT
    assert caught.value.message == ("The USB receipt printer 04b8:0202 is out of paper. Load a new roll.")


def test_not_plugged_in() -> None:
    printer = UsbPrinter(EPSON, TM_T88, backend=FakeUsbBackend(0x0519, 0x0001))
    with pytest.raises(PrinterError) as caught:
        printer.send(b"\x1b@")
    assert caught.value.reason == DISCONNECTED
    assert caught.value.message == (
        "The USB receipt printer 04b8:0202 is not connected. Check the cable and that it is on."
    )
    assert printer.status().detail == "not connected"


def test_unplugged_mid_shift_then_plugged_back(backend: FakeUsbBackend, usb_printer: UsbPrinter) -> None:
    usb_printer.send(render_test_page(PAPER_80MM))
    backend.unplug()
    with pytest.raises(PrinterError) as caught:
        usb_printer.send(render_test_page(PAPER_80MM))
    assert caught.value.reason == DISCONNECTED
    assert "was disconnected" in caught.value.message
    backend.plug_in()
    usb_printer.send(render_test_page(PAPER_80MM))
    assert backend.printer is not None and len(backend.printer.cut_papers()) == 2
    assert backend.detached == 2, "the kernel bound usblp again on arrival"


def test_printer_stops_taking_data(backend: FakeUsbBackend, usb_printer: UsbPrinter) -> None:
    backend.stall()
    with pytest.raises(PrinterError) as caught:
        usb_printer.send(render_test_page(PAPER_80MM))
    assert caught.value.reason == OFFLINE
    assert "stopped taking data" in caught.value.message
    backend.stall(False)
    usb_printer.send(render_test_page(PAPER_80MM))


def test_a_printer_without_status_prints_blind() -> None:
    backend = FakeUsbBackend(EPSON, TM_T88, printer=VirtualPrinter())
    assert backend.printer is not None
    backend.printer.answers_status = False
    printer = UsbPrinter(EPSON, TM_T88, backend=backend, in_ep=None)
    printer.send(render_test_page(PAPER_80MM))
    assert printer.status().unknown
    assert backend.printer.status_queries == 0


def test_permission_denied_points_at_udev() -> None:
    class NoAccess(FakeUsbBackend):
        def open_device(self, dev: object) -> object:
            import errno

            import usb.core

            raise usb.core.USBError("Access denied", -3, errno.EACCES)

    printer = UsbPrinter(EPSON, TM_T88, backend=NoAccess(EPSON, TM_T88))
    with pytest.raises(PrinterError) as caught:
        printer.send(b"\x1b@")
    assert caught.value.reason == BAD_CONFIG
    assert "udev rule" in caught.value.message
