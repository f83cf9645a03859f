"""Files: present, absent, mode, owner, contents (regex), and settings in config files."""

from __future__ import annotations

import re
import stat
from collections.abc import Mapping
from typing import Any

from appliance.security.compliance.checks.base import MODE, OPS, PATH, PATHS, REGEX, as_list, check, compare, describe
from appliance.security.compliance.model import Evidence, Outcome, Status
from appliance.security.compliance.target import Target, Unreadable


def _expand(target: Target, paths: Any) -> list[str]:
    found: list[str] = []
    for pattern in as_list(paths):
        found += target.glob(pattern) if any(ch in pattern for ch in "*?[") else [pattern]
    return found


@check("file_present", {"path": PATH, "kind": {"enum": ["file", "dir", "link", "any"]}}, ["path"])
def file_present(target: Target, p: Mapping[str, Any]) -> Outcome:
    """A path exists (optionally of a kind: file, dir, link)."""
    path, kind = p["path"], p.get("kind", "any")
    if not target.exists(path, follow_last=False):
        return Outcome.failed(path, f"present ({kind})", "missing")
    st = target.lstat(path)
    actual = "link" if stat.S_ISLNK(st.st_mode) else "dir" if stat.S_ISDIR(st.st_mode) else "file"
    if actual == "link" and kind in ("file", "dir"):
        actual = "dir" if stat.S_ISDIR(target.stat(path).st_mode) else "file"
    return Outcome.verdict(kind in ("any", actual), path, f"present ({kind})", f"present ({actual})")


@check("file_absent", {"path": PATH}, ["path"])
def file_absent(target: Target, p: Mapping[str, Any]) -> Outcome:
    """No path matches (a glob may name many)."""
    matches = [m for m in _expand(target, p["path"]) if target.exists(m, follow_last=False)]
    return Outcome.verdict(not matches, p["path"], "absent", ", ".join(matches) if matches else "absent")


@check(
    "file_mode",
    {"path": PATH, "max_mode": MODE, "missing": {"enum": ["pass", "fail", "not_applicable"]}},
    ["path", "max_mode"],
)
def file_mode(target: Target, p: Mapping[str, Any]) -> Outcome:
    """Every matching path has no permission bit beyond max_mode (e.g. 0600: nothing for group/others)."""
    limit = int(p["max_mode"], 8)
    paths = [m for m in _expand(target, p["path"]) if target.exists(m)]
    expected = f"mode within {limit:04o}"
    if not paths:
        missing = p.get("missing", "fail")
        if missing == "not_applicable":
            return Outcome.not_applicable(p["path"], expected, "nothing there to check")
        return Outcome.verdict(missing == "pass", p["path"], expected, "missing")
    outcome = Outcome(Status.PASS)
    for path in paths:
        mode = stat.S_IMODE(target.stat(path).st_mode)
        extra = mode & ~limit & 0o7777
        outcome.add(path, expected, f"mode {mode:04o}" + (f" (extra {extra:04o})" if extra else ""), not extra)
    return outcome


@check("file_owner", {"path": PATH, "owner": {"type": "string"}, "group": {"type": "string"}}, ["path"])
def file_owner(target: Target, p: Mapping[str, Any]) -> Outcome:
    """Every matching path is owned by owner:group (names from the target's own passwd/group)."""
    paths = [m for m in _expand(target, p["path"]) if target.exists(m)]
    expected = f"owner {p.get('owner', '*')}:{p.get('group', '*')}"
    if not paths:
        return Outcome.failed(p["path"], expected, "missing")
    outcome = Outcome(Status.PASS)
    for path in paths:
        st = target.stat(path)
        owner, group = target.user_name(st.st_uid), target.group_name(st.st_gid)
        right = p.get("owner", owner) == owner and p.get("group", group) == group
        outcome.add(path, expected, f"owner {owner}:{group}", right)
    return outcome


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


def _first_line(text: str, match: re.Match[str]) -> str:
    start = text.rfind("\n", 0, match.start()) + 1
    end = text.find("\n", match.end())
    line_no = text.count("\n", 0, match.start()) + 1
    return f"line {line_no}: {text[start : end if end >= 0 else len(text)].strip()[:200]}"


