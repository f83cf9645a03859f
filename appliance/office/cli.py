"""`comptoir office …` (at the office) and `comptoir enrol` (on a till).

Only argparse is imported here: the parser is built for every command a till runs, and
psycopg, uvicorn and cryptography are loaded by the office's commands alone, when they run.
Bad input exits 2 with one line (each problem is raised as `Invalid`, which `comptoir`'s
main turns into that).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from appliance.app.domain.errors import Invalid
from appliance.cli_parts import Command, actions, read_input
from appliance.office import feed_cli


@contextmanager
def _plainly() -> Iterator[None]:
    """The office's own errors as one line and exit 2, like every bad input."""
    from appliance.lane.enrolment import EnrolmentError
    from appliance.office.services.office import Unavailable
    from appliance.office.store.db import OfficeDatabaseError
    from appliance.security.pki import CertificateError

    try:
        yield
    except (OfficeDatabaseError, Unavailable, EnrolmentError, CertificateError) as exc:
        raise Invalid(str(exc)) from None


def _plain(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        with _plainly():
            return fn(args)

    return run


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(os.path.abspath(Path(args.data_dir).expanduser()))


def _dsn(args: argparse.Namespace) -> str:
    dsn = args.database or os.environ.get("COMPTOIR_OFFICE_DATABASE")
    if not dsn:
        raise Invalid("the office needs --database DSN (or COMPTOIR_OFFICE_DATABASE)")
    return str(dsn)


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid {os.getuid()}"


def cmd_office_init(args: argparse.Namespace) -> int:
    from appliance.office.services.setup import init_office
    from appliance.security.pki import show_fingerprint

    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    with _plainly():
        done = init_office(
            _dsn(args), _data_dir(args), admin=args.admin, password=password, host_names=args.host_name or None
        )
    print(f"New office in {_data_dir(args)} (its CA's key and the audit key: keep this folder out of reach).")
    print(f"Host names in its certificate: {', '.join(done.host_names)}")
    print(f"Its CA: {show_fingerprint(done.ca_fingerprint)}")
    print(f"Chain admin: {done.admin}")
    if done.one_time_password:
        print(f"One-time password: {done.one_time_password}")
        print("It is shown once and must be changed at first login.")
    return 0


def _open(args: argparse.Namespace, *, pooled: bool = False) -> Any:
    from appliance.office.services.office import open_office

    with _plainly():
        return open_office(_dsn(args), _data_dir(args), pooled=pooled)


def cmd_office_serve(args: argparse.Namespace) -> int:
    from appliance.office import server

    enrol_port = args.enrol_port or args.port + 1
    if enrol_port == args.port:
        raise Invalid("--enrol-port must differ from --port")
    back_office_port = _back_office_port(args, enrol_port)
    office = _open(args, pooled=True)
    print(
        f"Office on https://{args.host}:{args.port} (lanes, with their certificates)"
        f" and https://{args.host}:{enrol_port} (enrolment)",
        flush=True,
    )
    if back_office_port is not None:
        print(f"Back office on https://{args.host}:{back_office_port}/ (people, with their passwords)", flush=True)
    try:
        server.serve(
            office, args.host, args.port, enrol_port, back_office_port, locale=args.locale, currency=args.currency
        )
    finally:
        office.close()
    return 0


def _back_office_port(args: argparse.Namespace, enrol_port: int) -> int | None:
    """The back office's port, when asked for: an office upgraded opens no new port by itself."""
    chosen: int | None = args.back_office_port
    if chosen is not None and chosen in (args.port, enrol_port):
        raise Invalid("--back-office-port must differ from --port and --enrol-port")
    return chosen


def cmd_office_enrol_token(args: argparse.Namespace) -> int:
    from appliance.office.services import enrolment
    from appliance.security.pki import show_fingerprint

    office = _open(args)
    issued = enrolment.issue_token(
        office, args.store, args.till, issued_by=_actor(), ttl=dt.timedelta(minutes=args.minutes)
    )
    print(f"Enrolment token for till {issued.till} of store {issued.store}: {issued.token}")
    print(f"Good once, until {issued.expires_at.isoformat(timespec='seconds')}.")
    print(f"The office's CA: {show_fingerprint(issued.ca_fingerprint)}")
    print(
        "On the till: comptoir enrol --data-dir DIR --office https://OFFICE:ENROL_PORT"
        f" --token {issued.token} --ca-fingerprint {issued.ca_fingerprint}"
    )
    return 0


def cmd_office_lanes(args: argparse.Namespace) -> int:
    from appliance.office.services import lanes

    office = _open(args)
    rows = lanes.listing(office)
    if not rows:
        print("No lane enrolled yet.")
        return 0
    # The largest backlog first: the lane that most needs looking at.
    print(f"{'store':<20} {'till':<10} {'enrolled at':<26} {'last contact':<26} {'seq':>9} {'backlog':>8} alarms")
    for row in rows:
        enrolled = _when(row["enrolled_at"])
        contact = _when(row["last_contact"]) if row["last_contact"] else "never"
        print(
            f"{row['store']!s:<20} {row['till']!s:<10} {enrolled:<26} {contact:<26}"
            f" {row['acked_seq']!s:>9} {row['backlog']!s:>8} {row['open_alarms']}"
        )
    return 0


def cmd_office_alarms(args: argparse.Namespace) -> int:
    from appliance.office.services import lane_events

    office = _open(args)
    rows = lane_events.alarms(office, open_only=not args.all)
    if not rows:
        print("No open alarm." if not args.all else "No alarm.")
        return 0
    for row in rows:
        state = f"resolved {_when(row['resolved_at'])}" if row["resolved_at"] else "OPEN"
        print(
            f"#{row['id']} {_when(row['raised_at'])} {row['store']}/{row['till']} {row['kind']}"
            f" at seq {row['seq']}: {state}"
        )
    return 1 if any(r["resolved_at"] is None for r in rows) else 0


def _when(value: object) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds") if isinstance(value, dt.datetime) else str(value)


def cmd_office_audit_verify(args: argparse.Namespace) -> int:
    from appliance.office.services import audit_log

    office = _open(args)
    count, problems = audit_log.verify(office)
    for problem in problems:
        print(problem)
    print(f"{count} entries, {len(problems)} problems")
    return 1 if problems else 0


def cmd_office_catalogue_import(args: argparse.Namespace) -> int:
    from appliance.office.services import catalogue

    text = read_input(args.file, encoding="utf-8-sig")
    office = _open(args)
    done = catalogue.import_csv(office, text, actor=_actor(), currency=args.currency)
    print(f"{done.changed} changed, {done.unchanged} as they were; the catalogue is at version {done.version}.")
    return 0


def _tax(text: str) -> tuple[str, str]:
    name, sep, rate = text.rpartition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"a tax is NAME=RATE (VAT=20), not {text!r}")
    return name, rate


