"""Staff accounts: create, unlock, reset a password. Every change is audited."""

from __future__ import annotations

import re

from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.app.services import audit_log
from appliance.app.services.auth import require
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import staff
from appliance.security.passwords import check_strength, one_time_password
from appliance.security.rbac import Permission, check_role, may_grant

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
        user = staff.by_name(tx, username)
        if user is None:
            raise NotFound(f"no user {username}", "user_not_found")
        if actor is not None and not may_grant(actor.role, user.role):
            raise Forbidden(f"a {actor.role} may not reset a {user.role}'s password", "forbidden")
        staff.set_password(tx, user.id, password_hash, True, shop.now())
        staff.reset_failures(tx, user.id)
        staff.end_user_sessions(tx, user.id, shop.now())
        audit_log.record(shop, actor=actor or "cli", action="password_reset", object=f"user:{username}")
    return password


def list_users(shop: Shop, actor: Actor) -> list[dict[str, object]]:
    require(shop, actor, Permission.MANAGE_USERS)
    return [
        {
            "username": u.username,
            "role": u.role,
            "locked": bool(u.locked_until and u.locked_until > shop.now()),
            "must_change_password": u.must_change_password,
            "active": u.active,
        }
        for u in staff.all_users(shop.db.conn)
    ]
