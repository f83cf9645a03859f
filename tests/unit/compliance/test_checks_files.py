"""Files: presence, mode, owner, contents and settings."""

from __future__ import annotations

from appliance.security.compliance.model import Status

from .conftest import Root


def test_present_absent_and_kind(root: Root) -> None:
    root.write("/etc/nftables.conf", "x")
    root.link("/etc/localtime", "/usr/share/zoneinfo/UTC")
    assert root.check({"type": "file_present", "path": "/etc/nftables.conf", "kind": "file"}).status is Status.PASS
    assert root.check({"type": "file_present", "path": "/etc/nftables.conf", "kind": "dir"}).status is Status.FAIL
    assert root.check({"type": "file_present", "path": "/etc/localtime", "kind": "link"}).status is Status.PASS
    assert root.check({"type": "file_present", "path": "/etc/missing"}).status is Status.FAIL
    absent = root.check({"type": "file_absent", "path": "/etc/*.conf"})
    assert absent.status is Status.FAIL and "/etc/nftables.conf" in absent.evidence[0].found


def test_mode_reports_the_extra_bits(root: Root) -> None:
    root.write("/etc/credstore/comptoir-store-key", "k", mode=0o644)
    outcome = root.check({"type": "file_mode", "path": "/etc/credstore/*", "max_mode": "0600"})
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0].found == "mode 0644 (extra 0044)"
    root.host("/etc/credstore/comptoir-store-key").chmod(0o600)
    assert root.check({"type": "file_mode", "path": "/etc/credstore/*", "max_mode": "0600"}).status is Status.PASS
    missing = {"type": "file_mode", "path": "/nothing/*", "max_mode": "0600"}
    assert root.check(missing).status is Status.FAIL
    assert root.check({**missing, "missing": "pass"}).status is Status.PASS


def test_owner_names_come_from_the_roots_passwd(root: Root) -> None:
    root.users("comptoir:x:0:0::/:/usr/sbin/nologin")  # uid 0 is called root first in this passwd
    root.write("/etc/x", "x")
    outcome = root.check({"type": "file_owner", "path": "/etc/x", "owner": "root", "group": "root"})
    assert outcome.status is Status.PASS, outcome.evidence


def test_contains_and_not_contains_give_the_line(root: Root) -> None:
    root.write("/etc/pam.d/common-auth", "# nullok in a comment\nauth [success=1] pam_unix.so nullok\n")
    hit = root.check(
        {"type": "file_not_contains", "path": "/etc/pam.d/common-*", "pattern": r"^[^#]*pam_unix\.so.*\bnullok"}
    )
    assert hit.status is Status.FAIL
    assert hit.evidence[0].found == "line 2: auth [success=1] pam_unix.so nullok"
    found = root.check({"type": "file_contains", "path": "/etc/pam.d/common-auth", "pattern": "pam_faillock"})
    assert found.status is Status.FAIL and found.evidence[0].found == "no matching line"
    missing = root.check({"type": "file_contains", "path": "/etc/nope", "pattern": "x"})
    assert missing.status is Status.FAIL and missing.evidence[0].found == "file missing"


def test_setting_ini_dropins_last_wins(root: Root) -> None:
    root.write("/etc/systemd/journald.conf", "[Journal]\n#Storage=auto\nStorage=volatile\n")
    root.write("/etc/systemd/journald.conf.d/50-comptoir.conf", "[Journal]\nStorage=persistent\n")
    spec = {
        "type": "setting",
        "path": ["/etc/systemd/journald.conf", "/etc/systemd/journald.conf.d/*.conf"],
        "style": "ini",
        "section": "Journal",
        "key": "Storage",
        "op": "eq",
        "value": "persistent",
    }
    outcome = root.check(spec)
    assert outcome.status is Status.PASS
    assert outcome.evidence[0].where == "/etc/systemd/journald.conf.d/50-comptoir.conf:2"
    root.write("/etc/systemd/journald.conf.d/60-late.conf", "[Journal]\nStorage=volatile\n")
    assert root.check(spec).status is Status.FAIL


def test_setting_sections_keyvalue_space_and_numbers(root: Root) -> None:
    root.write("/etc/x.ini", "[A]\nkey=1\n[B]\nkey=50\n")
    assert (
        root.check(
            {
                "type": "setting",
                "path": "/etc/x.ini",
                "style": "ini",
                "section": "A",
                "key": "key",
                "op": "le",
                "value": 10,
            }
        ).status
        is Status.PASS
    )
    assert (
        root.check(
            {
                "type": "setting",
                "path": "/etc/x.ini",
                "style": "ini",
                "section": "B",
                "key": "key",
                "op": "le",
                "value": 10,
            }
        ).status
        is Status.FAIL
    )
    root.write("/etc/security/faillock.conf", "audit\ndeny = 10\nunlock_time = 1800\n")
    assert (
        root.check(
            {"type": "setting", "path": "/etc/security/faillock.conf", "key": "deny", "op": "le", "value": 10}
        ).status
        is Status.PASS
    )
    assert (
        root.check(
            {"type": "setting", "path": "/etc/security/faillock.conf", "key": "audit", "op": "eq", "value": ""}
        ).status
        is Status.PASS
    )
    root.write("/etc/login.defs", "PASS_MAX_DAYS\t99999\nUMASK\t\t027\n")
    defs = {"type": "setting", "path": "/etc/login.defs", "style": "space"}
    outcome = root.check({**defs, "key": "PASS_MAX_DAYS", "op": "le", "value": 90})
    assert outcome.status is Status.FAIL and outcome.evidence[0].found == "PASS_MAX_DAYS = 99999"
    assert root.check({**defs, "key": "UMASK", "op": "in", "value": ["027", "077"]}).status is Status.PASS
    unset = root.check({**defs, "key": "ENCRYPT_METHOD", "op": "eq", "value": "YESCRYPT"})
    assert unset.status is Status.FAIL and unset.evidence[0].found == "not set"
    assert root.check({**defs, "key": "ENCRYPT_METHOD", "op": "absent"}).status is Status.PASS
    assert root.check({**defs, "key": "UMASK", "op": "gt", "value": "abc"}).status is Status.FAIL  # no order for words
