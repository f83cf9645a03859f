"""Logging in and out, sessions, password and PIN changes and a supervisor's one-time approval.

PCI DSS v4.0: 8.3.4 lockout after 10 bad tries for 30 minutes; 8.2.8 idle timeout of
15 minutes; 8.3.6 12+ characters with letters and digits; 8.3.7 not one of the last 4.
A cashier may log in with a PIN (4 to 8 digits) or a badge instead: POS cashier IDs that see
at most one card number at a time are outside 8.3's password rules. A wrong PIN counts
toward the same lockout as a wrong password. Supervisors and above log in with a password;
their PIN or badge only approves an act on a cashier's till.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from appliance.app.domain.errors import Conflict, Forbidden, Invalid, Locked, TooManyAttempts, Unauthenticated
from appliance.app.domain.staff import User
from appliance.app.domain.words import LANGUAGES
from appliance.app.services import audit_log
from appliance.app.services.session_cache import Held, announce
from appliance.app.services.shop import FIRST_PASSWORD_FILE, Actor, Shop, iso, parse_iso
from appliance.app.store import office_staff, staff
from appliance.security.passwords import badge_digest, check_badge, check_pin, check_strength, looks_like_pin
from appliance.security.rbac import PIN_LOGIN_ROLES, PIN_ROLES, Permission, can, idle_timeout_minutes

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
# A badge that matches nobody has no account to lock: unknown badges are counted together.
badge_throttle = Throttle(limit=2 * MAX_FAILURES, message="too many unknown badges; wait a minute")
# A self-service kiosk needs no login, so what it may do anonymously is rate-limited per till.
kiosk_throttle = Throttle(limit=30, message="too many requests from this kiosk; wait a minute")


def _account_key(username: str) -> str:
    return username[:64].casefold()


class SessionUser(TypedDict):
    username: str
    role: str
    must_change_password: bool  # a one-time password opened the session: change it first
    must_change_pin: bool  # a one-time PIN opened it


class Session(TypedDict):
    """A login's answer (web/api.py): the bearer token, also set as the session cookie."""

    token: str
    csrf_token: str  # sent back in X-CSRF-Token by the screens, which use the cookie
    expires_at: str
    user: SessionUser


class Me(SessionUser):
    language: str | None  # of one's own screens; null: the store's, from its locale
    permissions: list[str]


class LoggedOut(TypedDict):
    status: Literal["logged_out"]
    parked_sales: list[int]  # the open sales left on this till, parked


class PasswordChanged(TypedDict):
    status: Literal["password_changed"]


class PinChanged(TypedDict):
    status: Literal["pin_changed"]


class LanguageChosen(TypedDict):
    language: str | None


class Approval(TypedDict):
    """A supervisor's approval of one act, sent back in X-Approval and used up by it."""

    approval: str
    permission: str
    expires_in: int  # seconds


@dataclass(frozen=True)
class Login:
    token: str
    csrf_token: str
    expires_at: str
    actor: Actor


def _check_credentials(
    shop: Shop, username: str, password: str, origin: str, action: str, kind: str = "password"
) -> User:
    """Verifies a password (or, `kind` "pin", a PIN) with lockout; returns the user or
    raises (and audits) why not. Both count toward the same lockout."""
    user = staff.by_name(shop.db.conn, username)
    if user is not None:
        _refuse_if_locked(shop, user, origin, action)
    throttle.check(_account_key(username))
    stored = (user.pin_hash if kind == "pin" else user.password_hash) if user else None
    # Verify outside any transaction: Argon2 takes tens of milliseconds. A user without a PIN
    # is verified against the decoy, as slow as a real one.
    good = shop.passwords.verify(stored, password)
    if good and user is not None and stored is not None:
        if not user.active:
            _refuse_disabled(shop, user, origin, action)
        with shop.db.transaction() as tx:
            if user.failed_attempts or user.locked_until:
                staff.reset_failures(tx, user.id)
            if shop.passwords.needs_rehash(stored):
                fresh = shop.passwords.hash(password)
                if kind == "pin":
                    staff.rehash_pin(tx, user.id, fresh)
                else:
                    staff.rehash(tx, user.id, fresh)
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
            details={"reason": f"wrong {kind}" if user else "unknown user", "with": kind},
        )
    raise Unauthenticated(f"wrong user name or {'PIN' if kind == 'pin' else 'password'}", "bad_credentials")


