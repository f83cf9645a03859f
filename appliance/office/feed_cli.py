"""`comptoir office price|staff|rules …`: more of what the office feeds down to its lanes
(docs/office.md, "More of the feed"). Kept apart from cli.py, which calls `register`; like it,
only argparse is imported here, the office's services when a command runs."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from appliance.app.domain.errors import Invalid
from appliance.cli_parts import Command, actions

Run = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Tools:
    """What cli.py lends: its error wrapper, its way to open the office, who is acting."""

    plain: Callable[[Run], Run]
    open: Callable[[argparse.Namespace], Any]
    actor: Callable[[], str]


def cmd_office_price_set(tools: Tools, args: argparse.Namespace) -> int:
    from appliance.office.services import prices

    office = tools.open(args)
    done = prices.set_price(
        office, args.sku, args.price, args.start, store=args.store, actor=tools.actor(), currency=args.currency
    )
    where = f"in {args.store}" if args.store else "in every store"
    print(f"{args.sku} at {args.price} from {args.start} {where}: {'set' if done.changed else 'as it was'};"
          f" version {done.version}.")  # fmt: skip
    return 0


def cmd_office_price_cancel(tools: Tools, args: argparse.Namespace) -> int:
    from appliance.office.services import prices

    done = prices.cancel_price(tools.open(args), args.sku, args.start, store=args.store, actor=tools.actor())
    print(f"The price of {args.sku} from {args.start} is taken back; version {done.version}.")
    return 0


def cmd_office_price_list(tools: Tools, args: argparse.Namespace) -> int:
    from appliance.app.domain.money import format_amount
    from appliance.office.services import prices

    found = prices.prices(tools.open(args), args.sku)
    for row in found:
        print(f"{row['from']}  {format_amount(int(row['price']), args.currency):>12}  {row['store'] or 'every store'}")
    if not found:
        print(f"{args.sku} has no price set from a date: its catalogue price holds.")
    return 0


def _secret(what: str, wanted: bool) -> str | None:
    """A password or PIN from stdin, one a line, in the order asked (never an argument: the
    process list would show it)."""
    if not wanted:
        return None
    if sys.stdin.isatty():
        return getpass.getpass(f"{what}: ")
    line = sys.stdin.readline()
    if not line.strip():
        raise Invalid(f"the {what} is missing on stdin")
    return line.rstrip("\n")


def cmd_office_staff_add(tools: Tools, args: argparse.Namespace) -> int:
    from appliance.office.services import store_staff as staff

    password, pin = _secret("password", True), _secret("PIN", args.pin_stdin)
    office = tools.open(args)
    done = staff.add(office, args.store, args.username, args.role, str(password), pin=pin, actor=tools.actor())
    print(f"{args.username}, {args.role} of {args.store}: at its tills after their next pull; version {done.version}.")
    return 0


def cmd_office_staff_change(tools: Tools, args: argparse.Namespace) -> int:
    from appliance.office.services import store_staff as staff

    password, pin = _secret("password", args.password_stdin), _secret("PIN", args.pin_stdin)
    active = False if args.disable else True if args.enable else None
    office = tools.open(args)
    done = staff.change(
        office, args.store, args.username, role=args.role, active=active, password=password, pin=pin,
        actor=tools.actor(),
    )  # fmt: skip
    print(f"{args.username} of {args.store}: {'changed' if done.changed else 'as they were'}; version {done.version}.")
    return 0


def cmd_office_staff_list(tools: Tools, args: argparse.Namespace) -> int:
    from appliance.office.services import store_staff as staff

    for person in staff.people(tools.open(args), args.store):
        state = "active" if person["active"] else "disabled"
        print(f"{person['username']:<32} {person['role']:<11} {state:<8} {'PIN' if person['pin'] else ''}")
    return 0


def _rule(text: str) -> tuple[str, Any]:
    """NAME=VALUE, the value read as JSON (true, 365, "fr-CA") or else as text (fr-CA)."""
    import json

    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"a rule is NAME=VALUE (keyed_card_payments=false), not {text!r}")
    try:
        return name.strip(), json.loads(value)
    except ValueError:
        return name.strip(), value


def cmd_office_rules_set(tools: Tools, args: argparse.Namespace) -> int:
    from appliance.office.services import store_rules

    office = tools.open(args)
    values = dict(args.rule or [])
    done = store_rules.change(office, args.store, values, release=args.release or [], actor=tools.actor())
    print(f"The rules of {args.store}: {'changed' if done.changed else 'as they were'}; version {done.version}.")
    return 0


def cmd_office_rules_show(tools: Tools, args: argparse.Namespace) -> int:
    import json

    from appliance.office.services import store_rules

    found = store_rules.rules(tools.open(args), args.store)
    for name, value in sorted(found.items()):
        print(f"{name} = {json.dumps(value)}")
    if not found:
        print(f"The office decides none of {args.store}'s rules: they are the store's own.")
    return 0


def cmd_office_grid_set(tools: Tools, args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from appliance.office.services import item_grids

    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        tabs = json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise Invalid(f"cannot read the grid in {args.file}: {exc}") from None
    done = item_grids.set_grid(tools.open(args), tabs, store=args.store, actor=tools.actor())
    where = args.store or "every store"
    print(f"The grid of {where}: {'set' if done.changed else 'as it was'}; version {done.version}.")
    return 0


def cmd_office_grid_release(tools: Tools, args: argparse.Namespace) -> int:
    from appliance.office.services import item_grids

    done = item_grids.release(tools.open(args), args.store, actor=tools.actor())
    print(f"{args.store} takes the chain's grid again; version {done.version}.")
    return 0


def cmd_office_promotion_set(tools: Tools, args: argparse.Namespace) -> int:
    from appliance.office.services import promotions

    done = promotions.put(
        tools.open(args), args.code, name=args.name, kind=args.kind, starts=args.starts, ends=args.ends,
        sku=args.sku, category=args.category, quantity=args.quantity, price=args.price, percent=args.percent,
        store=args.store, currency=args.currency, actor=tools.actor(),
    )  # fmt: skip
    print(f"Promotion {args.code}: {'set' if done.changed else 'as it was'}; version {done.version}.")
    return 0


def cmd_office_promotion_end(tools: Tools, args: argparse.Namespace) -> int:
    from appliance.office.services import promotions

    done = promotions.end(tools.open(args), args.code, store=args.store, actor=tools.actor())
    print(f"Promotion {args.code} ends at the tills' next pull; version {done.version}.")
    return 0


def register(command: Command, sub: Any, where: Callable[[argparse.ArgumentParser], None], tools: Tools) -> None:
    def run(fn: Callable[[Tools, argparse.Namespace], int]) -> Run:
        return tools.plain(partial(fn, tools))

    rsub = actions(command, "rules", "the rules of a store that the chain decides", sub)
    p = command("set", run(cmd_office_rules_set), "set rules of a store, or give them back to it", rsub)
    where(p)
    p.add_argument("--store", required=True)
    p.add_argument("rule", nargs="*", type=_rule, metavar="NAME=VALUE", help="keyed_card_payments=false …")
    p.add_argument("--release", action="append", metavar="NAME", help="the store decides this rule again")
    p = command("show", run(cmd_office_rules_show), "the rules the office decides for a store", rsub)
    where(p)
    p.add_argument("--store", required=True)
    ssub = actions(command, "staff", "the people of a store, at its tills after their next pull", sub)
    p = command("add", run(cmd_office_staff_add), "a person of a store (password on stdin)", ssub)
    where(p)
    p.add_argument("--store", required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--role", required=True, help="cashier, supervisor, manager, admin or auditor")
    p.add_argument("--pin-stdin", action="store_true", help="a PIN too, on the line after the password")
    p = command("change", run(cmd_office_staff_change), "a person's role, password, PIN, or disable", ssub)
    where(p)
    p.add_argument("--store", required=True)
    p.add_argument("--username", required=True)
    p.add_argument("--role")
    state = p.add_mutually_exclusive_group()
    state.add_argument("--disable", action="store_true", help="logged out and refused at the tills")
    state.add_argument("--enable", action="store_true")
    p.add_argument("--password-stdin", action="store_true", help="a new password on stdin")
    p.add_argument("--pin-stdin", action="store_true", help="a new PIN on stdin (after the password if both)")
    p = command("list", run(cmd_office_staff_list), "the people of a store", ssub)
    where(p)
    p.add_argument("--store", required=True)

    psub = actions(command, "price", "a product's price from a date, for the chain or one store", sub)
    for name, fn, text in (
        ("set", cmd_office_price_set, "the price of a product from a date and time on"),
        ("cancel", cmd_office_price_cancel, "take back a price set from a date"),
        ("list", cmd_office_price_list, "the prices of a product set from a date"),
    ):
        p = command(name, run(fn), text, psub)
        where(p)
        p.add_argument("--sku", required=True)
        p.add_argument("--currency", default="EUR", help="the currency of the price (default EUR)")
        if name == "list":
            continue
        p.add_argument("--start", required=True, help="from when: 2026-12-07T00:00+01:00 (its offset is needed)")
        p.add_argument("--store", help="this store only (default: every store of the chain)")
        if name == "set":
            p.add_argument("--price", required=True, help="in major units: 2.99")
    gsub = actions(command, "grid", "the till's grid of item buttons, for the chain or one store", sub)
    p = command("set", run(cmd_office_grid_set), "lay out the grid from a JSON file", gsub)
    where(p)
    p.add_argument("file", metavar="FILE.json", help='[{"category": "Bakery", "products": ["CRO", …]}, …] (- : stdin)')
    p.add_argument("--store", help="this store only, over the chain's grid (default: every store)")
    p = command("release", run(cmd_office_grid_release), "a store takes the chain's grid again", gsub)
    where(p)
    p.add_argument("--store", required=True)
    osub = actions(command, "promotion", "the chain's offers, for every store or one", sub)
    p = command("set", run(cmd_office_promotion_set), "make or change an offer", osub)
    where(p)
    p.add_argument("code", help="the office's name for it: summer-bread")
    p.add_argument("--name", required=True, help="as the receipt shows it")
    p.add_argument("--kind", required=True, choices=("multi_price", "buy_n_get_one", "category_percent"))
    p.add_argument("--sku")
    p.add_argument("--category")
    p.add_argument("--quantity", type=int, default=0, help="N of 'N for a price' or 'buy N get one'")
    p.add_argument("--price", default="0", help="the price of N, in major units: 5.00")
    p.add_argument("--percent", default="0", help="off a category: 12.5")
    p.add_argument("--starts", required=True, help="YYYY-MM-DD, the stores' calendar")
    p.add_argument("--ends", required=True, help="YYYY-MM-DD, the last day included")
    p.add_argument("--store", help="this store only (default: every store)")
    p.add_argument("--currency", default="EUR")
    p = command("end", run(cmd_office_promotion_end), "end an offer at the tills", osub)
    where(p)
    p.add_argument("code")
    p.add_argument("--store")
