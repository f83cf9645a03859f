"""`comptoir compliance …`: scan, validate, coverage, fleet-report.

Exit codes: 0 everything passes, 1 a control fails (or errors, or a fleet host fails),
2 bad usage (one line on stderr: a bad policy or waiver file with its line, a missing root).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

Command = Callable[[argparse.Namespace], int]


class Usage(Exception):
    """Exit 2 with this message."""


def _policies(args: argparse.Namespace) -> list[Any]:
    from appliance.security.compliance.policy import default_policy_paths, load_policies

    paths = [Path(p) for p in (args.policy or [])] or default_policy_paths()
    for path in paths:
        if not path.exists():
            raise Usage(f"{path}: no such policy file or folder")
    return load_policies(paths)


def _write(text: str, output: str | None) -> None:
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise Usage(f"cannot write {output}: {exc.strerror or exc}") from None


def cmd_scan(args: argparse.Namespace) -> int:
    from appliance.security.compliance.engine import scan
    from appliance.security.compliance.report import RENDER
    from appliance.security.compliance.target import Target
    from appliance.security.compliance.waivers import load_waivers

    root = Path(args.root)
    if not root.is_dir():
        raise Usage(f"--root {root}: not a folder")
    policies = _policies(args)
    waivers = []
    if args.waivers:
        if not Path(args.waivers).is_file():
            raise Usage(f"--waivers {args.waivers}: no such file")
        waivers = load_waivers(Path(args.waivers), [c.id for p in policies for c in p.controls])
    report = scan(Target.open(root), policies, waivers)
    _write(RENDER[args.format](report), args.output)
    if args.report_dir:
        folder = Path(args.report_dir)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise Usage(f"--report-dir {folder}: {exc.strerror or exc}") from None
        for fmt in ("json", "html"):
            _write(RENDER[fmt](report), str(folder / f"compliance-{stamp}.{fmt}"))
    return report.exit_code()


def cmd_validate(args: argparse.Namespace) -> int:
    from appliance.security.compliance.waivers import load_waivers

    policies = _policies(args)
    count = sum(len(p.controls) for p in policies)
    if args.waivers:
        load_waivers(Path(args.waivers), [c.id for p in policies for c in p.controls])
    print(f"{len(policies)} policy file(s), {count} controls: valid")
    return 0


def cmd_coverage(args: argparse.Namespace) -> int:
    from appliance.security.compliance import coverage

    table = coverage.rows(_policies(args))
    _write(coverage.to_json(table) if args.format == "json" else coverage.to_text(table), None)
    return 0


def cmd_fleet_report(args: argparse.Namespace) -> int:
    from appliance.security.compliance import fleet

    if args.office_data_dir or args.office_database:
        if args.reports:
            raise Usage("fleet-report reads either report folders (the bench) or the office, not both")
        if args.office_fleet_report is None:
            raise Usage("this comptoir cannot read an office")
        return int(args.office_fleet_report(args))
    if not args.reports:
        raise Usage("fleet-report needs report folders (the bench) or --office-data-dir (the office)")
    try:
        loaded = fleet.load([Path(p) for p in args.reports])
    except fleet.FleetError as exc:
        raise Usage(str(exc)) from None
    if args.json:
        _write(fleet.to_json(loaded), args.json)
    if args.html:
        _write(fleet.to_html(loaded), args.html)
    sys.stdout.write(fleet.to_text(loaded))
    return loaded.exit_code()


def _guarded(fn: Command) -> Command:
    """Bad policies, waivers and paths are usage errors: one line, exit 2."""

    def run(args: argparse.Namespace) -> int:
        from appliance.security.compliance.policy import PolicyError

        try:
            return fn(args)
        except (Usage, PolicyError) as exc:
            print(f"comptoir compliance: {exc}", file=sys.stderr)
            return 2

    return run


def register(command: Callable[..., argparse.ArgumentParser], office_fleet_report: Command | None = None) -> Any:
    """Adds `compliance` to the CLI; `command(name, fn, help, group)` is build_parser's helper.
    `office_fleet_report` builds the fleet report from the office (this module reads files
    only); the subcommands come back for the commands that talk to the office (`push`)."""
    from appliance.security.compliance.report import FORMATS

    group = command("compliance", lambda a: 2, "audit a kiosk, an image root or a fleet against policies")
    sub = group.add_subparsers(dest="compliance_command", metavar="ACTION", parser_class=type(group))
    sub.required = True

    def policy_option(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--policy",
            "--policies",
            dest="policy",
            action="extend",
            nargs="+",
            metavar="PATH",
            help="policy files or folders (default: $COMPTOIR_POLICIES, the checkout's policies/, "
            "/etc/comptoir/policies)",
        )

    p = command("scan", _guarded(cmd_scan), "check a root (an image, or / of this host) against the policies", sub)
    p.add_argument("--root", default="/", help="the root to read (default /; live-only checks run on a booted /)")
    policy_option(p)
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--output", metavar="FILE", help="write the report here (default: standard output)")
    p.add_argument("--waivers", metavar="FILE", help="YAML waivers: control, reason, expires (YYYY-MM-DD)")
    p.add_argument("--report-dir", metavar="DIR", help="also write timestamped JSON and HTML reports here")

    p = command("validate", _guarded(cmd_validate), "check policy (and waiver) files without scanning", sub)
    policy_option(p)
    p.add_argument("--waivers", metavar="FILE")

    p = command("coverage", _guarded(cmd_coverage), "guidance items → controls and roles; the uncovered ones", sub)
    policy_option(p)
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = command(
        "fleet-report",
        _guarded(cmd_fleet_report),
        "hosts × controls: from JSON scan reports (the bench, over SSH) or from the office (no SSH)",
        sub,
    )
    p.add_argument("reports", nargs="*", metavar="DIR", help="folders (searched for *.json) or report files")
    p.add_argument("--json", metavar="FILE", help="write the fleet report as JSON")
    p.add_argument("--html", metavar="FILE", help="write the fleet report as one HTML page")
    p.add_argument(
        "--office-database", metavar="DSN", help="the office's PostgreSQL (default $COMPTOIR_OFFICE_DATABASE)"
    )
    p.add_argument("--office-data-dir", metavar="DIR", help="the office's folder: read what the lanes sent it")
    p.add_argument("--format", choices=("text", "json", "html", "csv"), default="text", help="with the office")
    p.add_argument("--output", metavar="FILE", help="with the office: write the report here (default: stdout)")
    p.add_argument(
        "--stale-days", type=float, default=8.0, help="with the office: a report older than this is stale (8)"
    )
    p.set_defaults(office_fleet_report=office_fleet_report)
    return sub
