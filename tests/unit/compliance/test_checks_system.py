"""dpkg status, systemd units and sysctl.d, read as the target would at boot."""

from __future__ import annotations

from appliance.security.compliance.model import Status

from .conftest import Root


def test_packages_from_dpkg_status(root: Root) -> None:
    root.packages("nftables", "auditd")
    root.packages("openssh-server", status="deinstall ok config-files")  # removed, config left: not installed
    root.packages("x11vnc", status="install reinstreq half-installed")  # files on disk: counts
    assert root.check({"type": "package_installed", "name": ["nftables", "auditd"]}).status is Status.PASS
    assert root.check({"type": "package_absent", "name": "openssh-server"}).status is Status.PASS
    outcome = root.check({"type": "package_absent", "name": ["openssh-server", "x11vnc"]})
    assert outcome.status is Status.FAIL and outcome.evidence[0].found == "installed: x11vnc 1.0"
    either = root.check({"type": "package_installed", "name": ["clamav", "nftables"], "any": True})
    assert either.status is Status.PASS


def test_missing_dpkg_status_is_an_error(root: Root) -> None:
    outcome = root.check({"type": "package_absent", "name": "openssh-server"})
    assert outcome.status is Status.ERROR


def test_units_enabled_masked_and_not_enabled(root: Root) -> None:
    root.link("/lib", "usr/lib")
    root.write("/usr/lib/systemd/system/nftables.service", "[Unit]\n")
    root.write("/usr/lib/systemd/system/ssh.service", "[Unit]\n")
    root.write("/usr/lib/systemd/system/getty@.service", "[Unit]\n")
    root.link("/etc/systemd/system/sysinit.target.wants/nftables.service", "/lib/systemd/system/nftables.service")
    root.link("/etc/systemd/system/getty.target.wants/getty@tty1.service", "/lib/systemd/system/getty@.service")
    root.link("/etc/systemd/system/ssh.service", "/dev/null")
    assert root.check({"type": "unit_enabled", "unit": "nftables.service"}).status is Status.PASS
    assert root.check({"type": "unit_enabled", "unit": "getty@tty1.service"}).status is Status.PASS
    assert root.check({"type": "unit_masked", "unit": "ssh.service"}).status is Status.PASS
    disabled = root.check({"type": "unit_enabled", "unit": "ssh.service"})
    assert disabled.status is Status.FAIL and disabled.evidence[0].found.startswith("masked")
    absent = root.check({"type": "unit_enabled", "unit": "auditd.service"})
    assert absent.evidence[0].found == "no unit file"
    unmasked = root.check({"type": "unit_masked", "unit": ["ssh.service", "getty@tty1.service"]})
    assert unmasked.status is Status.FAIL
    assert root.check({"type": "unit_not_enabled", "unit": "nftables.service"}).status is Status.FAIL
    assert root.check({"type": "unit_not_enabled", "unit": "ssh.service"}).status is Status.PASS


def test_sysctl_order_last_file_wins_and_etc_hides_vendor(root: Root) -> None:
    root.write("/usr/lib/sysctl.d/50-default.conf", "kernel.sysrq = 0x01b6\nnet.ipv4.ip_forward = 1\n")
    root.write("/etc/sysctl.d/90-comptoir-kiosk.conf", "kernel/sysrq=0\n")
    spec = {"type": "sysctl", "key": "kernel.sysrq", "op": "eq", "value": 0}
    outcome = root.check(spec)
    assert outcome.status is Status.PASS and outcome.evidence[0].where == "/etc/sysctl.d/90-comptoir-kiosk.conf:1"
    root.write("/etc/sysctl.d/99-late.conf", "kernel.sysrq = 1\n")
    assert root.check(spec).status is Status.FAIL
    # A file in /etc with the vendor's name replaces the vendor's file entirely.
    root.write("/etc/sysctl.d/50-default.conf", "# emptied\n")
    assert root.check({"type": "sysctl", "key": "net.ipv4.ip_forward", "op": "eq", "value": 1}).status is Status.FAIL
    root.write("/etc/sysctl.conf", "net.ipv4.ip_forward=1\n")
    root.link("/etc/sysctl.d/99-sysctl.conf", "../sysctl.conf")
    assert root.check({"type": "sysctl", "key": "net.ipv4.ip_forward", "op": "eq", "value": 1}).status is Status.PASS
    unset = root.check({"type": "sysctl", "key": "kernel.kptr_restrict", "op": "ge", "value": 1})
    assert unset.status is Status.FAIL and "kernel's default" in unset.evidence[0].found


def test_accounts_and_users(root: Root) -> None:
    root.users(
        "kiosk:x:1000:1000::/home/kiosk:/usr/sbin/nologin",
        "toor:x:0:0::/root:/bin/bash",
        "shop:x:1001:1001::/home/shop:/bin/bash",
        shadow={"kiosk": "!", "toor": "$y$abc", "shop": ""},
        groups="video:x:44:kiosk\nadmins:x:1001:\n",
    )
    empty = root.check({"type": "accounts", "property": "no_empty_passwords"})
    assert empty.status is Status.FAIL and "shop" in empty.evidence[0].found
    zero = root.check({"type": "accounts", "property": "uid0_only_root"})
    assert zero.status is Status.FAIL and zero.evidence[0].found == "uid 0: root, toor"
    assert root.check({"type": "accounts", "property": "unique_ids"}).status is Status.FAIL
    kiosk = {"type": "user", "user": "kiosk", "locked": True, "shell_nologin": True, "not_in_groups": ["sudo"]}
    assert root.check(kiosk).status is Status.PASS
    root.write("/etc/group", "root:x:0:\nsudo:x:27:kiosk\n")
    outcome = root.check(kiosk)
    assert outcome.status is Status.FAIL and outcome.evidence[-1].found == "member"
    shop = root.check({"type": "user", "user": "shop", "locked": True})
    assert shop.status is Status.FAIL and shop.evidence[-1].found == "empty"
    members = root.check({"type": "accounts", "property": "group_members", "group": "sudo", "allowed": []})
    assert members.status is Status.FAIL and members.evidence[0].found == "members: kiosk"
    assert root.check({"type": "user", "user": "ghost"}).status is Status.FAIL
