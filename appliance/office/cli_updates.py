"""`comptoir office release|ring|pin|update-mirror|updates`: which version each store runs
and where its boxes fetch it (services/updates.py; docs/office.md, "Updates"). Argparse and
printing only; a bundle given as a file is read here (its SHA-256 and size) and only its
name goes to the office."""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from appliance.app.domain.errors import Invalid
from appliance.cli_parts import Command, actions

Plain = Callable[[Callable[[argparse.Namespace], int]], Callable[[argparse.Namespace], int]]
NONE = "none"  # the word that clears a ring's version, a pin or the mirror


def _optional(text: str) -> str | None:
    return None if text == NONE else text


def _file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise Invalid(f"cannot read the bundle {path}: {exc.strerror or exc}") from None
    return digest.hexdigest(), size


def release_parts(bundle: str, sha256: str | None, size: int | None) -> dict[str, Any]:
    """{bundle, url, sha256, size} from `--bundle` (a file here, or a URL with --sha256 and --size)."""
    if urlsplit(bundle).scheme in ("http", "https"):
        name = urlsplit(bundle).path.rsplit("/", 1)[-1]
        if sha256 is None or size is None:
            raise Invalid("a bundle given by its URL needs --sha256 and --size (the office does not fetch it)")
        return {"bundle": name, "url": bundle, "sha256": sha256, "size": size}
    path = Path(bundle).expanduser()
    if not path.is_file():
        raise Invalid(f"no bundle file {bundle} (a file here, or its http(s) URL)")
    found, length = _file_digest(path)
    if sha256 is not None and sha256.strip().lower() != found:
        raise Invalid(f"{path.name}'s SHA-256 is {found}, not the {sha256} given")
    if size is not None and size != length:
        raise Invalid(f"{path.name} is {length} bytes, not the {size} given")
    return {"bundle": path.name, "url": None, "sha256": found, "size": length}


def _updates() -> Any:
    from appliance.office.services import updates  # the office's code only when a command runs

    return updates


def register(
    command: Command,
    sub: Any,
    where: Callable[[argparse.ArgumentParser], None],
    plain: Plain,
    open_office: Callable[[argparse.Namespace], Any],
    actor: Callable[[], str],
) -> None:
    def release_add(args: argparse.Namespace) -> int:
        parts = release_parts(args.bundle, args.sha256, args.size)
        done = _updates().add_release(
            open_office(args), args.version, parts["bundle"], parts["sha256"], parts["size"],
            url=parts["url"], actor=actor(),
        )  # fmt: skip
        said = "added" if done["added"] else "known already, unchanged"
        print(f"release {args.version}: {parts['bundle']} ({parts['size']} bytes, sha256 {parts['sha256']}) {said}")
        return 0

    def version_of(whose: str, change: str, cleared: str, chosen: str) -> Callable[[argparse.Namespace], int]:
        """`ring set` and `pin`: the version a ring (or a store) runs, `none` clearing it;
        `whose` is both the argument and the word the answer starts with."""

        def run(args: argparse.Namespace) -> int:
            name, version = getattr(args, whose), _optional(args.version)
            getattr(_updates(), change)(open_office(args), name, version, actor=actor())
            print(f"{whose} {name}: {cleared if version is None else chosen + version}")
            return 0

        return run

    ring_set = version_of("ring", "set_ring", "stays as it is", "runs ")
    pin = version_of("store", "pin_store", "its ring decides", "pinned to ")

    def ring_place(args: argparse.Namespace) -> int:
        _updates().place_store(open_office(args), args.store, args.ring, actor=actor())
        print(f"store {args.store} is in ring {args.ring}")
        return 0

    def mirror(args: argparse.Namespace) -> int:
        url = _optional(args.url)
        _updates().set_mirror(open_office(args), url, actor=actor())
        print(f"the boxes fetch bundles from {url}" if url else "the boxes take bundles from a USB stick")
        return 0

    def status(args: argparse.Namespace) -> int:
        print(json.dumps(_updates().overview(open_office(args)), indent=2, sort_keys=True))
        return 0

    rsub = actions(command, "release", "the software releases (RAUC bundles) the office knows", sub)
    p = command("add", plain(release_add), "add a release: its version and its bundle", rsub)
    where(p)
    p.add_argument("--version", required=True, help="the version the bundle installs, e.g. 1.4.0")
    p.add_argument("--bundle", required=True, help="the bundle's file (read for its SHA-256 and size) or its URL")
    p.add_argument("--sha256", help="the bundle's SHA-256 (needed with a URL; checked with a file)")
    p.add_argument("--size", type=int, help="the bundle's size in bytes (needed with a URL)")

    gsub = actions(command, "ring", "update rings: the version each ring's stores run", sub)
    p = command("set", plain(ring_set), "the version a ring's stores run (none: they stay as they are)", gsub)
    where(p)
    p.add_argument("ring", help="the ring's name: pilot, stores (every store not placed)…")
    p.add_argument("version", help="a release's version, or none")
    p = command("place", plain(ring_place), "put a store in a ring", gsub)
    where(p)
    p.add_argument("store")
    p.add_argument("ring")

    p = command("pin", plain(pin), "pin a store to a version whatever its ring says (none: unpin)", sub)
    where(p)
    p.add_argument("store")
    p.add_argument("version", help="a release's version, or none")

    p = command("update-mirror", plain(mirror), "where the boxes fetch bundles (none: from a USB stick)", sub)
    where(p)
    p.add_argument("url", help="the update mirror's base URL, https://updates.example/comptoir, or none")

    where(command("updates", plain(status), "releases, rings, each store's version and the mirror (JSON)", sub))
