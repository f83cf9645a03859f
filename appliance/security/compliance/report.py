"""A scan as text (people at a terminal), JSON (machines, the fleet report), JUnit XML
(CI dashboards: one test case per control) and HTML (one self-contained page: summary
first, then failures first). Everything that came from a target is escaped."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable

from appliance.security.compliance.engine import ScanReport
from appliance.security.compliance.model import Result, Status

FORMATS = ("text", "json", "junit", "html")
_LABEL = {
    Status.PASS: "PASS",
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.NOT_APPLICABLE: "N/A",
    Status.WAIVED: "WAIVED",
}


_MARK = {True: "✓", False: "✗", None: "·"}


def _refs(result: Result) -> str:
    return ", ".join(str(r) for r in result.control.references)


def _summary_line(report: ScanReport) -> str:
    c = report.counts()
    return (
        f"{len(report.results)} controls: {c['pass']} pass, {c['fail']} fail, {c['error']} error, "
        f"{c['waived']} waived, {c['not_applicable']} not applicable; score {report.score()}%; "
        f"{report.seconds:.2f} s"
    )


def _kind(report: ScanReport) -> str:
    return "running host" if report.live else "image root"


def to_text(report: ScanReport) -> str:
    lines = [
        f"Comptoir compliance scan of {report.root} ({_kind(report)}, host {report.hostname}) at {report.started}",
        _summary_line(report),
        "",
    ]
    for result in report.ordered():
        c = result.control
        lines.append(f"{_LABEL[result.status]:<6} [{c.severity}] {c.id}  {c.title}")
        if result.status in (Status.PASS, Status.NOT_APPLICABLE):
            continue
        lines.append(f"       refs: {_refs(result)}")
        for e in result.evidence:
            lines.append(f"       {_MARK[e.ok]} {e.where}: expected {e.expected}; found {e.found}")
        if result.waiver:
            lines.append(f"       waiver: {result.waiver['reason']} (until {result.waiver['expires']})")
        lines.append(f"       fix: role {c.remediation.role}, tag {c.remediation.tag}: {c.remediation.text}")
    return "\n".join(lines) + "\n"


def to_json(report: ScanReport) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"


def _details(result: Result) -> str:
    c = result.control
    parts = [f"{e.where}: expected {e.expected}; found {e.found}" for e in result.evidence]
    parts.append(f"references: {_refs(result)}")
    parts.append(f"remediation: role {c.remediation.role}, tag {c.remediation.tag}: {c.remediation.text}")
    return "\n".join(parts)


def to_junit(report: ScanReport) -> str:
    c = report.counts()
    suites = ET.Element(
        "testsuites",
        name=f"comptoir compliance {report.hostname}",
        tests=str(len(report.results)),
        failures=str(c["fail"]),
        errors=str(c["error"]),
        skipped=str(c["not_applicable"] + c["waived"]),
        time=f"{report.seconds:.3f}",
    )
    for policy in report.policies:
        mine = [r for r in report.results if r.control.policy == policy.id]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=policy.id,
            tests=str(len(mine)),
            failures=str(sum(r.status is Status.FAIL for r in mine)),
            errors=str(sum(r.status is Status.ERROR for r in mine)),
            skipped=str(sum(r.status in (Status.NOT_APPLICABLE, Status.WAIVED) for r in mine)),
            time=f"{sum(r.seconds for r in mine):.3f}",
            hostname=report.hostname,
            timestamp=report.started,
        )
        for result in mine:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=policy.id,
                name=f"{result.control.id} {result.control.title}",
                time=f"{result.seconds:.4f}",
            )
            first = result.evidence[0].found if result.evidence else ""
            if result.status is Status.FAIL:
                ET.SubElement(case, "failure", message=first, type=result.control.severity).text = _details(result)
            elif result.status is Status.ERROR:
                ET.SubElement(case, "error", message=first, type="error").text = _details(result)
            elif result.status is Status.WAIVED:
                reason = result.waiver["reason"] if result.waiver else ""
                ET.SubElement(case, "skipped", message=f"waived: {reason}")
            elif result.status is Status.NOT_APPLICABLE:
                ET.SubElement(case, "skipped", message=f"not applicable: {first}")
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


# -- HTML ----------------------------------------------------------------------------------

CSS = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d1d1f}
h1{font-size:1.5rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin:2rem 0 .5rem}
table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
.s{display:inline-block;min-width:4.5rem;padding:.1rem .4rem;border-radius:.3rem;font-weight:600;text-align:center}
.fail{background:#fdd;color:#900}.error{background:#fec;color:#850}.waived{background:#eef;color:#336}
.pass{background:#dfd;color:#060}.not_applicable{background:#eee;color:#555}
.cards{display:flex;gap:.6rem;flex-wrap:wrap}.card{padding:.6rem 1rem;border-radius:.4rem;min-width:7rem}
.card b{display:block;font-size:1.6rem}code,.ev{font-family:ui-monospace,monospace;font-size:.85rem}
.ev{white-space:pre-wrap;margin:.3rem 0;color:#333}.muted{color:#666}
"""