def _refuse_disabled(shop: Shop, user: User, origin: str, action: str) -> None:
    """The right secret for an account a manager disabled: said as it is, no failure counted."""
    audit_log.record(
        shop,
        actor=user.username,
        action=action,
        outcome="denied",
        origin=origin,
        object=f"user:{user.username}",
        details={"reason": "account disabled"},
    )
    raise Forbidden("this account is disabled; a manager can enable it", "account_disabled")


def _badge_holder(shop: Shop, badge: str, origin: str, action: str) -> User:
    """The active, unlocked user a scanned badge belongs to, or raises (and audits) why not.
    Unknown badges are throttled together: there is no account of theirs to lock."""
    code = check_badge(badge)
    badge_throttle.check("badge")
    user = staff.by_badge(shop.db.conn, badge_digest(code))
    if user is None:
        badge_throttle.failed("badge")
        audit_log.record(
            shop,
            actor="?",
            action=action,
            outcome="failure",
            origin=origin,
            object="badge",
            details={"reason": "unknown badge", "with": "badge"},
        )
        raise Unauthenticated("this badge belongs to nobody here", "bad_credentials")
    _refuse_if_locked(shop, user, origin, action)
    if not user.active:
        _refuse_disabled(shop, user, origin, action)
    return user


def _refuse_if_locked(shop: Shop, user: User, origin: str, action: str) -> None:
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


def _count_failure(shop: Shop, tx: Any, user: User, origin: str) -> None:
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
        # authenticate does not refuse a locked account's open sessions today; forgetting
        # them keeps the sessions held in step with the store should it start to.
        user_changed(shop, user.id)
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
    return _logged_in(shop, user, origin, "password")


def login_with_pin(shop: Shop, username: str, pin: str, origin: str) -> Login:
    """A cashier's login with their PIN; a supervisor and above must use their password."""
    user = staff.by_name(shop.db.conn, username)
    if user is not None and user.role not in PIN_LOGIN_ROLES:
        _refuse_if_locked(shop, user, origin, "login")
        _refuse_pin_login(shop, user, origin, "PIN")
    user = _check_credentials(shop, username, pin, origin, "login", kind="pin")
    return _logged_in(shop, user, origin, "pin")


def login_with_badge(shop: Shop, badge: str, origin: str) -> Login:
    """A cashier's login with the staff badge the till's reader scanned."""
    user = _badge_holder(shop, badge, origin, "login")
    if user.role not in PIN_LOGIN_ROLES:
        _refuse_pin_login(shop, user, origin, "badge")
    return _logged_in(shop, user, origin, "badge")


def _refuse_pin_login(shop: Shop, user: User, origin: str, kind: str) -> None:
    # Refused before any PIN is checked: the answer says nothing of whether it was right.
    audit_log.record(
        shop,
        actor=user.username,
        action="login",
        outcome="denied",
        origin=origin,
        object=f"user:{user.username}",
        details={"reason": f"a {user.role} logs in with a password", "with": kind.lower()},
    )
    raise Forbidden(f"a {user.role} logs in with a password; a {kind} only approves at the till", "password_required")


def _logged_in(shop: Shop, user: User, origin: str, opened_by: str) -> Login:
    with shop.db.transaction() as tx:
        done = _open_session(shop, tx, user, origin, opened_by)
        details = None if opened_by == "password" else {"with": opened_by}
        audit_log.record(
            shop, actor=user.username, action="login", origin=origin, object=f"user:{user.username}", details=details
        )
    return done


def _actor(user: User, origin: str, session: str, opened_by: str) -> Actor:
    """A one-time secret forces its own change, and only in a session it opened: a cashier
    whose password is one-time may still work after logging in with their own PIN."""
    return Actor(
        user.id,
        user.username,
        user.role,
        origin,
        session,
        must_change_password=user.must_change_password and opened_by == "password",
        must_change_pin=user.must_change_pin and opened_by == "pin",
    )


def _open_session(shop: Shop, tx: Any, user: User, origin: str, opened_by: str = "password") -> Login:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = shop.clock()
    expires = iso(now + SESSION_LIFETIME)
    staff.insert_session(tx, token_hash(token), user.id, token_hash(csrf), origin, iso(now), expires, opened_by)
    actor = _actor(user, origin, token_hash(token), opened_by)
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


