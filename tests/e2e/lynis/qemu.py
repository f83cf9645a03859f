"""Lynis inside the image as a box boots it: the built disk under qemu (its own kernel, its own
sysctls, auditd running), Lynis run from a second drive, its report read back.

Under nspawn (tests/e2e/lynis/booted.py) Lynis reads the host's kernel; here it reads the
guest's. Nothing in the image changes: a sparse copy of the disk gets, in its root, the A/B test
unit's script (comptoir-abtest, switched on by `comptoir.abtest` on the command line) replaced by
a hook that mounts the second drive and runs its script (written with debugfs, nothing mounted).
The host's Lynis is copied onto that drive, with the script: wait for the boot to settle, run
`lynis audit system --quick`, power off. The kiosk window and AIDE's first baseline are masked,
as in the other image tests (under TCG they take the CPU the boot needs).

`python -m tests.e2e.lynis.qemu [BUILD [OUT]]` (build/image and test-artifacts/lynis-qemu by
default) prints the index, the tests run and the suggestions. Under TCG on 2 cores it takes
half an hour or more, so it is a measurement, not a test the suite runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.e2e.image.vm import MASK_AIDE, qemu_command
from tests.e2e.lynis.booted import LynisReport

REPO = Path(__file__).resolve().parents[3]
HOOK = "#!/bin/sh\n# The Lynis measurement's hook (tests/e2e/lynis/qemu.py).\nmount /dev/vdb /mnt && exec /mnt/go.sh\n"
GO = """#!/bin/sh
exec > /mnt/go.log 2>&1
echo "go: started $(date)"
timeout 300 systemctl is-system-running --wait
systemctl --failed --no-legend
echo "go: lynis $(date)"
cd /mnt/lynis
./lynis audit system --quick --no-colors --logfile /mnt/lynis.log --report-file /mnt/report.dat > /mnt/output.txt 2>&1
echo "go: done rc=$? $(date)"
cd /
sync
umount /mnt || sync
systemctl poweroff
"""
TIMEOUT = 3 * 3600
MIB = 1024 * 1024


def _run(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    return subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)


def _hook_root(disk: Path, layout: dict[str, int], work: Path) -> None:
    """Replaces comptoir-abtest in the copy's root partition with the hook (debugfs on a copy
    of the partition, written back in place)."""
    part, hook = work / "root.ext4", work / "hook.sh"
    hook.write_text(HOOK)
    offset, size = layout["root_offset"] // MIB, layout["root_size"] // MIB
    _run(["dd", f"if={disk}", f"of={part}", "bs=1M", f"skip={offset}", f"count={size}", "conv=sparse", "status=none"])
    target = "/usr/local/sbin/comptoir-abtest"
    script = work / "hook.debugfs"
    script.write_text(f"rm {target}\nwrite {hook} {target}\nsif {target} mode 0100755\n")
    _run(["debugfs", "-w", "-f", str(script), str(part)])
    written = _run(["debugfs", "-R", f"cat {target}", str(part)]).stdout
    if "lynis/qemu.py" not in written:
        raise RuntimeError("the hook did not land in the copy's root")
    _run(["dd", f"if={part}", f"of={disk}", "bs=1M", f"seek={offset}", "conv=notrunc,sparse", "status=none"])
    part.unlink()


def _lynis_drive(work: Path) -> Path:
    tree = work / "drive"
    shutil.rmtree(tree, ignore_errors=True)
    (tree / "lynis").mkdir(parents=True)
    shutil.copy2("/usr/sbin/lynis", tree / "lynis/lynis")
    for part in ("include", "db"):
        shutil.copytree(f"/usr/share/lynis/{part}", tree / "lynis" / part)
    shutil.copytree("/etc/lynis/plugins", tree / "lynis/plugins")
    shutil.copy2("/etc/lynis/default.prf", tree / "lynis/default.prf")
    (tree / "go.sh").write_text(GO)
    (tree / "go.sh").chmod(0o755)
    # Lynis refuses include files others can write or that root does not own.
    _run(["chown", "-R", "root:root", str(tree)])
    _run(["chmod", "-R", "go-w", str(tree)])
    drive = work / "lynis.ext4"
    drive.unlink(missing_ok=True)
    with open(drive, "wb") as f:
        f.truncate(300 * MIB)
    _run(["mkfs.ext4", "-q", "-d", str(tree), str(drive)])
    return drive


def _read(drive: Path, name: str) -> str:
    return _run(["debugfs", "-R", f"cat /{name}", str(drive)]).stdout


def measure(build: Path, out: Path) -> LynisReport:
    layout = json.loads((build / "disk/layout.json").read_text())
    work = out / "work"
    work.mkdir(parents=True, exist_ok=True)
    disk = work / "disk.img"
    _run(["cp", "--sparse=always", str(build / "disk/comptoir.img"), str(disk)])
    _hook_root(disk, layout, work)
    esp = f"{disk}@@{layout['esp_offset']}"
    kernel, initrd = work / "vmlinuz", work / "initrd.img"
    _run(["mcopy", "-o", "-i", esp, "::/comptoir/vmlinuz", str(kernel)])
    _run(["mcopy", "-o", "-i", esp, "::/comptoir/initrd.img", str(initrd)])
    drive = _lynis_drive(work)
    options = f"{layout['options']} comptoir.abtest {MASK_AIDE} systemd.mask=comptoir-kiosk.service"
    command = qemu_command(disk, None, out / "console.log", kernel=(kernel, initrd, options))
    command += ["-drive", f"if=virtio,format=raw,file={drive}"]
    started = time.monotonic()
    subprocess.run(command, check=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    seconds = time.monotonic() - started
    for name in ("go.log", "output.txt", "lynis.log", "report.dat"):
        (out / name).write_text(_read(drive, name))
    report = (out / "report.dat").read_text()
    if "hardening_index=" not in report:
        raise RuntimeError(f"Lynis wrote no report: see {out / 'go.log'} and {out / 'output.txt'}")
    shutil.rmtree(work)
    return LynisReport.parse(report, seconds)


def main(argv: list[str]) -> int:
    if len(argv) > 2:
        print("usage: python -m tests.e2e.lynis.qemu [BUILD [OUT]]", file=sys.stderr)
        return 2
    build = Path(argv[0] if argv else REPO / "build/image").resolve()
    out = Path(argv[1] if len(argv) > 1 else REPO / "test-artifacts/lynis-qemu").resolve()
    if not (build / "disk/layout.json").exists():
        print(f"no built image in {build}: run `make image` first", file=sys.stderr)
        return 2
    missing = [t for t in ("qemu-system-x86_64", "debugfs", "mcopy", "mkfs.ext4", "lynis") if shutil.which(t) is None]
    if missing:
        print(f"{', '.join(missing)} missing: run `make system-deps`", file=sys.stderr)
        return 2
    report = measure(build, out)
    figures = f"{report.index} ({report.tests} tests, {report.seconds:.0f} s)"
    print(f"Lynis hardening index inside the qemu-booted image: {figures}")
    for line in report.warnings:
        print(f"warning    {line}")
    for line in report.suggestions:
        print(f"suggestion {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
