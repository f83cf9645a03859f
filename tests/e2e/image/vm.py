"""What the image tests share: where the build lands, the built image, the tools they need,
a test copy of the disk with its own kernel command line, and the qemu command line.

Nothing here changes the host: the copy's loader entry is rewritten with mtools inside the
copy's ESP (nothing mounted), and qemu gets no network device.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
BUILD = REPO / "build" / "image"
ROOTFS = BUILD / "provision" / "rootfs"
DISK = BUILD / "disk" / "comptoir.img"
ARTIFACTS = REPO / "test-artifacts" / "image"
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
# The audit role's first-boot AIDE baseline (comptoir-aide-init.service, a oneshot wanted by
# multi-user.target) hashes the whole root before multi-user is reached: more than 6 minutes
# under TCG here. The tests mask it on their own copy's command line to keep CI within budget;
# the real first boot runs it.
MASK_AIDE = "systemd.mask=comptoir-aide-init.service"


def require(*tools: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("building the image needs root")
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} missing: run `make system-deps`")


@dataclass
class Image:
    disk: Path
    rootfs: Path
    layout: dict[str, object]
    build_seconds: float
    # The A/B disk, its slot image and its layout (image/ab_disk.py), when built.
    ab: dict[str, Any] | None = None


def guest_copy(image: Image, dest: Path, options: str, title: str) -> None:
    """A sparse copy of the disk whose loader entry adds `options` to the kernel command line."""
    subprocess.run(["cp", "--sparse=always", str(image.disk), str(dest)], check=True)
    set_options(image, dest, options, title)


def set_options(image: Image, disk: Path, options: str, title: str) -> None:
    """Rewrites the loader entry of a test copy (with mtools, inside its ESP, nothing mounted)."""
    entry = disk.with_suffix(".conf")
    entry.write_text(
        f"title Comptoir ({title})\nlinux /comptoir/vmlinuz\ninitrd /comptoir/initrd.img\n"
        f"options {image.layout['options']} {options}\n"
    )
    esp = f"{disk}@@{image.layout['esp_offset']}"
    subprocess.run(
        ["mcopy", "-o", "-i", esp, str(entry), "::/loader/entries/comptoir.conf"],
        check=True,
        env={**os.environ, "MTOOLS_SKIP_CHECK": "1"},
    )


def boot_files(image: Image, disk: Path, dest: Path) -> tuple[Path, Path]:
    """The kernel and initramfs of a disk's ESP, copied out with mtools (nothing mounted)."""
    esp = f"{disk}@@{image.layout['esp_offset']}"
    kernel, initrd = dest / "vmlinuz", dest / "initrd.img"
    for src, out in (("::/comptoir/vmlinuz", kernel), ("::/comptoir/initrd.img", initrd)):
        subprocess.run(
            ["mcopy", "-o", "-i", esp, src, str(out)], check=True, env={**os.environ, "MTOOLS_SKIP_CHECK": "1"}
        )
    return kernel, initrd


def qemu_command(
    disk: Path,
    vars_copy: Path | None,
    serial: Path,
    drive_options: str = "",
    kernel: tuple[Path, Path, str] | None = None,
) -> list[str]:
    """q35 under TCG, 2 vCPUs, 2 GiB, no network device; the console to `serial`. Booted by OVMF
    (UEFI variables in `vars_copy`) and the disk's systemd-boot, or, given `kernel` (kernel,
    initramfs, command line), by qemu itself, the firmware and the boot loader skipped."""
    if kernel is None:
        assert vars_copy is not None
        firmware = [
            "-drive",
            f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
            "-drive",
            f"if=pflash,format=raw,unit=1,file={vars_copy}",
        ]
    else:
        firmware = ["-kernel", str(kernel[0]), "-initrd", str(kernel[1]), "-append", kernel[2]]
    return [
        "qemu-system-x86_64",
        "-machine",
        "q35",
        "-accel",
        "tcg",
        "-smp",
        "2",
        "-m",
        "2048",
        "-nographic",
        "-monitor",
        "none",
        "-serial",
        f"file:{serial}",
        "-nic",
        "none",
        # A USB controller, as every kiosk has: without one usbcore never loads, /sys/bus/usb is
        # missing and USBGuard exits.
        "-device",
        "qemu-xhci",
        "-no-reboot",
        *firmware,
        "-drive",
        f"if=virtio,format=raw,file={disk}{drive_options}",
    ]
