"""RAUC's boot-loader backend for the A/B image (image/files/usr/local/sbin/comptoir-boot-slots),
run as RAUC runs it, against an ESP folder and a slot root given by the test (the box mounts
the slot; here a folder stands in for it)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "image/files/usr/local/sbin/comptoir-boot-slots"
CMDLINE = (
    "initrd=\\comptoir-a\\initrd.img root=PARTUUID=aaaa rauc.slot=A rw console=ttyS0,115200 quiet comptoir.abtest"
    " systemd.machine_id=ffffffffffffffffffffffffffffffff"
)
ID = "0123456789abcdef0123456789abcdef"  # the box's machine id (systemd's, in /etc/machine-id)


@pytest.fixture
def box(tmp_path: Path) -> dict[str, str]:
    esp = tmp_path / "esp"
    (esp / "loader/entries").mkdir(parents=True)
    (esp / "loader/entries/comptoir-a.conf").write_text(
        "title Comptoir 1.0.0 (slot A)\nsort-key comptoir\nversion 1\nlinux /comptoir-a/vmlinuz\n"
        "initrd /comptoir-a/initrd.img\noptions root=PARTUUID=aaaa rauc.slot=A rw quiet\n"
    )
    slots = tmp_path / "boot-slots.json"
    slots.write_text(
        json.dumps(
            {
                "slots": {
                    "A": {"device": "/dev/a", "root": "PARTUUID=aaaa"},
                    "B": {"device": "/dev/b", "root": "PARTUUID=bbbb"},
                }
            }
        )
    )
    root_b = tmp_path / "slot-b"
    (root_b / "boot").mkdir(parents=True)
    (root_b / "boot/vmlinuz-6.1.0-99-amd64").write_bytes(b"kernel of B")
    (root_b / "boot/initrd.img-6.1.0-99-amd64").write_bytes(b"initrd of B")
    (root_b / "usr/lib/comptoir").mkdir(parents=True)
    (root_b / "usr/lib/comptoir/image-version").write_text("1.1.0\n")
    machine_id = tmp_path / "machine-id"
    machine_id.write_text(f"{ID}\n")
    return {
        "COMPTOIR_ESP": str(esp),
        "COMPTOIR_BOOT_SLOTS": str(slots),
        "COMPTOIR_SLOT_ROOT_B": str(root_b),
        "COMPTOIR_SLOT_ROOT_A": str(root_b),
        "COMPTOIR_CMDLINE": CMDLINE,
        "COMPTOIR_MACHINE_ID_FILE": str(machine_id),
    }


def rauc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=env, capture_output=True, text=True, check=False)


def entries(env: dict[str, str]) -> list[str]:
    return sorted(p.name for p in (Path(env["COMPTOIR_ESP"]) / "loader/entries").iterdir())


def test_the_built_slot_boots_and_is_good(box: dict[str, str]) -> None:
    assert rauc(box, "get-primary").stdout == "A\n"
    assert rauc(box, "get-state", "A").stdout == "good\n"
    assert rauc(box, "get-state", "B").stdout == "bad\n"


def test_an_install_puts_the_new_slot_first_on_trial_with_its_own_kernel(box: dict[str, str]) -> None:
    # What RAUC does around writing slot B: bad first, primary once written.
    assert rauc(box, "set-state", "B", "bad").returncode == 0
    assert rauc(box, "set-primary", "B").returncode == 0
    assert entries(box) == ["comptoir-a.conf", "comptoir-b+3.conf"]
    esp = Path(box["COMPTOIR_ESP"])
    assert (esp / "comptoir-b/vmlinuz").read_bytes() == b"kernel of B"
    assert (esp / "comptoir-b/initrd.img").read_bytes() == b"initrd of B"
    entry = (esp / "loader/entries/comptoir-b+3.conf").read_text()
    assert "title Comptoir 1.1.0 (slot B)\n" in entry
    assert "version 2\n" in entry
    options = entry.split("options ", 1)[1].split()
    # B's own root and slot; what the site (here the test) put on the command line carried over;
    # A's root, slot and loader-made words not.
    assert options[:2] == ["root=PARTUUID=bbbb", "rauc.slot=B"]
    # The box keeps its machine id on the new slot (systemd's host key for the sealed keys is
    # bound to it), said once.
    assert [w for w in options if w.startswith("systemd.machine_id=")] == [
        "systemd.machine_id=0123456789abcdef0123456789abcdef"
    ]
    assert "comptoir.abtest" in options and "quiet" in options
    assert not [w for w in options if w.startswith(("initrd=", "root=PARTUUID=aaaa", "rauc.slot=A"))]
    assert rauc(box, "get-primary").stdout == "B\n"
    assert rauc(box, "get-state", "B").stdout == "good\n"  # on trial, not yet bad


def test_three_failed_tries_bring_the_old_slot_back(box: dict[str, str]) -> None:
    rauc(box, "set-primary", "B")
    folder = Path(box["COMPTOIR_ESP"]) / "loader/entries"
    # systemd-boot counts each try down in the file's name; none reached boot-complete.target.
    (folder / "comptoir-b+3.conf").rename(folder / "comptoir-b+0-3.conf")
    assert rauc(box, "get-primary").stdout == "A\n"
    assert rauc(box, "get-state", "B").stdout == "bad\n"


def test_a_blessed_trial_keeps_the_new_slot(box: dict[str, str]) -> None:
    rauc(box, "set-primary", "B")
    folder = Path(box["COMPTOIR_ESP"]) / "loader/entries"
    (folder / "comptoir-b+3.conf").rename(folder / "comptoir-b+2-1.conf")
    assert rauc(box, "set-state", "B", "good").returncode == 0
    assert entries(box) == ["comptoir-a.conf", "comptoir-b.conf"]
    assert rauc(box, "get-primary").stdout == "B\n"


def test_the_next_install_goes_back_to_the_first_slot_with_a_newer_generation(box: dict[str, str]) -> None:
    rauc(box, "set-primary", "B")
    rauc(box, "set-state", "B", "good")
    # Booted on B, RAUC writes A: its old entry goes first, so a cut mid-write boots B.
    assert rauc(box, "set-state", "A", "bad").returncode == 0
    assert entries(box) == ["comptoir-b.conf"]
    assert rauc(box, "get-primary").stdout == "B\n"
    assert rauc(box, "set-primary", "A").returncode == 0
    assert "version 3\n" in (Path(box["COMPTOIR_ESP"]) / "loader/entries/comptoir-a+3.conf").read_text()
    assert rauc(box, "get-primary").stdout == "A\n"


def test_bad_calls_are_refused_with_a_reason(box: dict[str, str]) -> None:
    unknown = rauc(box, "get-state", "C")
    assert unknown.returncode == 1 and "no slot 'C'" in unknown.stderr
    assert rauc(box, "set-state", "A", "maybe").returncode == 1
    assert rauc(box, "frobnicate").returncode == 2
    no_kernel = {**box, "COMPTOIR_SLOT_ROOT_B": box["COMPTOIR_ESP"]}
    refused = rauc(no_kernel, "set-primary", "B")
    assert refused.returncode == 1 and "no kernel" in refused.stderr
    assert entries(box) == ["comptoir-a.conf"]  # nothing half-made
    assert "Traceback" not in refused.stderr + unknown.stderr


def test_the_first_boots_machine_id_is_pinned_on_the_running_slots_entry_once(box: dict[str, str]) -> None:
    """The read-only slot A boots first with no id on its command line: systemd's id of that
    boot (in memory) goes into A's entry, and stays the one every later boot and B use."""
    first_boot = {**box, "COMPTOIR_CMDLINE": "root=PARTUUID=aaaa rauc.slot=A ro quiet"}
    entry = Path(box["COMPTOIR_ESP"]) / "loader/entries/comptoir-a.conf"
    pinned = rauc(first_boot, "pin-machine-id")
    assert pinned.returncode == 0 and "pinned" in pinned.stdout, pinned.stderr
    options = [line for line in entry.read_text().splitlines() if line.startswith("options ")]
    assert options == [f"options root=PARTUUID=aaaa rauc.slot=A rw quiet systemd.machine_id={ID}"]
    before = entry.read_text()
    again = rauc(first_boot, "pin-machine-id")
    assert again.returncode == 0 and "already pinned" in again.stdout and entry.read_text() == before
    # Booted with it, an install gives B the same id (and not twice).
    booted = {
        **box,
        "COMPTOIR_CMDLINE": f"root=PARTUUID=aaaa rauc.slot=A ro quiet systemd.machine_id={ID}",
    }
    assert rauc(booted, "set-primary", "B").returncode == 0
    b_entry = (Path(box["COMPTOIR_ESP"]) / "loader/entries/comptoir-b+3.conf").read_text()
    assert b_entry.count(f"systemd.machine_id={ID}") == 1


def test_a_boot_that_names_no_slot_pins_nothing(box: dict[str, str]) -> None:
    plain = rauc({**box, "COMPTOIR_CMDLINE": "root=UUID=1234 ro quiet"}, "pin-machine-id")
    assert plain.returncode == 1 and "names no slot" in plain.stderr
    no_id = {**box, "COMPTOIR_MACHINE_ID_FILE": str(Path(box["COMPTOIR_ESP"]) / "none")}
    refused = rauc({**no_id, "COMPTOIR_CMDLINE": "rauc.slot=A"}, "pin-machine-id")
    assert refused.returncode == 1 and "no machine id" in refused.stderr
    assert "systemd.machine_id" not in (Path(box["COMPTOIR_ESP"]) / "loader/entries/comptoir-a.conf").read_text()
