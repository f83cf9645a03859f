"""Customers shared through the office the till is enrolled at (docs/office.md, "Customers
across lanes").

Each customer has a chain id (random, minted where they were first made). What the office
must hear — a customer made, changed or erased here — is queued in the same transaction
(`queue`, a row in customers_to_office naming the customer, never their data) and sent by
`send_pending` before each batch of the push loop: the customer as they are at that moment,
or the erasure. A customer not found here by an exact phone, e-mail or loyalty card is asked
of the office (`find_at_office`, a short timeout) and copied here under its chain id. An
erasure made at another lane comes down the feed (`erase_copy`).

A till that is not enrolled queues and sends nothing it would not send once enrolled: its
queue waits for the enrolment.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from appliance.app.services import audit_log, outbox, tender_holds
from appliance.app.services.shop import Shop
from appliance.app.store import customers as customers_store
from appliance.app.store import settings as settings_store
from appliance.app.store.db import Connection, IntegrityError

log = logging.getLogger(__name__)

ERASED_NAME = "(erased)"
ACTOR = "office"
SEARCH_TIMEOUT = 2.0  # a cashier is waiting: a slow office is no office
BATCH = 100  # customers sent per round of the push loop
_LIMITS = {"name": 80, "email": 254, "phone": 16, "loyalty_card": 32}
POINTS_OFFLINE_CAP = "points_offline_cap"  # the chain's cap as the office last said it (settings)
DEFAULT_POINTS_OFFLINE_CAP = 500


@dataclass(frozen=True)
class PointsHeld:
    key: str
    available: int  # the points the customer had free across the chain before this hold
    offline_cap: int


class Silent(Exception):
    """The office did not answer: the till decides alone, under the offline cap."""


def _enrolled(shop: Shop) -> bool:
    # The lane's own test (its certificate on disk): the push loop calls this module, so this
    # module does not call the push loop's.
    from appliance.lane.feed import enrolled

    return enrolled(shop.data_dir)


def enrolled(shop: Shop) -> bool:
    return _enrolled(shop)


def new_chain_id() -> str:
    return secrets.token_hex(16)


def queue(tx: Connection, customer_id: int) -> None:
    """The office is to hear of this customer as they are when next sent."""
    customers_store.queue_for_office(tx, customer_id)


def _fields(row: Any) -> dict[str, Any]:
    return {
        "customer_id": int(row["id"]),
        "name": row["name"],
        "email": row["email"],
        "phone": row["phone"],
        "loyalty_card": row["loyalty_card"],
        "consent": bool(row["consent"]),
    }


def send_pending(shop: Shop, limit: int = BATCH) -> int:
    """Sends what the office has not heard yet; the number it took. Stops at the first
    silence or at a lane the office does not let in (the next round tries again); a refusal
    of the customer (a 4xx) is logged and audited, and not retried."""
    if not _enrolled(shop):
        return 0
    from appliance.lane import gift_cards as wire  # httpx and TLS only on an enrolled till

    taken = 0
    for row in customers_store.for_office(shop.db.conn, limit):
        customer_id, changes, chain_id = int(row["id"]), int(row["changes"]), row["chain_id"]
        if chain_id is None:
            # Erased before chain ids existed: the office never knew them.
            with shop.db.transaction() as tx:
                customers_store.not_for_office(tx, customer_id)
            continue
        try:
            if row["erased_at"] is not None:
                params = {"customer_id": str(customer_id)}
                answer = wire.call(shop.data_dir, "DELETE", f"/v1/customers/{chain_id}", params=params)
            else:
                answer = wire.call(shop.data_dir, "PUT", f"/v1/customers/{chain_id}", _fields(row))
        except wire.OfficeSilent as exc:
            with shop.db.transaction() as tx:
                customers_store.office_failed(tx, customer_id, str(exc))
            log.warning("customers: the office did not answer (%s); sent again later", exc)
            return taken
        if answer.status in (401, 403):
            # This lane's certificate is not let in (enrolled again elsewhere, or revoked):
            # nothing is wrong with the customer, so it waits for a lane the office knows.
            with shop.db.transaction() as tx:
                customers_store.office_failed(tx, customer_id, str(answer.body.get("error") or answer.status))
            log.warning("customers: the office does not let this lane in (HTTP %s)", answer.status)
            return taken
        with shop.db.transaction() as tx:
            if answer.status == 200:
                customers_store.office_took(tx, customer_id, changes)
                taken += 1
            elif answer.body.get("error") == "customer_erased":
                # Erased at another lane meanwhile: the feed will say so too; erase it now.
                erase_copy(shop, tx, chain_id)
            else:
                customers_store.not_for_office(tx, customer_id)
                reason = str(answer.body.get("error") or answer.status)
                log.error("customers: the office refused customer %s (%s)", customer_id, reason)
                audit_log.record(
                    shop,
                    actor=ACTOR,
                    action="customer_office_refused",
                    outcome="failure",
                    object=f"customer:{customer_id}",
                    details={"error": reason},
                    origin="office",
                )
    return taken


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= _LIMITS[key]:
        raise ValueError(key)
    return value


def find_at_office(shop: Shop, key: str, value: str) -> list[int] | None:
    """Asks the office for the customers with that exact `key` (phone, email, loyalty_card)
    and keeps a copy of each here (or refreshes the one kept); their ids here. None when the
    till is not enrolled or the office is silent: the till's own answer stands."""
    if not _enrolled(shop):
        return None
    tender_holds.not_in_transaction(shop)
    from appliance.lane import gift_cards as wire

    send_pending(shop, limit=10)  # what this till made lately, before asking for others'
    try:
        answer = wire.call(shop.data_dir, "GET", "/v1/customers", params={key: value}, timeout=SEARCH_TIMEOUT)
    except wire.OfficeSilent as exc:
        log.warning("customers: the office did not answer a search (%s)", exc)
        return None
    found = answer.body.get("customers")
    if answer.status == 429:
        # The office limits the lookups of a lane that finds nobody too often (a stolen
        # certificate trying numbers): for the cashier it is nobody found, the till's own answer.
        log.warning("customers: the office limits this lane's lookups for %s s", answer.body.get("retry_after"))
        return None
    if answer.status != 200 or not isinstance(found, list):
        log.warning("customers: the office refused a search (%s)", answer.body.get("error"))
        return None
    ids: list[int] = []
    for body in found:
        copied = _copy(shop, body) if isinstance(body, dict) else None
        if copied is not None:
            ids.append(copied)
    return ids


