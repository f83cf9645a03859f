"""Live-only checks: a running host's listening sockets and processes (from /proc).

They are `not_applicable` on an image root: nothing runs there to listen."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from appliance.security.compliance.checks.base import REGEX, as_list, check
from appliance.security.compliance.model import Evidence, Outcome, Status
from appliance.security.compliance.target import Target

_LISTEN = "0A"  # TCP_LISTEN in /proc/net/tcp's st column


def _address(hex_addr: str) -> str:
    """An address of /proc/net/tcp{,6} (little-endian 32-bit words) as text."""
    raw = bytes.fromhex(hex_addr)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def listeners(proc: Path) -> list[tuple[str, str, int]]:
    """(protocol, address, port) of TCP listeners and bound UDP sockets."""
    found: list[tuple[str, str, int]] = []
    for name in ("tcp", "tcp6", "udp", "udp6"):
        path = proc / "net" / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) < 4:
                continue
            local, state = fields[1], fields[3]
            if name.startswith("tcp") and state != _LISTEN:
                continue
            if name.startswith("udp") and fields[2].split(":")[0].strip("0") != "":
                continue  # a connected UDP socket is not waiting for strangers
            addr, _, port = local.partition(":")
            found.append((name, _address(addr), int(port, 16)))
    return found


@check("live_listeners", {"exceptions": {"type": "array", "items": REGEX}}, [], live_only=True)
def live_listeners(target: Target, p: Mapping[str, Any]) -> Outcome:
    """Nothing listens beyond loopback (exceptions: regexes on "proto address:port", e.g. DHCP)."""
    patterns = [re.compile(e) for e in p.get("exceptions", [])]
    expected = "listeners on loopback only"
    outcome = Outcome(Status.PASS)
    sockets = listeners(target.proc)
    for proto, addr, port in sockets:
        shown = f"{proto} {addr}:{port}"
        ip = ipaddress.ip_address(addr)
        mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
        if ip.is_loopback or (mapped is not None and mapped.is_loopback):
            continue
        if any(pt.search(shown) for pt in patterns):
            continue
        outcome.add(str(target.proc / "net"), expected, f"listening: {shown}", False)
    if outcome.status is Status.PASS:
        outcome.evidence.append(
            Evidence(str(target.proc / "net"), expected, f"{len(sockets)} socket(s), none exposed", True)
        )
    return outcome


@check(
    "live_processes_absent",
    {"names": {"type": "array", "items": {"type": "string"}, "minItems": 1}},
    ["names"],
    live_only=True,
)
def live_processes_absent(target: Target, p: Mapping[str, Any]) -> Outcome:
    """No running process has one of these names (sshd, x11vnc, xrdp…)."""
    banned = set(as_list(p["names"]))
    expected = f"no process named {', '.join(sorted(banned))}"
    running: list[str] = []
    for entry in target.proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            name = (entry / "comm").read_text().strip()
        except OSError:
            continue  # the process ended while we looked
        if name in banned:
            running.append(f"{name} (pid {entry.name})")
    return Outcome.verdict(not running, str(target.proc), expected, ", ".join(running) or "none running")


@check(
    "live_units",
    {
        "active": {"type": "array", "items": {"type": "string"}},
        "inactive": {"type": "array", "items": {"type": "string"}},
    },
    [],
    live_only=True,
)
def live_units(target: Target, p: Mapping[str, Any]) -> Outcome:
    """Services with processes running now (or not), from their cgroup: systemd puts each
    service in /sys/fs/cgroup/system.slice/UNIT, whose cgroup.events says `populated 1`
    while a process lives there. systemd's /run/systemd/units files are not an API."""
    slice_dir = target.sys / "fs/cgroup/system.slice"
    outcome = Outcome(Status.PASS)
    wanted = [(u, True) for u in p.get("active", [])] + [(u, False) for u in p.get("inactive", [])]
    for unit, want in wanted:
        events = slice_dir / unit / "cgroup.events"
        try:
            running = "populated 1" in events.read_text()
        except FileNotFoundError:
            running = False
        expected = f"{unit} {'running' if want else 'not running'}"
        outcome.add(str(events), expected, "running" if running else "not running", running == want)
    return outcome
