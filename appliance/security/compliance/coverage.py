"""Which controls check each item of the guidance, and which role applies it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from appliance.security.compliance.model import Control
from appliance.security.compliance.policy import Policy
from appliance.security.compliance.sources import CATALOGUE, Item


@dataclass
class Row:
    item: Item
    controls: list[Control] = field(default_factory=list)

    @property
    def roles(self) -> list[str]:
        return sorted({c.remediation.role for c in self.controls})


def _covers(reference: str, item: str) -> bool:
    # A control citing 3.3.1.1 also speaks to its parent 3.3.1, not the other way round.
    return reference == item or reference.startswith(item + ".")


def rows(policies: list[Policy]) -> list[Row]:
    controls = [c for p in policies for c in p.controls]
    table = []
    for items in CATALOGUE.values():
        for item in items:
            row = Row(item)
            row.controls = [
                c for c in controls if any(r.source == item.source and _covers(r.item, item.item) for r in c.references)
            ]
            table.append(row)
    return table


def uncovered(table: list[Row]) -> list[Row]:
    return [r for r in table if not r.controls and not r.item.procedural]


def to_text(table: list[Row]) -> str:
    lines: list[str] = []
    source = ""
    for row in table:
        if row.item.source != source:
            source = row.item.source
            lines += ["", source] if lines else [source]
        head, pad = f"  {row.item.item:<9} {row.item.title}", " " * 12
        if row.controls:
            shown = ", ".join(c.id for c in row.controls)
            lines += [head, f"{pad}controls: {shown}", f"{pad}roles: {', '.join(row.roles)}"]
        elif row.item.procedural:
            lines += [head, f"{pad}procedural: a duty of people, not checkable on a box"]
        else:
            lines += [head, f"{pad}UNCOVERED"]
    missing = uncovered(table)
    procedural = [r for r in table if r.item.procedural and not r.controls]
    lines += [
        "",
        f"{sum(bool(r.controls) for r in table)} of {len(table)} items covered; "
        f"{len(procedural)} procedural; {len(missing)} uncovered"
        + (": " + ", ".join(f"{r.item.source} {r.item.item}" for r in missing) if missing else ""),
    ]
    return "\n".join(lines) + "\n"


def to_json(table: list[Row]) -> str:
    return (
        json.dumps(
            {
                "items": [
                    {
                        "source": r.item.source,
                        "item": r.item.item,
                        "title": r.item.title,
                        "procedural": r.item.procedural,
                        "controls": [c.id for c in r.controls],
                        "roles": r.roles,
                    }
                    for r in table
                ],
                "uncovered": [f"{r.item.source} {r.item.item}" for r in uncovered(table)],
            },
            indent=2,
        )
        + "\n"
    )