def _copy(shop: Shop, body: dict[str, Any]) -> int | None:
    """The office's customer kept here under its chain id; None for one that is not one, or
    whose phone, e-mail or card another customer of this till holds."""
    try:
        chain_id = str(body["chain_id"])
        name = _text(body, "name")
        values = {k: _text(body, k) for k in ("email", "phone", "loyalty_card")}
        consent = int(bool(body.get("consent")))
        points = body.get("points_available")
    except (KeyError, ValueError):
        log.warning("customers: the office sent a customer that is not one")
        return None
    if name is None or len(chain_id) != 32:
        return None
    try:
        with shop.db.transaction() as tx:
            had = customers_store.by_chain_id(tx, chain_id)
            if had is not None and had["erased_at"] is not None:
                return None  # erased here: the office hears it when next sent
            if had is None:
                customer_id = customers_store.insert(
                    tx, name, values["email"], values["phone"], consent, values["loyalty_card"], shop.now(), chain_id
                )
                outbox.event(shop, "customer_created", ACTOR, customer_id=customer_id, fields=["from_office"])
            else:
                customer_id = int(had["id"])
                customers_store.update(tx, customer_id, {"name": name, **values, "consent": consent}, shop.now())
            if isinstance(points, int) and not isinstance(points, bool):
                customers_store.take_office_points(tx, customer_id, points)
            # The office links this till's id to the chain's (its points events name it).
            queue(tx, customer_id)
            audit_log.record(
                shop, actor=ACTOR, action="customer_copied", object=f"customer:{customer_id}", origin="office"
            )
            return customer_id
    except IntegrityError:
        log.warning("customers: another customer of this till holds the office customer's phone, e-mail or card")
        return None


def erase_copy(shop: Shop, tx: Connection, chain_id: str) -> bool:
    """An erasure made at another lane (the feed's `customer_erased`): the person's data goes
    here too, their points with it; the record stays. False when there was nothing to erase."""
    row = customers_store.by_chain_id(tx, chain_id)
    if row is None or row["erased_at"] is not None:
        return False
    customer_id = int(row["id"])
    if row["points"]:
        outbox.points_entry(shop, tx, customer_id, "adjust", -row["points"], shop.now(), reason="erased")
    customers_store.erase(tx, customer_id, ERASED_NAME, shop.now())
    customers_store.not_for_office(tx, customer_id)  # the office erased them first
    outbox.event(shop, "customer_erased", ACTOR, customer_id=customer_id)
    audit_log.record(
        shop,
        actor=ACTOR,
        action="customer_erase",
        object=f"customer:{customer_id}",
        details={"reason": "erased at another lane", "points_forfeited": row["points"]},
        origin="office",
    )
    return True


# -- points as one balance ----------------------------------------------------------------------


def new_key(shop: Shop, sale_id: int, client_key: str | None = None, user_id: int = 0) -> str:
    """An idempotency key for one points tender: the same key names the same hold (made
    from the till's Idempotency-Key when there is one, as a gift card's is)."""
    return tender_holds.new_key(shop, sale_id, client_key, user_id, kind="points")


def hold_points(shop: Shop, chain_id: str, points: int, key: str) -> PointsHeld:
    """Reserves `points` of the customer at the office. Raises its refusal as a DomainError
    (NotFound when it has not heard of the customer), or Silent."""
    from appliance.lane import gift_cards as wire

    tender_holds.not_in_transaction(shop)
    try:
        answer = wire.call(
            shop.data_dir, "POST", "/v1/points/holds", {"chain_id": chain_id, "points": points, "key": key}
        )
    except wire.OfficeSilent as exc:
        raise Silent(str(exc)) from None
    if answer.status != 200:
        raise wire.refusal(answer)
    if not tender_holds.live(answer.body):  # the key's hold ended: this try holds afresh
        return hold_points(shop, chain_id, points, tender_holds.renewed_key(key))
    try:
        cap = int(answer.body["offline_cap"])
        held = PointsHeld(key, int(answer.body["available"]), cap if cap > 0 else DEFAULT_POINTS_OFFLINE_CAP)
    except (KeyError, TypeError, ValueError):
        raise Silent("the office's answer about points is not one") from None
    return held


def release_points(shop: Shop, key: str) -> None:
    """Gives the hold back (the tender failed); a hold the office does not hear of expires."""
    tender_holds.release(shop, f"/v1/points/holds/{key}", "points")


def points_offline_cap(conn: Connection) -> int:
    value = settings_store.get_all(conn).get(POINTS_OFFLINE_CAP)
    return int(value) if isinstance(value, int) and value > 0 else DEFAULT_POINTS_OFFLINE_CAP


def took_office_figure(tx: Connection, customer_id: int, held: PointsHeld) -> None:
    """The office answered for the customer: this till's copy takes its figure and its cap."""
    customers_store.take_office_points(tx, customer_id, held.available)
    settings_store.put(tx, POINTS_OFFLINE_CAP, held.offline_cap)
