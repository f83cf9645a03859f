"""Debian packages, from the target's dpkg database (var/lib/dpkg/status)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appliance.security.compliance.checks.base import NAMES, as_list, check
from appliance.security.compliance.model import Outcome
from appliance.security.compliance.target import Target

STATUS = "/var/lib/dpkg/status"
# Package states whose files are (at least partly) on disk: a half-installed SSH server
# is still an SSH server.
_ON_DISK = {"installed", "half-installed", "unpacked", "half-configured", "triggers-awaited", "triggers-pending"}


def installed(target: Target) -> dict[str, str]:
    """package name → version, for every package whose files are on disk."""

    def parse() -> dict[str, str]:
        found: dict[str, str] = {}
        for paragraph in target.read_text(STATUS).split("\n\n"):
            fields: dict[str, str] = {}
            for line in paragraph.splitlines():
                if line[:1] not in (" ", "\t") and ": " in line:
                    name, _, value = line.partition(": ")
                    fields[name] = value.strip()
            state = fields.get("Status", "").split()
            if "Package" in fields and len(state) == 3 and state[2] in _ON_DISK:
                found[fields["Package"]] = fields.get("Version", "?")
        return found

    return target.memo("dpkg", parse)


@check("package_installed", {"name": NAMES, "any": {"type": "boolean"}}, ["name"])
def package_installed(target: Target, p: Mapping[str, Any]) -> Outcome:
    """Every named package is installed (or, with any: true, at least one)."""
    names = as_list(p["name"])
    have = installed(target)
    present = [f"{n} {have[n]}" for n in names if n in have]
    missing = [n for n in names if n not in have]
    ok = bool(present) if p.get("any") else not missing
    found = "; ".join(
        filter(
            None,
            [
                f"installed: {', '.join(present)}" if present else "",
                f"not installed: {', '.join(missing)}" if missing else "",
            ],
        )
    )
    return Outcome.verdict(ok, STATUS, ("any of " if p.get("any") else "installed: ") + ", ".join(names), found)


@check("package_absent", {"name": NAMES}, ["name"])
def package_absent(target: Target, p: Mapping[str, Any]) -> Outcome:
    """None of the named packages is installed."""
    names = as_list(p["name"])
    have = installed(target)
    present = [f"{n} {have[n]}" for n in names if n in have]
    found = f"installed: {', '.join(present)}" if present else f"none of {len(names)} installed"
    return Outcome.verdict(not present, STATUS, f"absent: {', '.join(names)}", found)
