"""Logging in and out, sessions, password changes and a supervisor's one-time approval.

PCI DSS v4.0: 8.3.4 lockout after 10 bad tries for 30 minutes; 8.2.8 idle timeout of
15 minutes; 8.3.6 12+ characters with letters and digits; 8.3.7 not one of the last 4.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from appliance.app.domain.errors import Forbidden, Invalid, Locked, TooManyAttempts, Unauthenticated
from appliance.app.services import audit_log
from appliance.app.services.shop import FIRST_PASSWORD_FILE, Actor, Shop, iso, parse_iso
from appliance.app.store import staff
from appliance.security.passwords import check_strength
from appliance.security.rbac import Permission, can, idle_timeout_minutes

MAX_FAILURES = 10
LOCKOUT = dt.timedelta(minutes=30)
SESSION_LIFETIME = dt.timedelta(hours=12)
APPROVAL_LIFETIME = dt.timedelta(minutes=2)
PASSWORD_HISTORY = 4
TOUCH_EVERY = dt.timedelta(seconds=30)  # last_seen need not be written on every request


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Throttle:
    """Refuses an act after too many of it in a window (HTTP 429), counted per key.

    Logins are counted per account, not per address: every client of a server on loopback
    is 127.0.0.1, so a count per address let 30 bad logins for anyone lock everyone out. An
    account's own lockout (10 failures, 30 minutes) still stands behind this; the throttle
    slows guessing at names that do not exist, which never lock."""

    def __init__(self, limit: int, window: float = 60.0, message: str = "too many tries; wait a minute") -> None:
        self.limit = limit
        self.window = window
        self.message = message
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str, now: float) -> deque[float] | None:
        times = self._failures.get(key)
        while times and now - times[0] > self.window:
            times.popleft()
        return times

    def check(self, key: str) -> None:
        with self._lock:
            times = self._live(key, time.monotonic())
            if times and len(times) >= self.limit:
                raise TooManyAttempts(self.message, "too_many_attempts")

    def failed(self, key: str) -> None:
        with self._lock:
            now = time.monotonic()
            if len(self._failures) > 10_000:
                # Names that were tried once and not since: forget them, so a flood of
                # made-up names cannot grow this without end.
                for stale in [k for k in self._failures if not self._live(k, now)]:
                    del self._failures[stale]
            self._failures.setdefault(key, deque()).append(now)

    def take(self, key: str) -> None:
        """Counts one act and refuses it past the limit (for acts that are not failures)."""
        self.check(key)
        self.failed(key)


# Above MAX_FAILURES, so that a real account meets its lockout (423) first.
throttle = Throttle(limit=2 * MAX_FAILURES, message="too many failed logins for this account; wait a minute")
# A self-service kiosk needs no login, so what it may do anonymously is rate-limited per till.
kiosk_throttle = Throttle(limit=30, message="too many requests from this kiosk; wait a minute")


def _account_key(username: str) -> str:
    return username[:64].casefold()


@dataclass(frozen=True)
class Login:
    token: str
    csrf_token: str
    expires_at: str
    actor: Actor


def _check_credentials(shop: Shop, username: str, password: str, origin: str, action: str) -> staff.User:
    """Verifies a password with lockout; returns the user or raises (and audits) why not."""
    user = staff.by_name(shop.db.conn, username)
    if user is not None:
        _refuse_if_locked(shop, user, origin, action)
    throttle.check(_account_key(username))
    # Verify outside any transaction: Argon2 takes tens of milliseconds.
    good = shop.passwords.verify(user.password_hash if user else None, password)
    if good and user is not None and user.active:
        with shop.db.transaction() as tx:
            if user.failed_attempts or user.locked_until:
                staff.reset_failures(tx, user.id)
            if shop.passwords.needs_rehash(user.password_hash):
                staff.rehash(tx, user.id, shop.passwords.hash(password))
        return user
    throttle.failed(_account_key(username))
    with shop.db.transaction() as tx:
        if user is not None:
            _count_failure(shop, tx, user, origin)
        audit_log.record(
            shop,
            actor=username[:64] or "?",
            action=action,
            outcome="failure",
            origin=origin,
            object=f"user:{username[:64]}",
            details={"reason": "bad credentials" if user else "unknown user"},
        )
    raise Unauthenticated("wrong user name or password", "bad_credentials")


def _refuse_if_locked(shop: Shop, user: staff.User, origin: str, action: str) -> None:
    if user.locked_until and parse_iso(user.locked_until) > shop.clock():
        audit_log.record(
            shop,
            actor=user.username,
            action=action,
            outcome="locked",
            origin=origin,
            object=f"user:{user.username}",
        )
        raise Locked(
            f"the account is locked until {user.locked_until[:16].replace('T', ' ')} UTC",
            "account_locked",
        )


def _count_failure(shop: Shop, tx: Any, user: staff.User, origin: str) -> None:
    """One more wrong secret for `user` (inside the caller's transaction); the tenth locks."""
    now = shop.clock()
    fresh = staff.by_id(tx, user.id)
    assert fresh is not None
    # A lockout that has run out starts a fresh count.
    expired = fresh.locked_until is not None and parse_iso(fresh.locked_until) <= now
    failures = 1 if expired else fresh.failed_attempts + 1
    until = iso(now + LOCKOUT) if failures >= MAX_FAILURES else None
    staff.record_failure(tx, user.id, failures, until)
    if until:
        audit_log.record(
            shop,
            actor=user.username,
            action="lockout",
            outcome="locked",
            origin=origin,
            object=f"user:{user.username}",
            details={"failures": failures, "until": until},
        )


def login(shop: Shop, username: str, password: str, origin: str) -> Login:
    user = _check_credentials(shop, username, password, origin, "login")
    with shop.db.transaction() as tx:
        done = _open_session(shop, tx, user, origin)
        audit_log.record(shop, actor=user.username, action="login", origin=origin, object=f"user:{user.username}")
    return done


def _open_session(shop: Shop, tx: Any, user: staff.User, origin: str) -> Login:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = shop.clock()
    expires = iso(now + SESSION_LIFETIME)
    staff.insert_session(tx, token_hash(token), user.id, token_hash(csrf), origin, iso(now), expires)
    actor = Actor(user.id, user.username, user.role, origin, token_hash(token), user.must_change_password)
    return Login(token=token, csrf_token=csrf, expires_at=expires, actor=actor)


def kiosk_session(shop: Shop, origin: str) -> Login:
    """A customer's session at a self-service till: no password, the `customer` role, which
    may only sell (and only see its own sales). Only a till set up for self-service gives one."""
    if shop.config.mode != "self_service":
        raise Forbidden("this till is not set up for self-service", "not_self_service")
    kiosk_throttle.take(f"{shop.data_dir}|{shop.config.terminal_id}")
    username = f"kiosk-{shop.config.terminal_id.lower()}"
    with shop.db.transaction() as tx:
        user = staff.by_name(tx, username)
        if user is None:
            # Nobody logs in as this account: its password is random and never shown.
            staff.insert(tx, username, "customer", shop.passwords.hash(secrets.token_urlsafe(32)), False, shop.now())
            user = staff.by_name(tx, username)
            assert user is not None
        return _open_session(shop, tx, user, origin)


def authenticate(shop: Shop, token: str, origin: str) -> Actor:
    """The actor behind a session token, or Unauthenticated when it ended or idled out."""
    digest = token_hash(token)
    found = staff.session(shop.db.conn, digest)
    now = shop.clock()
    if found is None or found.ended_at is not None:
        raise Unauthenticated("no session; log in", "no_session")
    user = staff.by_id(shop.db.conn, found.user_id)
    if user is None or not user.active:
        raise Unauthenticated("no session; log in", "no_session")
    idle = dt.timedelta(minutes=idle_timeout_minutes(user.role))
    last_seen = parse_iso(found.last_seen)
    if parse_iso(found.expires_at) <= now or now - last_seen > idle:
        with shop.db.transaction() as tx:
            staff.end_session(tx, digest, iso(now))
        raise Unauthenticated("the session expired; log in again", "session_expired")
    if now - last_seen > TOUCH_EVERY:
        with shop.db.transaction() as tx:
            staff.touch_session(tx, digest, iso(now))
    return Actor(user.id, user.username, user.role, origin, digest, user.must_change_password)


def check_csrf(shop: Shop, actor: Actor, csrf_token: str | None) -> None:
    found = staff.session(shop.db.conn, actor.session)
    if not csrf_token or found is None or not secrets.compare_digest(found.csrf_hash, token_hash(csrf_token)):
        raise Forbidden("missing or wrong CSRF token", "csrf_failed")


def logout(shop: Shop, actor: Actor) -> list[int]:
    """Ends the session; the open sales the person left on this till are parked with it (a
    sale is never left where no screen shows it). Returns the ids of the sales parked."""
    from appliance.app.services import hooks

    with shop.db.transaction() as tx:
        done = hooks.on_logout(shop, tx, actor)
        staff.end_session(tx, actor.session, shop.now())
        audit_log.record(shop, actor=actor, action="logout", object=f"user:{actor.username}", details=done or None)
    return list(done.get("parked_sales", []))


def change_password(shop: Shop, actor: Actor, current: str, new: str) -> None:
    """Changes one's own password. A wrong current password counts toward the lockout like a
    wrong login (a stolen session must not become a free guessing oracle), and the change
    ends every other session of the user: whoever else held one must log in anew."""
    user = staff.by_id(shop.db.conn, actor.user_id)
    assert user is not None
    _refuse_if_locked(shop, user, actor.origin, "password_change")
    throttle.check(_account_key(user.username))
    if not shop.passwords.verify(user.password_hash, current):
        throttle.failed(_account_key(user.username))
        with shop.db.transaction() as tx:
            _count_failure(shop, tx, user, actor.origin)
            audit_log.record(
                shop,
                actor=actor,
                action="password_change",
                outcome="failure",
                object=f"user:{user.username}",
            )
        raise Invalid("the current password is wrong", "bad_credentials")
    check_strength(new, user.username)
    history = [
        user.password_hash,
        *staff.recent_hashes(shop.db.conn, user.id, PASSWORD_HISTORY - 1),
    ]
    if any(shop.passwords.verify(old, new) for old in history):
        raise Invalid(f"the password must differ from the last {PASSWORD_HISTORY}", "password_reused")
    new_hash = shop.passwords.hash(new)
    with shop.db.transaction() as tx:
        staff.set_password(tx, user.id, new_hash, False, shop.now())
        ended = staff.end_user_sessions(tx, user.id, shop.now(), keep=actor.session)
        audit_log.record(
            shop,
            actor=actor,
            action="password_change",
            object=f"user:{user.username}",
            details={"other_sessions_ended": ended},
        )
    # A first start's one-time password is spent: its file goes.
    (shop.data_dir / FIRST_PASSWORD_FILE).unlink(missing_ok=True)


def approve(shop: Shop, actor: Actor, username: str, password: str, permission: Permission) -> str:
    """A supervisor's credentials typed on a cashier's screen: a one-time token for one
    action in this session, valid two minutes."""
    approver = _check_credentials(shop, username, password, actor.origin, "approval")
    if not can(approver.role, permission):
        audit_log.record(
            shop,
            actor=approver.username,
            action="approval",
            outcome="denied",
            origin=actor.origin,
            object=f"session_of:{actor.username}",
            details={"permission": permission.value},
        )
        raise Forbidden(f"{approver.username} may not approve {permission.value}", "forbidden")
    token = secrets.token_urlsafe(24)
    with shop.db.transaction() as tx:
        staff.insert_approval(
            tx,
            token_hash(token),
            approver.id,
            actor.session,
            permission.value,
            iso(shop.clock() + APPROVAL_LIFETIME),
        )
        audit_log.record(
            shop,
            actor=approver.username,
            action="approval",
            origin=actor.origin,
            object=f"session_of:{actor.username}",
            details={"permission": permission.value},
        )
    return token


def require(shop: Shop, actor: Actor, permission: Permission, approval: str | None = None) -> str | None:
    """Passes when the actor's role holds the permission, or a live approval for it is
    given (used up here, inside the caller's transaction). Returns the approver's name."""
    if actor.must_change_password:
        raise Forbidden("change your password first", "password_change_required")
    if can(actor.role, permission):
        return None
    if approval:
        return approved_by(shop, actor, permission, approval)
    raise Forbidden(
        f"the {actor.role} role may not {permission.value.replace('_', ' ')}; a supervisor can approve it",
        "forbidden",
    )


def require_all(
    shop: Shop, actor: Actor, permissions: tuple[Permission, ...], approval: str | None = None
) -> str | None:
    """One act that takes several permissions (a refund onto store credit): the actor's role
    holds them all, or one approval covers those it lacks. `permissions` go strongest first;
    the approval is for the first one lacking, and its approver must hold every one lacking."""
    if actor.must_change_password:
        raise Forbidden("change your password first", "password_change_required")
    missing = [p for p in permissions if not can(actor.role, p)]
    if not missing:
        return None
    approver = require(shop, actor, missing[0], approval)
    user = staff.by_name(shop.db.conn, approver or "")
    beyond = [p for p in missing[1:] if user is None or not can(user.role, p)]
    if beyond:
        raise Forbidden(
            f"{approver} may not {beyond[0].value.replace('_', ' ')}: a manager must approve this", "approval_invalid"
        )
    return approver


def approved_by(shop: Shop, actor: Actor, permission: Permission, approval: str) -> str:
    """Uses up a supervisor's approval of `permission` on this session; names the approver."""
    approver_id = staff.use_approval(shop.db.conn, token_hash(approval), actor.session, permission.value, shop.now())
    approver = staff.by_id(shop.db.conn, approver_id) if approver_id is not None else None
    if approver is None:
        raise Forbidden("the approval is unknown, used or expired; ask again", "approval_invalid")
    return approver.username
