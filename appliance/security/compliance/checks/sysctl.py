"""Kernel parameters as the target sets them at boot (sysctl.d, in systemd-sysctl's order)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appliance.security.compliance.checks.base import OPS, check, compare, describe
from appliance.security.compliance.model import Outcome
from appliance.security.compliance.target import Target

# systemd-sysctl: files from these folders are sorted by name over all folders; a name in
# an earlier folder hides the same name in later ones; /etc/sysctl.conf is read last.
SYSCTL_DIRS = ["/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d"]


def _normal(key: str) -> str:
    return key.strip().replace("/", ".")


def sysctl_files(target: Target) -> list[str]:
    chosen: dict[str, str] = {}
    for folder in SYSCTL_DIRS:
        for name in target.listdir(folder):
            if name.endswith(".conf") and name not in chosen:
                chosen[name] = f"{folder}/{name}"
    files = [chosen[name] for name in sorted(chosen)]
    if target.exists("/etc/sysctl.conf") and "/etc/sysctl.d/99-sysctl.conf" not in files:
        files.append("/etc/sysctl.conf")
    return files


def boot_values(target: Target) -> dict[str, tuple[str, str]]:
    """key → (value, "file:line") of the assignment that wins."""

    def parse() -> dict[str, tuple[str, str]]:
        values: dict[str, tuple[str, str]] = {}
        for path in sysctl_files(target):
            for number, raw in enumerate(target.read_text(path).splitlines(), 1):
                line = raw.strip()
                if not line or line.startswith(("#", ";")) or "=" not in line:
                    continue
                key, _, value = line.partition("=")
                values[_normal(key.lstrip("-"))] = (value.strip(), f"{path}:{number}")
        return values

    return target.memo("sysctl", parse)


@check("sysctl", {"key": {"type": "string"}, "op": OPS, "value": {}}, ["key", "op"])
def sysctl(target: Target, p: Mapping[str, Any]) -> Outcome:
    """A kernel parameter set at boot by sysctl.d (the last file in systemd order wins)."""
    key = _normal(p["key"])
    expected = f"{key} {describe(p['op'], p.get('value'))}"
    found = boot_values(target).get(key)
    if found is None:
        read = ", ".join(sysctl_files(target)) or "no sysctl.d file"
        return Outcome.verdict(p["op"] == "absent", read, expected, "not set (the kernel's default applies)")
    value, where = found
    return Outcome.verdict(compare(value, p["op"], p.get("value")), where, expected, f"{key} = {value}")
