"""`comptoir config pull` on a read-only root (an A/B slot, image/ab_disk.py): the playbook runs
in a mount namespace of its own where the root is writable, and everyone else's view of it stays
read-only, during the run and after. Proven on a real ext4 file system, read-only in a private
mount namespace of the test (loop-mounted there: the host's own mounts are never touched)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from appliance.lane import config_pull


def _loop_mounts() -> bool:
    """Whether this machine lets the test loop-mount a file in a private mount namespace (not
    inside a container without loop devices, such as the fresh-root test's)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("mkfs.ext4") is None:
        return False
    with tempfile.TemporaryDirectory() as folder:
        image, mount_point = Path(folder, "probe.ext4"), Path(folder, "probe")
        mount_point.mkdir()
        made = subprocess.run(["mkfs.ext4", "-q", "-F", str(image), "4M"], capture_output=True, check=False)
        probe = f'mount -o loop "{image}" "{mount_point}" && umount "{mount_point}"'
        tried = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", probe],
            capture_output=True,
            timeout=60,
            check=False,
        )
        return made.returncode == 0 and tried.returncode == 0


pytestmark = pytest.mark.skipif(
    not _loop_mounts(), reason="needs root, unshare, mkfs.ext4 and a loop device (a loop mount in a private namespace)"
)

# In the test's own namespace: the slot mounted read-only, then the wrapped command, then what
# the rest of the box sees afterwards.
SCENE = """
set -u
slot="$1"; image="$2"; shift 2
# The loop device itself writable, as a disk is; the file system mounted read-only.
mount -o loop "$image" "$slot" && mount -o remount,ro "$slot" || { echo "NO MOUNT"; exit 0; }
touch "$slot/before" 2>/dev/null && echo "BEFORE writable" || echo "BEFORE read-only"
OUTSIDE=/proc/$$/ns/mnt "$@"; echo "RC $?"
touch "$slot/after" 2>/dev/null && echo "AFTER writable" || echo "AFTER read-only"
grep -q " $slot ext4 ro," /proc/self/mounts && echo "MOUNT ro" || echo "MOUNT rw"
test -e "$slot/written-by-the-playbook" && echo "KEPT yes" || echo "KEPT no"
"""


def scene(tmp_path: Path, command: list[str]) -> list[str]:
    image, slot = tmp_path / "slot.ext4", tmp_path / "slot"
    slot.mkdir()
    subprocess.run(["mkfs.ext4", "-q", "-F", str(image), "16M"], check=True)
    outer = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", SCENE, "sh"]
    done = subprocess.run(
        [*outer, str(slot), str(image), *config_pull.on_writable_root(command, str(slot))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_the_playbook_writes_the_read_only_slot_and_nobody_else_can(tmp_path: Path) -> None:
    slot = tmp_path / "slot"
    # The playbook's stand-in: it writes the slot, and tries to as a process outside its
    # namespace would meanwhile (the test's shell, or a service the playbook restarts).
    playbook = [
        "/bin/sh",
        "-c",
        'echo x > "$0/written-by-the-playbook" && echo "PLAYBOOK wrote"; '
        'nsenter --mount="$OUTSIDE" touch "$0/during" 2>/dev/null && echo "DURING writable" || echo "DURING read-only"',
        str(slot),
    ]
    said = scene(tmp_path, playbook)
    assert said == [
        "BEFORE read-only",
        "PLAYBOOK wrote",
        "DURING read-only",
        "RC 0",
        "AFTER read-only",
        "MOUNT ro",
        "KEPT yes",
    ]


def test_the_playbooks_failure_is_its_exit_code_and_the_slot_is_read_only_again(tmp_path: Path) -> None:
    said = scene(tmp_path, ["/bin/sh", "-c", "exit 3"])
    assert "RC 3" in said and "AFTER read-only" in said


def test_a_read_only_mount_is_seen_as_such(tmp_path: Path) -> None:
    """As `apply` asks before it wraps the playbook; inside the wrapper, the slot is writable."""
    probe = [
        sys.executable,
        "-c",
        "from appliance.lane import config_pull as c; import sys; print(c.read_only(sys.argv[1]))",
    ]
    said = scene(tmp_path, [*probe, str(tmp_path / "slot")])
    assert said[1:3] == ["False", "RC 0"]
    outside = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--",
            "/bin/sh",
            "-c",
            'mount -o loop "$1" "$2" && mount -o remount,ro "$2" && shift 2 && exec "$@"',
            "sh",
            str(tmp_path / "slot.ext4"),
            str(tmp_path / "slot"),
            *probe,
            str(tmp_path / "slot"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert outside.stdout == "True\n", outside.stderr
    assert config_pull.read_only(str(tmp_path)) is False
