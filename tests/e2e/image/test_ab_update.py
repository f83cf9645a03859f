"""Signed A/B updates under qemu, on the A/B disk as it ships (OVMF, systemd-boot with boot
counting, RAUC with the image's keyring; only the guest's test unit is switched on by a word
added to the kernel command line).

1. Version N boots slot A, sells, fetches bundle N+1 from the test's HTTP mirror (a server on
   the host's loopback, reached through qemu's user network) and installs it with RAUC.
2. N+1 boots slot B on trial, passes the health check, is marked good (its loader entry loses
   its counter), finds N's sales, sells more and installs N+2, whose health check fails.
3. N+2 boots slot A three times, fails its check each time (and reboots itself); the fourth
   boot is N+1 again, with every sale.
4. N+1 installs again and qemu is killed in the middle of it: the next boot is still N+1 on a
   good slot with every sale.

Every slot boots read-only (image/README.md, "Read-only root"), and the box keeps the machine id
its first boot pinned in slot A's loader entry on every slot.

The bundles N+1 and N+2 are the built slot image with its version file (and, for N+2, its health
check) changed in place with debugfs, signed by the same throwaway CA the image trusts
(tests/e2e/image/signing.py). Figures (bundle size, install time, boot-to-good) are printed and
kept in test-artifacts/image/ab-update/summary.json.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import random
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from image import ab_disk
from tests.e2e.image.signing import signing_ca
from tests.e2e.image.vm import ARTIFACTS, MASK_AIDE, OVMF_VARS, Image, require

pytestmark = [pytest.mark.slow, pytest.mark.timeout(5400)]

OUT = ARTIFACTS / "ab-update"
BOOT_TIMEOUT = 900
INSTALL_TIMEOUT = 1500
MARKS = ("COMPTOIR-AB ", "COMPTOIR-POWERCUT ", "COMPTOIR-HEALTH ")
# The kiosk window and AIDE's first baseline are masked as in the other image tests; the A/B
# test unit is switched on. The backend carries these words to every slot it makes primary.
OPTIONS = f"comptoir.abtest {MASK_AIDE} systemd.mask=comptoir-kiosk.service"
FAILING_HEALTH = b"#!/bin/sh\necho 'COMPTOIR-HEALTH failed: this bundle is broken on purpose'\nexit 1\n"


@dataclass
class Boot:
    lines: list[str] = field(default_factory=list)
    seconds: float = 0.0
    killed: bool = False

    def find(self, prefix: str) -> list[str]:
        return [line for line in self.lines if line.startswith(prefix)]

    def one(self, prefix: str) -> str:
        found = self.find(prefix)
        assert found, f"no line starting {prefix!r} in:\n" + "\n".join(self.lines[-60:])
        return found[-1]

    @property
    def slot(self) -> str:
        words = dict(w.split("=", 1) for w in self.one("boot slot=").split()[1:] if "=" in w)
        return f"{words.get('slot')} {words.get('version')}"

    def receipts(self) -> list[int]:
        numbers: list[int] = []
        for line in self.find("receipt-numbers"):
            numbers += [int(n) for n in line.split()[1:]]
        return numbers

    def sold(self) -> list[int]:
        return [int(line.split()[1]) for line in self.find("sold ")]

    def seconds_at(self, prefix: str) -> float | None:
        for line in self.lines:
            if line.startswith(prefix) and "uptime=" in line:
                return float(line.rsplit("uptime=", 1)[1].split()[0])
        return None


class Guest:
    def __init__(self, image: Image, work: Path) -> None:
        ab = image.ab
        assert ab is not None
        self.layout = ab["layout"]
        self.disk = work / "ab.img"
        self.vars = work / "OVMF_VARS.fd"
        subprocess.run(["cp", "--sparse=always", str(ab["disk"]), str(self.disk)], check=True)
        shutil.copyfile(OVMF_VARS, self.vars)
        self.boots: list[Boot] = []
        # The test's words on slot A's entry (the only change to the disk as built); the
        # backend carries them to every slot it makes primary.
        entry = work / "comptoir-a.conf"
        entry.write_text(
            f"title Comptoir {self.layout['version']} (slot A, test)\nsort-key comptoir\nversion 1\n"
            f"linux /comptoir-a/vmlinuz\ninitrd /comptoir-a/initrd.img\noptions {self.layout['options']} {OPTIONS}\n"
        )
        env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
        subprocess.run(
            ["mcopy", "-o", "-i", self.esp(), str(entry), "::/loader/entries/comptoir-a.conf"], env=env, check=True
        )

    def esp(self) -> str:
        return f"{self.disk}@@{self.layout['esp_offset']}"

    def steps(self, *lines: str) -> None:
        """What the guest's test unit does on the next boot (a file on the ESP, written with
        mtools while qemu is stopped)."""
        step = OUT / "next"
        step.write_text("\n".join(lines) + "\n")
        env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
        subprocess.run(["mmd", "-D", "s", "-i", self.esp(), "::/abtest"], env=env, capture_output=True, check=False)
        subprocess.run(["mcopy", "-o", "-i", self.esp(), str(step), "::/abtest/next"], env=env, check=True)

    def entries(self) -> list[str]:
        env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
        listing = subprocess.run(
            ["mdir", "-b", "-i", self.esp(), "::/loader/entries"], env=env, capture_output=True, text=True, check=True
        ).stdout
        return sorted(line.rsplit("/", 1)[-1] for line in listing.split() if line.endswith(".conf"))

    def boot(self, kill_after: tuple[str, float] | None = None, timeout: float = BOOT_TIMEOUT) -> Boot:
        """One boot, to the guest's power-off or reboot (qemu runs with -no-reboot), or to a
        kill `kill_after[1]` seconds after the line `kill_after[0]`."""
        index = len(self.boots) + 1
        serial = OUT / f"serial-{index:02d}.log"
        serial.unlink(missing_ok=True)
        command = [
            "qemu-system-x86_64",
            "-machine", "q35", "-accel", "tcg", "-smp", "2", "-m", "2048",
            "-nographic", "-monitor", "none", "-serial", f"file:{serial}",
            "-nic", "user,model=virtio-net-pci,restrict=off",
            "-device", "qemu-xhci", "-no-reboot",
            "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
            "-drive", f"if=pflash,format=raw,unit=1,file={self.vars}",
            "-drive", f"if=virtio,format=raw,file={self.disk},cache=none",
        ]  # fmt: skip
        boot = Boot()
        started = time.monotonic()
        kill_at: float | None = None
        with open(OUT / f"qemu-{index:02d}.stderr", "w") as err:
            qemu = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        offset = 0
        try:
            while qemu.poll() is None:
                now = time.monotonic()
                if serial.exists():
                    text = serial.read_bytes()
                    new, offset = text[offset:], len(text)
                    for raw in new.decode(errors="replace").replace("\r", "").split("\n"):
                        for mark in MARKS:
                            if mark in raw:
                                boot.lines.append(raw.split(mark, 1)[1].strip())
                                if kill_after and kill_at is None and boot.lines[-1].startswith(kill_after[0]):
                                    kill_at = now + kill_after[1]
                if kill_at is not None and now >= kill_at:
                    qemu.kill()
                    boot.killed = True
                    break
                if now - started > timeout:
                    qemu.kill()
                    pytest.fail(f"boot {index} timed out after {timeout} s:\n" + "\n".join(boot.lines[-40:]))
                time.sleep(0.5)
        finally:
            if qemu.poll() is None:
                qemu.kill()
            qemu.wait()
        if serial.exists() and not boot.killed:
            # Lines written between the last poll and the exit.
            for raw in serial.read_bytes()[offset:].decode(errors="replace").replace("\r", "").split("\n"):
                for mark in MARKS:
                    if mark in raw:
                        boot.lines.append(raw.split(mark, 1)[1].strip())
        boot.seconds = time.monotonic() - started
        self.boots.append(boot)
        return boot


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """The update mirror: a plain HTTP server on the host's loopback (qemu's user network
    takes the guest's 10.0.2.2 there)."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield folder, server.server_address[1]
    server.shutdown()


