"""`comptoir enrol`: the till becomes a lane of the office.

The till makes its own key pair (the private key never leaves the box, and is kept like
the store key: in the key folder apart from the data dir, mode 0600), sends a certificate
request with the one-time token, and keeps the client certificate the office signs and the
office's CA. Every call after that is mutual TLS that the till starts; the till still listens
on loopback only.

Why trust on first use, checked against a fingerprint: the office's CA is its own, so the
till has nothing to check the office's first answer against. The token's printout shows
the CA's SHA-256 fingerprint; the person enrolling types it here, so an impostor on the
network between them cannot pass its own CA off as the office's (it cannot make a CA with
the same fingerprint). Without the fingerprint the first answer is trusted as it comes,
and its fingerprint is printed to be compared by eye.
"""

from __future__ import annotations

import datetime as dt
import json
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature

from appliance.security import pki
from appliance.security.keys import ensure_key_dir, key_dir_for

OFFICE_DIR = "office"  # in the data dir: certificates (public) and where the office is
CLIENT_KEY = "office-client.key"  # in the key folder
CLIENT_CERT = "client.pem"
CA_CERT = "ca.pem"
LINK_FILE = "office.json"
TIMEOUT = 15.0


class EnrolmentError(Exception):
    """Enrolment or a call to the office failed; the message says why and what to do."""


@dataclass(frozen=True)
class Link:
    """What the till knows of its office once enrolled."""

    store: str
    till: str
    lane_url: str
    ca_fingerprint: str
    cert_path: Path
    key_path: Path
    ca_path: Path


def key_path(data_dir: Path) -> Path:
    return key_dir_for(data_dir) / CLIENT_KEY


def _office_dir(data_dir: Path) -> Path:
    return data_dir / OFFICE_DIR


