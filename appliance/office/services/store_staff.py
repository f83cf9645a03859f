"""The people of each store, managed at the office and fed to that store's lanes only
(docs/office.md, "Staff of a store").

The office keeps a person's role, whether they may log in, and the Argon2id hashes of their
password and PIN, made here by the till's own rules (appliance.security.passwords): a clear
password or PIN is never stored nor sent. A person is disabled, never deleted: their sales
at the tills keep naming them.
"""

from __future__ import annotations

import re
from typing import Any

from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.office.services import audit_log
from appliance.office.services.catalogue import Applied, apply_changes, changing
from appliance.office.services.office import Office
from appliance.office.store import catalogue as catalogue_store
from appliance.office.store import feed_rows
from appliance.office.store.catalogue import Change
from appliance.office.store.db import Connection
from appliance.security.passwords import Passwords, check_pin, check_strength
from appliance.security.rbac import PIN_ROLES, check_role

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")  # the till's rule (services/users.check_username)
_passwords = Passwords()  # OWASP's floor; a till whose store asks more re-hashes at the next login


def _key(store: str, username: str) -> str:
    return f"{store}|{username}"


def _person(conn: Connection, store: str, username: str) -> dict[str, Any] | None:
    had = catalogue_store.current(conn, "staff", [_key(store, username)])
    return had[_key(store, username)][0] if had else None


def _write(office: Office, conn: Connection, store: str, body: dict[str, Any], actor: str) -> int:
    change = Change("staff", _key(store, body["username"]), body, store=store)
    return apply_changes(office, conn, [change], actor)[1]


def _pin_hash(role: str, pin: str | None) -> str | None:
    if pin is None:
        return None
    if role not in PIN_ROLES:
        raise Invalid(f"a {role} has no PIN", "no_pin")
    return _passwords.hash(check_pin(pin))


def add(
    office: Office,
    store: str,
    username: str,
    role: str,
    password: str,
    *,
    pin: str | None = None,
    actor: str,
    origin: str = "cli",
) -> Applied:
    """A person of `store`, who may log in at its tills after their next pull."""
    if not isinstance(username, str) or not _USERNAME.match(username):
        raise Invalid("a user name is 2-32 lower-case letters, digits, '.', '_' or '-'", "invalid_username")
    check_role(role)
    check_strength(password, username)
    body = {
        "username": username,
        "role": role,
        "active": True,
        "password_hash": _passwords.hash(password),
        "pin_hash": _pin_hash(role, pin),
    }
    with changing(office) as conn:
        if not feed_rows.store_exists(conn, store):
            raise NotFound(f"the chain has no store {store}", "store_not_found")
        if _person(conn, store, username) is not None:
            raise Conflict(f"{store} already has {username}", "user_exists")
        version = _write(office, conn, store, body, actor)
        audit_log.record(
            office, conn, actor=actor, action="staff_add", object=f"staff:{store}/{username}",
            details={"role": role, "pin": pin is not None, "version": version}, origin=origin,
        )  # fmt: skip
    return Applied(1, 0, version)


def change(
    office: Office,
    store: str,
    username: str,
    *,
    role: str | None = None,
    active: bool | None = None,
    password: str | None = None,
    pin: str | None = None,
    actor: str,
    origin: str = "cli",
) -> Applied:
    """A new role, password or PIN, or disabled (logged out and refused at the store's tills
    after their next pull) or enabled again."""
    if role is None and active is None and password is None and pin is None:
        raise Invalid("say what changes: role, active, password or PIN", "nothing_to_change")
    with changing(office) as conn:
        body = _person(conn, store, username)
        if body is None:
            raise NotFound(f"{store} has no {username}", "user_not_found")
        new = dict(body)
        said: dict[str, Any] = {}
        if role is not None and role != body["role"]:
            new["role"] = said["role"] = check_role(role)
            if role not in PIN_ROLES:
                new["pin_hash"] = None
        if active is not None and active != body["active"]:
            new["active"] = said["active"] = active
        if password is not None:
            check_strength(password, username)
            new["password_hash"], said["password"] = _passwords.hash(password), "changed"
        if pin is not None:
            new["pin_hash"], said["pin"] = _pin_hash(str(new["role"]), pin), "changed"
        if not said:
            return Applied(0, 1, catalogue_store.head(conn))
        version = _write(office, conn, store, new, actor)
        audit_log.record(
            office, conn, actor=actor, action="staff_change", object=f"staff:{store}/{username}",
            details={**said, "version": version}, origin=origin,
        )  # fmt: skip
    return Applied(1, 0, version)


def people(office: Office, store: str) -> list[dict[str, Any]]:
    """The people of `store`: name, role, active, whether they have a PIN (never a hash)."""
    with office.connection() as conn:
        found = feed_rows.rows(conn, "staff", store=store)
    return [
        {"username": b["username"], "role": b["role"], "active": b["active"], "pin": b["pin_hash"] is not None}
        for b in (r["body"] for r in found)
    ]
