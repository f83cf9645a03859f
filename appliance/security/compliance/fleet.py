"""The fleet report: many hosts' JSON scan reports as one hosts × controls matrix (JSON
and HTML). Any host with a failing (or erroring) control makes the fleet fail."""

from __future__ import annotations

import csv
import html
import io
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


def parse(data: Any, host: str, where: str) -> tuple[HostReport, dict[str, dict[str, str]]]:
    """One scan report (its JSON, loaded) as a host's row, and its controls' titles,
    severities and policies. `where` names the report in an error: a file, or a lane."""
    try:
        results = data["results"]
        hostname = str(data.get("target", {}).get("hostname") or "")
        statuses = {str(r["id"]): str(r["status"]) for r in results}
        controls = {
            str(r["id"]): {
                "title": str(r.get("title", "")),
                "severity": str(r.get("severity", "")),
                "policy": str(r.get("policy", "")),
            }
            for r in results
        }
    except (KeyError, TypeError, AttributeError) as exc:
        raise FleetError(f"{where}: not a compliance scan report ({type(exc).__name__}: {exc})") from None
    known = {str(s) for s in Status}
    odd = sorted({s for s in statuses.values() if s not in known})
    if odd:
        raise FleetError(f"{where}: unknown status {', '.join(odd)}")
    failing = sorted(i for i, s in statuses.items() if s in (Status.FAIL, Status.ERROR))
    summary = {str(s): sum(v == s for v in statuses.values()) for s in Status}
    return HostReport(host, hostname, where, summary, statuses, failing), controls


def _host(file: Path) -> tuple[HostReport, dict[str, dict[str, str]]]:
    try:
        data: Any = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise FleetError(f"{file}: not a compliance scan report ({type(exc).__name__}: {exc})") from None
    return parse(data, file.stem, str(file))


def load(paths: list[Path]) -> Fleet:
    fleet = Fleet()
    seen: dict[str, str] = {}
    for file in _files(paths):
        host, controls = _host(file)
        if host.host in seen:
            raise FleetError(f"{file}: host {host.host} already reported by {seen[host.host]}")
        seen[host.host] = str(file)
        fleet.hosts.append(host)
        for cid, meta in controls.items():
            fleet.controls.setdefault(cid, meta)
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


# -- the fleet as the office knows it (office/services/fleet.report's dict) -------------------


def office_exit_code(data: dict[str, Any]) -> int:
    """1 when a lane fails a control, sent a stale report, none, or one not signed by it, or
    its pulled configuration failed or drifted."""
    keys = (
        "failing_lanes",
        "stale_lanes",
        "unreported_lanes",
        "bad_signature_lanes",
        "config_drift_lanes",
        "config_failed_lanes",
    )
    return 1 if any(data.get(k) for k in keys) else 0


def office_to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"


def _age(lane: dict[str, Any]) -> str:
    report = lane.get("report")
    return str(report["scanned_at"]) if report else "never"


def _software(lane: dict[str, Any]) -> str:
    """Runs R, should run W (ring, pinned); its last update event."""
    said = f"runs {lane.get('running_version') or '?'}, should run {lane.get('wanted_version') or 'as it is'}"
    said += f" (ring {lane.get('ring') or '?'}{', pinned' if lane.get('pinned') else ''})"
    last = lane.get("last_update")
    if last:
        said += f"; last update event {last['kind']} {last.get('version') or ''} at {last['at']}"
        said += f" ({last['reason']})" if last.get("reason") else ""
    return said


def config_said(lane: dict[str, Any]) -> str:
    """The lane's pulled configuration in a few words: its state, the version applied
    (short) against the one served, and the last run's counts."""
    config = lane.get("config") or {}
    run = config.get("last_run")
    if not run:
        return str(config.get("state", "never pulled"))
    served = str(config.get("served_version") or "?")[:12]
    applied = str(run["bundle_version"] or "-")[:12]
    return (
        f"{config['state']} {applied} (serving {served}): "
        f"ok {run['ok']}, changed {run['changed']}, failed {run['failed']}"
    )


def office_to_text(data: dict[str, Any]) -> str:
    lanes = data["lanes"]
    lines = [
        f"{len(lanes)} lane(s), {len(data['controls'])} control(s); failing: {len(data['failing_lanes'])}, "
        f"stale: {len(data['stale_lanes'])}, no report: {len(data['unreported_lanes'])} (as of {data['generated_at']})"
    ]
    for lane in lanes:
        report = lane.get("report") or {}
        failing = report.get("failing") or []
        shown = ", ".join(failing[:8]) + (f" and {len(failing) - 8} more" if len(failing) > 8 else "")
        state = lane["state"].upper() + (f", {len(failing)} control(s): {shown}" if failing else "")
        lines.append(
            f"  {lane['lane']}: {state}; scanned {_age(lane)}, version {lane['version'] or '?'}, "
            f"last contact {lane['last_contact'] or 'never'}, backlog {lane['backlog']}; "
            f"config {config_said(lane)}"
        )
        if "running_version" in lane:
            lines.append(f"    software: {_software(lane)}")
    return "\n".join(lines) + "\n"


