"""The bodies of `comptoir devices …`: what an installer runs at the till to see what is
configured and plugged in, print a test page and open the drawer, without the server.

They talk to the devices directly, not through the print queue: an installer wants the
answer now, and in words. Stop the server first when the printer is on USB, which takes
one claimant at a time.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path

from appliance.app.services import audit_log
from appliance.app.services.shop import Shop
from appliance.config import Config
from appliance.drivers.drawer import DrawerKick
from appliance.drivers.escpos_receipt import render_test_page
from appliance.drivers.pole_display import pole_display_from_spec
from appliance.drivers.printer import NullPrinter, PrinterError, PrinterSpecError
from appliance.drivers.printer_spec import printer_from_spec
from appliance.drivers.profiles import profile_named
from appliance.drivers.scanner import EvdevScanner, ScannerSpecError, SerialScanner, scanner_from_spec
from appliance.drivers.usb_inventory import SYS_USB, stable_device_names, usb_devices


def _printer_status(spec: str) -> str:
    try:
        printer = printer_from_spec(spec)
    except PrinterSpecError as exc:
        return f"misconfigured: {exc}"
    if isinstance(printer, NullPrinter):
        return "none configured"
    try:
        status = printer.status()
    finally:
        printer.close()
    if status.unknown:
        return "connected; it answers no status queries"
    problem = status.problem()
    if problem is not None:
        return problem.message
    return "ready" + (" (paper low)" if status.paper_low else "")


def _present(path: str) -> str:
    return "present" if os.path.exists(path) else "NOT FOUND"


def describe(config: Config, usb_root: Path = SYS_USB, *, query_printer: bool = True) -> list[str]:
    lines = [f"Printer: {config.printer} (profile {config.printer_profile})"]
    if config.printer != "none":
        lines.append(f"  status: {_printer_status(config.printer) if query_printer else 'not asked'}")
    lines.append(f"Cash drawer: through the printer, pin {config.drawer_pin}, pulse {config.drawer_pulse_ms} ms")
    lines.append("Scanners:" + ("" if config.scanners else " none configured (keyboard-wedge scanners need none)"))
    for spec in config.scanners:
        try:
            scanner = scanner_from_spec(spec)
        except ScannerSpecError as exc:
            lines.append(f"  {spec}: misconfigured: {exc}")
            continue
        if isinstance(scanner, EvdevScanner):
            path, kind = scanner.path, "HID, grabbed" if scanner.grab else "HID"
        else:
            assert isinstance(scanner, SerialScanner)
            path, kind = scanner.port, "serial"
        lines.append(f"  {spec}: {kind}, {_present(path)}")
    try:
        pole = pole_display_from_spec(config.pole_display)
        pole_text = "none" if pole is None else f"{config.pole_display}: {_present(pole.port)}"
    except ValueError as exc:
        pole_text = f"misconfigured: {exc}"
    lines.append(f"Pole display: {pole_text}")
    devices = usb_devices(usb_root)
    lines.append("USB devices:" + ("" if devices else " none seen"))
    for device in devices:
        label = " ".join(part for part in (device.manufacturer, device.name) if part) or "(no name)"
        lines.append(f"  {device.ids}  {label}  [{device.path}]")
    names = stable_device_names()
    if names:
        lines.append("Stable device names (use these in specs):")
        lines += [f"  {name}" for name in names]
    return lines


def test_print(config: Config) -> str:
    """Prints the test page; raises PrinterError (or ValueError for a bad spec)."""
    if config.printer == "none":
        raise ValueError('no printer is configured (printer = "none")')
    printer = printer_from_spec(config.printer)
    try:
        printer.send(render_test_page(profile_named(config.printer_profile)))
    finally:
        printer.close()
    return f"Test page sent to {config.printer}."


def open_drawer(config: Config) -> DrawerKick:
    if config.printer == "none":
        raise ValueError("no printer is configured, and the drawer opens through it")
    kick = DrawerKick(pin=config.drawer_pin, on_ms=config.drawer_pulse_ms)
    printer = printer_from_spec(config.printer)
    try:
        printer.send(kick.command())
    finally:
        printer.close()
    return kick


def run(args: argparse.Namespace, config: Config, open_shop: Callable[[], Shop]) -> int:
    """`comptoir devices ACTION`: 0 done, 1 the device failed (said why), 2 bad usage."""
    try:
        if args.devices_command == "list":
            print("\n".join(describe(config, query_printer=not args.no_status)))
        elif args.devices_command == "test-print":
            print(test_print(config))
        else:
            return _open_drawer_audited(open_shop(), args.reason)
    except ValueError as exc:
        print(f"comptoir: {exc}", file=sys.stderr)
        return 2
    except PrinterError as exc:
        print(f"comptoir: {exc.message}", file=sys.stderr)
        return 1
    return 0


def _open_drawer_audited(shop: Shop, reason: str) -> int:
    """Audited like a no sale at the till, as the operator at the console ("cli")."""
    try:
        kick = open_drawer(shop.config)
    except PrinterError as exc:
        details = {"reason": reason, "error": exc.message}
        audit_log.record(shop, actor="cli", action="no_sale", outcome="failure", object="drawer", details=details)
        raise
    audit_log.record(shop, actor="cli", action="no_sale", object=f"drawer:pin{kick.pin}", details={"reason": reason})
    print(f"Drawer pulse sent (pin {kick.pin}, {kick.on_ms} ms).")
    return 0
