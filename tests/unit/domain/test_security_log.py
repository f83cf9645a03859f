"""Which journal entries are security news, and what of each leaves the box."""

from __future__ import annotations

import pytest

from appliance.app.domain.security_log import MESSAGE_MAX, category, kept


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"SYSLOG_IDENTIFIER": "sudo", "MESSAGE": "kiosk : TTY=tty1 ; USER=root ; COMMAND=/bin/sh"}, "privilege"),
        ({"SYSLOG_IDENTIFIER": "sudo", "MESSAGE": "pam_unix(sudo:auth): authentication failure"}, "auth_failure"),
        ({"SYSLOG_IDENTIFIER": "su", "MESSAGE": "FAILED SU (to root) kiosk on tty1"}, "auth_failure"),
        ({"SYSLOG_IDENTIFIER": "login", "MESSAGE": "ROOT LOGIN ON tty1"}, "login"),
        ({"SYSLOG_IDENTIFIER": "sshd", "MESSAGE": "Invalid user admin from 192.0.2.9"}, "auth_failure"),
        ({"SYSLOG_IDENTIFIER": "x", "SYSLOG_FACILITY": "10", "MESSAGE": "session opened"}, "login"),
        ({"SYSLOG_IDENTIFIER": "usbguard-daemon", "MESSAGE": "Device allow: id 1234:5678"}, "usb"),
        ({"_SYSTEMD_UNIT": "usbguard.service", "_COMM": "usbguard", "MESSAGE": "anything"}, "usb"),
        ({"_PID": "1", "MESSAGE": "nftables.service: Deactivated; Stopped nftables."}, "service"),
        ({"_PID": "1", "MESSAGE": "comptoir.service: Main process exited, code=killed"}, "service"),
        ({"_PID": "1", "MESSAGE": "Reached target Multi-User System."}, None),
        ({"SYSLOG_IDENTIFIER": "kernel", "MESSAGE": "usb 1-1: new device"}, None),
        ({"SYSLOG_IDENTIFIER": "chronyd", "MESSAGE": "Selected source 192.0.2.1"}, None),
    ],
)
def test_category(fields: dict[str, str], expected: str | None) -> None:
    assert category(fields) == expected


def test_what_leaves_the_box() -> None:
    entry = {
        "__REALTIME_TIMESTAMP": "1796000000000000",
        "PRIORITY": "4",
        "SYSLOG_IDENTIFIER": "sudo",
        "MESSAGE": "x" * (MESSAGE_MAX + 50),
        "_HOSTNAME": "lyon-t01",
        "_CMDLINE": "sudo -s",
    }
    assert kept(entry) == {
        "at": "2026-11-30T00:53:20+00:00",
        "category": "privilege",
        "priority": 4,
        "program": "sudo",
        "unit": "",
        "message": "x" * MESSAGE_MAX,
    }
    # journalctl writes a message that is not UTF-8 as its bytes; a bad time or priority is none.
    odd = {"SYSLOG_IDENTIFIER": "login", "MESSAGE": [70, 65, 73, 76, 0xFF], "PRIORITY": "?"}
    assert kept(odd) == {
        "at": None,
        "category": "auth_failure",
        "priority": None,
        "program": "login",
        "unit": "",
        "message": "FAIL\ufffd",
    }
    assert kept({"SYSLOG_IDENTIFIER": "kernel", "MESSAGE": "hello"}) is None
