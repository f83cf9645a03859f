"""The image, built once per session (cached in build/image) for every image test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

import pytest

from tests.e2e.image.signing import signing_ca
from tests.e2e.image.vm import ARTIFACTS, BUILD, DISK, REPO, ROOTFS, Image, require


@pytest.fixture(scope="session")
def image() -> Image:
    require("mmdebstrap", "mkfs.vfat", "mcopy", "sfdisk", "mkfs.ext4", "unshare")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    layout_file = BUILD / "disk/layout.json"
    if os.environ.get("COMPTOIR_IMAGE_PREBUILT") and layout_file.exists():
        # Developer's shortcut: test the image already in build/image without building it again.
        return Image(
            disk=DISK, rootfs=ROOTFS, layout=json.loads(layout_file.read_text()), build_seconds=0.0, ab=ab_image()
        )
    started = time.monotonic()
    log = ARTIFACTS / "build.log"
    # The test image trusts a throwaway CA made under build/ (never in the repository), and the
    # build signs its bundle with it, as a real build is given the fleet's update key.
    ca = signing_ca()
    signing = ["--signing-key", ca["key"], "--signing-cert", ca["cert"], "--keyring", ca["keyring"]]
    with open(log, "w") as f:
        proc = subprocess.run(
            [sys.executable, str(REPO / "image/build.py"), *map(str, signing)],
            stdout=f,
            stderr=subprocess.STDOUT,
            timeout=4800,
            check=False,
        )
    seconds = time.monotonic() - started
    text = log.read_text()
    print(f"\nimage build ({seconds:.0f} s):\n{text}")
    assert proc.returncode == 0, f"image/build.py failed:\n{text[-4000:]}"
    layout = json.loads(layout_file.read_text())
    return Image(disk=DISK, rootfs=ROOTFS, layout=layout, build_seconds=seconds, ab=ab_image())


def ab_image() -> dict[str, Any] | None:
    layout = BUILD / "ab/layout.json"
    if not layout.exists():
        return None
    return {
        "disk": BUILD / "ab/comptoir-ab.img",
        "slot_image": BUILD / "ab/rootfs.ext4",
        "layout": json.loads(layout.read_text()),
    }
