"""The box's side of the update channel at the edge: the office's answer (`GET /v1/update`
over mutual TLS), a bundle fetched from the update mirror (streamed to disk, resumed where
an earlier try stopped) or found on a mounted USB stick, and its SHA-256 checked against
the office's answer before RAUC ever sees it."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from appliance.lane import enrolment

DOWNLOADS = Path("/var/lib/comptoir-updates")  # on the data partition: kept across slots
USB_DIRS = (Path("/media/comptoir-update"),)  # where the update stick is mounted
CHUNK = 1 << 20
FETCH_TIMEOUT = httpx.Timeout(30.0, read=120.0)
_BUNDLE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+~_-]{0,199}")
_SHA256 = re.compile(r"[0-9a-f]{64}")


class UpdateUnavailable(Exception):
    """The office did not answer, or the bundle could not be had; the message says why."""


class ChecksumMismatch(Exception):
    """The bundle's SHA-256 is not the office's: it is not installed (and is removed)."""


def ask(data_dir: Path) -> dict[str, Any]:
    """The office's answer: {version, bundle, sha256, size, source, url, ring, pinned…}."""
    try:
        found = enrolment.link(data_dir)
        with enrolment.client(found) as http:
            answer = http.get("/v1/update")
    except (httpx.HTTPError, OSError, enrolment.EnrolmentError) as exc:
        raise UpdateUnavailable(f"the office did not answer: {exc}") from None
    body = enrolment.accepted(
        answer,
        lambda status, message: UpdateUnavailable(f"the office refused (HTTP {status}): {message or ''}".strip()),
    )
    if body.get("version") is not None and not (
        isinstance(body.get("bundle"), str)
        and _BUNDLE.fullmatch(body["bundle"])
        and isinstance(body.get("sha256"), str)
    ):
        raise UpdateUnavailable("the office's answer names no bundle file and SHA-256")
    return body


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _checked(path: Path, sha256: str) -> Path:
    found = sha256_of(path)
    if found != sha256:
        raise ChecksumMismatch(f"{path.name}: SHA-256 {found}, the office says {sha256}")
    return path


def fetch(url: str, bundle: str, sha256: str, downloads: Path = DOWNLOADS, size: int | None = None) -> Path:
    """The bundle from the mirror into `downloads`, resumed from an earlier try's part file;
    its SHA-256 checked. A bundle whose SHA-256 is wrong is removed, and one that grows past
    the office's `size` is cut off there (a mirror that sends without end must not fill the
    data partition)."""
    downloads.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = downloads / bundle
    if final.exists():
        try:
            return _checked(final, sha256)
        except ChecksumMismatch:
            final.unlink()
    part = downloads / (bundle + ".part")
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with httpx.stream("GET", url, headers=headers, timeout=FETCH_TIMEOUT, follow_redirects=True) as answer:
            if answer.status_code == 416 and have:
                pass  # the part file is whole already: the check below says whether it is right
            elif answer.status_code not in (200, 206):
                raise UpdateUnavailable(f"the update mirror answered HTTP {answer.status_code} for {url}")
            else:
                mode = "ab" if answer.status_code == 206 else "wb"  # 200: the mirror sends it all again
                written = have if mode == "ab" else 0
                with part.open(mode) as out:
                    for chunk in answer.iter_bytes(CHUNK):
                        if size is not None and written + len(chunk) > size:
                            out.write(chunk[: max(0, size - written)])
                            break  # no more than the office's size: the check below says the rest
                        out.write(chunk)
                        written += len(chunk)
                    out.flush()
                    os.fsync(out.fileno())
    except httpx.HTTPError as exc:
        raise UpdateUnavailable(f"the update mirror did not answer: {exc}") from None
    try:
        _checked(part, sha256)
    except ChecksumMismatch:
        part.unlink()
        raise
    part.replace(final)
    return final


def from_stick(bundle: str, sha256: str, dirs: Sequence[Path] = USB_DIRS) -> Path:
    """The bundle on a mounted update stick, its SHA-256 checked where it lies (never copied
    first: the stick is read once more by RAUC, and the check is of those very bytes)."""
    for folder in dirs:
        path = folder / bundle
        if path.is_file():
            return _checked(path, sha256)
    raise UpdateUnavailable(f"no {bundle} on an update stick (looked in {', '.join(str(d) for d in dirs)})")
