"""Printer specs: the one string in config that says where the receipt printer is.

    none                                   no printer
    memory                                 keep jobs in memory (development)
    /dev/usb/lp0   file:/path              a device file (or a plain file)
    tcp://host:9100   host:9100            raw TCP; tcp://host alone means port 9100
    usb:04b8:0202?interface=0&in_ep=0x82&out_ep=0x01
    serial:/dev/ttyUSB0?baud=19200&flow=rtscts

Options go after `?`; `timeout` (seconds) fits every kind, `status=off` stops status
queries for printers that answer none. A spec is checked whole before anything opens.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn, TypeVar

from appliance.drivers.printer import (
    MemoryPrinter,
    NullPrinter,
    PrinterConnection,
    PrinterSpecError,
)
from appliance.drivers.printer_file import FilePrinter
from appliance.drivers.printer_tcp import DEFAULT_PORT, NetworkPrinter

if TYPE_CHECKING:
    from appliance.drivers.printer_serial import SerialPrinter
    from appliance.drivers.printer_usb import UsbPrinter

T = TypeVar("T")

_HOST = r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9][A-Za-z0-9.\-]*)"
_HOST_PORT = re.compile(rf"^{_HOST}(?::(?P<port>\d+))?$")
_BARE_HOST_PORT = re.compile(rf"^{_HOST}:(?P<port>\d+)$")
_USB_ID = re.compile(r"^(?:0x)?[0-9A-Fa-f]{1,4}$")


class _Options:
    """The `?a=1&b=2` part; every option must be used, so a typo is an error, not a no-op."""

    def __init__(self, spec: str, query: str) -> None:
        self.spec = spec
        self.values: dict[str, str] = {}
        for part in query.split("&") if query else []:
            key, eq, value = part.partition("=")
            if not eq or not key:
                self.fail(f"option {part!r} is not name=value")
            if key in self.values:
                self.fail(f"option {key!r} is given twice")
            self.values[key] = value

    def fail(self, why: str) -> NoReturn:
        raise PrinterSpecError(f"printer spec {self.spec!r}: {why}")

    def take(self, key: str, convert: Callable[[str], T], default: T, what: str) -> T:
        if key not in self.values:
            return default
        raw = self.values.pop(key)
        try:
            return convert(raw)
        except ValueError:
            self.fail(f"option {key}={raw!r} is not {what}")

    def done(self, known: str) -> None:
        if self.values:
            names = ", ".join(sorted(self.values))
            self.fail(f"unknown option {names}; this kind takes {known}")


def _number(text: str) -> int:
    return int(text, 0)  # 130 and 0x82 both work: endpoints are usually written in hex


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 300:
        raise ValueError(text)
    return value


def _on_off(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("on", "true", "yes", "1"):
        return True
    if lowered in ("off", "false", "no", "0"):
        return False
    raise ValueError(text)


def _byte(text: str) -> int:
    value = _number(text)
    if not 0 <= value <= 0xFF:
        raise ValueError(text)
    return value


def printer_from_spec(spec: str) -> PrinterConnection:
    """The connection a config spec names, e.g. `tcp://10.0.0.5:9100`, `/dev/usb/lp0`,
    `usb:04b8:0202?interface=0&in_ep=0x82&out_ep=0x01`, `serial:/dev/ttyUSB0?baud=19200`,
    `none`. Raises PrinterSpecError for a spec it cannot read; opens nothing yet. This
    module is the factory: it knows every kind of connection, and none of them knows it."""
    return parse_spec(spec)


def parse_spec(spec: str) -> PrinterConnection:
    text = spec.strip()
    if not text:
        raise PrinterSpecError("printer spec is empty; write 'none' for a till without a printer")
    lowered = text.lower()
    if lowered == "none":
        return NullPrinter()
    if lowered == "memory":
        return MemoryPrinter()
    location, _, query = text.partition("?")
    options = _Options(spec, query)
    if location.startswith("/"):
        return _file(location, options)
    scheme, colon, rest = location.partition(":")
    scheme = scheme.lower()
    if colon and scheme == "file":
        return _file(rest, options)
    if colon and scheme == "tcp":
        if not rest.startswith("//"):
            options.fail("write tcp://host:port")
        return _tcp(rest[2:], options, _HOST_PORT)
    if colon and scheme == "usb":
        return _usb(rest, options)
    if colon and scheme == "serial":
        return _serial(rest, options)
    if _BARE_HOST_PORT.match(location):
        return _tcp(location, options, _BARE_HOST_PORT)
    options.fail(
        "not a printer spec; use none, /dev/usb/lp0, file:/path, tcp://host:9100, host:9100, "
        "usb:VID:PID or serial:/dev/ttyUSB0"
    )


def _file(path: str, options: _Options) -> FilePrinter:
    if not path.startswith("/"):
        options.fail("a device or file path must be absolute, e.g. /dev/usb/lp0")
    timeout = options.take("timeout", _seconds, 10.0, "a number of seconds (0-300]")
    options.done("timeout")
    return FilePrinter(path, timeout=timeout)


def _tcp(address: str, options: _Options, pattern: re.Pattern[str]) -> NetworkPrinter:
    match = pattern.match(address)
    if match is None:
        options.fail(f"{address!r} is not host:port")
    host = match["host"].strip("[]")
    port = int(match["port"]) if match["port"] else DEFAULT_PORT
    if not 0 < port < 65536:
        options.fail(f"port {port} is out of range")
    timeout = options.take("timeout", _seconds, 5.0, "a number of seconds (0-300]")
    status = options.take("status", _on_off, True, "on or off")
    options.done("timeout, status")
    return NetworkPrinter(host, port, timeout=timeout, status=status)


def _usb(ids: str, options: _Options) -> UsbPrinter:
    # pyusb only for a till whose config names a USB printer (tests/integration/test_start_imports.py).
    from appliance.drivers.printer_usb import DEFAULT_IN_EP, DEFAULT_INTERFACE, DEFAULT_OUT_EP, UsbPrinter

    parts = ids.split(":")
    if len(parts) != 2 or not all(_USB_ID.match(p) for p in parts):
        options.fail(f"{ids!r} is not VID:PID in hex, e.g. usb:04b8:0202")
    vendor, product = (int(p, 16) for p in parts)
    interface = options.take("interface", _byte, DEFAULT_INTERFACE, "an interface number")
    in_ep = options.take("in_ep", _byte, DEFAULT_IN_EP, "an endpoint address like 0x82")
    out_ep = options.take("out_ep", _byte, DEFAULT_OUT_EP, "an endpoint address like 0x01")
    if not in_ep & 0x80:
        options.fail(f"in_ep={in_ep:#04x} is an OUT endpoint (IN endpoints have bit 7 set)")
    if out_ep & 0x80:
        options.fail(f"out_ep={out_ep:#04x} is an IN endpoint (OUT endpoints have bit 7 clear)")
    timeout = options.take("timeout", _seconds, 5.0, "a number of seconds (0-300]")
    status = options.take("status", _on_off, True, "on or off")
    options.done("interface, in_ep, out_ep, timeout, status")
    return UsbPrinter(
        vendor,
        product,
        interface=interface,
        in_ep=in_ep if status else None,
        out_ep=out_ep,
        timeout_ms=int(timeout * 1000),
    )


def _serial(port: str, options: _Options) -> SerialPrinter:
    # pyserial only for a till whose config names a serial printer.
    from appliance.drivers.printer_serial import FLOW_CONTROLS, SerialPrinter

    if not port:
        options.fail("name the port, e.g. serial:/dev/ttyUSB0")
    baud = options.take("baud", _number, 19200, "a baud rate")
    if baud not in (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200):
        options.fail(f"baud={baud} is not a rate receipt printers use (9600, 19200, 38400…)")
    flow = options.take("flow", str, "none", "a flow control")
    if flow not in FLOW_CONTROLS:
        options.fail(f"flow={flow!r} is not one of {', '.join(FLOW_CONTROLS)}")
    timeout = options.take("timeout", _seconds, 5.0, "a number of seconds (0-300]")
    status = options.take("status", _on_off, True, "on or off")
    options.done("baud, flow, timeout, status")
    return SerialPrinter(port, baudrate=baud, flow=flow, timeout=timeout, status=status)