def variant(slot_image: Path, dest: Path, version: str, broken: bool) -> None:
    """A copy of the slot image with another version (and, if broken, a failing health check),
    changed in place with debugfs (nothing mounted)."""
    subprocess.run(["cp", "--sparse=always", str(slot_image), str(dest)], check=True)
    version_file = dest.with_suffix(".version")
    version_file.write_text(version + "\n")
    commands = ["rm /usr/lib/comptoir/image-version", f"write {version_file} /usr/lib/comptoir/image-version"]
    if broken:
        health = dest.with_suffix(".health")
        health.write_bytes(FAILING_HEALTH)
        commands += [
            "rm /usr/local/sbin/comptoir-health",
            f"write {health} /usr/local/sbin/comptoir-health",
            "sif /usr/local/sbin/comptoir-health mode 0100755",
        ]
    script = dest.with_suffix(".debugfs")
    script.write_text("\n".join(commands) + "\n")
    subprocess.run(["debugfs", "-w", "-f", str(script), str(dest)], check=True, capture_output=True)
    listing = subprocess.run(
        ["debugfs", "-R", "cat /usr/lib/comptoir/image-version", str(dest)], check=True, capture_output=True, text=True
    )
    assert listing.stdout.strip() == version


def run(cmd: list[object], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], check=True, text=True, **kwargs)  # type: ignore[call-overload,no-any-return]


