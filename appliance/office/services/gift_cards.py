"""Gift cards at the office: the chain's ledger of record (docs/office.md, "Shared balances").

The lanes' `gift_card_moved` events make each card's ledger (`project`, a projection run in
the ingest transaction). A lane tendering a card asks first for a hold (`hold`): the amount
is reserved until the sale's event spends it, the lane releases it, or it expires. A lane
that could not reach the office may have spent up to the chain's offline cap; an offline
spend that took a card below zero is raised as `gift_card_overspent`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from appliance.app.domain import gift_card as card_rules
from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound
from appliance.app.domain.money import money_words
from appliance.office.services import audit_log
from appliance.office.services.found import Found, Lane
from appliance.office.services.office import Office
from appliance.office.store import gift_cards as store
from appliance.office.store import lanes as lanes_store
from appliance.office.store.db import Connection

KINDS = frozenset({"gift_card_moved"})
# A hold outlives the tender by far: the sale's event spends it when the lane next pushes
# (seconds), and a lane cut off just after tendering still has its hold for a while.
HOLD_TIME = dt.timedelta(hours=1)
_REF = re.compile(r"[0-9a-f]{64}")
_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,80}")


# -- the projection -----------------------------------------------------------------------------


def project(conn: Connection, lane: Lane, event: dict[str, Any]) -> list[Found]:
    body = event["body"]
    ref = body.get("card_ref")
    if not isinstance(ref, str) or not _REF.fullmatch(ref) or not isinstance(body.get("amount"), int):
        return []  # a till from before shared balances: its cards stay its own
    card = store.card_for_update(conn, ref, str(body.get("currency") or ""))
    balance = store.add_entry(conn, card["id"], lane.store, lane.till, event, bool(body.get("offline")))
    if body.get("kind") == "issue":
        store.issued(conn, card["id"], lane.store, lane.till, dt.datetime.now(dt.UTC), _when(body.get("expires_at")))
        card["issued_at"] = True
    if isinstance(body.get("hold"), str):
        store.end_hold(conn, lane.store, lane.till, body["hold"], "spent")
    if balance >= 0 or card["issued_at"] is None:
        return []  # a spend that came before its card's issue is judged when the issue comes
    lanes = store.spenders(conn, card["id"])
    return [
        Found(
            "gift_card_overspent",
            int(event["seq"]),
            {
                "card_id": card["id"],
                "overspent": -balance,
                "currency": card["currency"],
                "lanes": [
                    {"store": r["store"], "till": r["till"], "spent": r["spent"], "offline": r["offline"]}
                    for r in lanes
                ],
            },
        )
    ]


def _when(value: object) -> dt.datetime | None:
    """The till's ISO time as the office keeps it; None for none (or one that is not a time)."""
    if not isinstance(value, str):
        return None
    try:
        found = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=dt.UTC)


# -- a lane's questions, over its mutual TLS --------------------------------------------------


def _lane(conn: Connection, office: Office, fingerprint: str) -> tuple[str, str]:
    found = lanes_store.touch(conn, fingerprint, office.now())
    if found is None:
        raise Forbidden("this certificate is not a lane's current one: enrol the till again", "unknown_lane")
    return str(found["store"]), str(found["till"])


def _ref(ref: object) -> str:
    if not isinstance(ref, str) or not _REF.fullmatch(ref):
        raise Invalid("a card's reference is 64 hex digits (SHA-256 of its code)", "invalid_card_ref")
    return ref


def _answer(conn: Connection, card: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    held = store.held(conn, card["id"], now)
    return {
        "card_id": card["id"],
        "currency": card["currency"],
        "balance": card["balance"],
        "held": held,
        "available": max(0, int(card["balance"]) - held),
        "expires_at": card["expires_at"].isoformat() if card["expires_at"] else None,
        "offline_cap": store.offline_cap(conn),
    }


def lookup(office: Office, fingerprint: str, ref: object) -> dict[str, Any]:
    """The card's balance, what holds reserve on it, what is left, and the offline cap."""
    wanted = _ref(ref)
    with office.connection() as conn, conn.transaction():
        _lane(conn, office, fingerprint)
        card = store.issued_card_for_update(conn, wanted)
        if card is None:
            raise NotFound("no gift card with that number at the office", "gift_card_not_found")
        return _answer(conn, card, office.now())


def hold(office: Office, fingerprint: str, ref: object, amount: object, key: object) -> dict[str, Any]:
    """Reserves `amount` on the card for a lane's tender. The same key again answers the same
    hold (a retry after a lost answer); another amount under it is refused."""
    wanted = _ref(ref)
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= card_rules.MAX_CARD_VALUE:
        raise Invalid("the amount is a positive whole number of minor units", "invalid_amount")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise Invalid("the idempotency key is 8 to 80 letters, digits or . _ : -", "invalid_key")
    now = office.now()
    with office.connection() as conn, conn.transaction():
        lane_store, lane_till = _lane(conn, office, fingerprint)
        card = store.issued_card_for_update(conn, wanted)
        if card is None:
            raise NotFound("no gift card with that number at the office", "gift_card_not_found")
        if card["expires_at"] is not None and card["expires_at"] <= now:
            raise Invalid(f"this gift card expired on {card['expires_at']:%Y-%m-%d}", "gift_card_expired")
        before = store.hold_by_key(conn, lane_store, lane_till, key)
        if before is not None:
            if before["card_id"] != card["id"] or before["amount"] != amount:
                raise Conflict("that idempotency key names another hold", "hold_key_reused")
            answer = _answer(conn, card, now)
            if before["state"] == "held" and before["expires_at"] > now:
                answer["available"] += amount  # the answer names what was free before the hold, as the first did
            return {**answer, "hold": key, "state": before["state"]}
        answer = _answer(conn, card, now)
        if amount > answer["available"]:
            raise Conflict(
                f"the gift card holds only {money_words(answer['available'], card['currency'])}",
                "gift_card_insufficient",
            )
        store.add_hold(conn, card["id"], lane_store, lane_till, key, amount, now, now + HOLD_TIME)
        return {**answer, "hold": key, "state": "held"}


def release(office: Office, fingerprint: str, key: object) -> bool:
    """The lane gives up a hold (its tender failed); False when none was live."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise Invalid("the idempotency key is 8 to 80 letters, digits or . _ : -", "invalid_key")
    with office.connection() as conn, conn.transaction():
        lane_store, lane_till = _lane(conn, office, fingerprint)
        return store.end_hold(conn, lane_store, lane_till, key, "released")


# -- the chain's rule ---------------------------------------------------------------------------


def offline_cap(office: Office) -> int:
    with office.connection() as conn:
        return store.offline_cap(conn)


def set_offline_cap(office: Office, amount: object, *, actor: str, origin: str = "cli") -> int:
    """Sets what a till may spend of one card while the office does not answer; never off."""
    cap = card_rules.check_offline_cap(amount)
    with office.connection() as conn:
        with conn.transaction():
            before = store.set_offline_cap(conn, cap, actor, office.now())
            audit_log.record(
                office,
                conn,
                actor=actor,
                action="gift_card_offline_cap",
                object="gift_card_rules",
                details={"before": before, "after": cap},
                origin=origin,
            )
        audit_log.anchor(office, conn)
    return cap
