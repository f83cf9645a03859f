"""`comptoir office stock …`: each store's stock at the office (docs/office.md, "Stock").

`--as NAME` names the office person who acts (their role decides what they may see or
change, and the audit log names them); like every `comptoir office` command it is run by
whoever holds the database's DSN and the office's folder. Only argparse is imported here, as
in cli.py: the services load when a command runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from appliance.app.domain.errors import Invalid
from appliance.cli_parts import actions

Where = Callable[[argparse.ArgumentParser], None]


def _line(text: str) -> tuple[str, int]:
    sku, sep, qty = text.rpartition("=")
    try:
        quantity = int(qty)
    except ValueError:
        quantity = 0
    if not sep or not sku or quantity < 1:
        raise argparse.ArgumentTypeError(f"a line is SKU=QUANTITY (APL=12), not {text!r}")
    return sku, quantity


def _lines(args: argparse.Namespace) -> dict[str, int] | None:
    if not args.line:
        return None
    lines: dict[str, int] = {}
    for sku, qty in args.line:
        if sku in lines:
            raise Invalid(f"{sku} is given twice")
        lines[sku] = qty
    return lines


def _session(args: argparse.Namespace) -> tuple[Any, Any]:
    from appliance.office.services import stock

    office = args.open_office(args)
    return office, stock.person(office, args.as_person)


def cmd_on_hand(args: argparse.Namespace) -> int:
    from appliance.office.services import stock

    office, who = _session(args)
    rows = stock.on_hand(office, who, args.store, args.sku)
    if not rows:
        print(f"No stock moved yet in {args.store}.")
        return 0
    print(f"{'sku':<24} {'on hand':>10}")
    for r in rows:
        print(f"{r['sku']:<24} {r['on_hand']:>10}")
    return 0


def cmd_movements(args: argparse.Namespace) -> int:
    from appliance.office.services import stock

    office, who = _session(args)
    found = stock.movements(office, who, args.store, args.sku, args.limit)
    lanes = ", ".join(f"{till or 'office'} {n:+d}" for till, n in sorted(found["by_lane"].items()))
    print(f"{found['sku']} in {args.store}: {found['on_hand']} on hand ({lanes or 'no movement'})")
    for m in found["movements"]:
        where = f"{m['till']}#{m['seq']}" if m["till"] else "office"
        counted = f" (counted {m['lane_on_hand']})" if m["kind"] == "count" and m["lane_on_hand"] is not None else ""
        print(
            f"{m['at']} {where:<14} {m['kind']:<11} {m['delta']:>+7}{counted} {m['reason']} {m['ref'] or ''}".rstrip()
        )
    return 0


def cmd_rule(args: argparse.Namespace) -> int:
    from appliance.office.services import stock

    office, who = _session(args)
    stock.set_rule(office, who, args.store, args.sku, args.point, args.level)
    print(f"{args.sku} in {args.store}: low at {args.point} or less, ordered up to {args.level}.")
    return 0


def cmd_low(args: argparse.Namespace) -> int:
    from appliance.office.services import stock

    office, who = _session(args)
    rows = stock.low(office, who, args.store)
    if not rows:
        print(f"Nothing low in {args.store}.")
        return 0
    print(f"{'sku':<24} {'on hand':>8} {'point':>6} {'level':>6} {'on order':>9} {'suggested':>10}")
    for r in rows:
        print(
            f"{r['sku']:<24} {r['on_hand']:>8} {r['reorder_point']:>6} {r['reorder_level']:>6}"
            f" {r['on_order']:>9} {r['suggested']:>10}"
        )
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    from appliance.office.services import stock

    office, who = _session(args)
    wanted = stock.suggested(office, who, args.store)
    if not wanted:
        print(f"Nothing to order for {args.store}.")
        return 0
    for sku, qty in wanted.items():
        print(f"{sku}={qty}")
    return 0


def _show(order: dict[str, Any]) -> None:
    print(f"Purchase order {order['id']} for {order['store']} from {order['supplier']}: {order['status']}")
    for ln in order["lines"]:
        print(f"  {ln['sku']:<24} ordered {ln['ordered']:>6}  received {ln['received']:>6}")


def cmd_po_create(args: argparse.Namespace) -> int:
    from appliance.office.services import stock

    office, who = _session(args)
    _show(stock.create_order(office, who, args.store, args.supplier, _lines(args)))
    return 0


def cmd_po_list(args: argparse.Namespace) -> int:
    from appliance.office.services import stock

    office, who = _session(args)
    rows = stock.orders(office, who, args.store)
    if not rows:
        print(f"No purchase order for {args.store}.")
    for r in rows:
        print(f"#{r['id']} {r['status']:<9} {r['supplier']} ({r['lines']} lines, {r['outstanding']} to come)")
    return 0


def _po_step(step: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from appliance.office.services import stock

        office, who = _session(args)
        if step == "show":
            _show(stock.order(office, who, args.id))
        elif step == "send":
            _show(stock.send_order(office, who, args.id))
        elif step == "cancel":
            _show(stock.cancel_order(office, who, args.id))
        else:
            _show(stock.receive_order(office, who, args.id, _lines(args)))
        return 0

    return run


def register(
    command: Callable[..., argparse.ArgumentParser], sub: Any, where: Where, plain: Any, open_office: Any
) -> None:
    """Adds `comptoir office stock …` under the office's group (`sub`); `open_office(args)` is
    cli.py's, which reads --database and --data-dir."""
    ssub = actions(command, "stock", "each store's stock: on-hand, movements, low, orders", sub)

    def acting(p: argparse.ArgumentParser, *, store: bool = True) -> argparse.ArgumentParser:
        where(p)
        p.set_defaults(open_office=open_office)
        p.add_argument("--as", dest="as_person", required=True, metavar="NAME", help="the office person acting")
        if store:
            p.add_argument("--store", required=True)
        return p

    p = acting(command("on-hand", plain(cmd_on_hand), "each product's on-hand in a store", ssub))
    p.add_argument("--sku", help="one product")
    p = acting(command("movements", plain(cmd_movements), "a product's movements in a store, from every lane", ssub))
    p.add_argument("--sku", required=True)
    p.add_argument("--limit", type=int, default=200)
    p = acting(command("rule", plain(cmd_rule), "a product's reorder point and level in a store", ssub))
    p.add_argument("--sku", required=True)
    p.add_argument("--point", type=int, required=True, help="low at this on-hand or less")
    p.add_argument("--level", type=int, required=True, help="what an order brings it back up to")
    acting(command("low", plain(cmd_low), "products at or below their reorder point", ssub))
    acting(command("suggest", plain(cmd_suggest), "what to order to reach the reorder levels", ssub))

    psub = actions(command, "po", "a store's purchase orders: draft, sent, received", ssub)
    p = acting(command("create", plain(cmd_po_create), "a draft order (the suggested lines unless --line)", psub))
    p.add_argument("--supplier", required=True)
    p.add_argument("--line", type=_line, action="append", metavar="SKU=QTY", help="a line (repeat)")
    acting(command("list", plain(cmd_po_list), "the store's purchase orders", psub))
    for step, text in (
        ("show", "one purchase order"),
        ("send", "the draft went to the supplier"),
        ("cancel", "a draft or sent order is not coming"),
        ("receive", "goods came: a receipt movement in the store's stock (all outstanding unless --line)"),
    ):
        p = acting(command(step, plain(_po_step(step)), text, psub), store=False)
        p.add_argument("id", type=int)
        if step == "receive":
            p.add_argument("--line", type=_line, action="append", metavar="SKU=QTY", help="a line (repeat)")