def cmd_office_catalogue_tax_class(args: argparse.Namespace) -> int:
    from appliance.office.services import catalogue

    office = _open(args)
    done = catalogue.put_tax_class(office, args.code, args.name, args.tax or [], actor=_actor())
    print(f"Tax class {args.code}: {'changed' if done.changed else 'as it was'}; version {done.version}.")
    return 0


def cmd_office_catalogue_withdraw(args: argparse.Namespace) -> int:
    from appliance.office.services import catalogue

    office = _open(args)
    done = catalogue.withdraw(office, args.sku, actor=_actor())
    print(f"{done.changed} withdrawn from sale in every store; version {done.version}.")
    return 0


def cmd_office_catalogue_status(args: argparse.Namespace) -> int:
    from appliance.office.services import catalogue

    found = catalogue.status(_open(args))
    counts = found["counts"]
    print(
        f"Version {found['version']}: {counts.get('product', 0)} products on sale,"
        f" {counts.get('category', 0)} categories, {counts.get('tax_class', 0)} tax classes."
    )
    return 0


def cmd_enrol(args: argparse.Namespace) -> int:
    from appliance.lane import enrolment

    data_dir = args.data_dir or os.environ.get("COMPTOIR_DATA_DIR")
    if not data_dir:
        raise Invalid("enrol needs --data-dir DIR (or COMPTOIR_DATA_DIR)")
    folder = Path(os.path.abspath(Path(data_dir).expanduser()))
    with _plainly():
        link = enrolment.enrol(
            folder,
            args.office,
            args.token,
            ca_fingerprint=args.ca_fingerprint,
            warn=lambda line: print(line, file=sys.stderr),
        )
        answer = enrolment.hello(folder)
    print(f"Enrolled: till {link.till} of store {link.store}; the office answers at {link.lane_url}.")
    print(f"Client key: {link.key_path} (never leaves this box); office CA pinned: {link.ca_fingerprint}")
    print(f"First contact: {answer.get('last_contact')}")
    return 0


