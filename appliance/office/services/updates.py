"""Which software each box runs, and where it fetches it from (docs/office.md, "Updates").

The office knows releases (a version, its RAUC bundle's file name, SHA-256 and size), rings
(`pilot`, `stores`…) each with the version its stores should run, each store's ring (`stores`
until placed) and a store's pin, which overrides its ring. A lane asks `GET /v1/update` and
hears the version it should run, the bundle's SHA-256 and where to fetch it: the update
mirror's URL, or only the file name when the boxes take bundles from a USB stick. The box
decides when (its update window, no open shift, an empty outbox) and RAUC checks the
bundle's signature; the office only says which.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.office.services import audit_log
from appliance.office.services.catalogue import changing
from appliance.office.services.office import Office
from appliance.office.store import feed_rows
from appliance.office.store import lanes as lanes_store
from appliance.office.store import updates as store

_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+~_-]{0,63}")
_BUNDLE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+~_-]{0,199}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_RING = re.compile(r"[a-z][a-z0-9_-]{0,39}")


def _version(text: str) -> str:
    if not _VERSION.fullmatch(text):
        raise Invalid(f"a version is letters, digits and . + ~ _ - (at most 64), not {text!r}", "invalid_version")
    return text


def _ring(text: str) -> str:
    if not _RING.fullmatch(text):
        raise Invalid(f"a ring is a short lower-case name such as pilot, not {text!r}", "invalid_ring")
    return text


def _url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid(f"an update address is http(s)://HOST/…, not {text!r}", "invalid_url")
    return text


def add_release(
    office: Office, version: str, bundle: str, sha256: str, size: int, *, url: str | None = None, actor: str
) -> dict[str, Any]:
    """A release the office can name; `bundle` is its file name (on the mirror or the stick),
    `url` where it is when not on the mirror. A version is added once: its SHA-256 is what
    the boxes check, and changing it under them would be a different release."""
    _version(version)
    if not _BUNDLE.fullmatch(bundle):
        raise Invalid(f"a bundle is a file name (letters, digits, . + ~ _ -), not {bundle!r}", "invalid_bundle")
    sha256 = sha256.strip().lower()
    if not _SHA256.fullmatch(sha256):
        raise Invalid("the bundle's SHA-256 is 64 hexadecimal digits", "invalid_sha256")
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise Invalid("the bundle's size is a whole number of bytes above 0", "invalid_size")
    if url is not None:
        _url(url)
    with changing(office) as conn:
        if not store.add_release(conn, version, bundle, url, sha256, size, office.now(), actor):
            held = store.release(conn, version)
            if held and (held["sha256"], held["bundle"], int(str(held["size"]))) == (sha256, bundle, size):
                return {"version": version, "added": False}
            raise Conflict(f"release {version} is known already, with another bundle", "release_exists")
        audit_log.record(
            office, conn, actor=actor, action="update_release_added", object=f"release:{version}",
            details={"bundle": bundle, "sha256": sha256, "size": size, "url": url},
        )  # fmt: skip
    return {"version": version, "added": True}


def _known(conn: Any, version: str) -> None:
    if store.release(conn, version) is None:
        raise NotFound(f"the office knows no release {version}: add it first", "release_not_found")


def set_ring(office: Office, ring: str, version: str | None, *, actor: str) -> None:
    """The version the ring's stores run (None: they stay as they are)."""
    _ring(ring)
    with changing(office) as conn:
        if version is not None:
            _known(conn, _version(version))
        store.set_ring(conn, ring, version)
        audit_log.record(
            office, conn, actor=actor, action="update_ring", object=f"ring:{ring}", details={"version": version}
        )


def place_store(office: Office, shop: str, ring: str, *, actor: str) -> None:
    _ring(ring)
    with changing(office) as conn:
        if not feed_rows.store_exists(conn, shop):
            raise NotFound(f"the chain has no store {shop}", "store_not_found")
        if not store.ring_exists(conn, ring):
            raise NotFound(f"no ring {ring}: give it a version first (update ring {ring} VERSION)", "ring_not_found")
        store.place(conn, shop, ring)
        audit_log.record(office, conn, actor=actor, action="update_store_ring", object=f"store:{shop}",
                         details={"ring": ring})  # fmt: skip


def pin_store(office: Office, shop: str, version: str | None, *, actor: str) -> None:
    """Pins the store to `version` whatever its ring says (None: its ring decides again)."""
    with changing(office) as conn:
        if not feed_rows.store_exists(conn, shop):
            raise NotFound(f"the chain has no store {shop}", "store_not_found")
        if version is not None:
            _known(conn, _version(version))
        store.pin(conn, shop, version)
        audit_log.record(office, conn, actor=actor, action="update_pin", object=f"store:{shop}",
                         details={"pinned": version})  # fmt: skip


def set_mirror(office: Office, url: str | None, *, actor: str) -> None:
    """The update mirror's base URL (None: the boxes take bundles from a USB stick)."""
    if url is not None:
        url = _url(url).rstrip("/")
    with changing(office) as conn:
        store.set_mirror_url(conn, url)
        audit_log.record(office, conn, actor=actor, action="update_mirror", object="update_source",
                         details={"mirror_url": url})  # fmt: skip


def wanted(conn: Any) -> dict[str, dict[str, Any]]:
    """Each store's ring, pin and the version it should run (None: as it is)."""
    return {
        name: {
            "ring": str(row["ring"]),
            "pinned": row["pinned"],
            "version": row["pinned"] or row["ring_version"],
        }
        for name, row in store.stores(conn).items()
    }


def decide(office: Office, cert_fingerprint: str) -> dict[str, Any]:
    """The answer to a lane's `GET /v1/update`: the version its store should run, the
    bundle's SHA-256 and size, and where to fetch it (`url`, or None: from a USB stick, by
    `bundle`'s name)."""
    with office.connection() as conn:
        lane = lanes_store.touch(conn, cert_fingerprint, office.now())
        if lane is None:
            raise Forbidden("this certificate is not a lane's current one: enrol the till again", "unknown_lane")
        shop = str(lane["store"])
        mine = wanted(conn).get(shop, {"ring": store.DEFAULT_RING, "pinned": None, "version": None})
        answer: dict[str, Any] = {
            "store": shop,
            "till": str(lane["till"]),
            "ring": mine["ring"],
            "pinned": mine["pinned"] is not None,
            "version": None,
        }
        if mine["version"] is None:
            return answer
        release = store.release(conn, str(mine["version"]))
        mirror = store.mirror_url(conn)
    assert release is not None  # the foreign keys hold it
    url = release["url"] or (f"{mirror}/{release['bundle']}" if mirror else None)
    return answer | {
        "version": str(release["version"]),
        "bundle": str(release["bundle"]),
        "sha256": str(release["sha256"]),
        "size": int(str(release["size"])),
        "source": "mirror" if url else "usb",
        "url": url,
    }


def overview(office: Office) -> dict[str, Any]:
    """Releases, rings, stores and the mirror, as `comptoir office update status` prints them."""
    with office.connection() as conn:
        return {
            "mirror_url": store.mirror_url(conn),
            "releases": [{k: (str(v) if k == "added_at" else v) for k, v in r.items()} for r in store.releases(conn)],
            "rings": {str(r["name"]): r["version"] for r in store.rings(conn)},
            "stores": wanted(conn),
        }
