"""The fleet report: many hosts' JSON scan reports as one hosts × controls matrix (JSON
and HTML). Any host with a failing (or erroring) control makes the fleet fail."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from appliance.security.compliance.model import Status
from appliance.security.compliance.report import page


class FleetError(Exception):
    """A report is missing or malformed; the message names the file."""


@dataclass
class HostReport:
    host: str  # the report's file name: the playbook names it after the inventory host
    hostname: str  # what the scanned system calls itself
    file: str
    summary: dict[str, int]
    statuses: dict[str, str]  # control id → status
    failing: list[str]


@dataclass
class Fleet:
    hosts: list[HostReport] = field(default_factory=list)
    controls: dict[str, dict[str, str]] = field(default_factory=dict)  # id → title, severity, policy

    @property
    def failing_hosts(self) -> list[str]:
        return [h.host for h in self.hosts if h.failing]

    def exit_code(self) -> int:
        return 1 if self.failing_hosts else 0


def _files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(path.rglob("*.json"))
        elif path.is_file():
            files.append(path)
        else:
            raise FleetError(f"{path}: no such file or folder")
    if not files:
        raise FleetError(f"no JSON report in {', '.join(map(str, paths))}")
    return files


def _host(file: Path) -> HostReport:
    try:
        data: Any = json.loads(file.read_text(encoding="utf-8"))
        results = data["results"]
        hostname = str(data.get("target", {}).get("hostname") or "")
        statuses = {str(r["id"]): str(r["status"]) for r in results}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FleetError(f"{file}: not a compliance scan report ({type(exc).__name__}: {exc})") from None
    known = {str(s) for s in Status}
    odd = sorted({s for s in statuses.values() if s not in known})
    if odd:
        raise FleetError(f"{file}: unknown status {', '.join(odd)}")
    failing = sorted(i for i, s in statuses.items() if s in (Status.FAIL, Status.ERROR))
    summary = {str(s): sum(v == s for v in statuses.values()) for s in Status}
    return HostReport(file.stem, hostname, str(file), summary, statuses, failing)


def load(paths: list[Path]) -> Fleet:
    fleet = Fleet()
    seen: dict[str, str] = {}
    for file in _files(paths):
        host = _host(file)
        if host.host in seen:
            raise FleetError(f"{file}: host {host.host} already reported by {seen[host.host]}")
        seen[host.host] = str(file)
        fleet.hosts.append(host)
        data = json.loads(file.read_text(encoding="utf-8"))
        for r in data["results"]:
            fleet.controls.setdefault(
                str(r["id"]),
                {
                    "title": str(r.get("title", "")),
                    "severity": str(r.get("severity", "")),
                    "policy": str(r.get("policy", "")),
                },
            )
    fleet.hosts.sort(key=lambda h: h.host)
    return fleet


def to_json(fleet: Fleet) -> str:
    return (
        json.dumps(
            {
                "hosts": [
                    {
                        "host": h.host,
                        "hostname": h.hostname,
                        "report": h.file,
                        "summary": h.summary,
                        "failing": h.failing,
                    }
                    for h in fleet.hosts
                ],
                "controls": {
                    cid: {
                        **meta,
                        "failing_hosts": [h.host for h in fleet.hosts if h.statuses.get(cid) in ("fail", "error")],
                    }
                    for cid, meta in sorted(fleet.controls.items())
                },
                "matrix": {h.host: h.statuses for h in fleet.hosts},
                "failing_hosts": fleet.failing_hosts,
            },
            indent=2,
        )
        + "\n"
    )


def to_text(fleet: Fleet) -> str:
    lines = [f"{len(fleet.hosts)} host(s), {len(fleet.controls)} control(s); failing: {len(fleet.failing_hosts)}"]
    for h in fleet.hosts:
        shown = ", ".join(h.failing[:8]) + (f" and {len(h.failing) - 8} more" if len(h.failing) > 8 else "")
        state = f"FAIL, {len(h.failing)} control(s): {shown}" if h.failing else "PASS"
        lines.append(f"  {h.host}: {state}")
    return "\n".join(lines) + "\n"


_SHORT = {"pass": "✓", "fail": "✗", "error": "!", "waived": "w", "not_applicable": "–", "missing": "?"}


def to_html(fleet: Fleet) -> str:
    e = html.escape
    # Controls that fail somewhere come first, then the rest by id.
    ids = sorted(
        fleet.controls, key=lambda c: (not any(h.statuses.get(c) in ("fail", "error") for h in fleet.hosts), c)
    )
    head = "".join(f"<th>{e(h.host)}</th>" for h in fleet.hosts)
    rows = []
    for cid in ids:
        meta = fleet.controls[cid]
        cells = ""
        for h in fleet.hosts:
            status = h.statuses.get(cid, "missing")
            css = status if status in _SHORT and status != "missing" else "not_applicable"
            cells += f'<td><span class="s {css}" title="{e(status)}">{_SHORT.get(status, "?")}</span></td>'
        rows.append(f"<tr><td><code>{e(cid)}</code><div class='muted'>{e(meta['title'])}</div></td>{cells}</tr>")
    summary = ""
    for h in fleet.hosts:
        state = '<span class="s fail">failing</span>' if h.failing else '<span class="s pass">passing</span>'
        counts = "".join(
            f"<td>{h.summary.get(s, 0)}</td>" for s in ("pass", "fail", "error", "waived", "not_applicable")
        )
        summary += f"<tr><td>{e(h.host)}<div class='muted'>{e(h.hostname)}</div></td><td>{state}</td>{counts}</tr>"
    body = (
        f"<h1>Fleet compliance: {len(fleet.hosts)} host(s), {len(fleet.failing_hosts)} failing</h1>"
        "<h2>Hosts</h2><table><tr><th>host</th><th>state</th><th>pass</th><th>fail</th><th>error</th>"
        f"<th>waived</th><th>n/a</th></tr>{summary}</table>"
        f"<h2>Controls × hosts</h2><table><tr><th>control</th>{head}</tr>{''.join(rows)}</table>"
    )
    return page("Fleet compliance", body)
