"""The systemd journal, read at the edge: the entries after a cursor that may be about
security, as journalctl's JSON (one object a line). `services/security_log.py` decides which
of them go to the office; this module only asks journalctl for the likely ones, so a week of
a busy box's journal is not read whole.

The matches are ORed (`+`): logins and privilege (the auth and authpriv facilities, sudo, su,
login, sshd, systemd-logind), USBGuard, and systemd itself (PID 1: units started, stopped,
failed, restarted)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator

MATCHES = (
    "SYSLOG_FACILITY=4",
    "SYSLOG_FACILITY=10",
    "SYSLOG_IDENTIFIER=sudo",
    "SYSLOG_IDENTIFIER=su",
    "SYSLOG_IDENTIFIER=login",
    "SYSLOG_IDENTIFIER=sshd",
    "SYSLOG_IDENTIFIER=systemd-logind",
    "SYSLOG_IDENTIFIER=usbguard-daemon",
    "_SYSTEMD_UNIT=usbguard.service",
    "_PID=1",
)
FIRST_LOOK = "-7d"  # no cursor yet (a new box, or a first push): the last week
TIMEOUT = 120


class JournalUnreadable(Exception):
    """journalctl is missing, failed, or said something that is not JSON."""


def command(after_cursor: str | None) -> list[str]:
    where = ["--after-cursor", after_cursor] if after_cursor else ["--since", FIRST_LOOK]
    matches: list[str] = []
    for m in MATCHES:
        matches += [m, "+"]
    return ["journalctl", "--output", "json", "--no-pager", *where, *matches[:-1]]


def read(after_cursor: str | None, limit: int = 5000) -> Iterator[dict[str, object]]:
    """The matching entries after the cursor, oldest first, at most `limit` (the rest come at
    the next run, after the last cursor sent)."""
    if shutil.which("journalctl") is None:
        raise JournalUnreadable("journalctl is not installed")
    try:
        done = subprocess.run(command(after_cursor), capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JournalUnreadable(f"journalctl: {exc}") from None
    # 1 with nothing said: no entry matched, on some versions; 1 with a reason (a cursor it
    # cannot seek to, say) is an error, or the cursor would stay stuck there unsaid.
    if done.returncode != 0 and (done.returncode != 1 or done.stderr.strip()):
        raise JournalUnreadable(f"journalctl exited {done.returncode}: {done.stderr.strip()[:200]}")
    count = 0
    for line in done.stdout.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            raise JournalUnreadable("journalctl wrote a line that is not JSON") from None
        if isinstance(entry, dict):
            yield entry
            count += 1
            if count >= limit:
                return
