"""What a check returns and what a scan reports: statuses, evidence, outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a verdict, not a password
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"
    WAIVED = "waived"


@dataclass(frozen=True)
class Evidence:
    """One thing read: where (a path in the target, or a source such as /proc/net/tcp),
    what the control expects there, and what was found."""

    where: str
    expected: str
    found: str
    ok: bool | None = None  # this one item's verdict, when a control reads several

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"where": self.where, "expected": self.expected, "found": self.found}
        if self.ok is not None:
            out["ok"] = self.ok
        return out


@dataclass
class Outcome:
    status: Status
    evidence: list[Evidence] = field(default_factory=list)

    def add(self, where: str, expected: str, found: str, ok: bool) -> None:
        """One more thing read; the outcome fails with the first that is not as expected."""
        if not ok:
            self.status = Status.FAIL
        self.evidence.append(Evidence(where, expected, found, ok))

    @classmethod
    def passed(cls, where: str, expected: str, found: str) -> Outcome:
        return cls(Status.PASS, [Evidence(where, expected, found, True)])

    @classmethod
    def failed(cls, where: str, expected: str, found: str) -> Outcome:
        return cls(Status.FAIL, [Evidence(where, expected, found, False)])

    @classmethod
    def error(cls, where: str, expected: str, reason: str) -> Outcome:
        return cls(Status.ERROR, [Evidence(where, expected, f"error: {reason}", False)])

    @classmethod
    def not_applicable(cls, where: str, expected: str, reason: str) -> Outcome:
        return cls(Status.NOT_APPLICABLE, [Evidence(where, expected, reason)])

    @classmethod
    def verdict(cls, ok: bool, where: str, expected: str, found: str) -> Outcome:
        return cls(Status.PASS if ok else Status.FAIL, [Evidence(where, expected, found, ok)])


@dataclass(frozen=True)
class Reference:
    source: str  # TA14-002A, TA14-212A, PCI-DSS-4.0, Comptoir
    item: str  # the guidance's own item or requirement number

    def __str__(self) -> str:
        return f"{self.source} {self.item}"


@dataclass(frozen=True)
class Remediation:
    role: str
    tag: str
    text: str


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    rationale: str
    severity: str
    references: tuple[Reference, ...]
    check: dict[str, Any]
    remediation: Remediation
    policy: str  # the policy id it came from
    file: str  # the policy file (for messages)
    line: int


@dataclass
class Result:
    control: Control
    status: Status
    evidence: list[Evidence]
    seconds: float = 0.0
    waiver: dict[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        c = self.control
        out: dict[str, Any] = {
            "id": c.id,
            "title": c.title,
            "policy": c.policy,
            "severity": c.severity,
            "status": str(self.status),
            "rationale": c.rationale,
            "references": [{"source": r.source, "item": r.item} for r in c.references],
            "check": c.check.get("type"),
            "evidence": [e.to_dict() for e in self.evidence],
            "remediation": {"role": c.remediation.role, "tag": c.remediation.tag, "text": c.remediation.text},
            "seconds": round(self.seconds, 4),
        }
        if self.waiver is not None:
            out["waiver"] = self.waiver
        return out