def _base(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise EnrolmentError(f"the office's address must be https://HOST:PORT, not {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise EnrolmentError("the office's address is https://HOST:PORT, without a path")
    try:
        port = parts.port or 443
    except ValueError:
        raise EnrolmentError(f"the office's address has a bad port: {url!r}") from None
    return parts.scheme, parts.hostname, port


def _url(host: str, port: int, path: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"https://{shown}:{port}{path}"


def _fetch_ca(host: str, port: int) -> x509.Certificate:
    # Unverified on purpose: this is the first contact, checked by fingerprint right after.
    try:
        answer = httpx.get(_url(host, port, "/v1/ca"), verify=False, timeout=TIMEOUT)  # noqa: S501
    except httpx.HTTPError as exc:
        raise EnrolmentError(f"cannot reach the office at {host}:{port}: {exc}") from None
    if answer.status_code != 200:
        raise EnrolmentError(f"the office did not give its CA (HTTP {answer.status_code})")
    try:
        cert = x509.load_pem_x509_certificate(answer.content)
    except ValueError:
        raise EnrolmentError("the office's answer is not a PEM certificate") from None
    return cert


def _pinned_context(ca_pem: bytes) -> ssl.SSLContext:
    context = ssl.create_default_context(cadata=ca_pem.decode("ascii"))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def enrol(
    data_dir: Path,
    office_url: str,
    token: str,
    *,
    ca_fingerprint: str | None,
    warn: Any = print,
) -> Link:
    if not data_dir.is_dir():
        raise EnrolmentError(f"{data_dir} is not a folder: enrol the data dir of an initialised till")
    expected = None
    if ca_fingerprint is not None:
        try:
            expected = pki.normalise_fingerprint(ca_fingerprint)
        except pki.CertificateError as exc:
            raise EnrolmentError(f"--ca-fingerprint: {exc}") from None
    if (_office_dir(data_dir) / CLIENT_CERT).exists():
        raise EnrolmentError(
            f"this till is already enrolled ({_office_dir(data_dir) / CLIENT_CERT}); remove the folder to enrol again"
        )
    _, host, port = _base(office_url)
    ca = _fetch_ca(host, port)
    found = pki.fingerprint(ca)
    if expected is not None and found != expected:
        raise EnrolmentError(
            f"the office's CA is {pki.show_fingerprint(found)}, not the {pki.show_fingerprint(expected)} "
            "the token's printout shows: this is not your office, or someone stands between; nothing was sent"
        )
    if expected is None:
        warn(f"No --ca-fingerprint: trusting the office's CA as it came, {pki.show_fingerprint(found)}.")
        warn("Compare it with the one the token's printout shows.")
    ca_bytes = pki.cert_pem(ca)
    key = pki.new_key()
    request = pki.lane_request(key, "lane", "till")
    try:
        answer = httpx.post(
            _url(host, port, "/v1/enrol"),
            json={"token": token, "csr": pki.request_pem(request)},
            verify=_pinned_context(ca_bytes),
            timeout=TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise EnrolmentError(f"enrolment failed: {exc}") from None
    body = _json(answer)
    if answer.status_code != 200:
        raise EnrolmentError(f"the office refused: {body.get('message') or f'HTTP {answer.status_code}'}")
    return _keep(data_dir, key, body, ca_bytes, found, host)


def accepted(answer: httpx.Response, refused: Callable[[int, object], Exception]) -> dict[str, Any]:
    """The office's answer when it said yes: HTTP 200 and a JSON object. Any other answer is
    raised as `refused(its status, the office's message or None)`: each caller words it."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    if answer.status_code != 200 or not isinstance(body, dict):
        raise refused(answer.status_code, body.get("message") if isinstance(body, dict) else None)
    return body


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        data = answer.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _keep(data_dir: Path, key: Any, body: dict[str, Any], ca_bytes: bytes, ca_sha: str, host: str) -> Link:
    try:
        cert = x509.load_pem_x509_certificate(str(body["certificate"]).encode("ascii"))
        lane = pki.lane_of(cert)
        lane_port = int(body["lane_port"])
    except (KeyError, ValueError, TypeError):
        raise EnrolmentError("the office's answer holds no usable certificate") from None
    if lane is None or cert.public_key() != key.public_key():
        raise EnrolmentError("the office's certificate is not for this till's key")
    ca = x509.load_pem_x509_certificate(ca_bytes)
    try:
        cert.verify_directly_issued_by(ca)
    except (ValueError, TypeError, InvalidSignature):
        raise EnrolmentError("the office's certificate was not signed by its pinned CA") from None
    private = key_path(data_dir)
    ensure_key_dir(private.parent)
    pki.write_private(private, pki.key_pem(key), exclusive=False)
    folder = _office_dir(data_dir)
    folder.mkdir(mode=0o700, exist_ok=True)
    pki.write_public(folder / CA_CERT, ca_bytes)
    store, till = lane
    lane_url = _url(host, lane_port, "")
    pki.write_public(
        folder / LINK_FILE,
        json.dumps(
            {
                "store": store,
                "till": till,
                "lane_url": lane_url,
                "ca_sha256": ca_sha,
                "enrolled_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
            indent=2,
        ).encode("utf-8"),
    )
    pki.write_public(folder / CLIENT_CERT, pki.cert_pem(cert))  # last: its presence means enrolled
    return link(data_dir)


def link(data_dir: Path) -> Link:
    folder = _office_dir(data_dir)
    try:
        info = json.loads((folder / LINK_FILE).read_text(encoding="utf-8"))
        if not (folder / CLIENT_CERT).exists():
            raise FileNotFoundError(folder / CLIENT_CERT)
        return Link(
            store=str(info["store"]),
            till=str(info["till"]),
            lane_url=str(info["lane_url"]),
            ca_fingerprint=str(info["ca_sha256"]),
            cert_path=folder / CLIENT_CERT,
            key_path=key_path(data_dir),
            ca_path=folder / CA_CERT,
        )
    except (OSError, ValueError, KeyError):
        raise EnrolmentError(f"this till is not enrolled at an office (nothing usable in {folder})") from None


def client(found: Link) -> httpx.Client:
    """An HTTPS client that shows the lane's certificate and trusts only the pinned CA."""
    context = _pinned_context(found.ca_path.read_bytes())
    if found.key_path.stat().st_mode & 0o077:
        raise EnrolmentError(f"{found.key_path} is readable by others; run: chmod 600 {found.key_path}")
    context.load_cert_chain(found.cert_path, found.key_path)
    return httpx.Client(base_url=found.lane_url, verify=context, timeout=TIMEOUT)


def hello(data_dir: Path) -> dict[str, Any]:
    found = link(data_dir)
    try:
        with client(found) as http:
            answer = http.get("/v1/hello")
    except httpx.HTTPError as exc:
        raise EnrolmentError(f"the office did not answer at {found.lane_url}: {exc}") from None
    body = _json(answer)
    if answer.status_code != 200:
        raise EnrolmentError(f"the office refused this lane: {body.get('message') or f'HTTP {answer.status_code}'}")
    return body
