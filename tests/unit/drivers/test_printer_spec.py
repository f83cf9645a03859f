"""Config strings to connections: every form a shop uses, and a clear error for the rest."""

from __future__ import annotations

import pytest

from appliance.drivers.printer import MemoryPrinter, NullPrinter, PrinterConnection, PrinterSpecError
from appliance.drivers.printer_file import FilePrinter
from appliance.drivers.printer_serial import SerialPrinter
from appliance.drivers.printer_spec import printer_from_spec
from appliance.drivers.printer_tcp import NetworkPrinter
from appliance.drivers.printer_usb import UsbPrinter


@pytest.mark.parametrize("spec", ["none", "NONE", " none "])
def test_none_is_a_till_without_printer(spec: str) -> None:
    assert isinstance(printer_from_spec(spec), NullPrinter)


def test_memory_keeps_jobs_for_development() -> None:
    assert isinstance(printer_from_spec("memory"), MemoryPrinter)


@pytest.mark.parametrize(
    ("spec", "path"),
    [("/dev/usb/lp0", "/dev/usb/lp0"), ("file:/tmp/receipts.bin", "/tmp/receipts.bin")],
)
def test_device_files(spec: str, path: str) -> None:
    printer = printer_from_spec(spec)
    assert isinstance(printer, FilePrinter)
    assert str(printer.path) == path


@pytest.mark.parametrize(
    ("spec", "host", "port"),
    [
        ("tcp://192.168.1.50:9100", "192.168.1.50", 9100),
        ("tcp://printer.shop.lan", "printer.shop.lan", 9100),
        ("192.168.1.50:9101", "192.168.1.50", 9101),
        ("localhost:9100", "localhost", 9100),
        ("tcp://[fe80::1]:9100", "fe80::1", 9100),
    ],
)
def test_network_printers(spec: str, host: str, port: int) -> None:
    printer = printer_from_spec(spec)
    assert isinstance(printer, NetworkPrinter)
    assert (printer.host, printer.port, printer.check_status) == (host, port, True)


def test_network_options() -> None:
    printer = printer_from_spec("tcp://10.0.0.9:9100?timeout=2.5&status=off")
    assert isinstance(printer, NetworkPrinter)
    assert (printer.timeout, printer.check_status) == (2.5, False)


def test_usb_defaults_and_options() -> None:
    printer = printer_from_spec("usb:04b8:0202")
    assert isinstance(printer, UsbPrinter)
    assert (printer.vendor_id, printer.product_id) == (0x04B8, 0x0202)
    assert (printer.interface, printer.in_ep, printer.out_ep) == (0, 0x82, 0x01)
    printer = printer_from_spec("usb:0x0416:0x5011?interface=1&in_ep=0x81&out_ep=2&timeout=3")
    assert isinstance(printer, UsbPrinter)
    assert (printer.vendor_id, printer.product_id) == (0x0416, 0x5011)
    assert (printer.interface, printer.in_ep, printer.out_ep) == (1, 0x81, 0x02)
    assert printer.timeout_ms == 3000


def test_usb_without_status_reads_nothing_back() -> None:
    printer = printer_from_spec("usb:04b8:0202?status=off")
    assert isinstance(printer, UsbPrinter)
    assert printer.in_ep is None


def test_serial() -> None:
    printer = printer_from_spec("serial:/dev/ttyUSB0?baud=38400&flow=rtscts")
    assert isinstance(printer, SerialPrinter)
    assert (printer.port, printer.baudrate, printer.flow) == ("/dev/ttyUSB0", 38400, "rtscts")
    printer = printer_from_spec("serial:/dev/ttyS0")
    assert isinstance(printer, SerialPrinter)
    assert printer.baudrate == 19200


def test_every_connection_is_a_printer_connection() -> None:
    for spec in ["none", "memory", "/dev/usb/lp0", "tcp://h:1", "usb:1:2", "serial:/dev/x"]:
        assert isinstance(printer_from_spec(spec), PrinterConnection)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "printer spec is empty; write 'none'"),
        ("printer.local", "'printer.local': not a printer spec; use none, /dev/usb/lp0"),
        ("lp0", "not a printer spec"),
        ("file:relative/path", "must be absolute"),
        ("tcp:printer:9100", "write tcp://host:port"),
        ("tcp://printer:99999", "port 99999 is out of range"),
        ("tcp://printer:9100?timout=3", "unknown option timout; this kind takes timeout, status"),
        ("tcp://printer:9100?timeout=soon", "option timeout='soon' is not a number of seconds"),
        ("tcp://printer:9100?timeout=0", "is not a number of seconds"),
        ("tcp://printer:9100?status=maybe", "option status='maybe' is not on or off"),
        ("tcp://printer:9100?timeout=1&timeout=2", "option 'timeout' is given twice"),
        ("tcp://printer:9100?timeout", "option 'timeout' is not name=value"),
        ("usb:04b8", "'04b8' is not VID:PID in hex"),
        ("usb:04b8:zz02", "is not VID:PID in hex"),
        ("usb:04b8:0202?in_ep=0x02", "in_ep=0x02 is an OUT endpoint"),
        ("usb:04b8:0202?out_ep=0x81", "out_ep=0x81 is an IN endpoint"),
        ("usb:04b8:0202?interface=300", "option interface='300' is not an interface number"),
        ("serial:", "name the port"),
        ("serial:/dev/ttyUSB0?baud=12345", "baud=12345 is not a rate receipt printers use"),
        ("serial:/dev/ttyUSB0?flow=hardware", "flow='hardware' is not one of none, rtscts"),
    ],
)
def test_bad_specs_name_the_spec_and_the_fault(spec: str, message: str) -> None:
    with pytest.raises(PrinterSpecError) as caught:
        printer_from_spec(spec)
    text = str(caught.value)
    assert message in text
    if spec:
        assert repr(spec) in text
