"""all_of / any_of: a control whose proof takes more than one check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from appliance.security.compliance.checks.base import REGISTRY, CheckType, run_check
from appliance.security.compliance.model import Outcome, Status
from appliance.security.compliance.target import Target

# Which status a combination reports: a failure is the most telling, then an error.
_RANK = [Status.FAIL, Status.ERROR, Status.PASS, Status.NOT_APPLICABLE]


def _combine(outcomes: list[Outcome], need_all: bool) -> Outcome:
    # Each line keeps its own verdict, so a reader sees which part of the control failed.
    verdict = {Status.PASS: True, Status.FAIL: False, Status.ERROR: False}
    evidence = [e if e.ok is not None else replace(e, ok=verdict.get(o.status)) for o in outcomes for e in o.evidence]
    statuses = [o.status for o in outcomes]
    applicable = [s for s in statuses if s is not Status.NOT_APPLICABLE]
    if not applicable:
        return Outcome(Status.NOT_APPLICABLE, evidence)
    if need_all:
        status = min(applicable, key=_RANK.index)
    else:
        status = Status.PASS if Status.PASS in applicable else min(applicable, key=_RANK.index)
    return Outcome(status, evidence)


def all_of(target: Target, p: Mapping[str, Any]) -> Outcome:
    """Every sub-check passes."""
    return _combine([run_check(target, c) for c in p["checks"]], need_all=True)


def any_of(target: Target, p: Mapping[str, Any]) -> Outcome:
    """At least one sub-check passes."""
    return _combine([run_check(target, c) for c in p["checks"]], need_all=False)


def _register() -> None:
    # Their sub-checks are validated one by one by the policy loader, so the schema here
    # only asks for a non-empty list.
    for name, fn in (("all_of", all_of), ("any_of", any_of)):
        schema = {
            "type": "object",
            "properties": {"type": {"const": name}, "checks": {"type": "array", "minItems": 1}},
            "required": ["type", "checks"],
            "additionalProperties": False,
        }
        REGISTRY[name] = CheckType(name, fn, schema, False, (fn.__doc__ or "").strip())


_register()