def _badge(status: Status) -> str:
    return f'<span class="s {status.value}">{_LABEL[status]}</span>'


def _row(result: Result, full: bool) -> str:
    c = result.control
    e = html.escape
    cells = [_badge(result.status), f"<code>{e(c.id)}</code>", e(c.severity)]
    body = f"<b>{e(c.title)}</b>"
    if full:
        body += f'<div class="muted">{e(c.rationale)}</div>'
        body += "".join(
            f'<div class="ev">{_MARK[v.ok]} {e(v.where)}\n  expected: {e(v.expected)}\n  found: {e(v.found)}</div>'
            for v in result.evidence
        )
        if result.waiver:
            body += f"<div>Waiver: {e(result.waiver['reason'])} (until {e(result.waiver['expires'])})</div>"
        fix = f"role <code>{e(c.remediation.role)}</code>, tag <code>{e(c.remediation.tag)}</code>"
        body += f"<div>Fix: {fix}: {e(c.remediation.text)}</div>"
    body += f'<div class="muted">{e(_refs(result))}</div>'
    return "<tr>" + "".join(f"<td>{x}</td>" for x in cells) + f"<td>{body}</td></tr>"


def page(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{CSS}</style></head>'
        f"<body>{body}</body></html>\n"
    )


def to_html(report: ScanReport) -> str:
    e = html.escape
    c = report.counts()
    cards = "".join(
        f'<div class="card {s.value}"><b>{c[s.value]}</b>{_LABEL[s]}</div>'
        for s in (Status.FAIL, Status.ERROR, Status.WAIVED, Status.PASS, Status.NOT_APPLICABLE)
    )
    ordered = report.ordered()
    sections = [
        ("Failures and errors", [r for r in ordered if r.status in (Status.FAIL, Status.ERROR)], True),
        ("Waived", [r for r in ordered if r.status is Status.WAIVED], True),
        ("Passed", [r for r in ordered if r.status is Status.PASS], False),
        ("Not applicable", [r for r in ordered if r.status is Status.NOT_APPLICABLE], True),
    ]
    body = (
        f"<h1>Compliance of {e(report.hostname)}</h1>"
        f'<p class="muted">{e(report.root)} ({_kind(report)}), scanned {e(report.started)} in {report.seconds:.2f} s; '
        f"policies: {e(', '.join(p.id for p in report.policies))}</p>"
        f'<div class="cards">{cards}<div class="card"><b>{report.score()}%</b>score</div></div>'
    )
    for heading, rows, full in sections:
        if rows:
            body += f"<h2>{e(heading)} ({len(rows)})</h2><table>" + "".join(_row(r, full) for r in rows) + "</table>"
    return page(f"Compliance of {report.hostname}", body)


RENDER: dict[str, Callable[[ScanReport], str]] = {"text": to_text, "json": to_json, "junit": to_junit, "html": to_html}