def test_signed_ab_update_installs_falls_back_and_survives_a_kill(
    image: Image, tmp_path: Path, mirror: tuple[Path, int]
) -> None:
    require("qemu-system-x86_64", "rauc", "mksquashfs", "debugfs", "mcopy")
    if image.ab is None or image.ab["layout"].get("bundle") is None:
        pytest.skip("the image was built without a signing key: no A/B bundle")
    OUT.mkdir(parents=True, exist_ok=True)
    folder, port = mirror
    ca = signing_ca()
    signing = ab_disk.Signing(ca["key"], ca["cert"], ca["keyring"])
    version = str(image.ab["layout"]["version"])
    v1, v2 = f"{version}.1", f"{version}.2"
    figures: dict[str, object] = {"version": version}

    started = time.monotonic()
    bundles = {}
    for name, broken in ((v1, False), (v2, True)):
        slot = tmp_path / f"rootfs-{name}.ext4"
        variant(Path(image.ab["slot_image"]), slot, name, broken)
        bundles[name] = ab_disk.make_bundle(run, folder, slot, name, signing, dict(os.environ), lambda m: None)
        slot.unlink()
    figures["bundle_bytes"] = bundles[v1].stat().st_size
    figures["bundle_seconds"] = round((time.monotonic() - started) / 2, 1)
    # A bundle signed by another CA is refused by the image's keyring before anything is written.
    stranger = signing_ca(name="stranger")
    refused = subprocess.run(
        ["rauc", "info", f"--keyring={ca['keyring']}", str(bundles[v1])], capture_output=True, text=True, check=False
    )
    assert refused.returncode == 0, refused.stderr
    other = subprocess.run(
        ["rauc", "info", f"--keyring={stranger['keyring']}", str(bundles[v1])], capture_output=True, text=True
    )
    assert other.returncode != 0

    guest = Guest(image, tmp_path)
    url = f"http://10.0.2.2:{port}"

    # 1. N on slot A: sell, then install N+1 from the mirror.
    guest.steps("sell 3", f"install {url}/{bundles[v1].name}")
    first = guest.boot(timeout=BOOT_TIMEOUT + INSTALL_TIMEOUT)
    assert first.slot == f"A {version}"
    assert first.one("root ").split()[1].split(",")[0] == "ro", first.one("root ")
    box_id = first.one("machine-id ").split()[1]
    assert first.one("machine-id ").split()[3:] == ["comptoir-a.conf"]  # pinned on its first boot
    assert first.one("health ").startswith("health active")
    assert len(first.sold()) == 3
    assert "nameserver" in first.one("resolver "), first.one("resolver ")  # dhcpcd wrote it, through /run
    assert first.one("installed in"), first.lines
    figures["install_seconds"] = int(first.one("installed in").split()[2])
    assert first.one("primary ") == "primary B"
    assert "comptoir-b+3.conf" in guest.entries()

    # 2. N+1 on slot B, on trial: healthy, blessed, N's sales there; sell more, install broken N+2.
    guest.steps("sell 2", f"install {url}/{bundles[v2].name}")
    second = guest.boot(timeout=BOOT_TIMEOUT + INSTALL_TIMEOUT)
    assert second.slot == f"B {v1}"
    assert second.one("root ").split()[1].split(",")[0] == "ro", second.one("root ")
    assert second.one("machine-id ").split()[1] == box_id  # the same box on the new slot
    assert second.one("health ").startswith("health active")
    assert "comptoir-b.conf" in second.one("entries "), second.one("entries ")  # counter dropped: good
    figures["boot_to_good_seconds"] = second.seconds_at("health ")
    assert second.receipts()[:3] == first.sold()
    assert len(second.sold()) == 2
    assert second.one("primary ") == "primary A"
    sold = first.sold() + second.sold()

    # 3. N+2 on slot A fails its health check three times; the fourth boot is N+1 again, which
    # finds every sale, then (4.) installs again and is killed in the middle of it.
    rng = random.Random(int(os.environ.get("COMPTOIR_AB_SEED", "0")) or None)
    delay = rng.uniform(5, 60)
    guest.steps("check", f"install {url}/{bundles[v1].name}")
    tries = []
    for _ in range(4):
        boot = guest.boot(kill_after=("install-start", delay), timeout=BOOT_TIMEOUT + INSTALL_TIMEOUT)
        if boot.slot == f"B {v1}":
            break
        assert boot.slot == f"A {v2}"
        assert boot.find("failed: this bundle is broken on purpose"), boot.lines[-20:]
        tries.append(boot)
    assert len(tries) == 3, [b.slot for b in guest.boots]
    back = guest.boots[-1]
    assert back.slot == f"B {v1}"
    assert back.one("health ").startswith("health active")
    assert back.receipts() == sold
    # As the fallback boot found the ESP: N+2's entry out of tries, N+1's blessed.
    assert back.find("entries ")[0].split()[1:] == ["comptoir-a+0-3.conf", "comptoir-b.conf"], back.find("entries ")
    assert back.killed, back.lines[-20:]
    assert any(e.startswith("comptoir-b") for e in guest.entries()), guest.entries()

    # The next boot after the cut is still N+1 on a good slot, with every sale.
    guest.steps("check")
    after = guest.boot()
    assert after.slot == f"B {v1}"
    assert after.one("health ").startswith("health active")
    assert after.receipts() == sold
    ids = {b.one("machine-id ").split()[1] for b in guest.boots if b.find("machine-id ")}
    assert ids == {box_id}, ids
    # No unit failed on a read-only slot (a boot that reached the line: the broken N+2 reboots first).
    failed = [b.one("failed-units").split()[1:] for b in guest.boots if b.find("failed-units")]
    assert len(failed) >= 4 and not any(failed), failed
    figures["kill_after_install_start_seconds"] = round(delay, 1)
    figures["boots"] = [
        {"slot": b.slot if b.find("boot slot=") else "?", "seconds": round(b.seconds)} for b in guest.boots
    ]
    (OUT / "summary.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(f"\nA/B update figures: {json.dumps(figures)}")
