"""Waivers: a failing control accepted for a while, with a reason and an expiry date.

A waiver without a reason or an expiry, or naming an unknown control, is refused (file and
line). An expired waiver fails its control, whatever the check says: a stale exception is
a finding in itself, and the security team must renew or remove it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.security.compliance.model import Evidence, Result, Status
from appliance.security.compliance.policy import PolicyError, Problem, line_of, load_yaml, schema_problems

SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["waivers"],
    "additionalProperties": False,
    "properties": {
        "waivers": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["control", "reason", "expires"],
                "additionalProperties": False,
                "properties": {
                    "control": {"type": "string", "minLength": 1},
                    "reason": {"type": "string", "minLength": 10},
                    "expires": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                    "approved_by": {"type": "string"},
                    "ticket": {"type": "string"},
                },
            },
        }
    },
}


@dataclass(frozen=True)
class Waiver:
    control: str
    reason: str
    expires: dt.date
    approved_by: str
    file: str
    line: int


def load_waivers(path: Path, control_ids: Iterable[str]) -> list[Waiver]:
    file = str(path)
    document = load_yaml(path)
    problems = schema_problems(file, document, SCHEMA, [])
    if problems:
        raise PolicyError(problems)
    known = set(control_ids)
    waivers: list[Waiver] = []
    seen: set[str] = set()
    for index, raw in enumerate(document["waivers"]):
        line = line_of(document, ["waivers", index])
        try:
            expires = dt.date.fromisoformat(raw["expires"])
        except ValueError:
            problems.append(
                Problem(file, line_of(document, ["waivers", index, "expires"]), f"not a date: {raw['expires']}")
            )
            continue
        if raw["control"] not in known:
            problems.append(Problem(file, line, f"waiver for unknown control {raw['control']}"))
        elif raw["control"] in seen:
            problems.append(Problem(file, line, f"second waiver for {raw['control']}"))
        seen.add(raw["control"])
        waivers.append(Waiver(raw["control"], raw["reason"].strip(), expires, raw.get("approved_by", ""), file, line))
    if problems:
        raise PolicyError(problems)
    return waivers


def apply(results: list[Result], waivers: list[Waiver], today: dt.date) -> None:
    by_control = {w.control: w for w in waivers}
    for result in results:
        waiver = by_control.get(result.control.id)
        if waiver is None:
            continue
        record = {
            "reason": waiver.reason,
            "expires": waiver.expires.isoformat(),
            "approved_by": waiver.approved_by,
            "was": str(result.status),
            "where": f"{waiver.file}:{waiver.line}",
        }
        if waiver.expires < today:
            record["expired"] = "true"
            result.status = Status.FAIL
            result.evidence.append(
                Evidence(record["where"], f"a waiver valid on {today}", f"waiver expired on {record['expires']}", False)
            )
        elif result.status in (Status.FAIL, Status.ERROR):
            result.status = Status.WAIVED
        result.waiver = record
