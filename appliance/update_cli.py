"""`comptoir update check|apply|booted` on a till: the edge's parts (RAUC, the office's
answer, the mirror or the stick) wired to services/updates.py (docs/updates.md).

Exit codes: 0 nothing to do, installed, or booted; 1 refused or failed (the message says
why, and nothing was installed); 2 bad usage (not enrolled, no such folder)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from appliance.app.domain.errors import Invalid
from appliance.cli_parts import Command, actions, data_dir_option


class RaucBox:
    """services.updates.Box over RAUC and shutdown."""

    def __init__(self, reboot: bool = True) -> None:
        self.reboots = reboot

    def running(self) -> Any:
        from appliance import __version__
        from appliance.app.services.updates import Running, UpdateFailed
        from appliance.lane import rauc

        try:
            found = rauc.status()
        except rauc.RaucError as exc:
            raise UpdateFailed("no_rauc", str(exc)) from None
        slot = found.booted_slot
        # A slot RAUC never wrote (the image as flashed) holds the version this code is.
        return Running(slot.name if slot else None, found.booted_version or __version__)

    def install(self, bundle: Path) -> None:
        from appliance.app.services.updates import UpdateFailed
        from appliance.lane import rauc

        try:
            rauc.install(bundle)
        except rauc.RaucError as exc:
            raise UpdateFailed("install_failed", str(exc)) from None

    def reboot(self) -> None:
        from appliance.lane import rauc

        if self.reboots:
            try:
                rauc.schedule_reboot()
            except rauc.RaucError as exc:
                print(f"comptoir update: {exc}; reboot the box to run the new version", file=sys.stderr)


def fetcher(downloads: Path, usb_dirs: list[Path]) -> Callable[[dict[str, Any]], Path]:
    def fetch(answer: dict[str, Any]) -> Path:
        from appliance.app.services.updates import UpdateFailed
        from appliance.lane import updates as wire

        try:
            if answer.get("url"):
                size = answer.get("size")
                return wire.fetch(
                    str(answer["url"]), str(answer["bundle"]), str(answer["sha256"]), downloads,
                    size if isinstance(size, int) else None,
                )  # fmt: skip
            return wire.from_stick(str(answer["bundle"]), str(answer["sha256"]), usb_dirs)
        except wire.ChecksumMismatch as exc:
            raise UpdateFailed("sha256_mismatch", str(exc)) from None
        except (wire.UpdateUnavailable, OSError) as exc:
            raise UpdateFailed("fetch_failed", str(exc)) from None

    return fetch


def asker(data_dir: Path) -> Callable[[], dict[str, Any]]:
    def ask() -> dict[str, Any]:
        from appliance.app.services.updates import UpdateFailed
        from appliance.lane import updates as wire

        try:
            return wire.ask(data_dir)
        except wire.UpdateUnavailable as exc:
            raise UpdateFailed("office_unreachable", str(exc)) from None

    return ask


def _open(args: argparse.Namespace, *, enrolled: bool = True) -> Any:
    from appliance.app.services.opening import open_shop
    from appliance.config import load
    from appliance.lane import enrolment

    config = load(args.data_dir)
    if enrolled:
        try:
            enrolment.link(config.data_dir)
        except enrolment.EnrolmentError as exc:
            raise Invalid(str(exc)) from None
    return open_shop(config)


def cmd_check(args: argparse.Namespace) -> int:
    from appliance.app.services import updates

    shop = _open(args)
    try:
        running, answer = updates.check(RaucBox(), asker(shop.data_dir))
        closed = updates.gate(shop)
    except updates.UpdateFailed as exc:
        print(f"comptoir update: {exc.message}", file=sys.stderr)
        return 1
    finally:
        shop.close()
    wanted = answer.get("version")
    print(f"running: {running.version} (slot {running.slot or 'unknown'})")
    print(f"the office says: {wanted or 'stay as you are'} (ring {answer.get('ring')}"
          f"{', pinned' if answer.get('pinned') else ''})")  # fmt: skip
    if wanted and wanted != running.version:
        where = answer.get("url") or f"{answer.get('bundle')} on an update stick"
        print(f"bundle: {where} sha256 {answer.get('sha256')}")
        print("may install now" if closed is None else f"would not install now: {closed[1]}")
    return 0


def cmd_apply(args: argparse.Namespace) -> int:
    from appliance.app.services import updates

    shop = _open(args)
    usb = [Path(d) for d in (args.usb_dir or [])] or [Path("/media/comptoir-update")]
    try:
        done = updates.apply(
            shop, RaucBox(reboot=not args.no_reboot), asker(shop.data_dir), fetcher(Path(args.downloads), usb)
        )
    except updates.UpdateFailed as exc:
        print(f"comptoir update: not installed: {exc.message}", file=sys.stderr)
        return 1
    finally:
        shop.close()
    if done.state in ("refused", "failed"):
        print(f"comptoir update: {done.wanted} not installed ({done.reason}): {done.message}", file=sys.stderr)
        return 1
    print(done.message)
    return 0


def cmd_booted(args: argparse.Namespace) -> int:
    from appliance.app.services import updates

    # Every boot of an A/B box runs this, enrolled or not: a box with no office has had no
    # install to wait for, and says so rather than failing its boot.
    shop = _open(args, enrolled=False)
    try:
        done = updates.booted(shop, RaucBox(reboot=False))
    except updates.UpdateFailed as exc:
        print(f"comptoir update: {exc.message}", file=sys.stderr)
        return 1
    finally:
        shop.close()
    print(done.message if done else "no update waited for this boot")
    return 0


def register(command: Command) -> None:
    sub = actions(command, "update", "this box's software: what the office says it should run, and installing it")
    data_dir_option(
        command("check", cmd_check, "what runs, what the office says should, and whether it may install now", sub)
    )
    p = data_dir_option(command("apply", cmd_apply, "install the version the office says, if the gate is open", sub))
    p.add_argument("--downloads", default="/var/lib/comptoir-updates", help="where bundles are fetched to")
    p.add_argument("--usb-dir", action="append", metavar="DIR",
                   help="where an update stick is mounted (repeatable; default /media/comptoir-update)")  # fmt: skip
    p.add_argument("--no-reboot", action="store_true", help="install only; the next reboot runs the new version")
    data_dir_option(
        command("booted", cmd_booted, "at boot: record whether the installed version booted or rolled back", sub)
    )
