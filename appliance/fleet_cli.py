"""Compliance with the office: `comptoir compliance push` on a till (its signed report, its
journal's security entries and its audit chain's head go to the office) and
`comptoir compliance fleet-report --office-data-dir …` at the office (the fleet's report
from what the lanes sent, no SSH). `security/compliance/cli.py` keeps the scanner and the
bench's file-based fleet report; this module is what needs the till's store or the office.

Exit codes of `push`: 0 all sent, 1 the office did not take the report (down, or refused;
the journal's and audit's events wait in the outbox all the same), 2 bad usage (not
enrolled, no report where told, a journal that cannot be read)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.app.domain.errors import Invalid

Command = Callable[..., argparse.ArgumentParser]


def cmd_push(args: argparse.Namespace) -> int:
    from appliance.app.services.opening import open_shop
    from appliance.app.services.security_log import send_audit_head, send_journal
    from appliance.config import load
    from appliance.lane import compliance, enrolment, journal
    from appliance.lane.outbox import OfficeUnreachable

    config = load(args.data_dir)
    try:
        enrolment.link(config.data_dir)
    except enrolment.EnrolmentError as exc:
        raise Invalid(str(exc)) from None
    report: str | None = None
    if not args.no_report:
        try:
            path = Path(args.report) if args.report else compliance.latest(Path(args.report_dir))
            report = compliance.read(path)
        except compliance.NoReport as exc:
            raise Invalid(str(exc)) from None
    if not args.no_logs:
        shop = open_shop(config)
        try:
            read, kept = send_journal(shop, journal.read)
            head = send_audit_head(shop)
        except journal.JournalUnreadable as exc:
            raise Invalid(f"the journal: {exc}") from None
        finally:
            shop.close()
        said = f"audit head {head['entry_id']}" if head else "audit head unchanged"
        print(f"journal: {kept} security entr{'y' if kept == 1 else 'ies'} of {read} read; {said}: in the outbox")
    if report is not None and not args.again and compliance.already_sent(config.data_dir, report):
        print("compliance report: the office has it already")
    elif report is not None:
        try:
            done = compliance.send(config.data_dir, report)
        except OfficeUnreachable as exc:
            print(f"comptoir compliance push: {exc}", file=sys.stderr)
            return 1
        compliance.mark_sent(config.data_dir, report)
        print(f"compliance report of {done.get('scanned_at')} taken by the office for {done['store']}/{done['till']}")
    return 0


def cmd_office_fleet_report(args: argparse.Namespace) -> int:
    import datetime as dt

    from appliance.office.services import fleet as office_fleet
    from appliance.office.services.office import Unavailable, open_office
    from appliance.office.store.db import OfficeDatabaseError
    from appliance.security.compliance.fleet import OFFICE_RENDER, office_exit_code

    dsn = args.office_database or os.environ.get("COMPTOIR_OFFICE_DATABASE")
    if not dsn or not args.office_data_dir:
        raise Invalid("fleet-report from the office needs --office-database DSN and --office-data-dir DIR")
    if not args.stale_days > 0:
        raise Invalid("--stale-days is a number of days above 0")
    try:
        office = open_office(dsn, Path(args.office_data_dir).expanduser())
        try:
            data = office_fleet.report(office, stale_after=dt.timedelta(days=args.stale_days))
        finally:
            office.close()
    except (OfficeDatabaseError, Unavailable) as exc:
        raise Invalid(str(exc)) from None
    text = OFFICE_RENDER[args.format](data)
    if args.output and args.output != "-":
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise Invalid(f"cannot write {args.output}: {exc.strerror or exc}") from None
        if args.format != "text":
            sys.stdout.write(OFFICE_RENDER["text"](data))
    else:
        sys.stdout.write(text)
    return office_exit_code(data)


def register(command: Command, compliance_sub: Any) -> None:
    """Adds `push` to `comptoir compliance` (its subcommands: `compliance_sub`)."""
    p = command(
        "push",
        cmd_push,
        "send this till's newest signed report, its journal's security entries and its audit head to the office",
        compliance_sub,
    )
    p.add_argument("--data-dir", help="the store's folder (default: $COMPTOIR_DATA_DIR)")
    p.add_argument(
        "--report-dir",
        default="/var/log/comptoir/compliance",
        help="where the scan writes its reports; the newest compliance-*.json is sent (default %(default)s)",
    )
    p.add_argument("--report", metavar="FILE", help="send this JSON report instead")
    p.add_argument("--no-report", action="store_true", help="only the journal and the audit head")
    p.add_argument("--no-logs", action="store_true", help="only the report")
    p.add_argument("--again", action="store_true", help="send the report even if the office took it already")
