"""A till's gift card questions to the office it is enrolled at (docs/office.md, "Shared
balances"): a hold before every gift card tender, and its release when the tender fails.

A hold and its release call the network (3 s when the office is silent): never inside a
transaction, which would hold the process's one writer queue that long (every till served
by this box, the outbox push). They say so if they are. The tender then commits the local
payment with its idempotency answer in one transaction.

The answer is one of three: held (the office reserved the amount and says what the card has
left), refused (a 4xx the cashier sees as it is: too little on the card, unknown card), or
silent (the office did not answer in time: the till may spend under the chain's offline cap).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from appliance.app.domain import gift_card as card_rules
from appliance.app.domain.errors import Invalid
from appliance.app.services import outbox_push, tender_holds
from appliance.app.services.shop import Shop, iso
from appliance.app.store import settings as settings_store
from appliance.app.store.db import Connection

log = logging.getLogger(__name__)

OFFLINE_CAP = "gift_card_offline_cap"  # the chain's cap as the office last said it (settings)


@dataclass(frozen=True)
class Held:
    key: str
    available: int  # what the card had free before this hold
    currency: str
    offline_cap: int
    expires_at: str | None  # as the lane that sold it set it


class Silent(Exception):
    """The office did not answer: the till decides alone, under the offline cap."""


def enrolled(shop: Shop) -> bool:
    return outbox_push.enrolled(shop)


def new_key(shop: Shop, sale_id: int, client_key: str | None = None, user_id: int = 0) -> str:
    """An idempotency key for one tender: the same key names the same hold at the office
    (made from the till's Idempotency-Key when there is one: tender_holds.new_key)."""
    return tender_holds.new_key(shop, sale_id, client_key, user_id, kind="gift_card")


def _held(key: str, body: dict[str, Any]) -> Held:
    try:
        return Held(
            key,
            int(body["available"]),
            str(body["currency"]),
            card_rules.check_offline_cap(int(body["offline_cap"])),
            _time(body.get("expires_at")),
        )
    except (KeyError, TypeError, ValueError, Invalid):
        raise Silent("the office's answer about a gift card is not one") from None


def lookup(shop: Shop, code: str) -> Held:
    """What the office says the card has free (a Held with no key), or its refusal, or Silent."""
    from appliance.lane import gift_cards as wire

    tender_holds.not_in_transaction(shop)
    try:
        answer = wire.call(shop.data_dir, "GET", f"/v1/gift-cards/{card_rules.card_ref(code)}")
    except wire.OfficeSilent as exc:
        raise Silent(str(exc)) from None
    if answer.status != 200:
        raise wire.refusal(answer)
    return _held("", answer.body)


def hold(shop: Shop, code: str, amount: int, key: str) -> Held:
    """Reserves `amount` on the card at the office. Raises the office's refusal as a
    DomainError (NotFound when the office does not know the card), or Silent."""
    from appliance.lane import gift_cards as wire  # httpx and TLS only on an enrolled till

    tender_holds.not_in_transaction(shop)
    try:
        answer = wire.call(
            shop.data_dir,
            "POST",
            "/v1/gift-cards/holds",
            {"card_ref": card_rules.card_ref(code), "amount": amount, "key": key},
        )
    except wire.OfficeSilent as exc:
        raise Silent(str(exc)) from None
    if answer.status != 200:
        raise wire.refusal(answer)
    if not tender_holds.live(answer.body):  # the key's hold ended: this try holds afresh
        return hold(shop, code, amount, tender_holds.renewed_key(key))
    return _held(key, answer.body)


def _time(value: object) -> str | None:
    if value is None:
        return None
    return iso(dt.datetime.fromisoformat(str(value)))


def release(shop: Shop, key: str) -> None:
    """Gives the hold back (the tender failed). Best effort: a hold the office does not hear
    of expires on its own."""
    tender_holds.release(shop, f"/v1/gift-cards/holds/{key}", "gift card")


def offline_cap(conn: Connection) -> int:
    value = settings_store.get_all(conn).get(OFFLINE_CAP)
    return int(value) if isinstance(value, int) and value > 0 else card_rules.DEFAULT_OFFLINE_CAP


def remember_cap(tx: Connection, cap: int) -> None:
    settings_store.put(tx, OFFLINE_CAP, cap)