def _minutes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of minutes: {text!r}") from None
    if not 1 <= value <= 24 * 60:
        raise argparse.ArgumentTypeError("a token lives 1 to 1440 minutes")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("a port is 1 to 65535")
    return value


# -- gift cards (docs/office.md, "Shared balances") ----------------------------------------------


def cmd_office_gift_cards_offline_cap(args: argparse.Namespace) -> int:
    from appliance.app.domain.money import format_amount, parse_amount
    from appliance.office.services import gift_cards

    office = _open(args)
    currency = args.currency.upper()
    if args.amount is None:
        cap = gift_cards.offline_cap(office)
        print(f"A till the office does not answer may spend {format_amount(cap, currency)} {currency} of a card.")
        return 0
    cap = gift_cards.set_offline_cap(office, parse_amount(args.amount, currency), actor=_actor())
    written = format_amount(cap, currency)
    print(f"Offline cap set: a till the office does not answer may spend {written} {currency} of a card.")
    return 0


def cmd_office_points_offline_cap(args: argparse.Namespace) -> int:
    from appliance.office.services import customers

    office = _open(args)
    if args.points is None:
        cap = customers.points_offline_cap(office)
        print(f"A till the office does not answer may spend {cap} points of a customer.")
        return 0
    if not args.points.isdigit():
        raise Invalid("the cap is a whole number of points, 1 or more", "invalid_cap")
    cap = customers.set_points_offline_cap(office, int(args.points), actor=_actor())
    print(f"Offline cap set: a till the office does not answer may spend {cap} points of a customer.")
    return 0


def _register_gift_cards(command: Command, sub: Any, where: Callable[[argparse.ArgumentParser], None]) -> None:
    gsub = actions(command, "gift-cards", "gift cards, points and store credit shared by the chain", sub)
    p = command(
        "offline-cap",
        _plain(cmd_office_gift_cards_offline_cap),
        "show or set what a till may spend of a card while the office does not answer (never off)",
        gsub,
    )
    where(p)
    p.add_argument("amount", nargs="?", help="the new cap as the shop writes it, 50.00 (none: show it)")
    p.add_argument("--currency", default="EUR", help="the chain's currency (default EUR)")
    p = command(
        "points-offline-cap",
        _plain(cmd_office_points_offline_cap),
        "show or set the points a till may spend of a customer while the office does not answer (never off)",
        gsub,
    )
    where(p)
    p.add_argument("points", nargs="?", help="the new cap in points, 500 (none: show it)")


def _back_office_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--back-office-port",
        type=_port,
        help="serve the back office, for people with a browser, on this port (default: not served)",
    )
    p.add_argument(
        "--locale", default="en", help="how the back office's people write amounts: fr types 12,50 (default en)"
    )
    p.add_argument(
        "--currency", default="EUR", help="the chain's currency, for the back office's amounts (default EUR)"
    )


