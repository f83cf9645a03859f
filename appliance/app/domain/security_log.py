"""Which journal entries are about security, and what of each goes to the office
(PCI DSS 10.2 and 10.3.3: logins and their failures, use of privilege, USB devices allowed or
blocked, services stopped, failed or restarted). Pure: entries come in as journalctl's JSON
fields, come out as small dicts for the outbox's `journal_entries` events."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

MESSAGE_MAX = 500  # characters of a message kept; a journal line can be far longer
AUTH_FACILITIES = {"4", "10"}  # auth, authpriv
AUTH_PROGRAMS = {"login", "sshd", "systemd-logind", "unix_chkpwd", "polkitd", "agetty"}
PRIVILEGE_PROGRAMS = {"sudo", "su", "pkexec"}
USB_PROGRAMS = {"usbguard-daemon", "usbguard"}
_FAILED = re.compile(r"fail|invalid|denied|refused|incorrect|not allowed|illegal", re.IGNORECASE)
# systemd's own lines worth a look: a unit that failed, was killed, restarted or stopped
# (a stopped firewall is news); the rest of PID 1's chatter (targets, slices, sockets) is not.
_SERVICE = re.compile(r"restart|fail|exited|killed|watchdog|stopped|dumped core", re.IGNORECASE)
CATEGORIES = ("auth_failure", "login", "privilege", "usb", "service")


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # journalctl writes a message that is not UTF-8 as its bytes
        return bytes(v for v in value if isinstance(v, int) and 0 <= v < 256).decode("utf-8", "replace")
    return "" if value is None else str(value)


def category(entry: Mapping[str, object]) -> str | None:
    """The entry's kind of security news, or None when it is none."""
    program = _text(entry.get("SYSLOG_IDENTIFIER") or entry.get("_COMM"))
    unit = _text(entry.get("_SYSTEMD_UNIT"))
    message = _text(entry.get("MESSAGE"))
    if program in USB_PROGRAMS or unit == "usbguard.service":
        return "usb"
    if program in PRIVILEGE_PROGRAMS:
        return "auth_failure" if _FAILED.search(message) else "privilege"
    if program in AUTH_PROGRAMS or _text(entry.get("SYSLOG_FACILITY")) in AUTH_FACILITIES:
        return "auth_failure" if _FAILED.search(message) else "login"
    if _text(entry.get("_PID")) == "1" and _SERVICE.search(message):
        return "service"
    return None


def _at(entry: Mapping[str, object]) -> str | None:
    try:
        micros = int(_text(entry.get("__REALTIME_TIMESTAMP")))
    except ValueError:
        return None
    return dt.datetime.fromtimestamp(micros / 1_000_000, dt.UTC).isoformat(timespec="seconds")


def kept(entry: Mapping[str, object]) -> dict[str, Any] | None:
    """What the office gets of a security entry (None for any other): when, what kind, how
    bad (syslog priority, 0 worst), which program or unit, and the message, cut short."""
    kind = category(entry)
    if kind is None:
        return None
    try:
        priority: int | None = int(_text(entry.get("PRIORITY")))
    except ValueError:
        priority = None
    return {
        "at": _at(entry),
        "category": kind,
        "priority": priority,
        "program": _text(entry.get("SYSLOG_IDENTIFIER") or entry.get("_COMM"))[:64],
        "unit": _text(entry.get("UNIT") or entry.get("_SYSTEMD_UNIT"))[:128],
        "message": _text(entry.get("MESSAGE"))[:MESSAGE_MAX],
    }
