"""Enrolling a lane: a one-time token issued at the office, redeemed by the till with a
certificate request, answered with the lane's client certificate and the office's CA.

A token is 192 random bits, shown once; the office keeps only its SHA-256 (a slow hash
would add nothing against guessing 2^192 values, and a copy of the database then holds no
usable token). It is good for one enrolment, for a short time (15 minutes unless said
otherwise), for the one store and till it names. It starts with a fixed word so that it
never starts with "-" (a command line would read such a token as an option) and so that a
secret scanner can find one pasted where it should not be.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from appliance.app.domain.errors import Conflict, DomainError, Invalid, Unauthenticated
from appliance.office.services import audit_log
from appliance.office.services.office import CA_CERT, CA_KEY, Office
from appliance.office.store import lanes, stores, tokens
from appliance.security import pki

LEADING_WORD = "enrol_"
DEFAULT_TTL = dt.timedelta(minutes=15)
MAX_TTL = dt.timedelta(hours=24)


def new_token() -> str:
    return LEADING_WORD + secrets.token_urlsafe(24)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def authority(office: Office) -> pki.Authority:
    return pki.Authority(pki.load_key(office.data_dir / CA_KEY), pki.load_cert(office.data_dir / CA_CERT))


def ca_pem(office: Office) -> str:
    return (office.data_dir / CA_CERT).read_text(encoding="ascii")


def ca_fingerprint(office: Office) -> str:
    return pki.fingerprint(pki.load_cert(office.data_dir / CA_CERT))


@dataclass(frozen=True)
class IssuedToken:
    token: str
    store: str
    till: str
    expires_at: dt.datetime
    ca_fingerprint: str


def issue_token(
    office: Office, store: str, till: str, *, issued_by: str, ttl: dt.timedelta = DEFAULT_TTL
) -> IssuedToken:
    try:
        pki.check_name("store", store)
        pki.check_name("till", till)
    except pki.CertificateError as exc:
        raise Invalid(str(exc), "invalid_name") from None
    if not dt.timedelta(0) < ttl <= MAX_TTL:
        raise Invalid("a token lives more than 0 and at most 24 hours", "invalid_ttl")
    token = new_token()
    now = office.now()
    with office.connection() as conn:
        with conn.transaction():
            if stores.add_if_missing(conn, store, now):
                audit_log.record(office, conn, actor=issued_by, action="store_added", object=f"store:{store}")
            tokens.add(conn, token_hash(token), store, till, issued_by, now, now + ttl)
            audit_log.record(
                office,
                conn,
                actor=issued_by,
                action="enrol_token_issued",
                object=f"lane:{store}/{till}",
                details={"expires_at": (now + ttl).isoformat(), "token_sha256_prefix": token_hash(token)[:12]},
            )
        audit_log.anchor(office, conn)
    return IssuedToken(token, store, till, now + ttl, ca_fingerprint(office))


@dataclass(frozen=True)
class Enrolled:
    store: str
    till: str
    certificate: str
    ca: str


def enrol(office: Office, token: str, request_pem: str, *, origin: str) -> Enrolled:
    """Redeems the token for a certificate naming the token's store and till. A refused try
    is audited too: a token guessed or replayed is worth knowing about."""
    if not isinstance(token, str) or not 1 <= len(token) <= 128:
        raise Invalid("the token is missing or too long", "invalid_token")
    try:
        request = pki.load_request(request_pem)
        pki.checked_request_key(request)
    except pki.CertificateError as exc:
        raise Invalid(str(exc), "invalid_request") from None
    hashed = token_hash(token)
    now = office.now()
    with office.connection() as conn:
        with conn.transaction():
            claimed = tokens.claim(conn, hashed, now)
            if claimed is None:
                refusal = _why_refused(tokens.find(conn, hashed), now)
                audit_log.record(
                    office,
                    conn,
                    actor="lane",
                    action="lane_enrol_refused",
                    outcome="failure",
                    origin=origin,
                    object="enrol_token",
                    details={"reason": refusal.code, "token_sha256_prefix": hashed[:12]},
                )
            else:
                store, till = str(claimed["store"]), str(claimed["till"])
                cert = authority(office).lane_certificate(request, store, till)
                lanes.enrol(
                    conn,
                    store,
                    till,
                    pki.fingerprint(cert),
                    format(cert.serial_number, "x"),
                    cert.not_valid_after_utc,
                    now,
                )
                audit_log.record(
                    office,
                    conn,
                    actor=f"lane:{store}/{till}",
                    action="lane_enrolled",
                    origin=origin,
                    object=f"lane:{store}/{till}",
                    details={"cert_sha256": pki.fingerprint(cert), "issued_by": str(claimed["issued_by"])},
                )
        audit_log.anchor(office, conn)
    if claimed is None:
        raise refusal
    return Enrolled(store, till, pki.cert_pem(cert).decode("ascii"), ca_pem(office))


def _why_refused(row: dict[str, object] | None, now: dt.datetime) -> DomainError:
    if row is None:
        return Unauthenticated("this enrolment token is not one the office issued", "token_unknown")
    if row["used_at"] is not None:
        return Conflict("this enrolment token was used already: ask the office for a new one", "token_used")
    expires = row["expires_at"]
    if isinstance(expires, dt.datetime) and expires <= now:
        return Unauthenticated("this enrolment token has expired: ask the office for a new one", "token_expired")
    return Unauthenticated("this enrolment token cannot be used", "token_refused")