def user_changed(shop: Shop, user_id: int) -> None:
    """Whatever authenticate read of this user, or any session of theirs, may have changed:
    the sessions held in memory are forgotten once the caller's transaction commits, here
    and (session_cache.announce) in every other process serving the store."""
    shop.db.after_commit(lambda: _forget_user(shop, user_id))


def _forget_user(shop: Shop, user_id: int) -> None:
    shop.sessions.forget_user(user_id)
    announce(shop.data_dir)


def session_ended(shop: Shop, session: str) -> None:
    """One session ended (by its hash): forgotten once the caller's transaction commits."""
    shop.db.after_commit(lambda: _forget_session(shop, session))


def _forget_session(shop: Shop, session: str) -> None:
    shop.sessions.forget_session(session)
    announce(shop.data_dir)


def authenticate(shop: Shop, token: str, origin: str) -> Actor:
    """The actor behind a session token, or Unauthenticated when it ended or idled out."""
    return _authenticated(shop, token, origin)[0]


def authenticate_request(shop: Shop, token: str, origin: str, csrf_token: str | None, csrf_needed: bool) -> Actor:
    """authenticate, and with a cookie on an unsafe method the CSRF token too: a request
    whose session is not held in memory learns both in one trip to a worker thread."""
    who, csrf_hash = _authenticated(shop, token, origin)
    if csrf_needed:
        refuse_wrong_csrf(csrf_hash, csrf_token)
    return who


def _authenticated(shop: Shop, token: str, origin: str) -> tuple[Actor, str]:
    digest = token_hash(token)
    ticket = shop.sessions.ticket(shop.data_dir)
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
            session_ended(shop, digest)
        raise Unauthenticated("the session expired; log in again", "session_expired")
    if now - last_seen > TOUCH_EVERY:
        with shop.db.transaction() as tx:
            staff.touch_session(tx, digest, iso(now))
        last_seen = parse_iso(iso(now))
    who = _actor(user, origin, digest, found.opened_by)
    held = Held(
        user_id=user.id,
        username=user.username,
        role=user.role,
        must_change_password=who.must_change_password,
        must_change_pin=who.must_change_pin,
        csrf_hash=found.csrf_hash,
        expires_at=parse_iso(found.expires_at),
        last_seen=last_seen,
        idle=idle,
        read_at=now,
    )
    shop.sessions.keep(shop.data_dir, ticket, digest, held)
    return who, found.csrf_hash


@dataclass(frozen=True)
class Recalled:
    actor: Actor
    csrf_hash: str
    touch_due: bool  # call touch with the request's work: the store's last_seen is getting old


def recall(shop: Shop, token: str, origin: str) -> Recalled | None:
    """The actor behind a session this process holds as live (session_cache.py), from memory
    alone: no SQL, so it is safe on the event loop. None: ask authenticate.

    The idle timeout counts from the last_seen the store holds, as authenticate does; when
    that is older than TOUCH_EVERY, `touch_due` asks the caller to write a new one (touch)
    on the worker thread it uses anyway. Until that write commits the held last_seen stays
    the store's, so a request never gets past an idle timeout the store would enforce: if
    the write never comes, the session idles out here exactly as it would there."""
    digest = token_hash(token)
    now = shop.clock()
    held = shop.sessions.recall(shop.data_dir, digest, now)
    if held is None:
        return None
    who = Actor(
        held.user_id,
        held.username,
        held.role,
        origin,
        digest,
        must_change_password=held.must_change_password,
        must_change_pin=held.must_change_pin,
    )
    return Recalled(who, held.csrf_hash, now - held.last_seen > TOUCH_EVERY)


def touch(shop: Shop, session: str) -> None:
    """Writes that the session (by its hash) was just used: its idle timeout counts from now."""
    now = shop.clock()
    with shop.db.transaction() as tx:
        staff.touch_session(tx, session, iso(now))
    shop.sessions.touched(session, parse_iso(iso(now)))


def refuse_wrong_csrf(csrf_hash: str | None, csrf_token: str | None) -> None:
    if not csrf_token or csrf_hash is None or not secrets.compare_digest(csrf_hash, token_hash(csrf_token)):
        raise Forbidden("missing or wrong CSRF token", "csrf_failed")


