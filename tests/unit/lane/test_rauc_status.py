"""What the box reads of `rauc status --detailed --output-format=json` (RAUC 1.8's shape)."""

from __future__ import annotations

import json

import pytest

from appliance.lane import rauc

# As RAUC 1.8 prints it for an A/B system booted from B, whose A slot was installed once
# and whose B slot holds the version it booted.
STATUS = {
    "compatible": "comptoir-amd64",
    "variant": "",
    "booted": "B",
    "boot_primary": "rootfs.1",
    "slots": [
        {
            "rootfs.0": {
                "class": "rootfs",
                "device": "/dev/sda2",
                "type": "ext4",
                "bootname": "A",
                "state": "inactive",
                "parent": None,
                "mountpoint": None,
                "boot_status": "bad",
                "slot_status": {
                    "bundle": {"compatible": "comptoir-amd64", "version": "1.2", "description": None,
                               "build": "20261206", "hash": "ab" * 32},
                    "checksum": {"sha256": "cd" * 32, "size": 524288000},
                    "installed": {"transaction": "t-1", "timestamp": "2026-12-06T03:01:00Z", "count": 2},
                    "activated": {"timestamp": "2026-12-06T03:02:00Z", "count": 2},
                    "status": "ok",
                },
            }
        },
        {
            "rootfs.1": {
                "class": "rootfs",
                "device": "/dev/sda3",
                "type": "ext4",
                "bootname": "B",
                "state": "booted",
                "parent": None,
                "mountpoint": "/",
                "boot_status": "good",
                "slot_status": {"bundle": {"compatible": "comptoir-amd64", "version": "1.1"}, "status": "ok"},
            }
        },
        {"efi.0": {"class": "efi", "device": "/dev/sda1", "type": "vfat", "bootname": None, "state": "inactive"}},
    ],
}  # fmt: skip


def test_the_booted_slot_and_its_version_are_read() -> None:
    found = rauc.parse_status(json.dumps(STATUS))
    assert (found.compatible, found.booted, found.boot_primary) == ("comptoir-amd64", "B", "rootfs.1")
    assert [s.name for s in found.slots] == ["rootfs.0", "rootfs.1", "efi.0"]
    assert found.booted_slot is not None and found.booted_slot.name == "rootfs.1"
    assert found.booted_version == "1.1"
    assert (found.slots[0].version, found.slots[0].boot_status) == ("1.2", "bad")
    assert found.slots[2].version is None


def test_a_slot_rauc_never_wrote_has_no_version() -> None:
    fresh = json.loads(json.dumps(STATUS))
    del fresh["slots"][1]["rootfs.1"]["slot_status"]
    fresh["slots"][1]["rootfs.1"]["state"] = "active"  # older RAUC: only `booted` names it
    found = rauc.parse_status(json.dumps(fresh))
    assert found.booted_slot is not None and found.booted_slot.name == "rootfs.1"
    assert found.booted_version is None


@pytest.mark.parametrize("text", ["not json", "[]", '{"booted": "A"}', '{"slots": [1]}', '{"slots": [{"a": 2}]}'])
def test_what_is_not_a_status_is_a_rauc_error(text: str) -> None:
    with pytest.raises(rauc.RaucError):
        rauc.parse_status(text)
