"""The kiosk image: built by image/build.py (cached between runs when its inputs are
unchanged), booted under qemu with OVMF (TCG, no KVM), checked from its serial console;
its root scanned by the compliance scanner; Lynis run inside the root booted by
systemd-nspawn (private network, private mount namespace).

Nothing here changes the host: the image is made without mounting anything, qemu has no
network device, nspawn runs with --private-network inside `unshare -m`, on a volatile
overlay of the root (the built root is not modified).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.image.vm import (
    ARTIFACTS,
    MASK_AIDE,
    OVMF_CODE,
    OVMF_VARS,
    Image,
    guest_copy,
    qemu_command,
    require,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(5400)]

BOOT_TIMEOUT = 1200  # seconds, TCG on a busy 2-core machine
MARK = "COMPTOIR-SELFTEST "
# Controls that need a store's own settings, which a generic image does not carry (image/build.py
# --vars FILE gives them; the fleet run sets them on the box).
STORE_SPECIFIC = {
    "PCI-10.6.1-TIME-SYNC": "a generic image names no NTP server (kiosk_base_ntp_servers comes from the store)",
}


@dataclass
class Boot:
    console: str
    seconds: float
    results: list[str] = field(default_factory=list)

    def values(self, key: str) -> list[str]:
        return [line[len(key) + 1 :].strip() for line in self.results if line.startswith(key + " ") or line == key]

    def value(self, key: str) -> str:
        found = self.values(key)
        assert found, f"the self-test printed no {key!r}; console tail:\n{self.console[-3000:]}"
        return found[-1]


def _selftest_copy(image: Image, dest: Path) -> None:
    """A sparse copy of the disk whose loader entry adds comptoir.selftest to the kernel command line."""
    guest_copy(image, dest, f"comptoir.selftest {MASK_AIDE}", "self-test")


@pytest.fixture(scope="session")
def boot(image: Image, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Boot]:
    require("qemu-system-x86_64", "mcopy")
    if not OVMF_CODE.exists():
        pytest.skip("OVMF missing: run `make system-deps`")
    work = tmp_path_factory.mktemp("qemu")
    disk = work / "disk.img"
    _selftest_copy(image, disk)
    vars_copy = work / "OVMF_VARS.fd"
    shutil.copyfile(OVMF_VARS, vars_copy)
    serial = ARTIFACTS / "serial.log"
    started = time.monotonic()
    qemu = subprocess.Popen(
        qemu_command(disk, vars_copy, serial),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        qemu.wait(timeout=BOOT_TIMEOUT)
    except subprocess.TimeoutExpired:
        qemu.kill()
        qemu.wait()
    seconds = time.monotonic() - started
    console = serial.read_text(errors="replace") if serial.exists() else ""
    results = [line.split(MARK, 1)[1].strip() for line in console.splitlines() if MARK in line]
    print(f"\nqemu (TCG, OVMF) boot to self-test end and power-off: {seconds:.0f} s")
    print("\n".join(results))
    yield Boot(console=console, seconds=seconds, results=results)


def test_boot_reaches_multi_user_without_failed_units(boot: Boot) -> None:
    assert "end" in boot.results, f"the self-test did not finish; console tail:\n{boot.console[-4000:]}"
    assert boot.value("multi-user") == "active"
    assert boot.values("failed-unit") == [], f"failed units: {boot.values('failed-unit')}"
    assert boot.value("system-state") == "running"


def test_first_boot_made_the_store_and_sealed_its_key(boot: Boot) -> None:
    assert boot.value("unit comptoir-firstboot.service") == "active"
    assert re.search(r"One-time password: \S{8,}", boot.console), "no one-time password on the console"
    assert boot.value("password-in-journal") == "0", "the one-time password reached the journal"
    assert re.search(r"600:root:/etc/credstore\.encrypted/comptoir-store-key", boot.value("credential"))


def test_dhcpcd_waits_for_a_network(boot: Boot) -> None:
    # The guest has no network card: dhcpcd runs all the same, ready for one.
    assert boot.value("unit dhcpcd.service") == "active"


def test_the_pos_answers_healthz_inside_the_guest(boot: Boot) -> None:
    assert boot.value("unit comptoir.service") == "active"
    assert boot.value("healthz") == "200"


def test_the_firewall_ruleset_is_loaded_and_drops_by_default(boot: Boot) -> None:
    assert boot.value("unit nftables.service") == "active"
    assert int(boot.value("nft-tables")) >= 1
    chains = boot.values("nft-chain")
    for hook in ("input", "output"):
        assert any(f"hook {hook}" in c and "policy drop" in c for c in chains), chains


def test_nothing_listens_beyond_loopback_and_no_sshd(boot: Boot) -> None:
    listeners = boot.values("listen")
    for entry in listeners:
        proto, address = entry.split(" ", 1)
        host, port = address.rsplit(":", 1)
        if proto == "udp" and port in ("68", "546"):
            continue  # dhcpcd's client sockets (DHCP, DHCPv6), as policy TA14-002A allows
        assert host in ("127.0.0.1", "[::1]", "::1") or host.startswith("127."), f"listens beyond loopback: {entry}"
    assert any(entry.endswith("127.0.0.1:8787") for entry in listeners), listeners
    assert boot.value("sshd-processes") == "0"
    # The kernel line names ttyS0 as a console; no login prompt may sit on it.
    assert boot.value("getty-processes") == "0"
    assert boot.value("serial-getty") == "masked"
    assert boot.value("sshd-binary") == "absent"


# -- the root, read without running it ---------------------------------------------------------------


def test_compliance_scan_of_the_image_root(image: Image) -> None:
    started = time.monotonic()
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "comptoir"),
            "compliance",
            "scan",
            "--root",
            str(image.rootfs),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    seconds = time.monotonic() - started
    assert proc.returncode in (0, 1), proc.stderr
    (ARTIFACTS / "compliance.json").write_text(proc.stdout)
    report = json.loads(proc.stdout)
    controls = report["results"]
    print(f"\ncompliance scan of the image root in {seconds:.1f} s: {report['summary']}")
    bad = [c for c in controls if c["status"] in ("fail", "error")]
    for c in bad:
        print(f"  {c['status'].upper()} {c['id']}: {c['title']}\n    {c['evidence']}")
    # Controls that a generic image cannot pass because they need a store's own settings. Each is
    # printed above; the test fails if any other control fails, or if one of these fails for another
    # reason than the missing store setting.
    for c in bad:
        if c["id"] in STORE_SPECIFIC and all(e.get("found") != "not set" for e in c["evidence"][-1:]):
            STORE_SPECIFIC.pop(c["id"])
    image_failures = [c["id"] for c in bad if c["id"] not in STORE_SPECIFIC]
    for control, reason in STORE_SPECIFIC.items():
        if control in {c["id"] for c in bad}:
            print(f"  not an image control: {control}: {reason}")
    assert not image_failures, f"{len(image_failures)} controls fail on the image root: {image_failures}"
