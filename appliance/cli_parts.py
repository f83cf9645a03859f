"""What the `comptoir` command's modules share when they build their parsers and read their
input. Only argparse here: every module of the CLI imports it, and the parser is built for
every command a till runs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.app.domain.errors import Invalid

# build_parser's `command(name, fn, help, group)`: a parser for `fn`, in `group` or at the top.
Command = Callable[..., argparse.ArgumentParser]


def actions(command: Command, name: str, help_text: str, *within: Any) -> Any:
    """A command made of actions (`user add`, `office ring set`): the group its actions join.
    The command alone, with no action, exits 2 with argparse's message."""
    parent = command(name, lambda a: 2, help_text, *within)
    group = parent.add_subparsers(dest=f"{name.replace('-', '_')}_command", metavar="ACTION", parser_class=type(parent))
    group.required = True
    return group


def data_dir_option(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    p.add_argument("--data-dir", help="the store's folder (default: $COMPTOIR_DATA_DIR)")
    return p


def read_input(name: str, encoding: str = "utf-8") -> str:
    """The text of the file `name`, or of stdin when it is '-'; one that cannot be read is bad
    input (exit 2 with a message), not a traceback."""
    try:
        return sys.stdin.read() if name == "-" else Path(name).read_text(encoding=encoding)
    except (OSError, UnicodeDecodeError) as exc:
        raise Invalid(f"cannot read {name}: {exc}") from None
