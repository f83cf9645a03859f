"""What the A/B slot root adds to the built tree (image/ab_disk.py), checked on a folder: the
qemu test (tests/e2e/image/test_ab_update.py) proves the same files on a booted box."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from image import ab_disk

SLOTS = ab_disk.Slots(esp_uuid="e", a_uuid="aaaa", b_uuid="bbbb", data_uuid="d")


def test_every_state_folder_is_bound_from_the_data_partition() -> None:
    lines = [line.split() for line in ab_disk.fstab().splitlines() if line and not line.startswith("#")]
    mounts = {fields[1]: fields for fields in lines}
    assert mounts["/data"][0] == "PARTLABEL=comptoir-data" and "noexec" in mounts["/data"][3]
    assert mounts["/efi"][0] == "PARTLABEL=ESP"
    for path in (
        "/var/lib/comptoir",
        "/etc/credstore.encrypted",
        "/var/lib/systemd",
        "/var/log",
        "/var/lib/comptoir-updates",
        "/var/lib/clamav",
        "/var/lib/aide",
        "/var/tmp",
    ):
        source, _, kind, options, *_ = mounts[path]
        assert source.startswith("/data/") and kind == "none" and "bind" in options
    assert "/" not in mounts  # the slot comes from the kernel command line (ro), and stays so
    assert mounts["/tmp"][2] == "tmpfs" and "/home/kiosk" not in mounts


def test_the_kiosks_home_is_memory_owned_by_the_kiosk() -> None:
    lines = [line.split() for line in ab_disk.fstab((1001, 1002)).splitlines() if line and not line.startswith("#")]
    (home,) = [fields for fields in lines if fields[1] == "/home/kiosk"]
    assert home[2] == "tmpfs" and {"uid=1001", "gid=1002", "mode=0700", "noexec"} <= set(home[3].split(","))


def test_the_slots_are_booted_read_only_whatever_the_image_says() -> None:
    assert ab_disk.slot_options("rw console=ttyS0,115200 quiet") == "ro console=ttyS0,115200 quiet"
    assert ab_disk.slot_options("quiet") == "ro quiet"


def test_a_box_without_a_keyring_refuses_every_bundle_and_plain_bundles_are_refused() -> None:
    unsigned = ab_disk.system_conf(with_keyring=False)
    signed = ab_disk.system_conf(with_keyring=True)
    assert "[keyring]" not in unsigned and "path=/etc/rauc/keyring.pem" in signed
    for conf in (unsigned, signed):
        assert "bundle-formats=-plain" in conf
        assert "bootloader-custom-backend=/usr/local/sbin/comptoir-boot-slots" in conf
        assert "device=/dev/disk/by-partlabel/comptoir-root-a" in conf and "bootname=B" in conf


def test_the_slot_root_carries_the_keyring_the_slots_map_and_its_version(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    keyring = tmp_path / "ca.crt"
    keyring.write_text("-----BEGIN CERTIFICATE-----\n")
    signing = ab_disk.Signing(key=tmp_path / "k", cert=tmp_path / "c", keyring=keyring)
    ab_disk.make_slot_root(root, SLOTS, "2.0.1", signing)
    assert (root / "etc/rauc/keyring.pem").read_text() == keyring.read_text()
    assert not (root / "etc/rauc/k").exists() and not list(root.rglob("*.key"))  # never the signing key
    slots = json.loads((root / "etc/comptoir/boot-slots.json").read_text())["slots"]
    assert slots["A"]["root"] == "PARTUUID=aaaa" and slots["B"]["root"] == "PARTUUID=bbbb"
    assert (root / "usr/lib/comptoir/image-version").read_text() == "2.0.1\n"
    assert (root / "data").is_dir() and (root / "efi").is_dir()


def test_the_data_partition_starts_with_the_roots_own_state_owners_kept(tmp_path: Path) -> None:
    root = tmp_path / "root"
    store = root / "var/lib/comptoir"
    store.mkdir(parents=True)
    (store / "keep").write_text("x")
    os.chown(store, 1234, 1234)
    store.chmod(0o700)
    (root / "var/log").mkdir(parents=True)
    data = tmp_path / "data"
    ab_disk.make_data_tree(root, data)
    assert (data / "comptoir/keep").read_text() == "x"
    assert (data / "comptoir").stat().st_uid == 1234 and (data / "comptoir").stat().st_mode & 0o777 == 0o700
    assert (data / "credstore.encrypted").stat().st_mode & 0o777 == 0o700  # made: the root had none
    assert (data / "rauc").is_dir() and (data / "updates").stat().st_mode & 0o777 == 0o700


def test_the_slot_root_needs_no_write_of_its_own(tmp_path: Path) -> None:
    """What the read-only slot carries instead of writing at boot (measured on the booted slot)."""
    root = tmp_path / "root"
    (root / "etc/systemd/system/timers.target.wants").mkdir(parents=True)
    (root / "etc/systemd/system/timers.target.wants/apt-daily.timer").symlink_to("/lib/systemd/system/apt-daily.timer")
    (root / "etc/resolv.conf").write_text("")
    (root / "etc/passwd").write_text("root:x:0:0::/root:/bin/sh\nkiosk:x:1001:1002::/home/kiosk:/usr/sbin/nologin\n")
    ab_disk.make_slot_root(root, SLOTS, "2.0.1", None)
    assert os.readlink(root / "etc/resolv.conf") == ab_disk.RESOLV
    assert ab_disk.RESOLV in (root / "usr/lib/tmpfiles.d/comptoir-read-only.conf").read_text()
    assert os.readlink(root / "var/lib/dbus/machine-id") == "/etc/machine-id"
    for timer in ab_disk.MASKED:
        assert os.readlink(root / "etc/systemd/system" / timer) == "/dev/null"
    assert not (root / "etc/systemd/system/timers.target.wants/apt-daily.timer").is_symlink()
    dropin = (root / "etc/systemd/system/comptoir-aide-init.service.d/ab-slot.conf").read_text()
    assert "ConditionPathExists=\n" in dropin and "image-version" in dropin
    assert "!/data\n" in (root / "etc/aide/aide.conf.d/99_comptoir_ab").read_text()
    for _, path, _ in ab_disk.DATA_BINDS:
        assert (root / path).is_dir(), path  # no mount point can be made on a read-only root
    assert (root / "var/tmp").stat().st_mode & 0o7777 == 0o1777
    assert "uid=1001,gid=1002" in (root / "etc/fstab").read_text()


@pytest.mark.skipif(shutil.which("rauc") is None, reason="RAUC is not installed here")
def test_rauc_takes_the_system_conf_the_slot_carries(tmp_path: Path) -> None:
    """Every key of the file is one RAUC 1.8 knows (an unknown one stops it at load)."""
    conf = tmp_path / "system.conf"
    conf.write_text(ab_disk.system_conf(with_keyring=False).replace("/data/rauc", str(tmp_path / "rauc")))
    said = subprocess.run(["rauc", f"--conf={conf}", "status"], capture_output=True, text=True, timeout=60, check=False)
    assert "Failed to load system config" not in said.stderr, said.stderr
    assert "mountprefix=/run/rauc" in conf.read_text()


def test_aides_baseline_is_made_again_only_for_another_image_version(tmp_path: Path) -> None:
    """The drop-in's condition and its stamp, run as systemd would (continuations joined)."""
    text = ab_disk.AIDE_INIT_DROPIN.replace("\\\n", " ")
    lines = {k: v for k, _, v in (line.partition("=") for line in text.splitlines() if "=" in line) if v}
    version, aide = tmp_path / "image-version", tmp_path / "aide"
    aide.mkdir()
    version.write_text("1.1.0\n")

    def sh(command: str) -> int:
        command = command.replace("/usr/lib/comptoir/image-version", str(version)).replace("/var/lib/aide", str(aide))
        command = command.replace("/usr/sbin/aideinit --yes --force", f"touch {aide}/aide.db")
        assert command.startswith("/bin/sh -c '") and command.endswith("'")
        return subprocess.run(["/bin/sh", "-c", command[len("/bin/sh -c '") : -1]], check=False).returncode

    assert sh(lines["ExecCondition"]) == 0  # the box's first boot: no baseline
    assert sh(lines["ExecStart"]) == 0 and (aide / "image-version").read_text() == "1.1.0\n"
    assert sh(lines["ExecCondition"]) != 0  # the same version booted again: kept
    version.write_text("1.2.0\n")  # an update (or a rollback)
    assert sh(lines["ExecCondition"]) == 0