def register(command: Command) -> None:
    """Adds `office` and `enrol`; `command(name, fn, help, group)` is build_parser's helper."""
    sub = actions(command, "office", "the office: lanes and stores that share, on PostgreSQL")

    def where(p: argparse.ArgumentParser) -> None:
        p.add_argument("--database", help="the PostgreSQL DSN (default: $COMPTOIR_OFFICE_DATABASE)")
        p.add_argument("--data-dir", required=True, help="the office's folder: its CA, certificate and audit key")

    p = command("init", _plain(cmd_office_init), "make the office: its CA, schema, and first chain admin", sub)
    where(p)
    p.add_argument("--admin", default="admin", help="the first chain admin's name (default admin)")
    p.add_argument("--password-stdin", action="store_true", help="read the admin's password (else one is made)")
    p.add_argument(
        "--host-name",
        action="append",
        metavar="NAME",
        help="a name or address tills reach the office by (repeat; default: localhost, loopback, this host's names)",
    )
    p = command("serve", _plain(cmd_office_serve), "serve the office over HTTPS", sub)
    where(p)
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, required=True, help="the lanes' port (mutual TLS)")
    p.add_argument("--enrol-port", type=_port, help="the enrolment port (default: --port + 1)")
    _back_office_option(p)
    p = command("enrol-token", _plain(cmd_office_enrol_token), "a one-time token to enrol a till", sub)
    where(p)
    p.add_argument("--store", required=True)
    p.add_argument("--till", required=True)
    p.add_argument("--minutes", type=_minutes, default=15, help="how long it is good for (default 15)")
    where(
        command(
            "lanes",
            _plain(cmd_office_lanes),
            "the lanes: last contact, the seq held with none missing, backlog, open alarms",
            sub,
        )
    )
    p = command("alarms", _plain(cmd_office_alarms), "the lanes' alarms: changed, missing or unlinked events", sub)
    where(p)
    p.add_argument("--all", action="store_true", help="resolved alarms too")
    where(command("audit-verify", _plain(cmd_office_audit_verify), "check the office's audit chain", sub))
    register_return_holds(command, sub, where)

    csub = actions(command, "catalogue", "the chain's catalogue, which every lane pulls", sub)
    p = command("import", _plain(cmd_office_catalogue_import), "make or change products from a CSV file", csub)
    where(p)
    p.add_argument("file", metavar="FILE.csv", help="sku,name,price[,tax_class,barcodes,category,…] ('-': stdin)")
    p.add_argument("--currency", default="EUR", help="the currency of the prices in the file (default EUR)")
    p = command("tax-class", _plain(cmd_office_catalogue_tax_class), "make or change a tax class", csub)
    where(p)
    p.add_argument("code")
    p.add_argument("--name", required=True)
    p.add_argument("--tax", type=_tax, action="append", metavar="NAME=RATE", help="a tax and its rate (repeat)")
    p = command("withdraw", _plain(cmd_office_catalogue_withdraw), "take products off sale in every store", csub)
    where(p)
    p.add_argument("sku", nargs="+")
    where(command("status", _plain(cmd_office_catalogue_status), "the catalogue's version and counts", csub))
    _register_gift_cards(command, sub, where)

    from appliance.office import cli_stock  # argparse only, like this module

    cli_stock.register(command, sub, where, _plain, _open)
    feed_cli.register(command, sub, where, feed_cli.Tools(_plain, _open, _actor))

    from appliance.office import cli_books  # argparse only, like this module

    cli_books.register(command, sub, where, _plain, _open, _plainly)

    from appliance.office import cli_updates  # argparse only, like this module

    cli_updates.register(command, sub, where, _plain, _open, _actor)

    from appliance import config_cli  # argparse only, like this module

    config_cli.register_office(command, sub, where, _plain, _open, _actor)

    p = command("enrol", _plain(cmd_enrol), "make this till a lane of an office (key pair, certificate, pinned CA)")
    p.add_argument("--data-dir", help="the till's folder (default: $COMPTOIR_DATA_DIR)")
    p.add_argument("--office", required=True, help="the office's enrolment address, https://HOST:PORT")
    p.add_argument("--token", required=True, help="the one-time token from comptoir office enrol-token")
    p.add_argument("--ca-fingerprint", help="the office CA's SHA-256, as the token's printout shows it")


# -- returns across lanes (docs/office.md, "Returns across lanes") ---------------------------------


def cmd_office_return_holds(args: argparse.Namespace) -> int:
    from appliance.office.services import returns_across

    rows = returns_across.open_holds(_open(args))
    if not rows:
        print("No return hold open.")
        return 0
    for row in rows:
        lines = ", ".join(f"line {ln['line']} x{ln['quantity']}" for ln in row["lines"])
        print(
            f"{_when(row['created_at'])} {row['by_store']}/{row['by_till']} holds {row['hold_key']}:"
            f" sale {row['sale_id']} of {row['store']}/{row['till']}, {lines}"
        )
    return 0


def cmd_office_return_hold_release(args: argparse.Namespace) -> int:
    from appliance.office.services import returns_across

    with _plainly():
        returns_across.release_at_office(_open(args), _actor(), args.lane, args.key)
    print(f"Released {args.key} of {args.lane}: those units may be returned again.")
    return 0


def register_return_holds(command: Command, sub: Any, where: Callable[[argparse.ArgumentParser], None]) -> None:
    where(command("return-holds", _plain(cmd_office_return_holds), "return holds no refund used yet", sub))
    p = command(
        "return-hold-release", _plain(cmd_office_return_hold_release), "give back a hold a lane left (audited)", sub
    )
    where(p)
    p.add_argument("lane", metavar="STORE/TILL", help="the lane that holds it")
    p.add_argument("key", help="the hold's key, as return-holds lists it")
