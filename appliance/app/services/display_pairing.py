"""Pairing the customer display with its till, without a second login.

The cashier, logged in at the till, asks for a code (6 digits, 5 minutes, one at a time per
till: a new one replaces the old) and reads it off the till's screen; the display, opened on
the second screen, sends it once and gets back a credential of its own. That credential is
not a session: it opens the till's sale feed (`GET /display/stream`) and nothing else, lasts
until the till unpairs it, and is kept hashed, as a session's token is.

A code is guessed no more easily than a password: wrong tries are throttled per till (429)
and the till's live code dies after MAX_CODE_FAILURES of them, so that one code lets at most
that many guesses in a million.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from typing import TypedDict

from appliance.app.domain.errors import Forbidden, Unauthenticated
from appliance.app.services import audit_log
from appliance.app.services.auth import Throttle, require, token_hash
from appliance.app.services.shop import Actor, Shop, iso, parse_iso
from appliance.app.store import display_pairings, staff
from appliance.app.store.db import Connection
from appliance.app.store.display_pairings import Pairing as Pairing  # the web layer names it
from appliance.security.rbac import Permission

CODE_DIGITS = 6
CODE_LIFETIME = dt.timedelta(minutes=5)
MAX_CODE_FAILURES = 5
CODE = re.compile(r"[0-9]{6}")

# Every client of the till is 127.0.0.1: tries are counted per till, as logins per account.
throttle = Throttle(limit=10, message="too many wrong pairing codes; wait a minute")

NOT_PAIRED = "display_not_paired"


class PairingStatus(TypedDict):
    """What the till shows of its display."""

    terminal_id: str
    paired: bool
    paired_at: str | None
    paired_by: str | None  # who showed the code
    code_expires_at: str | None  # a code waiting, until then


class DisplayPaired(TypedDict):
    """What a display hears of its pairing (web/api_devices.py builds it)."""

    paired: bool
    terminal_id: str
    paired_at: str | None


class CodeJson(TypedDict):
    code: str
    expires_at: str


class Unpaired(TypedDict):
    unpaired: int  # how many pairings ended


@dataclass(frozen=True)
class PairingCode:
    code: str
    expires_at: str


@dataclass(frozen=True)
class Paired:
    token: str  # the display's credential; only its hash is kept
    terminal_id: str
    paired_at: str


def _code_hash(terminal_id: str, code: str) -> str:
    return token_hash(f"{terminal_id}:{code}")


def _till_user(shop: Shop, actor: Actor) -> None:
    """Someone logged in at the till: a self-service customer sells but pairs nothing."""
    require(shop, actor, Permission.SELL)
    if actor.role == "customer":
        raise Forbidden("only the staff at the till may pair a customer display", "forbidden")


def new_code(shop: Shop, actor: Actor) -> PairingCode:
    """A fresh code for this till's display; the one it had before no longer pairs."""
    _till_user(shop, actor)
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    now = shop.clock()
    expires = iso(now + CODE_LIFETIME)
    terminal = shop.config.terminal_id
    with shop.db.transaction() as tx:
        display_pairings.put_code(tx, terminal, _code_hash(terminal, code), actor.user_id, iso(now), expires)
        audit_log.record(
            shop, actor=actor, action="display_pairing_code", object=f"terminal:{terminal}", details={"until": expires}
        )
    return PairingCode(code, expires)


def pair(shop: Shop, code: str, origin: str) -> Paired:
    """Spends the till's code on a display credential; a wrong, used or expired code is 401.
    A display paired earlier is unpaired: a till has one customer display."""
    code = "".join(code.split())  # read off the till as "123 456"
    terminal = shop.config.terminal_id
    key = f"{shop.data_dir}|{terminal}"
    throttle.check(key)
    now = shop.clock()
    token = secrets.token_urlsafe(32)
    with shop.db.transaction() as tx:
        live = display_pairings.code(tx, terminal)
        if live is not None and parse_iso(live.expires_at) <= now:
            display_pairings.drop_code(tx, terminal)
            live = None
        right = (
            live is not None
            and CODE.fullmatch(code) is not None
            and secrets.compare_digest(live.code_hash, _code_hash(terminal, code))
        )
        if live is None or not right:
            burnt = False
            if live is not None:
                burnt = live.failures + 1 >= MAX_CODE_FAILURES
                if burnt:
                    display_pairings.drop_code(tx, terminal)
                else:
                    display_pairings.count_failure(tx, terminal)
            reason = "no live code" if live is None else "wrong code"
            audit_log.record(
                shop,
                actor="display",
                action="display_pair",
                outcome="failure",
                origin=origin,
                object=f"terminal:{terminal}",
                details={"reason": reason, "code_void": burnt} if burnt else {"reason": reason},
            )
        else:
            assert live is not None
            display_pairings.drop_code(tx, terminal)
            replaced = display_pairings.end_all(tx, terminal, live.created_by, iso(now))
            pairing = display_pairings.insert(tx, terminal, token_hash(token), live.created_by, iso(now))
            audit_log.record(
                shop,
                actor=_username(tx, live.created_by),
                action="display_pair",
                origin=origin,
                object=f"display:{pairing}",
                details={"terminal": terminal, "replaced": replaced} if replaced else {"terminal": terminal},
            )
    if live is None or not right:
        throttle.failed(key)
        raise Unauthenticated("wrong or expired pairing code; ask the till for a new one", "bad_pairing_code")
    return Paired(token, terminal, iso(now))


def _username(conn: Connection, user_id: int) -> str:
    user = staff.by_id(conn, user_id)
    return user.username if user else "?"


def display_for(shop: Shop, token: str) -> Pairing:
    """The live pairing behind a display's credential, for this till only; else 401."""
    found = display_pairings.by_token(shop.db.conn, token_hash(token))
    if found is None or found.ended_at is not None or found.terminal_id != shop.config.terminal_id:
        raise Unauthenticated("this display is not paired with the till; enter a pairing code", NOT_PAIRED)
    return found


def is_live(shop: Shop, token: str) -> bool:
    found = display_pairings.by_token(shop.db.conn, token_hash(token))
    return found is not None and found.ended_at is None


def status(shop: Shop, actor: Actor) -> PairingStatus:
    """What the till shows of its display: paired (since when, by whom) and a code waiting."""
    _till_user(shop, actor)
    terminal = shop.config.terminal_id
    conn = shop.db.conn
    live = display_pairings.live(conn, terminal)
    waiting = display_pairings.code(conn, terminal)
    code_until = waiting.expires_at if waiting and parse_iso(waiting.expires_at) > shop.clock() else None
    latest = live[-1] if live else None
    return {
        "terminal_id": terminal,
        "paired": latest is not None,
        "paired_at": latest.paired_at if latest else None,
        "paired_by": latest.paired_by if latest else None,
        "code_expires_at": code_until,
    }


def unpair(shop: Shop, actor: Actor) -> int:
    """Ends this till's display pairing (and any code not yet used); says how many ended. The
    display's stream stops and it asks for a code again."""
    _till_user(shop, actor)
    terminal = shop.config.terminal_id
    with shop.db.transaction() as tx:
        display_pairings.drop_code(tx, terminal)
        ended = display_pairings.end_all(tx, terminal, actor.user_id, shop.now())
        audit_log.record(
            shop, actor=actor, action="display_unpair", object=f"terminal:{terminal}", details={"ended": ended}
        )
    return ended
