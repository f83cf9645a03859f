"""`comptoir devices list | test-print | open-drawer` against the virtual network printer,
with a made-up /sys/bus/usb tree for what is plugged in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.app.services import audit_log
from appliance.app.services.device_commands import describe
from appliance.cli import main
from appliance.config import load
from appliance.drivers.usb_inventory import usb_devices
from tests.conftest import Store
from tests.fakes.escpos_printer import DrawerPulse, VirtualPrinterServer


@pytest.fixture
def printer(monkeypatch: pytest.MonkeyPatch) -> VirtualPrinterServer:
    server = VirtualPrinterServer()
    server.start()
    monkeypatch.setenv("COMPTOIR_PRINTER", f"{server.spec}?timeout=1")
    yield server  # type: ignore[misc]
    server.stop()


def fake_usb(root: Path) -> Path:
    for name, vendor, product, maker, label in (
        ("usb1", "1d6b", "0002", "Linux Foundation", "2.0 root hub"),
        ("1-1", "04b8", "0202", "EPSON", "TM-T20II"),
        ("1-2", "05f9", "2206", "Datalogic", "Handheld Barcode Scanner"),
    ):
        folder = root / name
        folder.mkdir(parents=True)
        for field, value in (("idVendor", vendor), ("idProduct", product), ("manufacturer", maker), ("product", label)):
            (folder / field).write_text(value + "\n")
    (root / "1-1:1.0").mkdir()  # an interface, not a device
    return root


def test_usb_devices_from_sysfs(tmp_path: Path) -> None:
    found = usb_devices(fake_usb(tmp_path / "sys"))
    assert [(d.ids, d.name) for d in found] == [
        ("04b8:0202", "TM-T20II"),
        ("05f9:2206", "Handheld Barcode Scanner"),
        ("1d6b:0002", "2.0 root hub"),
    ]
    assert usb_devices(tmp_path / "nowhere") == []


def test_list_says_what_is_configured_and_connected(
    store: Store, printer: VirtualPrinterServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = tmp_path / "event3"
    event.write_bytes(b"")
    monkeypatch.setenv("COMPTOIR_SCANNERS", f"evdev:{event},serial:/dev/ttyNOSUCH")
    monkeypatch.setenv("COMPTOIR_POLE_DISPLAY", "serial:/dev/ttyNOPOLE?baud=9600")
    text = "\n".join(describe(load(store.path), fake_usb(tmp_path / "sys")))
    assert f"Printer: {printer.spec}?timeout=1 (profile 80mm)\n  status: ready" in text
    assert "Cash drawer: through the printer, pin 2, pulse 100 ms" in text
    assert f"evdev:{event}: HID, grabbed, present" in text
    assert "serial:/dev/ttyNOSUCH: serial, NOT FOUND" in text
    assert "Pole display: serial:/dev/ttyNOPOLE?baud=9600: NOT FOUND" in text
    assert "04b8:0202  EPSON TM-T20II  [1-1]" in text
    printer.printer.cover_open = True
    assert "cover is open" in "\n".join(describe(load(store.path), tmp_path))


def test_list_from_the_command_line(
    store: Store, printer: VirtualPrinterServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["devices", "list", "--data-dir", str(store.path)]) == 0
    out = capsys.readouterr().out
    assert "status: ready" in out and "Scanners: none configured" in out and "USB devices:" in out


def test_test_print(store: Store, printer: VirtualPrinterServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "test-print", "--data-dir", str(store.path)]) == 0
    [paper] = printer.printer.wait_for_cuts(1)
    assert "Comptoir test page" in paper.text and paper.unknown == []
    printer.printer.paper_out = True
    assert main(["devices", "test-print", "--data-dir", str(store.path)]) == 1
    assert "out of paper" in capsys.readouterr().err


def test_open_drawer_is_audited(
    store: Store, printer: VirtualPrinterServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["devices", "open-drawer", "--data-dir", str(store.path), "--reason", "installing"]) == 0
    assert printer.printer.pulses == [DrawerPulse(2, 100, 100)]
    printer.go_offline()
    assert main(["devices", "open-drawer", "--data-dir", str(store.path), "--reason", "again"]) == 1
    assert "cannot be reached" in capsys.readouterr().err
    entries = [e for e in audit_log.entries(store.shop, 0, 5000) if e["action"] == "no_sale"]
    details = [json.loads(e["details"]) if isinstance(e["details"], str) else e["details"] for e in entries]
    assert [(e["actor"], e["outcome"]) for e in entries] == [("cli", "success"), ("cli", "failure")]
    assert details[0]["reason"] == "installing"


def test_without_a_printer_it_is_a_usage_error(store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "test-print", "--data-dir", str(store.path)]) == 2
    assert "no printer is configured" in capsys.readouterr().err
    assert main(["devices", "open-drawer", "--data-dir", str(store.path), "--reason", "x"]) == 2
