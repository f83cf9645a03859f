"""Accounts: passwd, shadow and group of the target (never the scanning host's)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appliance.security.compliance.checks.base import check
from appliance.security.compliance.model import Evidence, Outcome, Status
from appliance.security.compliance.target import Target

PASSWD, SHADOW, GROUP = "/etc/passwd", "/etc/shadow", "/etc/group"
NOLOGIN = {"/usr/sbin/nologin", "/sbin/nologin", "/bin/false", "/usr/bin/false"}
NAME_LIST = {"type": "array", "items": {"type": "string"}}


def _members(target: Target, group: str) -> list[str]:
    """Users in a group: listed in /etc/group, or having it as primary group."""
    members: list[str] = []
    gid = None
    for row in target.table(GROUP):
        if row[0] == group and len(row) > 3:
            gid = row[2]
            members += [m for m in row[3].split(",") if m]
    if gid is not None:
        members += [row[0] for row in target.table(PASSWD) if len(row) > 3 and row[3] == gid]
    return sorted(set(members))


@check(
    "accounts",
    {
        "property": {"enum": ["no_empty_passwords", "uid0_only_root", "unique_ids", "group_members"]},
        "group": {"type": "string"},
        "allowed": NAME_LIST,
    },
    ["property"],
)
def accounts(target: Target, p: Mapping[str, Any]) -> Outcome:
    """Every account: no empty password, uid 0 only for root, unique names and ids, or a group's
    members within an allow-list."""
    prop = p["property"]
    if prop == "no_empty_passwords":
        empty = [r[0] for r in target.table(SHADOW) if len(r) > 1 and r[1] == ""]
        empty += [r[0] for r in target.table(PASSWD) if len(r) > 1 and r[1] == ""]
        found = f"empty password: {', '.join(sorted(set(empty)))}" if empty else "every account has a hash or a lock"
        return Outcome.verdict(not empty, f"{SHADOW}, {PASSWD}", "no empty password field", found)
    if prop == "uid0_only_root":
        zero = [r[0] for r in target.table(PASSWD) if len(r) > 2 and r[2] == "0"]
        return Outcome.verdict(zero == ["root"], PASSWD, "uid 0: root only", f"uid 0: {', '.join(zero) or 'nobody'}")
    if prop == "unique_ids":
        names = [r[0] for r in target.table(PASSWD)]
        uids = [r[2] for r in target.table(PASSWD) if len(r) > 2]
        twice = sorted({n for n in names if names.count(n) > 1} | {f"uid {u}" for u in uids if uids.count(u) > 1})
        found = f"shared: {', '.join(twice)}" if twice else f"{len(names)} accounts, all distinct"
        return Outcome.verdict(not twice, PASSWD, "unique user names and ids", found)
    group, allowed = p.get("group", "sudo"), set(p.get("allowed", []))
    members = _members(target, group)
    extra = [m for m in members if m not in allowed]
    expected = f"members of {group} within [{', '.join(sorted(allowed))}]"
    return Outcome.verdict(not extra, GROUP, expected, f"members: {', '.join(members) or 'none'}")


@check(
    "user",
    {
        "user": {"type": "string"},
        "locked": {"type": "boolean"},
        "shell_nologin": {"type": "boolean"},
        "not_in_groups": NAME_LIST,
        "missing": {"enum": ["fail", "pass"]},
    },
    ["user"],
)
def user(target: Target, p: Mapping[str, Any]) -> Outcome:
    """One account: exists, password locked, no login shell, not in given groups (sudo…)."""
    name = p["user"]
    row = next((r for r in target.table(PASSWD) if r[0] == name), None)
    if row is None:
        return Outcome.verdict(p.get("missing") == "pass", PASSWD, f"user {name}", "no such user")
    outcome = Outcome(Status.PASS, [Evidence(PASSWD, f"user {name}", f"uid {row[2] if len(row) > 2 else '?'}", True)])

    if p.get("locked"):
        shadow = next((r for r in target.table(SHADOW) if r[0] == name), None)
        hashed = shadow[1] if shadow and len(shadow) > 1 else None
        locked = hashed is not None and hashed.startswith(("!", "*"))
        shown = (
            "no shadow entry"
            if hashed is None
            else "locked"
            if locked
            else "empty"
            if not hashed
            else "a usable password"
        )
        outcome.add(SHADOW, "password locked (! or *)", shown, locked)
    if p.get("shell_nologin"):
        shell = row[6] if len(row) > 6 else ""
        outcome.add(PASSWD, "shell nologin", f"shell {shell or '(none)'}", shell in NOLOGIN)
    for group in p.get("not_in_groups", []):
        inside = name in _members(target, group)
        outcome.add(GROUP, f"not in group {group}", "member" if inside else "not a member", not inside)
    return outcome
