"""Staff accounts: create, unlock, reset a password or a PIN, set a badge, disable, change a
role. Every change is audited, never the secret itself. A manager acts only on accounts
they could have made (may_grant), and nobody disables, demotes or resets themself."""

from __future__ import annotations

import re
from typing import Literal, NotRequired, TypedDict

from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.app.domain.staff import User
from appliance.app.services import audit_log
from appliance.app.services.auth import require, user_changed
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import office_staff, staff
from appliance.app.store.db import Connection
from appliance.security.passwords import badge_digest, check_badge, check_strength, one_time_password, one_time_pin
from appliance.security.rbac import PIN_ROLES, Permission, check_role, may_grant


class Account(TypedDict):
    """A staff account as the managers' list shows it: never a secret, only whether one is set."""

    username: str
    role: str
    locked: bool  # locked out after too many wrong tries, for now
    must_change_password: bool
    active: bool
    pin: Literal["none", "set", "one_time"]
    badge: bool


class Accounts(TypedDict):
    users: list[Account]


class NewAccount(TypedDict):
    username: str
    role: str
    one_time_password: NotRequired[str]  # when none was given: shown this once


class Unlocked(TypedDict):
    status: Literal["unlocked"]


class OneTimePassword(TypedDict):
    username: str
    one_time_password: str  # shown this once


class OneTimePin(TypedDict):
    username: str
    one_time_pin: str  # shown this once


class BadgeSet(TypedDict):
    status: Literal["badge_set"]


class BadgeCleared(TypedDict):
    status: Literal["badge_cleared"]


class ChangedAccount(TypedDict):
    username: str
    role: str
    active: bool


_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")


def check_username(username: str) -> str:
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise Invalid("a user name is 2-32 lower-case letters, digits, '.', '_' or '-'", "invalid_username")
    return username


def add_user(
    shop: Shop,
    actor: Actor | None,
    username: str,
    role: str,
    password: str | None,
    *,
    must_change: bool = False,
) -> str | None:
    """Creates a staff account. With no password, a one-time one is made and returned;
    it must be changed at first login. `actor` None means the local CLI (root on the box)."""
    check_username(username)
    check_role(role)
    if actor is not None:
        require(shop, actor, Permission.MANAGE_USERS)
        if not may_grant(actor.role, role):
            raise Forbidden(f"a {actor.role} may not create a {role}", "forbidden")
    generated = None
    if password is None:
        generated = password = one_time_password()
        must_change = True
    elif actor is not None:
        # Someone else chose it, so someone else knows it: it only opens the first login.
        must_change = True
    check_strength(password, username)
    password_hash = shop.passwords.hash(password)
    with shop.db.transaction() as tx:
        if staff.by_name(tx, username) is not None:
            raise Conflict(f"user {username} already exists", "user_exists")
        staff.insert(tx, username, role, password_hash, must_change, shop.now())
        audit_log.record(
            shop,
            actor=actor or "cli",
            action="user_create",
            object=f"user:{username}",
            details={"role": role},
        )
    return generated


def unlock(shop: Shop, actor: Actor | None, username: str) -> None:
    if actor is not None:
        require(shop, actor, Permission.MANAGE_USERS)
    with shop.db.transaction() as tx:
        user = staff.by_name(tx, username)
        if user is None:
            raise NotFound(f"no user {username}", "user_not_found")
        # Unlocking hands back guesses: only over accounts the actor could have made.
        if actor is not None and not may_grant(actor.role, user.role):
            raise Forbidden(f"a {actor.role} may not unlock a {user.role}", "forbidden")
        staff.reset_failures(tx, user.id)
        audit_log.record(shop, actor=actor or "cli", action="user_unlock", object=f"user:{username}")


def reset_password(shop: Shop, actor: Actor | None, username: str) -> str:
    """A new one-time password for a user who forgot theirs; their sessions end."""
    if actor is not None:
        require(shop, actor, Permission.MANAGE_USERS)
    password = one_time_password()
    password_hash = shop.passwords.hash(password)
    with shop.db.transaction() as tx:
        user = _managed(tx, actor, username, "reset the password of")
        staff.set_password(tx, user.id, password_hash, True, shop.now())
        staff.reset_failures(tx, user.id)
        staff.end_user_sessions(tx, user.id, shop.now())
        user_changed(shop, user.id)
        audit_log.record(shop, actor=actor or "cli", action="password_reset", object=f"user:{username}")
    return password


def list_users(shop: Shop, actor: Actor) -> list[Account]:
    require(shop, actor, Permission.MANAGE_USERS)
    return [
        {
            "username": u.username,
            "role": u.role,
            "locked": bool(u.locked_until and u.locked_until > shop.now()),
            "must_change_password": u.must_change_password,
            "active": u.active,
            "pin": "one_time" if u.pin_hash and u.must_change_pin else "set" if u.pin_hash else "none",
            "badge": bool(u.badge_hash),
        }
        for u in staff.all_users(shop.db.conn)
    ]