def check_csrf(shop: Shop, actor: Actor, csrf_token: str | None) -> None:
    found = staff.session(shop.db.conn, actor.session)
    refuse_wrong_csrf(found.csrf_hash if found else None, csrf_token)


def logout(shop: Shop, actor: Actor) -> list[int]:
    """Ends the session; the open sales the person left on this till are parked with it (a
    sale is never left where no screen shows it). Returns the ids of the sales parked."""
    with shop.db.transaction() as tx:
        done = shop.effects.on_logout(shop, tx, actor)
        staff.end_session(tx, actor.session, shop.now())
        session_ended(shop, actor.session)
        audit_log.record(shop, actor=actor, action="logout", object=f"user:{actor.username}", details=done or None)
    return list(done.get("parked_sales", []))


def change_password(shop: Shop, actor: Actor, current: str, new: str) -> None:
    """Changes one's own password. A wrong current password counts toward the lockout like a
    wrong login (a stolen session must not become a free guessing oracle), and the change
    ends every other session of the user: whoever else held one must log in anew."""
    user = staff.by_id(shop.db.conn, actor.user_id)
    assert user is not None
    if office_staff.office_owned(shop.db.conn, user.username):
        raise Conflict("your account is managed at the office: change it there", "office_owned")
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
        user_changed(shop, user.id)  # the session kept no longer owes a change of secret
        audit_log.record(
            shop,
            actor=actor,
            action="password_change",
            object=f"user:{user.username}",
            details={"other_sessions_ended": ended},
        )
    # A first start's one-time password is spent: its file goes.
    (shop.data_dir / FIRST_PASSWORD_FILE).unlink(missing_ok=True)


def change_pin(shop: Shop, actor: Actor, current: str, new: str) -> None:
    """Chooses one's own PIN. `current` is the PIN in use, or the account's password (a
    supervisor sets their first PIN so; a password is never 4 to 8 digits). A wrong one
    counts toward the lockout, and the change ends the user's other sessions."""
    user = staff.by_id(shop.db.conn, actor.user_id)
    assert user is not None
    if office_staff.office_owned(shop.db.conn, user.username):
        raise Conflict("your account is managed at the office: change it there", "office_owned")
    if user.role not in PIN_ROLES:
        raise Forbidden(f"a {user.role} has no PIN", "forbidden")
    _refuse_if_locked(shop, user, actor.origin, "pin_change")
    throttle.check(_account_key(user.username))
    stored = user.pin_hash if looks_like_pin(current) else user.password_hash
    if not shop.passwords.verify(stored, current):
        throttle.failed(_account_key(user.username))
        with shop.db.transaction() as tx:
            _count_failure(shop, tx, user, actor.origin)
            audit_log.record(shop, actor=actor, action="pin_change", outcome="failure", object=f"user:{user.username}")
        raise Invalid("the current PIN (or password) is wrong", "bad_credentials")
    check_pin(new)
    if user.pin_hash and shop.passwords.verify(user.pin_hash, new):
        raise Invalid("choose a PIN that differs from the one in use", "pin_reused")
    pin_hash = shop.passwords.hash(new)
    with shop.db.transaction() as tx:
        staff.set_pin(tx, user.id, pin_hash, False)
        ended = staff.end_user_sessions(tx, user.id, shop.now(), keep=actor.session)
        user_changed(shop, user.id)  # the session kept no longer owes a change of secret
        audit_log.record(
            shop,
            actor=actor,
            action="pin_change",
            object=f"user:{user.username}",
            details={"other_sessions_ended": ended},
        )


def language(shop: Shop, actor: Actor) -> str | None:
    """The language the person chose for their screens; None: the store's (its locale's)."""
    return staff.language(shop.db.conn, actor.user_id)


def set_language(shop: Shop, actor: Actor, language: str | None) -> None:
    """Chooses one's own screens' language (None: back to the store's). Audited like the other
    changes people make to their own account, so a till that speaks another language one
    morning says who chose it."""
    if language is not None and language not in LANGUAGES:
        raise Invalid(f"no words in {language[:8]!r}; one of {', '.join(LANGUAGES)}", "invalid_request")
    with shop.db.transaction() as tx:
        staff.set_language(tx, actor.user_id, language)
        audit_log.record(
            shop,
            actor=actor,
            action="language_change",
            object=f"user:{actor.username}",
            details={"language": language},
        )