@check(
    "file_contains",
    {"path": PATHS, "pattern": REGEX, "missing": {"enum": ["fail", "not_applicable"]}},
    ["path", "pattern"],
)
def file_contains(target: Target, p: Mapping[str, Any]) -> Outcome:
    """A regex (multi-line mode) matches in the file, or in one of the files a glob names."""
    regex = _compile(p["pattern"])
    expected = f"a line matching /{p['pattern']}/"
    paths = _expand(target, p["path"])
    read: list[str] = []
    for path in paths:
        text = target.read_optional(path)
        if text is None:
            continue
        read.append(path)
        match = regex.search(text)
        if match:
            return Outcome.passed(path, expected, _first_line(text, match))
    where = ", ".join(as_list(p["path"]))
    if not read:
        if p.get("missing") == "not_applicable":
            return Outcome.not_applicable(where, expected, "file missing")
        return Outcome.failed(where, expected, "file missing")
    return Outcome.failed(", ".join(read), expected, "no matching line")


@check("file_not_contains", {"path": PATHS, "pattern": REGEX}, ["path", "pattern"])
def file_not_contains(target: Target, p: Mapping[str, Any]) -> Outcome:
    """No file a path or glob names contains a regex match (missing files pass)."""
    regex = _compile(p["pattern"])
    expected = f"no line matching /{p['pattern']}/"
    outcome = Outcome(Status.PASS)
    for path in _expand(target, p["path"]):
        text = target.read_optional(path)
        if text is None:
            continue
        match = regex.search(text)
        outcome.add(path, expected, _first_line(text, match) if match else "no matching line", not match)
    if not outcome.evidence:
        outcome.evidence.append(Evidence(", ".join(as_list(p["path"])), expected, "no such file", True))
    return outcome


# -- settings ------------------------------------------------------------------------------

_COMMENT = ("#", ";")


def parse_settings(text: str, style: str, section: str | None) -> dict[str, tuple[str, int]]:
    """key → (value, line) for a file in one of three styles: `ini` (sections; key=value),
    `keyvalue` (key = value) and `space` (key value). Later lines win."""
    values: dict[str, tuple[str, int]] = {}
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(_COMMENT):
            continue
        if style == "ini" and line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            continue
        if style == "ini" and section is not None and current != section:
            continue
        if style == "space":
            key, value = [*re.split(r"\s+", line, maxsplit=1), ""][:2]
        else:
            if "=" not in line:
                key, value = line, ""  # a bare flag (faillock's `audit`, pwquality's `enforce_for_root`)
            else:
                key, _, value = line.partition("=")
        values[key.strip()] = (value.strip().strip('"'), number)
    return values


@check(
    "setting",
    {
        "path": PATHS,
        "style": {"enum": ["ini", "keyvalue", "space"]},
        "section": {"type": "string"},
        "key": {"type": "string", "minLength": 1},
        "op": OPS,
        "value": {},
        "missing": {"enum": ["fail", "pass"]},
    },
    ["path", "key", "op"],
)
def setting(target: Target, p: Mapping[str, Any]) -> Outcome:
    """A setting in a config file compared (eq, ne, lt, le, gt, ge, in, matches, absent).

    Several paths (globs: drop-in folders) are read in order; the last one that sets the key wins."""
    style, key, op = p.get("style", "keyvalue"), p["key"], p["op"]
    shown = f"[{p['section']}] " if "section" in p else ""
    expected = f"{shown}{key} {describe(op, p.get('value'))}"
    found: tuple[str, str, int] | None = None
    read: list[str] = []
    for path in _expand(target, p["path"]):
        text = target.read_optional(path)
        if text is None:
            continue
        read.append(path)
        values = parse_settings(text, style, p.get("section"))
        if key in values:
            found = (path, *values[key])
    if found is None:
        where = ", ".join(read) or ", ".join(as_list(p["path"]))
        state = "not set" if read else "file missing"
        ok = op == "absent" or p.get("missing") == "pass"
        return Outcome.verdict(ok, where, expected, state)
    path, value, line = found
    return Outcome.verdict(compare(value, op, p.get("value")), f"{path}:{line}", expected, f"{key} = {value}")


def readable(target: Target, path: str) -> str | None:
    """Text of a file or None when missing or unreadable (for checks that look in many places)."""
    try:
        return target.read_optional(path)
    except Unreadable:
        return None
