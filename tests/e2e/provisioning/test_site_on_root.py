"""site.yml applied to a bare debootstrap root: every role's promises hold, a
second run changes nothing, and check mode reports no change.

The tests share one provisioned root (session fixture) and run in file order:
promises first, then the second run, then check mode.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from appliance.security.compliance.checks.sysctl import boot_values
from appliance.security.compliance.target import Target

from .roots import CLAMAV_MIRROR, GATEWAY, HEAD_OFFICE, Provisioned
from .helpers import REPO, installed_packages, processes_in_root, run_playbook

pytestmark = pytest.mark.slow


def _host_network_sysctls() -> list[str]:
    names = ("conf/all/rp_filter", "conf/all/accept_redirects", "conf/all/log_martians")
    return [Path("/proc/sys/net/ipv4", name).read_text().strip() for name in names]


# Read as this module loads, before the session's provisioning run.
HOST_NETWORK_SYSCTLS = _host_network_sysctls()


def read(root: Path, path: str) -> str:
    return (root / path.lstrip("/")).read_text()


def rules(root: Path, path: str) -> str:
    """The file without its comment lines."""
    return "\n".join(line for line in read(root, path).splitlines() if not line.lstrip().startswith("#"))


def enabled(root: Path, unit: str) -> bool:
    """systemctl enable made a link for the unit in some *.wants folder."""
    # The links point into the root's /lib: test the link itself, not its target.
    return any((wants / unit).is_symlink() for wants in (root / "etc/systemd/system").glob("*.wants"))


def masked(root: Path, unit: str) -> bool:
    link = root / "etc/systemd/system" / unit
    return link.is_symlink() and os.readlink(link) == "/dev/null"


def shadow_entry(root: Path, user: str) -> list[str]:
    for line in read(root, "/etc/shadow").splitlines():
        if line.split(":", 1)[0] == user:
            return line.split(":")
    raise AssertionError(f"{user} not in /etc/shadow")


def passwd_entry(root: Path, user: str) -> list[str]:
    for line in read(root, "/etc/passwd").splitlines():
        if line.split(":", 1)[0] == user:
            return line.split(":")
    raise AssertionError(f"{user} not in /etc/passwd")


def group_members(root: Path, group: str) -> list[str]:
    for line in read(root, "/etc/group").splitlines():
        fields = line.split(":")
        if fields[0] == group:
            return [m for m in fields[3].split(",") if m]
    return []


def test_first_run_succeeds_and_starts_nothing(provisioned: Provisioned) -> None:
    run = provisioned.first
    assert run.returncode == 0, run.tail()
    assert run.recap.get("failed", 0) == 0, run.tail()
    assert run.recap.get("changed", 0) > 0
    assert processes_in_root(provisioned.root) == [], "a process runs inside the root"
    assert not (provisioned.root / "proc/self").exists(), "/proc is mounted in the root"


def test_kiosk_base(provisioned: Provisioned) -> None:
    root = provisioned.root
    packages = installed_packages(root)
    for package in ("systemd", "systemd-sysv", "systemd-timesyncd", "udev", "locales"):
        assert package in packages, package
    assert read(root, "/etc/hostname") == "kiosk-under-test\n"
    assert os.readlink(root / "etc/localtime") == "/usr/share/zoneinfo/Etc/UTC"
    assert "LANG=en_US.UTF-8" in read(root, "/etc/default/locale")
    assert (root / "usr/lib/locale/locale-archive").exists()
    timesyncd = read(root, "/etc/systemd/timesyncd.conf.d/50-comptoir.conf")
    assert f"NTP={GATEWAY}" in timesyncd
    assert enabled(root, "systemd-timesyncd.service")
    assert "Storage=persistent" in read(root, "/etc/systemd/journald.conf.d/50-comptoir.conf")
    assert (root / "var/log/journal").is_dir()
    # A bare root has no ifupdown stanza: dhcpcd brings the network up, keeping our host name.
    assert "dhcpcd" in packages
    assert enabled(root, "dhcpcd.service")
    dhcpcd = rules(root, "/etc/dhcpcd.conf").split("\n")
    assert "allowinterfaces en* eth* wl*" in dhcpcd and "noipv4ll" in dhcpcd
    assert not any("host_name" in line for line in dhcpcd)
    assert (root / "etc/resolv.conf").is_file()


def test_updates(provisioned: Provisioned) -> None:
    root = provisioned.root
    assert "unattended-upgrades" in installed_packages(root)
    assert not (root / "etc/apt/sources.list").exists()
    sources = read(root, "/etc/apt/sources.list.d/debian.sources")
    assert "Suites: bookworm-security" in sources
    assert sources.count("Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg") == 2
    assert 'AllowUnauthenticated "false"' in read(root, "/etc/apt/apt.conf.d/50comptoir-signed")
    assert 'Unattended-Upgrade "1"' in read(root, "/etc/apt/apt.conf.d/20auto-upgrades")
    unattended = read(root, "/etc/apt/apt.conf.d/52comptoir-unattended-upgrades")
    assert "label=Debian-Security" in unattended
    window = read(root, "/etc/systemd/system/apt-daily-upgrade.timer.d/50-comptoir.conf")
    assert "OnCalendar=*-*-* 03:00" in window
    assert enabled(root, "apt-daily-upgrade.timer")


def test_accounts(provisioned: Provisioned) -> None:
    root = provisioned.root
    faillock = read(root, "/etc/security/faillock.conf")
    assert re.search(r"^deny = 10$", faillock, re.M)
    assert re.search(r"^unlock_time = 1800$", faillock, re.M)
    assert re.search(r"^minlen = 12$", read(root, "/etc/security/pwquality.conf"), re.M)
    auth = rules(root, "/etc/pam.d/common-auth")
    assert "pam_faillock.so preauth" in auth
    assert "pam_faillock.so authfail" in auth
    assert "nullok" not in auth
    assert "pam_faillock.so" in read(root, "/etc/pam.d/common-account")
    password = rules(root, "/etc/pam.d/common-password")
    assert "pam_pwquality.so" in password
    assert "pam_pwhistory.so remember=4" in password
    assert "nullok" not in password
    assert "TMOUT=900" in read(root, "/etc/profile.d/comptoir-timeout.sh")
    for line in read(root, "/etc/shadow").splitlines():
        assert line.split(":")[1] != "", f"empty password: {line.split(':')[0]}"
    assert (root / "usr/lib/x86_64-linux-gnu/security/pam_faillock.so").exists()
    assert (root / "usr/lib/x86_64-linux-gnu/security/pam_pwquality.so").exists()


def test_no_remote_access(provisioned: Provisioned) -> None:
    root = provisioned.root
    packages = installed_packages(root)
    for package in ("openssh-server", "x11vnc", "xrdp", "telnetd", "avahi-daemon"):
        assert package not in packages, package
    for unit in ("ssh.service", "ssh.socket", "xrdp.service"):
        assert masked(root, unit), unit


def test_firewall(provisioned: Provisioned) -> None:
    root = provisioned.root
    assert "nftables" in installed_packages(root)
    ruleset = read(root, "/etc/nftables.conf")
    for hook in ("input", "output", "forward"):
        assert re.search(rf"type filter hook {hook} priority filter; policy drop;", ruleset), hook
    assert 'log prefix "comptoir-drop out: "' in ruleset
    assert f"ip daddr {GATEWAY} tcp dport {{ 443 }} accept" in ruleset
    assert f"ip daddr {HEAD_OFFICE} tcp dport {{ 8443 }} accept" in ruleset
    assert enabled(root, "nftables.service")
    # Written for systemd-sysctl at boot; the build host's kernel is left alone.
    network = rules(root, "/etc/sysctl.d/60-comptoir-network.conf").split("\n")
    for setting in (
        "net.ipv4.conf.all.rp_filter = 1",
        "net.ipv4.conf.all.accept_redirects = 0",
        "net.ipv4.conf.default.log_martians = 1",
    ):
        assert setting in network, setting
    assert _host_network_sysctls() == HOST_NETWORK_SYSCTLS, "provisioning a root changed this machine's kernel"


def test_usb(provisioned: Provisioned) -> None:
    root = provisioned.root
    assert "usbguard" in installed_packages(root)
    rules = root / "etc/usbguard/rules.conf"
    assert rules.stat().st_mode & 0o777 == 0o600
    assert 'allow id 04b8:0202 label "receipt printer"' in rules.read_text()
    assert "ImplicitPolicyTarget=block" in read(root, "/etc/usbguard/usbguard-daemon.conf")
    assert enabled(root, "usbguard.service")
    modprobe = read(root, "/etc/modprobe.d/comptoir-usb.conf")
    for module in ("usb_storage", "bluetooth"):
        assert f"install {module} /bin/false" in modprobe


def test_hardening(provisioned: Provisioned) -> None:
    root = provisioned.root
    assert re.search(r"^\* hard core 0$", read(root, "/etc/security/limits.d/10-comptoir-core.conf"), re.M)
    coredump = read(root, "/etc/systemd/coredump.conf.d/50-comptoir.conf")
    assert "Storage=none" in coredump and "ProcessSizeMax=0" in coredump
    sysctls = read(root, "/etc/sysctl.d/70-comptoir-hardening.conf")
    for line in ("fs.suid_dumpable = 0", "kernel.kptr_restrict = 2", "kernel.unprivileged_bpf_disabled = 1"):
        assert line in sysctls
    # What systemd-sysctl sets at boot, every file in its order: procps's 99-protect-links.conf
    # no longer takes fs.protected_fifos back to 1.
    at_boot = boot_values(Target(root=root))
    for key, value in (("fs.protected_fifos", "2"), ("fs.protected_regular", "2"), ("kernel.kptr_restrict", "2")):
        assert at_boot[key][0] == value, (key, at_boot[key])
    filesystems = read(root, "/etc/modprobe.d/comptoir-filesystems.conf")
    for filesystem in ("freevxfs", "hfs", "hfsplus", "jffs2", "udf"):
        assert f"install {filesystem} /bin/true" in filesystems
    assert "squashfs" not in rules(root, "/etc/modprobe.d/comptoir-filesystems.conf")  # RAUC's bundles
    protocols = read(root, "/etc/modprobe.d/comptoir-protocols.conf")
    for protocol in ("dccp", "sctp", "rds", "tipc"):
        assert f"install {protocol} /bin/true" in protocols
    assert "authorised staff only" in read(root, "/etc/issue")
    packages = installed_packages(root)
    assert {"debsums", "apt-show-versions", "acct", "sysstat", "libpam-tmpdir"} <= packages
    # needrestart would bring binutils: no assembler or linker on the till.
    assert not {"needrestart", "binutils"} & packages
    assert enabled(root, "acct.service")
    assert 'ENABLED="true"' in read(root, "/etc/default/sysstat")
    assert re.search(r"^session\s+optional\s+pam_tmpdir\.so$", read(root, "/etc/pam.d/common-session"), re.M)
    assert re.search(r"^SHA_CRYPT_MIN_ROUNDS\s+65536$", read(root, "/etc/login.defs"), re.M)


def test_pos_app(provisioned: Provisioned) -> None:
    root = provisioned.root
    user = passwd_entry(root, "comptoir")
    assert int(user[2]) < 1000, "comptoir is not a system user"
    assert user[6] == "/usr/sbin/nologin"
    assert (root / "opt/comptoir/bin/comptoir").exists()
    version = subprocess.run(
        [
            "chroot",
            str(root),
            "/opt/comptoir/bin/python",
            "-c",
            "import importlib.metadata as m, appliance; print(m.version('comptoir'))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )
    assert version.stdout.strip() == "0.1.0"
    unit = read(root, "/etc/systemd/system/comptoir.service")
    for line in (
        "User=comptoir",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "StateDirectory=comptoir",
        "LoadCredentialEncrypted=comptoir-store-key:/etc/credstore.encrypted/comptoir-store-key",
        "LoadCredentialEncrypted=comptoir-vault-key:/etc/credstore.encrypted/comptoir-vault-key",
        "LoadCredentialEncrypted=comptoir-audit-key:/etc/credstore.encrypted/comptoir-audit-key",
        "ExecStart=/opt/comptoir/bin/comptoir serve --data-dir /var/lib/comptoir --host 127.0.0.1 --port 8787",
    ):
        assert line in unit.splitlines(), line
    assert enabled(root, "comptoir.service")
    assert enabled(root, "comptoir-store-key.service")
    assert "systemd-creds encrypt" in read(root, "/usr/local/sbin/comptoir-store-key")
    assert 'make_key comptoir-vault-key "$vault_file"' in read(root, "/usr/local/sbin/comptoir-store-key")
    assert 'make_key comptoir-audit-key "$audit_file"' in read(root, "/usr/local/sbin/comptoir-store-key")
    assert not (root / "etc/credstore.encrypted/comptoir-store-key").exists(), (
        "the key must be made on the box at first boot, not baked into the root"
    )
    udev = read(root, "/etc/udev/rules.d/70-comptoir-devices.rules")
    assert 'ATTR{idVendor}=="04b8", ATTR{idProduct}=="0202"' in udev
    assert 'GROUP="comptoir"' in udev
    if shutil.which("systemd-analyze"):
        security = subprocess.run(
            ["systemd-analyze", "security", "--offline=yes", f"--root={root}", "comptoir.service"],
            capture_output=True,
            text=True,
            check=False,
        )
        found = re.search(r"Overall exposure level for comptoir.service: ([0-9.]+)", security.stdout)
        assert found, security.stdout[-2000:] + security.stderr
        assert float(found.group(1)) < 2.5, security.stdout[-3000:]


def test_kiosk_session(provisioned: Provisioned) -> None:
    root = provisioned.root
    assert "cage" in installed_packages(root)
    assert shadow_entry(root, "kiosk")[1].startswith("!"), "kiosk password is not locked"
    assert passwd_entry(root, "kiosk")[6] == "/usr/sbin/nologin"
    assert "kiosk" not in group_members(root, "sudo")
    assert not any("kiosk" in p.read_text() for p in (root / "etc/sudoers.d").glob("*"))
    unit = read(root, "/etc/systemd/system/comptoir-kiosk.service")
    assert "ExecStart=/usr/bin/cage -d -- /opt/comptoir/bin/comptoir run" in unit.splitlines()
    assert " -s " not in unit, "cage -s would allow VT switching"
    for line in ("User=kiosk", "Restart=always", "TTYPath=/dev/tty1", "PAMName=comptoir-kiosk"):
        assert line in unit.splitlines(), line
    assert enabled(root, "comptoir-kiosk.service")
    assert os.readlink(root / "etc/systemd/system/default.target").endswith("graphical.target")
    for unit_name in [f"getty@tty{n}.service" for n in range(1, 7)] + ["ctrl-alt-del.target"]:
        assert masked(root, unit_name), unit_name
    assert "NAutoVTs=0" in read(root, "/etc/systemd/logind.conf.d/50-comptoir-kiosk.conf")
    assert "CtrlAltDelBurstAction=none" in read(root, "/etc/systemd/system.conf.d/50-comptoir-kiosk.conf")
    assert read(root, "/etc/sysctl.d/90-comptoir-kiosk.conf").split() == ["kernel.sysrq=0"]
    assert "consoleblank - - - - 0" in read(root, "/etc/tmpfiles.d/comptoir-consoleblank.conf")


def test_audit(provisioned: Provisioned) -> None:
    root = provisioned.root
    packages = installed_packages(root)
    for package in ("auditd", "aide", "clamav", "clamav-freshclam"):
        assert package in packages, package
    rules = read(root, "/etc/audit/rules.d/50-comptoir.rules")
    for key in ("identity", "logins", "time-change", "perm_mod", "modules", "comptoir"):
        assert f"-k {key}" in rules, key
    assert "-w /var/lib/comptoir -p wa -k comptoir" in rules
    assert rules.rstrip().endswith("-e 2")
    assert enabled(root, "auditd.service")
    assert f"PrivateMirror {CLAMAV_MIRROR}" in read(root, "/etc/clamav/freshclam.conf").splitlines()
    assert enabled(root, "clamav-freshclam.service")
    assert enabled(root, "comptoir-aide-check.timer")
    assert "OnCalendar=Sun *-*-* 02:30" in read(root, "/etc/systemd/system/comptoir-aide-check.timer")
    assert not enabled(root, "dailyaidecheck.timer")
    # One named hash, set before the first-boot baseline (Debian's `H` would be every hash).
    assert [line for line in read(root, "/etc/aide/aide.conf").splitlines() if line.startswith("Checksums")] == [
        "Checksums = sha512"
    ]
    assert enabled(root, "comptoir-clamscan.timer")
    assert not any((root / "var/lib/clamav").glob("*.c[lv]d")), "no signature download in a test"


def test_compliance(provisioned: Provisioned) -> None:
    root = provisioned.root

    def names(folder: Path) -> list[str]:
        return sorted(p.name for p in folder.glob("*.y*ml"))

    policies = names(REPO / "policies")
    deployed = names(root / "etc/comptoir/policies")
    assert deployed == policies
    assert enabled(root, "comptoir-compliance.timer") == bool(policies)
    if policies:
        unit = read(root, "/etc/systemd/system/comptoir-compliance.service")
        assert "comptoir compliance scan --root /" in unit


def test_second_run_changes_nothing(provisioned: Provisioned) -> None:
    run = run_playbook(provisioned.inventory)
    assert run.returncode == 0, run.tail()
    assert run.recap.get("changed") == 0, f"changed: {run.changed_tasks()}\n{run.tail()}"
    assert processes_in_root(provisioned.root) == []


def test_check_mode_reports_no_change(provisioned: Provisioned) -> None:
    run = run_playbook(provisioned.inventory, "--check")
    assert run.returncode == 0, run.tail()
    assert run.recap.get("changed") == 0, f"changed: {run.changed_tasks()}\n{run.tail()}"
