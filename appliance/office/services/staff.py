"""The office's people as the back office shows and changes them: a chain admin adds and
disables people; a store manager sees the people of their store; an auditor reads."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.office.services import audit_log
from appliance.office.services.office import Office
from appliance.office.services.sign_in import Person
from appliance.office.store import people, sessions, stores
from appliance.security.passwords import Passwords, one_time_password

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_passwords = Passwords()


@dataclass(frozen=True)
class Added:
    username: str
    one_time_password: str  # shown once; changed at the first login


def listing(office: Office, who: Person) -> list[dict[str, Any]]:
    with office.connection() as conn:
        rows = people.everyone(conn, who.scope)
    now = office.now()
    shown = []
    for row in rows:
        # The hash is the office's business alone, whoever reads the list.
        person = {k: v for k, v in row.items() if k != "password_hash"}
        locked = person["locked_until"]
        if not isinstance(locked, dt.datetime) or locked <= now:
            person["locked_until"] = None
        shown.append(person)
    return shown


def store_names(office: Office) -> list[str]:
    with office.connection() as conn:
        return stores.all_stores(conn)


def add(office: Office, who: Person, username: str, role: str, store: str | None, origin: str) -> Added:
    if not who.changes_the_chain:
        raise Forbidden("only a chain admin adds people", "forbidden")
    username = username.strip()
    if not _NAME.match(username):
        raise Invalid(
            "a name is 1 to 64 letters, digits, . _ @ or -, starting with a letter or digit", "invalid_username"
        )
    if role not in people.ROLES:
        raise Invalid(f"a role is one of {', '.join(people.ROLES)}", "invalid_role")
    store = (store or "").strip() or None
    if (role == "store_manager") != (store is not None):
        raise Invalid("a store manager manages one store; the chain's roles name none", "invalid_store")
    secret = one_time_password()
    with office.connection() as conn:
        with conn.transaction():
            if store is not None and store not in stores.all_stores(conn):
                raise NotFound(f"the chain has no store {store}", "store_not_found")
            if people.person(conn, username) is not None:
                raise Conflict(f"{username} is already one of the office's people", "username_taken")
            people.add(conn, username, role, _passwords.hash(secret), office.now(), store=store)
            audit_log.record(
                office, conn, actor=who.actor, action="user_added", object=f"user:{username}",
                details={"role": role, "store": store}, origin=origin,
            )  # fmt: skip
        audit_log.anchor(office, conn)
    return Added(username, secret)


def disable(office: Office, who: Person, username: str, origin: str) -> None:
    """Disabled, never deleted: the audit log goes on naming them. Their sessions end now."""
    if not who.changes_the_chain:
        raise Forbidden("only a chain admin disables people", "forbidden")
    if username == who.username:
        raise Invalid("a chain admin does not disable themself (another admin can)", "self_disable")
    with office.connection() as conn:
        with conn.transaction():
            if people.person(conn, username) is None:
                raise NotFound(f"no one is called {username}", "user_not_found")
            if not people.disable(conn, username, office.now()):
                raise Conflict(f"{username} is already disabled", "already_disabled")
            ended = sessions.end_all(conn, username, office.now())
            audit_log.record(
                office, conn, actor=who.actor, action="user_disabled", object=f"user:{username}",
                details={"sessions_ended": ended}, origin=origin,
            )  # fmt: skip
        audit_log.anchor(office, conn)
