"""Runs policies against a target and gathers the results."""

from __future__ import annotations

import datetime as dt
import socket
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from appliance import __version__
from appliance.security.compliance.checks import run_check
from appliance.security.compliance.model import Result, Status
from appliance.security.compliance.policy import Policy
from appliance.security.compliance.target import Target, Unreadable
from appliance.security.compliance.waivers import Waiver, apply

# A result that is not a pass, by how urgently a reader needs it.
ORDER = [Status.FAIL, Status.ERROR, Status.WAIVED, Status.PASS, Status.NOT_APPLICABLE]
SEVERITY = ["critical", "high", "medium", "low"]


@dataclass
class ScanReport:
    root: str
    live: bool
    hostname: str
    started: str
    seconds: float
    policies: list[Policy]
    results: list[Result]

    def counts(self) -> dict[str, int]:
        counted = Counter(str(r.status) for r in self.results)
        return {str(s): counted.get(str(s), 0) for s in ORDER}

    def score(self) -> int:
        """Percent of applicable controls that pass (waived ones left out)."""
        c = self.counts()
        judged = c["pass"] + c["fail"] + c["error"]
        return round(100 * c["pass"] / judged) if judged else 100

    def exit_code(self) -> int:
        return 1 if any(r.status in (Status.FAIL, Status.ERROR) for r in self.results) else 0

    def ordered(self) -> list[Result]:
        """Failures first (most severe first), then errors, waived, passes, not applicable."""
        return sorted(
            self.results, key=lambda r: (ORDER.index(r.status), SEVERITY.index(r.control.severity), r.control.id)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "scanner": "comptoir compliance",
            "version": __version__,
            "target": {"root": self.root, "live": self.live, "hostname": self.hostname},
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "summary": {**self.counts(), "total": len(self.results), "score": self.score()},
            "policies": [{"id": p.id, "title": p.title, "source": p.source, "file": p.file} for p in self.policies],
            "results": [r.to_dict() for r in self.results],
        }


def _hostname(target: Target) -> str:
    if target.live:
        return socket.gethostname()
    try:
        return target.read_text("/etc/hostname").strip() or str(target.root)
    except Unreadable:
        return str(target.root)


def scan(
    target: Target, policies: list[Policy], waivers: list[Waiver] | None = None, today: dt.date | None = None
) -> ScanReport:
    started_at = dt.datetime.now(dt.UTC)
    started = time.perf_counter()
    results: list[Result] = []
    for policy in policies:
        for control in policy.controls:
            t0 = time.perf_counter()
            outcome = run_check(target, control.check)
            results.append(Result(control, outcome.status, outcome.evidence, time.perf_counter() - t0))
    apply(results, waivers or [], today or started_at.date())
    return ScanReport(
        root=str(target.root),
        live=target.live,
        hostname=_hostname(target),
        started=started_at.isoformat(timespec="seconds"),
        seconds=time.perf_counter() - started,
        policies=policies,
        results=results,
    )
