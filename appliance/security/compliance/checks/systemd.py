"""systemd units, read from unit folders and their .wants/.requires links (no systemctl)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from appliance.security.compliance.checks.base import NAMES, as_list, check
from appliance.security.compliance.model import Outcome, Status
from appliance.security.compliance.target import Target

# Highest priority first, as systemd reads them (a unit in /etc hides the vendor's).
UNIT_DIRS = ["/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system", "/usr/lib/systemd/system"]

# What a control finds for one unit, and whether that passes.
Judge = Callable[[Target, str], tuple[str, bool]]


def masked(target: Target, unit: str) -> str | None:
    """Where the unit is masked (a link to /dev/null or an empty file named like it), or None."""
    for folder in UNIT_DIRS[:2]:
        path = f"{folder}/{unit}"
        link = target.readlink(path)
        if link == "/dev/null":
            return path
        if link is None and target.exists(path) and target.stat(path).st_size == 0:
            return path
    return None


def unit_file(target: Target, unit: str) -> str | None:
    candidates = [unit]
    if "@" in unit and not unit.split("@", 1)[1].startswith("."):
        candidates.append(unit.split("@", 1)[0] + "@." + unit.rsplit(".", 1)[1])
    for folder in UNIT_DIRS:
        for name in candidates:
            if target.exists(f"{folder}/{name}"):
                return f"{folder}/{name}"
    return None


def wanted_by(target: Target, unit: str) -> list[str]:
    """The .wants/.requires links that pull the unit in (`systemctl enable` writes them)."""
    links: list[str] = []
    for folder in UNIT_DIRS:
        for entry in target.listdir(folder):
            if entry.endswith((".wants", ".requires")) and unit in target.listdir(f"{folder}/{entry}"):
                links.append(f"{folder}/{entry}/{unit}")
    return links


def _each_unit(target: Target, p: Mapping[str, Any], expected: str, judge: Judge) -> Outcome:
    """One evidence line per unit the control names, found and judged by `judge`."""
    outcome = Outcome(Status.PASS)
    for unit in as_list(p["unit"]):
        outcome.add(unit, expected, *judge(target, unit))
    return outcome


def _enabled(target: Target, unit: str) -> tuple[str, bool]:
    mask = masked(target, unit)
    links = wanted_by(target, unit)
    source = unit_file(target, unit)
    if mask:
        return f"masked ({mask} → /dev/null)", False
    if source is None:
        return "no unit file", False
    if not links:
        return f"{source} present, but no .wants/.requires link: disabled", False
    return f"enabled: {', '.join(links)}", True


def _masked(target: Target, unit: str) -> tuple[str, bool]:
    mask = masked(target, unit)
    if mask is None:
        source = unit_file(target, unit)
        return f"not masked ({'unit file ' + source if source else 'no unit file'})", False
    return f"{mask} → /dev/null", True


def _not_enabled(target: Target, unit: str) -> tuple[str, bool]:
    links = [] if masked(target, unit) else wanted_by(target, unit)
    return (f"enabled: {', '.join(links)}" if links else "not enabled"), not links


@check("unit_enabled", {"unit": NAMES}, ["unit"])
def unit_enabled(target: Target, p: Mapping[str, Any]) -> Outcome:
    """Each unit has a unit file, is pulled in by a .wants/.requires link, and is not masked."""
    return _each_unit(target, p, "enabled", _enabled)


@check("unit_masked", {"unit": NAMES}, ["unit"])
def unit_masked(target: Target, p: Mapping[str, Any]) -> Outcome:
    """Each unit is masked (linked to /dev/null in /etc/systemd/system), so nothing can start it."""
    return _each_unit(target, p, "masked", _masked)


@check("unit_not_enabled", {"unit": NAMES}, ["unit"])
def unit_not_enabled(target: Target, p: Mapping[str, Any]) -> Outcome:
    """No unit of the list is pulled in at boot (absent, disabled or masked all pass)."""
    return _each_unit(target, p, "not enabled", _not_enabled)