def approve(shop: Shop, actor: Actor, username: str, password: str, permission: Permission) -> str:
    """A supervisor's credentials typed on a cashier's screen: a one-time token for one
    action in this session, valid two minutes."""
    approver = _check_credentials(shop, username, password, actor.origin, "approval")
    return _grant(shop, actor, approver, permission, "password")


def approve_with_pin(shop: Shop, actor: Actor, username: str, pin: str, permission: Permission) -> str:
    """The same approval with the supervisor's PIN; a wrong one counts toward their lockout."""
    approver = _check_credentials(shop, username, pin, actor.origin, "approval", kind="pin")
    if approver.must_change_pin:
        # Whoever set it knows it: it opens only its owner's own PIN change.
        raise Forbidden(f"{approver.username}'s PIN was set for one use; they choose their own first", "one_time_pin")
    return _grant(shop, actor, approver, permission, "pin")


def approve_with_badge(shop: Shop, actor: Actor, badge: str, permission: Permission) -> str:
    """The same approval with the supervisor's badge scanned at the till."""
    approver = _badge_holder(shop, badge, actor.origin, "approval")
    return _grant(shop, actor, approver, permission, "badge")


def _grant(shop: Shop, actor: Actor, approver: User, permission: Permission, kind: str) -> str:
    details: dict[str, str] = {"permission": permission.value}
    if kind != "password":
        details["with"] = kind
    if not can(approver.role, permission):
        audit_log.record(
            shop,
            actor=approver.username,
            action="approval",
            outcome="denied",
            origin=actor.origin,
            object=f"session_of:{actor.username}",
            details=details,
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
            details=details,
        )
    return token


def _require_own_secrets(actor: Actor) -> None:
    if actor.must_change_password:
        raise Forbidden("change your password first", "password_change_required")
    if actor.must_change_pin:
        raise Forbidden("choose your own PIN first", "pin_change_required")


def require(
    shop: Shop,
    actor: Actor,
    permission: Permission,
    approval: str | None = None,
    refusal: str | None = None,
    *,
    use_up: bool = True,
) -> str | None:
    """Passes when the actor's role holds the permission, or a live approval for it is
    given (used up here, inside the caller's transaction; `use_up=False` only looks, for a
    check before a call that must not wait inside a transaction). Returns the approver's
    name. `refusal` says, in the shop's words, what else would do (the role's name otherwise)."""
    _require_own_secrets(actor)
    if can(actor.role, permission):
        return None
    if approval:
        return approved_by(shop, actor, permission, approval, use_up=use_up)
    raise Forbidden(
        refusal or f"the {actor.role} role may not {permission.value.replace('_', ' ')}; a supervisor can approve it",
        "forbidden",
    )


def require_all(
    shop: Shop, actor: Actor, permissions: tuple[Permission, ...], approval: str | None = None, *, use_up: bool = True
) -> str | None:
    """One act that takes several permissions (a refund onto store credit): the actor's role
    holds them all, or one approval covers those it lacks. `permissions` go strongest first;
    the approval is for the first one lacking, and its approver must hold every one lacking."""
    _require_own_secrets(actor)
    missing = [p for p in permissions if not can(actor.role, p)]
    if not missing:
        return None
    approver = require(shop, actor, missing[0], approval, use_up=use_up)
    user = staff.by_name(shop.db.conn, approver or "")
    beyond = [p for p in missing[1:] if user is None or not can(user.role, p)]
    if beyond:
        raise Forbidden(
            f"{approver} may not {beyond[0].value.replace('_', ' ')}: a manager must approve this", "approval_invalid"
        )
    return approver


def approved_by(shop: Shop, actor: Actor, permission: Permission, approval: str, *, use_up: bool = True) -> str:
    """Uses up a supervisor's approval of `permission` on this session (or only finds it
    live, `use_up=False`); names the approver."""
    found = staff.use_approval if use_up else staff.live_approval
    approver_id = found(shop.db.conn, token_hash(approval), actor.session, permission.value, shop.now())
    approver = staff.by_id(shop.db.conn, approver_id) if approver_id is not None else None
    if approver is None:
        raise Forbidden("the approval is unknown, used or expired; ask again", "approval_invalid")
    return approver.username
