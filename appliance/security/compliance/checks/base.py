"""The registry of check types: each has a function, a JSON schema for its parameters,
and whether it reads a running host (live-only) or a root."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from appliance.security.compliance.model import Outcome
from appliance.security.compliance.target import Target, Unreadable

CheckFn = Callable[[Target, Mapping[str, Any]], Outcome]


@dataclass(frozen=True)
class CheckType:
    name: str
    fn: CheckFn
    schema: dict[str, Any]  # JSON schema of the check mapping (with its `type`)
    live_only: bool
    doc: str


REGISTRY: dict[str, CheckType] = {}

# Reusable parameter schemas.
PATH = {"type": "string", "pattern": "^/"}
PATHS = {"oneOf": [PATH, {"type": "array", "items": PATH, "minItems": 1}]}
NAMES = {"oneOf": [{"type": "string", "minLength": 1}, {"type": "array", "items": {"type": "string"}, "minItems": 1}]}
REGEX = {"type": "string", "minLength": 1, "format": "regex"}
MODE = {"type": "string", "pattern": "^0?[0-7]{3,4}$"}
OPS = {"enum": ["eq", "ne", "lt", "le", "gt", "ge", "in", "matches", "absent"]}


def check(
    name: str, properties: dict[str, Any], required: list[str], *, live_only: bool = False
) -> Callable[[CheckFn], CheckFn]:
    """Registers a check type; its schema refuses unknown parameters (typos are errors)."""

    def register(fn: CheckFn) -> CheckFn:
        schema = {
            "type": "object",
            "properties": {"type": {"const": name}, **properties},
            "required": ["type", *required],
            "additionalProperties": False,
        }
        REGISTRY[name] = CheckType(name, fn, schema, live_only, (fn.__doc__ or "").strip().splitlines()[0])
        return fn

    return register


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def run_check(target: Target, spec: Mapping[str, Any]) -> Outcome:
    """Runs one check; never raises: anything unexpected becomes an `error` outcome."""
    kind = REGISTRY.get(str(spec.get("type")))
    if kind is None:
        return Outcome.error("policy", "a known check type", f"unknown check type {spec.get('type')!r}")
    if kind.live_only and not target.live:
        return Outcome.not_applicable(
            kind.name, "a running host", f"live-only check; {target.root} is an image root, not a booted `/`"
        )
    try:
        return kind.fn(target, spec)
    except Unreadable as exc:
        return Outcome.error(str(spec.get("path", kind.name)), "a readable target", str(exc))
    except (OSError, ValueError, TypeError, re.error, UnicodeError, LookupError) as exc:
        return Outcome.error(str(spec.get("path", kind.name)), "a check that completes", f"{type(exc).__name__}: {exc}")


def compare(found: str | None, op: str, wanted: Any) -> bool:
    """found (a setting's text, None when unset) against wanted, numerically when both are numbers."""
    if op == "absent":
        return found is None
    if found is None:
        return False
    if op == "matches":
        return re.search(str(wanted), found) is not None
    if op == "in":
        return found in [str(w) for w in as_list(wanted)]
    left: Any = found
    right: Any = wanted
    number = _number(found)
    if number is not None and _number(str(wanted)) is not None:
        left, right = number, _number(str(wanted))
    else:
        left, right = found.strip().lower(), str(wanted).strip().lower()
    if op == "eq":
        return bool(left == right)
    if op == "ne":
        return bool(left != right)
    if isinstance(left, str):
        return False  # order is only defined for numbers
    ordered: dict[str, bool] = {"lt": left < right, "le": left <= right, "gt": left > right, "ge": left >= right}
    return ordered[op]


def _number(text: str) -> float | None:
    try:
        return float(text.strip().strip('"'))
    except ValueError:
        return None


def describe(op: str, wanted: Any) -> str:
    words = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "one of", "matches": "matching"}
    if op == "absent":
        return "not set"
    return f"{words[op]} {wanted}"
