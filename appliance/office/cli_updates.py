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

Command = Callable[..., argparse.ArgumentParser]
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

    def ring_set(args: argparse.Namespace) -> int:
        version = _optional(args.version)
        _updates().set_ring(open_office(args), args.ring, version, actor=actor())
        print(f"ring {args.ring}: {'stays as it is' if version is None else 'runs ' + version}")
        return 0

    def ring_place(args: argparse.Namespace) -> int:
        _updates().place_store(open_office(args), args.store, args.ring, actor=actor())
        print(f"store {args.store} is in ring {args.ring}")
        return 0

    def pin(args: argparse.Namespace) -> int:
        version = _optional(args.version)
        _updates().pin_store(open_office(args), args.store, version, actor=actor())
        print(f"store {args.store}: {'its ring decides' if version is None else 'pinned to ' + version}")
        return 0

    def mirror(args: argparse.Namespace) -> int:
        url = _optional(args.url)
        _updates().set_mirror(open_office(args), url, actor=actor())
        print(f"the boxes fetch bundles from {url}" if url else "the boxes take bundles from a USB stick")
        return 0

    def status(args: argparse.Namespace) -> int:
        print(json.dumps(_updates().overview(open_office(args)), indent=2, sort_keys=True))
        return 0

    group = command("release", lambda a: 2, "the software releases (RAUC bundles) the office knows", sub)
    rsub = group.add_subparsers(dest="release_command", metavar="ACTION", parser_class=type(group))
    rsub.required = True
    p = command("add", plain(release_add), "add a release: its version and its bundle", rsub)
    where(p)
    p.add_argument("--version", required=True, help="the version the bundle installs, e.g. 1.4.0")
    p.add_argument("--bundle", required=True, help="the bundle's file (read for its SHA-256 and size) or its URL")
    p.add_argument("--sha256", help="the bundle's SHA-256 (needed with a URL; checked with a file)")
    p.add_argument("--size", type=int, help="the bundle's size in bytes (needed with a URL)")

    group = command("ring", lambda a: 2, "update rings: the version each ring's stores run", sub)
    gsub = group.add_subparsers(dest="ring_command", metavar="ACTION", parser_class=type(group))
    gsub.required = True
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
