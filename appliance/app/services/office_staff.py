"""The office's people of this store, applied from the feed (docs/office.md, "Staff of a
store"): made or changed by their user name, with the hashes the office made.

A person from the office is the office's: their role, password, PIN and whether they may log
in change there, and the till refuses to change them (`refuse_if_office_owned`). Their
lockout (failed attempts, locked until) and badge stay the till's. People made at the till
keep working beside them; a person the office sends with the name of one made at the till
becomes the office's (the account, and the sales that name it, stay).
"""

from __future__ import annotations

from typing import Any

from appliance.app.domain.errors import Invalid
from appliance.app.services import audit_log
from appliance.app.services.auth import user_changed
from appliance.app.services.shop import Shop
from appliance.app.services.users import check_username
from appliance.app.store import office_staff as store
from appliance.app.store import staff
from appliance.app.store.db import Connection
from appliance.security.rbac import PIN_ROLES, check_role

ACTOR = "office"


def _hash(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.startswith("$argon2id$"):
        raise Invalid(f"the office's {what} is not an Argon2id hash")
    return value


def apply(shop: Shop, tx: Connection, username: Any, body: dict[str, Any], version: int, now: str) -> None:
    """Makes or changes one person as the office has them. A person disabled or given another
    role is logged out at once: what they may do was decided at their login."""
    username = check_username(username)
    role = check_role(str(body["role"]))
    password_hash = _hash(body["password_hash"], "password")
    pin_hash = _hash(body["pin_hash"], "PIN") if body.get("pin_hash") is not None and role in PIN_ROLES else None
    active = body["active"] is True
    user = staff.by_name(tx, username)
    ended = 0
    if user is None:
        store.insert(tx, username, role, password_hash, pin_hash, active, version, now)
    else:
        if user.role != role or not active:
            ended = staff.end_user_sessions(tx, user.id, now)
        store.update(tx, user.id, role, password_hash, pin_hash, active, version)
        user_changed(shop, user.id)
    audit_log.record(
        shop,
        actor=ACTOR,
        action="office_staff_applied",
        object=f"user:{username}",
        details={"role": role, "active": active, "new": user is None, "sessions_ended": ended, "version": version},
        origin="office",
    )
