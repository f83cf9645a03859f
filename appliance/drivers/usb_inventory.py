"""What is plugged in, as the kernel lists it: USB devices under /sys/bus/usb/devices with
their vendor and product ids (what a `usb:VID:PID` printer spec needs), and the stable
names of input devices and serial ports (what scanner and display specs should use)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SYS_USB = Path("/sys/bus/usb/devices")
BY_ID = (Path("/dev/input/by-id"), Path("/dev/serial/by-id"))


@dataclass(frozen=True)
class UsbDevice:
    path: str  # the kernel's name for the port, e.g. 1-1.2
    vendor: str
    product: str
    manufacturer: str = ""
    name: str = ""

    @property
    def ids(self) -> str:
        return f"{self.vendor}:{self.product}"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def usb_devices(root: Path = SYS_USB) -> list[UsbDevice]:
    """Every USB device (not its interfaces, whose names hold a colon), root hubs included."""
    found = []
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return []  # no USB bus here (a container, a VM without USB)
    for entry in entries:
        if ":" in entry.name:
            continue
        vendor, product = _read(entry / "idVendor"), _read(entry / "idProduct")
        if not vendor or not product:
            continue
        found.append(UsbDevice(entry.name, vendor, product, _read(entry / "manufacturer"), _read(entry / "product")))
    return found


def stable_device_names(folders: tuple[Path, ...] = BY_ID) -> list[str]:
    """/dev/input/by-id/… and /dev/serial/by-id/…: names that survive a replug, unlike eventN."""
    names = []
    for folder in folders:
        try:
            names += [str(p) for p in sorted(folder.iterdir())]
        except OSError:
            continue
    return names
