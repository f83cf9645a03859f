"""`comptoir office report …` and `comptoir office day-check`: the chain's books (docs/office.md,
"The chain's books"). Only argparse is imported here, as in cli.py: the services load when a
command runs (the parser is built on every till, which has no psycopg).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

Where = Callable[[argparse.ArgumentParser], None]
Wrap = Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]


def _print_rows(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("Nothing in this period.")
        return
    columns = list(rows[0])
    print("  ".join(columns))
    for row in rows:
        print("  ".join(str(row[c]) for c in columns))


def cmd_office_report(args: argparse.Namespace) -> int:
    import json

    from appliance.office.services import books

    office = args.open_office(args)
    with args.plainly():
        found = books.report(
            office,
            books.OFFICE_CLI,
            args.name,
            store=args.store,
            start=args.start,
            end=args.end or args.start,
            lane=args.lane,
            timezone=args.timezone,
        )
    if args.json:
        print(json.dumps(found, indent=2, default=str))
        return 0
    where = ", ".join(found["stores"]) if found["stores"] else "every store"
    lane = f", lane {found['lane']}" if found["lane"] else ""
    print(f"{found['title']}: {where}{lane}, {found['from']} to {found['to']} ({found['timezone']})")
    _print_rows(found["rows"])
    if isinstance(found.get("totals"), dict) and found["totals"]:
        print(f"totals: {json.dumps(found['totals'], default=str)}")
    return 0


def cmd_office_day_check(args: argparse.Namespace) -> int:
    import json

    from appliance.office.services import books

    office = args.open_office(args)
    with args.plainly():
        found = books.day_check(office, args.store, args.day)
    print(json.dumps(found, indent=2, default=str) if args.json else "\n".join(books.day_check_words(found)))
    return 0 if found["equal"] else 1  # for cron: a day that differs is mailed


def register(command: Any, sub: Any, where: Where, plain: Wrap, open_office: Callable[..., Any], plainly: Any) -> None:
    """Adds `office report` and `office day-check`; cli.py's helpers come in (`open_office(args)`
    reads --database and --data-dir; `plainly` turns a refusal into exit 2) and ride on args."""

    def books_command(p: argparse.ArgumentParser) -> None:
        where(p)
        p.set_defaults(open_office=open_office, plainly=plainly)

    p = command("report", plain(cmd_office_report), "the chain's books: a report across stores, lanes and days", sub)
    books_command(p)
    # The names are the service's (books.REPORTS), written out here: the parser is built on every
    # till, which has no psycopg to import the service with.
    p.add_argument(
        "name", metavar="NAME", help="summary, by-day, by-hour, by-tax, by-tender, top-products, z-reports, journal"
    )
    p.add_argument("--store", help="one store (default: every store)")
    p.add_argument("--lane", help="one till of the store")
    p.add_argument("--from", dest="start", required=True, metavar="YYYY-MM-DD", help="the first day")
    p.add_argument("--to", dest="end", metavar="YYYY-MM-DD", help="the last day, included (default: --from)")
    p.add_argument("--timezone", help="whose days and hours (default: the store's, as its tills say)")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    p = command(
        "day-check",
        plain(cmd_office_day_check),
        "a store's day: the office's totals against the sum of its lanes' Z reports (exit 1 if they differ)",
        sub,
    )
    books_command(p)
    p.add_argument("--store", required=True)
    p.add_argument("--day", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--json", action="store_true", help="the check as JSON")