CSV_LANE_COLUMNS = (
    "lane",
    "store",
    "till",
    "hostname",
    "state",
    "version",
    "last_contact",
    "backlog",
    "scanned_at",
    "received_at",
    "stale",
    "signature_ok",
    "failing",
    "running_version",
    "wanted_version",
    "last_update",
    "config",
)


def _cell(value: object) -> object:
    # A spreadsheet runs a cell that starts with = + - @ as a formula (CSV injection); a
    # hostname or control id comes from a box, so such a cell is quoted as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def office_to_csv(data: dict[str, Any]) -> str:
    """One row per lane: who, how it stands, then one column per control (its status)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    ids = list(data["controls"])
    writer.writerow([_cell(v) for v in (*CSV_LANE_COLUMNS, *ids)])
    for lane in data["lanes"]:
        report = lane.get("report") or {}
        statuses = report.get("statuses") or {}
        row = [
            lane["lane"],
            lane["store"],
            lane["till"],
            lane["hostname"],
            lane["state"],
            lane["version"] or "",
            lane["last_contact"] or "",
            lane["backlog"],
            report.get("scanned_at", ""),
            report.get("received_at", ""),
            report.get("stale", ""),
            report.get("signature_ok", ""),
            len(report.get("failing") or []),
            lane.get("running_version") or "",
            lane.get("wanted_version") or "",
            (lane.get("last_update") or {}).get("kind", ""),
            config_said(lane),
            *(statuses.get(cid, "") for cid in ids),
        ]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


_STATE_CSS = {"passing": "pass", "failing": "fail", "stale": "error", "no report": "error", "bad signature": "fail"}


def office_to_html(data: dict[str, Any]) -> str:
    e = html.escape
    lanes = data["lanes"]
    ids = sorted(data["controls"], key=lambda c: (not data["controls"][c]["failing_lanes"], c))
    summary = ""
    for lane in lanes:
        report = lane.get("report") or {}
        css = _STATE_CSS.get(lane["state"], "not_applicable")
        counts = "".join(
            f"<td>{(report.get('summary') or {}).get(s, '')}</td>" for s in ("pass", "fail", "error", "waived")
        )
        summary += (
            f"<tr><td>{e(lane['lane'])}<div class='muted'>{e(lane['hostname'])}</div></td>"
            f'<td><span class="s {css}">{e(lane["state"])}</span></td>'
            f"<td>{e(_age(lane))}</td><td>{e(lane['version'] or '?')}</td>"
            f"<td>{e(lane['last_contact'] or 'never')}</td><td>{lane['backlog']}</td>{counts}"
            f"<td>{e(_software(lane))}</td><td>{e(config_said(lane))}</td></tr>"
        )
    head = "".join(f"<th>{e(lane['lane'])}</th>" for lane in lanes)
    rows = []
    for cid in ids:
        cells = ""
        for lane in lanes:
            status = ((lane.get("report") or {}).get("statuses") or {}).get(cid, "missing")
            css = status if status in _SHORT and status != "missing" else "not_applicable"
            cells += f'<td><span class="s {css}" title="{e(status)}">{_SHORT.get(status, "?")}</span></td>'
        title = e(data["controls"][cid]["title"])
        rows.append(f"<tr><td><code>{e(cid)}</code><div class='muted'>{title}</div></td>{cells}</tr>")
    body = (
        f"<h1>Fleet compliance: {len(lanes)} lane(s), {len(data['failing_lanes'])} failing, "
        f"{len(data['stale_lanes'])} stale, {len(data['unreported_lanes'])} with no report</h1>"
        f'<p class="muted">From what the office received, as of {e(data["generated_at"])}; '
        f"a report older than {data['stale_after_days']:g} days is stale.</p>"
        "<h2>Lanes</h2><table><tr><th>lane</th><th>state</th><th>scanned</th><th>version</th>"
        f"<th>last contact</th><th>backlog</th><th>pass</th><th>fail</th><th>error</th><th>waived</th>"
        f"<th>software</th><th>configuration</th></tr>{summary}"
        f"</table><h2>Controls × lanes</h2><table><tr><th>control</th>{head}</tr>{''.join(rows)}</table>"
    )
    return page("Fleet compliance", body)


OFFICE_RENDER = {"json": office_to_json, "html": office_to_html, "csv": office_to_csv, "text": office_to_text}