def _managed(tx: Connection, actor: Actor | None, username: str, act: str) -> User:
    """The account `actor` is about to change: one they could have made, and not their own
    (their own secrets change through their own forms, which ask for the current one)."""
    user = staff.by_name(tx, username)
    if user is None:
        raise NotFound(f"no user {username}", "user_not_found")
    if "badge" not in act and office_staff.office_owned(tx, username):  # a badge stays the till's
        raise Conflict(f"{username} is managed at the office: change them there", "office_owned")
    if actor is not None:
        if not may_grant(actor.role, user.role):
            raise Forbidden(f"a {actor.role} may not {act} a {user.role}", "forbidden")
        if actor.user_id == user.id:
            raise Forbidden(f"nobody may {act} their own account here", "own_account")
    return user


def reset_pin(shop: Shop, actor: Actor | None, username: str) -> str:
    """A new one-time PIN (6 digits, shown once): it opens one login, which must choose a
    PIN of their own. The lockout is cleared and the user's sessions end."""
    if actor is not None:
        require(shop, actor, Permission.MANAGE_USERS)
    pin = one_time_pin()
    pin_hash = shop.passwords.hash(pin)
    with shop.db.transaction() as tx:
        user = _managed(tx, actor, username, "reset the PIN of")
        if user.role not in PIN_ROLES:
            raise Invalid(f"a {user.role} has no PIN", "no_pin_for_role")
        staff.set_pin(tx, user.id, pin_hash, True)
        staff.reset_failures(tx, user.id)
        ended = staff.end_user_sessions(tx, user.id, shop.now())
        user_changed(shop, user.id)
        audit_log.record(
            shop, actor=actor or "cli", action="pin_reset", object=f"user:{username}", details={"sessions_ended": ended}
        )
    return pin


def set_badge(shop: Shop, actor: Actor | None, username: str, badge: str) -> None:
    """Gives a user the badge scanned into the form (kept only as a hash); one badge, one user."""
    if actor is not None:
        require(shop, actor, Permission.MANAGE_USERS)
    digest = badge_digest(check_badge(badge))
    with shop.db.transaction() as tx:
        user = _managed(tx, actor, username, "set the badge of")
        if user.role not in PIN_ROLES:
            raise Invalid(f"a {user.role} has no badge", "no_badge_for_role")
        holder = staff.by_badge(tx, digest)
        if holder is not None and holder.id != user.id:
            raise Conflict(f"this badge is {holder.username}'s; clear it there first", "badge_in_use")
        staff.set_badge(tx, user.id, digest)
        audit_log.record(
            shop,
            actor=actor or "cli",
            action="badge_set",
            object=f"user:{username}",
            details={"replaced": bool(user.badge_hash)},
        )


def clear_badge(shop: Shop, actor: Actor | None, username: str) -> None:
    """Takes a user's badge away (lost, or handed back): it logs nobody in any more."""
    if actor is not None:
        require(shop, actor, Permission.MANAGE_USERS)
    with shop.db.transaction() as tx:
        user = _managed(tx, actor, username, "clear the badge of")
        staff.set_badge(tx, user.id, None)
        audit_log.record(
            shop,
            actor=actor or "cli",
            action="badge_clear",
            object=f"user:{username}",
            details={"had": bool(user.badge_hash)},
        )


def change_account(
    shop: Shop, actor: Actor | None, username: str, *, active: bool | None = None, role: str | None = None
) -> ChangedAccount:
    """Disables or enables an account, or changes its role within what the actor may grant
    (the old role and the new). Disabling or a new role ends the user's sessions: what they
    could do was decided at login."""
    if actor is not None:
        require(shop, actor, Permission.MANAGE_USERS)
    if active is None and role is None:
        raise Invalid("say what changes: active, role or both", "nothing_to_change")
    if role is not None:
        check_role(role)
    with shop.db.transaction() as tx:
        user = _managed(tx, actor, username, "change")
        if role is not None and actor is not None and not may_grant(actor.role, role):
            raise Forbidden(f"a {actor.role} may not make a {role}", "forbidden")
        changes: dict[str, object] = {}
        if active is not None and active != user.active:
            staff.set_active(tx, user.id, active)
            changes["active"] = {"before": user.active, "after": active}
        if role is not None and role != user.role:
            staff.set_role(tx, user.id, role)
            changes["role"] = {"before": user.role, "after": role}
        ended = 0
        if "role" in changes or (active is False and "active" in changes):
            ended = staff.end_user_sessions(tx, user.id, shop.now())
        if changes:
            user_changed(shop, user.id)  # a role raised too: the sessions held carry the old one
            audit_log.record(
                shop,
                actor=actor or "cli",
                action="user_change",
                object=f"user:{username}",
                details={**changes, "sessions_ended": ended},
            )
    return {"username": username, "role": role or user.role, "active": user.active if active is None else active}
