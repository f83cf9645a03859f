"""Configuration pulled, not pushed (issue 19, point 3): `comptoir office config set|show` at
the office (each store's inventory variables) and `comptoir config pull|report` on a box
(fetch the signed bundle, apply it locally, report the recap through the outbox).

Exit codes of `config pull`: 0 applied, 1 the office did not answer, the bundle was refused,
or the run failed (the recap says which, and goes to the office all the same), 2 bad usage
(not enrolled, a store that cannot be opened)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.app.domain.errors import Invalid
from appliance.cli_parts import Command, actions, data_dir_option, read_input

Where = Callable[[argparse.ArgumentParser], None]


# -- at the office ------------------------------------------------------------------------


def register_office(
    command: Command, sub: Any, where: Where, plain: Any, open_office: Callable[..., Any], actor: Callable[[], str]
) -> None:
    def cmd_set(args: argparse.Namespace) -> int:
        from appliance.office.services import configuration

        text = read_input(args.file)
        office = open_office(args)
        known = configuration.known_names(configuration.source(office))
        values = configuration.parse_vars(text, known)
        done = configuration.set_vars(office, args.store, args.till or "", values, actor())
        whose = f"{done['store']}/{done['till']}" if done["till"] else f"store {done['store']}"
        print(f"{len(done['names'])} variable(s) set for {whose}: {', '.join(done['names']) or '(none)'}")
        return 0

    def cmd_show(args: argparse.Namespace) -> int:
        import yaml

        from appliance.office.services import configuration

        rows = configuration.listing(open_office(args))
        if not rows:
            print("No store has configuration variables yet.")
        for row in rows:
            whose = f"{row['store']}/{row['till']}" if row["till"] else f"store {row['store']}"
            print(f"# {whose}, set {row['set_at']:%Y-%m-%d %H:%M} by {row['set_by']}")
            print(yaml.safe_dump(dict(row["vars"]), sort_keys=True), end="")
        return 0

    csub = actions(command, "config", "each store's inventory variables, which its boxes pull", sub)
    p = command("set", plain(cmd_set), "set a store's (or one till's) variables from a YAML file", csub)
    where(p)
    p.add_argument("--store", required=True)
    p.add_argument("--till", help="this till's own variables (they win over its store's)")
    p.add_argument("--file", required=True, metavar="VARS.yml", help="a YAML mapping of variables ('-': stdin)")
    where(command("show", plain(cmd_show), "the variables kept for each store and till", csub))


# -- on the box -----------------------------------------------------------------------------


def _enrolled(data_dir: Path) -> None:
    from appliance.lane import enrolment

    try:
        enrolment.link(data_dir)
    except enrolment.EnrolmentError as exc:
        raise Invalid(str(exc)) from None


def _said(run: dict[str, Any]) -> str:
    version = str(run.get("bundle_version") or "")[:12] or "-"
    if run["outcome"] == "applied":
        tasks = run["changed_tasks"]
        shown = (
            (": " + "; ".join(tasks[:10]) + (f" and {len(tasks) - 10} more" if len(tasks) > 10 else ""))
            if tasks
            else ""
        )
        return f"configuration {version} applied: ok={run['ok']} changed={run['changed']} failed=0{shown}"
    counts = f" (ok={run['ok']} changed={run['changed']} failed={run['failed']})" if run["outcome"] == "failed" else ""
    return f"configuration {version} {run['outcome']}{counts}: {run['message']}"


def cmd_report(args: argparse.Namespace) -> int:
    """The spooled recaps into the outbox (as the till's user, with the store's keys)."""
    from appliance.app.services import outbox
    from appliance.app.services.opening import open_shop
    from appliance.config import load
    from appliance.lane import config_pull

    config = load(args.data_dir)
    waiting = config_pull.spooled(config.data_dir)
    if not waiting:
        return 0
    shop = open_shop(config)
    try:
        for path, run in waiting:
            outbox.emit(shop, config_pull.event_kind(run), run)
            path.unlink()
    finally:
        shop.close()
    print(f"{len(waiting)} configuration run(s) in the outbox for the office")
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    from appliance.config import load
    from appliance.lane import config_pull

    config = load(args.data_dir)
    _enrolled(config.data_dir)
    run = config_pull.pull(config.data_dir, args.ansible_playbook)
    said = _said(run)
    if run["outcome"] != "applied":
        print(f"comptoir config pull: {said}", file=sys.stderr)
    else:
        print(said)
    if not args.no_report:
        cmd_report(args)
    return 0 if run["outcome"] == "applied" else 1


def register_lane(command: Command) -> None:
    csub = actions(command, "config", "this box's configuration, pulled from its office")
    p = command("pull", cmd_pull, "fetch the office's signed bundle, apply it to this box, report the recap", csub)
    data_dir_option(p)
    p.add_argument("--ansible-playbook", metavar="PATH", help="the ansible-playbook to run (default: on PATH)")
    p.add_argument(
        "--no-report",
        action="store_true",
        help="leave the recap in the spool for `comptoir config report` (the unit runs that as the till's user)",
    )
    data_dir_option(command("report", cmd_report, "put the spooled configuration recaps in the outbox", csub))
