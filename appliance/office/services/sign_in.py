"""The back office's people signing in: passwords, lockout, sessions, CSRF, password changes.

A session is a random token in a cookie; the office keeps its SHA-256 only, so a copy of the
database opens no session. The CSRF token of a session is an HMAC of the session's token: a
page can show it in its forms without the office storing another secret, and another site,
which never sees the cookie, cannot make it. Every login, failed or not, every logout and
every password change goes to the office's audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from appliance.app.domain.errors import Forbidden, Invalid, Locked, Unauthenticated
from appliance.office.services import audit_log
from appliance.office.services.office import Office
from appliance.office.store import people, sessions
from appliance.office.store.db import Connection
from appliance.security.passwords import Passwords, check_strength

MAX_FAILURES = 5  # wrong passwords in a row before the account is locked
LOCKOUT = dt.timedelta(minutes=15)
IDLE = dt.timedelta(minutes=30)  # a session unused this long is over
MAX_AGE = dt.timedelta(hours=12)  # and any session after a working day
WRONG = "wrong name or password"

_passwords = Passwords()


@dataclass(frozen=True)
class Person:
    """Someone signed in at the back office: what the pages may show them and let them do."""

    username: str
    role: str
    store: str | None  # a store manager's store; None for the chain's roles
    must_change: bool
    session: str  # the hash of the session's token: what the audit log names

    @property
    def actor(self) -> str:
        return f"office:{self.username}"

    @property
    def changes_the_chain(self) -> bool:
        return self.role == "chain_admin"

    @property
    def scope(self) -> str | None:
        """The one store this person sees, or None for the whole chain."""
        return self.store if self.role == "store_manager" else None


@dataclass(frozen=True)
class SignedIn:
    token: str  # for the cookie; never stored
    person: Person


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(session_token: str) -> str:
    return hmac.new(session_token.encode(), b"comptoir office csrf", hashlib.sha256).hexdigest()


def csrf_ok(session_token: str, offered: str | None) -> bool:
    return offered is not None and hmac.compare_digest(csrf_token(session_token), offered)


def login(office: Office, username: str, password: str, origin: str) -> SignedIn:
    username = username.strip()[:64]
    now = office.now()
    with office.connection() as conn:
        with conn.transaction():
            found = people.person(conn, username) if username else None
            refused = _refusal(office, conn, found, username, password, now, origin)
            if refused is None:
                assert found is not None
                stored = str(found["password_hash"])
                people.logged_in(conn, username, _passwords.hash(password) if _passwords.needs_rehash(stored) else None)
                token = secrets.token_urlsafe(32)
                sessions.open_session(conn, token_hash(token), username, origin, now)
                audit_log.record(
                    office, conn, actor=f"office:{username}", action="office_login", object=f"user:{username}",
                    details={"role": found["role"]}, origin=origin,
                )  # fmt: skip
        audit_log.anchor(office, conn)
    if refused is not None or found is None:
        raise refused or Unauthenticated(WRONG, "wrong_credentials")
    person = Person(username, str(found["role"]), _text(found["store"]), bool(found["must_change"]), token_hash(token))
    return SignedIn(token, person)


def _refusal(
    office: Office,
    conn: Connection,
    found: dict[str, object] | None,
    username: str,
    password: str,
    now: dt.datetime,
    origin: str,
) -> Unauthenticated | Locked | None:
    """Why this login is refused (recorded in the caller's transaction, which commits it), or None."""

    def failed(why: str, details: dict[str, object] | None = None) -> None:
        audit_log.record(
            office, conn, actor=f"office:{username}"[:64], action="office_login", object=f"user:{username}",
            details={"why": why, **(details or {})}, origin=origin, outcome="failure",
        )  # fmt: skip

    if found is None:
        _passwords.verify(None, password)  # as slow as a real account: names are not told apart
        failed("unknown")
        return Unauthenticated(WRONG, "wrong_credentials")
    locked_until = found["locked_until"]
    if isinstance(locked_until, dt.datetime) and locked_until > now:
        failed("locked")
        until = locked_until.astimezone(dt.UTC).strftime("%H:%M UTC")
        return Locked(f"too many wrong passwords: this account is locked until {until}", "account_locked")
    good = _passwords.verify(str(found["password_hash"]), password)
    if good and found["disabled_at"] is None:
        return None
    if not good:
        left = people.failed_login(conn, username, MAX_FAILURES, now + LOCKOUT)
        if left == 0:
            failed("wrong_password", {"locked_until": (now + LOCKOUT).isoformat(timespec="seconds")})
            return Locked(
                f"too many wrong passwords: this account is locked for {LOCKOUT.seconds // 60} minutes",
                "account_locked",
            )
        failed("wrong_password", {"failures": left})
        return Unauthenticated(WRONG, "wrong_credentials")
    failed("disabled")
    return Unauthenticated(WRONG, "wrong_credentials")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def person(office: Office, token: str | None) -> Person | None:
    """The person of a live session, or None (no cookie, ended, idle too long, disabled)."""
    if not token or len(token) > 100:
        return None
    now = office.now()
    digest = token_hash(token)
    with office.connection() as conn:
        row = sessions.live(conn, digest, now - IDLE, now - MAX_AGE, now)
    if row is None:
        return None
    return Person(str(row["username"]), str(row["role"]), _text(row["store"]), bool(row["must_change"]), digest)


def logout(office: Office, who: Person, origin: str) -> None:
    with office.connection() as conn:
        with conn.transaction():
            if sessions.end(conn, who.session, office.now()):
                audit_log.record(
                    office, conn, actor=who.actor, action="office_logout", object=f"user:{who.username}", origin=origin
                )
        audit_log.anchor(office, conn)


def change_password(office: Office, who: Person, current: str, new: str, origin: str) -> None:
    """A person's own password; the others of their sessions end (whoever else held one is out)."""
    if new == current:
        raise Invalid("the new password must differ from the current one", "same_password")
    check_strength(new, who.username)
    with office.connection() as conn:
        with conn.transaction():
            found = people.person(conn, who.username)
            if found is None or not _passwords.verify(str(found["password_hash"]), current):
                audit_log.record(
                    office, conn, actor=who.actor, action="office_password_changed", object=f"user:{who.username}",
                    details={"why": "wrong_current_password"}, origin=origin, outcome="failure",
                )  # fmt: skip
                refused: Forbidden | None = Forbidden("the current password is not that", "wrong_password")
            else:
                refused = None
                people.set_password(conn, who.username, _passwords.hash(new), must_change=False)
                ended = sessions.end_all(conn, who.username, office.now(), keep=who.session)
                audit_log.record(
                    office, conn, actor=who.actor, action="office_password_changed", object=f"user:{who.username}",
                    details={"other_sessions_ended": ended}, origin=origin,
                )  # fmt: skip
        audit_log.anchor(office, conn)
    if refused is not None:
        raise refused
