"""A faithful stand-in for RAUC 1.8's command line at the edge of the update tests, written
to a bin folder put first on PATH: `rauc status --detailed --output-format=json` prints the
JSON shape RAUC 1.8 prints for the slots in a state file, `rauc install BUNDLE` records its
arguments and writes the bundle's version into the slot that is not booted (and makes it
the one to boot), or fails as RAUC does on a bad signature. `shutdown` records its arguments.

The bundle files of the tests start with a line `comptoir-bundle version=V` (RAUC reads the
version from the bundle's manifest; this reads it from that line)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

RAUC = r"""#!{python}
import json, os, sys
state_path = os.environ["FAKE_RAUC_STATE"]
with open(state_path) as fh:
    state = json.load(fh)
state.setdefault("calls", []).append(sys.argv[1:])
def save():
    with open(state_path, "w") as fh:
        json.dump(state, fh)
args = sys.argv[1:]
if args[:1] == ["status"]:
    slots = []
    for name, slot in sorted(state["slots"].items()):
        entry = {{"class": "rootfs", "device": "/dev/vda" + str(int(name[-1]) + 2), "type": "ext4",
                 "bootname": slot["bootname"], "state": "booted" if name == state["booted"] else "inactive",
                 "parent": None, "mountpoint": "/" if name == state["booted"] else None,
                 "boot_status": "good"}}
        if slot.get("version"):
            entry["slot_status"] = {{
                "bundle": {{"compatible": state["compatible"], "version": slot["version"],
                            "description": None, "build": None, "hash": None}},
                "checksum": {{"sha256": "0" * 64, "size": 1024}},
                "installed": {{"transaction": None, "timestamp": "2026-12-06T03:00:00Z", "count": 1}},
                "activated": {{"timestamp": "2026-12-06T03:00:01Z", "count": 1}},
                "status": "ok"}}
        slots.append({{name: entry}})
    booted = state["slots"][state["booted"]]["bootname"]
    print(json.dumps({{"compatible": state["compatible"], "variant": "", "booted": booted,
                      "boot_primary": state["primary"], "slots": slots}}))
    save()
elif args[:1] == ["install"] and len(args) == 2:
    save()
    if state.get("refuse_install"):
        print("LastError: signature verification failed: bad signature", file=sys.stderr)
        sys.exit(1)
    with open(args[1], "rb") as fh:
        first = fh.readline().decode()
    version = first.split("version=", 1)[1].strip()
    other = next(n for n in state["slots"] if n != state["booted"])
    state["slots"][other]["version"] = version
    state["primary"] = other
    save()
    print("installing: 100% Installing done.")
else:
    print("rauc: unknown command " + " ".join(args), file=sys.stderr)
    sys.exit(1)
"""

SHUTDOWN = r"""#!{python}
import json, os, sys
with open(os.environ["FAKE_SHUTDOWN_LOG"], "a") as fh:
    fh.write(json.dumps(sys.argv[1:]) + "\n")
"""


class FakeRauc:
    def __init__(self, root: Path, running: str = "1.0") -> None:
        self.bin = root / "bin"
        self.bin.mkdir(parents=True)
        self.state_path = root / "rauc-state.json"
        self.shutdown_log = root / "shutdown.log"
        for name, text in (("rauc", RAUC), ("shutdown", SHUTDOWN)):
            path = self.bin / name
            path.write_text(text.format(python=sys.executable))
            path.chmod(0o755)
        self.write(
            {
                "compatible": "comptoir-amd64",
                "booted": "rootfs.0",
                "primary": "rootfs.0",
                "slots": {"rootfs.0": {"bootname": "A", "version": running}, "rootfs.1": {"bootname": "B"}},
                "calls": [],
            }
        )

    def env(self) -> dict[str, str]:
        return {
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "FAKE_RAUC_STATE": str(self.state_path),
            "FAKE_SHUTDOWN_LOG": str(self.shutdown_log),
        }

    def state(self) -> dict[str, Any]:
        return dict(json.loads(self.state_path.read_text()))

    def write(self, state: dict[str, Any]) -> None:
        self.state_path.write_text(json.dumps(state))

    def installs(self) -> list[list[str]]:
        return [c for c in self.state()["calls"] if c[:1] == ["install"]]

    def reboots(self) -> list[list[str]]:
        if not self.shutdown_log.exists():
            return []
        return [json.loads(line) for line in self.shutdown_log.read_text().splitlines()]

    def boot(self, *, good: bool = True) -> None:
        """The box reboots: into the slot RAUC made primary, or (its health check failed three
        times) back into the one it came from."""
        state = self.state()
        if good:
            state["booted"] = state["primary"]
        else:
            state["primary"] = state["booted"]
        self.write(state)


def bundle(folder: Path, version: str, size: int = 300_000) -> Path:
    """A bundle file as the tests' fake RAUC reads it: its version line, then filler."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"comptoir-{version}.raucb"
    head = f"comptoir-bundle version={version}\n".encode()
    path.write_bytes(head + bytes((i * 7) % 251 for i in range(size - len(head))))
    return path
