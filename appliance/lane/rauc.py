"""RAUC at the edge: `rauc install BUNDLE` and `rauc status --detailed --output-format=json`
(RAUC 1.8's shape), and the reboot that follows an install. RAUC itself checks the bundle's
signature against the keyring in the image; this module only runs it and reads its answer.

`rauc status`'s JSON, as RAUC 1.8 prints it:
    {"compatible": "...", "variant": "", "booted": "A", "boot_primary": "rootfs.0",
     "slots": [{"rootfs.0": {"class": "rootfs", "device": "/dev/sda2", "type": "ext4",
                "bootname": "A", "state": "booted", "parent": null, "mountpoint": "/",
                "boot_status": "good",
                "slot_status": {"bundle": {"compatible": "...", "version": "1.4.0", ...},
                                "checksum": {...}, "installed": {...}, "activated": {...},
                                "status": "ok"}}}, ...]}
`slot_status` is there only with --detailed, and only for a slot RAUC ever installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INSTALL_TIMEOUT = 30 * 60  # a bundle of some hundred MiB on a slow SSD
STATUS_TIMEOUT = 60


class RaucError(Exception):
    """RAUC is missing, failed, or said something that is not its status; the message says why."""


@dataclass(frozen=True)
class Slot:
    name: str  # rootfs.0
    bootname: str | None  # A
    state: str | None  # booted, active, inactive
    boot_status: str | None  # good, bad
    version: str | None  # the bundle version RAUC last installed in it


@dataclass(frozen=True)
class Status:
    compatible: str
    booted: str | None  # the booted slot's bootname
    boot_primary: str | None  # the slot the bootloader tries first
    slots: tuple[Slot, ...]

    @property
    def booted_slot(self) -> Slot | None:
        return next((s for s in self.slots if s.state == "booted"), None) or next(
            (s for s in self.slots if self.booted is not None and s.bootname == self.booted), None
        )

    @property
    def booted_version(self) -> str | None:
        slot = self.booted_slot
        return slot.version if slot else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_status(text: str) -> Status:
    """`rauc status --detailed --output-format=json`'s output, or RaucError."""
    try:
        data = json.loads(text)
    except ValueError:
        raise RaucError("rauc status did not print JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("slots"), list):
        raise RaucError("rauc status printed JSON with no slots")
    slots: list[Slot] = []
    for entry in data["slots"]:
        if not isinstance(entry, dict):
            raise RaucError("rauc status: a slot that is not an object")
        for name, slot in entry.items():
            if not isinstance(slot, dict):
                raise RaucError(f"rauc status: slot {name} is not an object")
            status = slot.get("slot_status")
            bundle = status.get("bundle") if isinstance(status, dict) else None
            version = _text(bundle.get("version")) if isinstance(bundle, dict) else None
            slots.append(
                Slot(str(name), _text(slot.get("bootname")), _text(slot.get("state")),
                     _text(slot.get("boot_status")), version)
            )  # fmt: skip
    return Status(str(data.get("compatible") or ""), _text(data.get("booted")), _text(data.get("boot_primary")),
                  tuple(slots))  # fmt: skip


def _rauc() -> str:
    found = shutil.which("rauc")
    if found is None:
        raise RaucError("rauc is not installed on this box: it cannot install updates")
    return found


def _run(args: list[str], timeout: float) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RaucError(f"{' '.join(args[:2])}: {exc}") from None
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise RaucError(f"{Path(args[0]).name} {args[1]} failed ({done.returncode}): {said[-1] if said else ''}")
    return done.stdout


def status() -> Status:
    return parse_status(_run([_rauc(), "status", "--detailed", "--output-format=json"], STATUS_TIMEOUT))


def install(bundle: Path) -> None:
    """Installs into the other slot and marks it the one to boot; RaucError when RAUC refuses
    (a bad signature, an incompatible bundle) or fails."""
    _run([_rauc(), "install", str(bundle)], INSTALL_TIMEOUT)


def schedule_reboot(minutes: int = 1) -> None:
    """`shutdown -r +minutes`: the journal says why the box went down, and the service has
    the minute to finish its writes."""
    found = shutil.which("shutdown")
    if found is None:
        raise RaucError("no shutdown command to reboot with")
    _run([found, "-r", f"+{minutes}", "Comptoir update installed: rebooting into it"], STATUS_TIMEOUT)
