"""Live-only checks read /proc of a running host; on an image they are not applicable."""

from __future__ import annotations

from pathlib import Path

from appliance.security.compliance.checks import run_check
from appliance.security.compliance.model import Status
from appliance.security.compliance.target import Target

from .conftest import Root

HEADER = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"


def proc(tmp_path: Path, tcp: list[str], udp: list[str] | None = None) -> Path:
    base = tmp_path / "proc"
    (base / "net").mkdir(parents=True)
    (base / "net/tcp").write_text(HEADER + "".join(f"   0: {line} 00000000:0000 0000 0\n" for line in tcp))
    (base / "net/udp").write_text(HEADER + "".join(f"   0: {line}\n" for line in udp or []))
    return base


def test_not_applicable_on_an_image(root: Root) -> None:
    outcome = root.check({"type": "live_listeners"})
    assert outcome.status is Status.NOT_APPLICABLE
    assert "image root" in outcome.evidence[0].found


def test_loopback_listeners_pass_others_fail(root: Root, tmp_path: Path) -> None:
    # 127.0.0.1:8787 listening (0A), 0.0.0.0:22 listening, 10.0.0.5:443 established (01).
    listening = ["0100007F:2253 00000000:0000 0A", "00000000:0016 00000000:0000 0A", "0500000A:01BB 0100000A:C000 01"]
    target = Target(root=root.path, live=True, proc=proc(tmp_path, listening, ["00000000:0044 00000000:0000 07"]))
    outcome = run_check(target, {"type": "live_listeners", "exceptions": [r"^udp6? \S+:68$"]})
    assert outcome.status is Status.FAIL
    assert [e.found for e in outcome.evidence] == ["listening: tcp 0.0.0.0:22"]
    target = Target(root=root.path, live=True, proc=proc(tmp_path / "b", listening[:1]))
    assert run_check(target, {"type": "live_listeners"}).status is Status.PASS


def test_processes(root: Root, tmp_path: Path) -> None:
    base = tmp_path / "proc"
    for pid, name in ((1, "systemd"), (42, "sshd")):
        (base / str(pid)).mkdir(parents=True)
        (base / str(pid) / "comm").write_text(name + "\n")
    target = Target(root=root.path, live=True, proc=base)
    outcome = run_check(target, {"type": "live_processes_absent", "names": ["sshd", "x11vnc"]})
    assert outcome.status is Status.FAIL and outcome.evidence[0].found == "sshd (pid 42)"


def test_units_running_from_their_cgroups(root: Root, tmp_path: Path) -> None:
    system = tmp_path / "sys/fs/cgroup/system.slice"
    for unit, populated in (("auditd.service", 1), ("ssh.service", 1), ("usbguard.service", 0)):
        (system / unit).mkdir(parents=True)
        (system / unit / "cgroup.events").write_text(f"populated {populated}\nfrozen 0\n")
    target = Target(root=root.path, live=True, sys=tmp_path / "sys")
    spec = {
        "type": "live_units",
        "active": ["auditd.service", "usbguard.service"],
        "inactive": ["ssh.service", "xrdp.service"],
    }
    outcome = run_check(target, spec)
    assert outcome.status is Status.FAIL
    assert [(e.expected, e.found, e.ok) for e in outcome.evidence] == [
        ("auditd.service running", "running", True),
        ("usbguard.service running", "not running", False),
        ("ssh.service not running", "running", False),
        ("xrdp.service not running", "not running", True),
    ]
    assert root.check(spec).status is Status.NOT_APPLICABLE
