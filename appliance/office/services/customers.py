"""The chain's customer directory (docs/office.md, "Customers across lanes").

A lane sends a customer's contact fields here when it makes or changes one (`put`), over its
mutual TLS and never in its outbox: the outbox is append-only, and an erased customer must
not live on in it. Another lane finds them by an exact phone, e-mail or loyalty card (`find`)
and keeps a copy. An erasure at any lane scrubs the office's row (`erase`) and goes to every
lane on the feed as a `customer_erased` row naming the chain id only.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from appliance.app.domain.errors import Conflict, Forbidden, Invalid, NotFound, TooManyAttempts
from appliance.office.services import audit_log, catalogue
from appliance.office.services.found import Found, Lane
from appliance.office.services.office import Office
from appliance.office.store import customers as store
from appliance.office.store import events as events_store
from appliance.office.store import lanes as lanes_store
from appliance.office.store.catalogue import Change
from appliance.office.store.db import Connection

ERASED = "customer_erased"  # the feed's kind for an erasure
KINDS = frozenset({"points_moved"})
HOLD_TIME = dt.timedelta(hours=1)  # as a gift card's: the sale's event spends it within seconds
MAX_POINTS = 10**9
_KEY = re.compile(r"[A-Za-z0-9_.:-]{8,80}")
_CHAIN_ID = re.compile(r"[0-9a-f]{32}")
# The lane checked each field with its own rules; these only keep what is stored sane.
_LIMITS = {"name": 80, "email": 254, "phone": 16, "loyalty_card": 32}
# A lane's lookups that find nobody (docs/office.md, "A lane's lookups are limited"). A till
# asks the office only for a customer it does not have, a handful an hour; a lookup that finds
# nobody is mostly a new customer about to be made. Six a minute lets a cashier retype a
# number or two; a hundred a day is a busy till's new customers with room to spare, and
# a few hundred numbers a week to a thief, against the chain's millions.
LOOKUP_MISSES = ((dt.timedelta(minutes=1), 6), (dt.timedelta(days=1), 100))
LOOKUP_LIMIT = "customer_lookup_limit"  # the alarm's kind and the audit's action


def _lane(conn: Connection, office: Office, fingerprint: str) -> tuple[str, str]:
    found = lanes_store.touch(conn, fingerprint, office.now())
    if found is None:
        raise Forbidden("this certificate is not a lane's current one: enrol the till again", "unknown_lane")
    return str(found["store"]), str(found["till"])


def _chain_id(value: object) -> str:
    if not isinstance(value, str) or not _CHAIN_ID.fullmatch(value):
        raise Invalid("a chain customer id is 32 hex digits", "invalid_chain_id")
    return value


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, limit in _LIMITS.items():
        value = data.get(key)
        if value is not None and (not isinstance(value, str) or not 1 <= len(value) <= limit):
            raise Invalid(f"a customer's {key.replace('_', ' ')} is text of 1 to {limit} characters", f"invalid_{key}")
        fields[key] = value
    if fields["name"] is None:
        raise Invalid("a customer has a name", "invalid_name")
    if not isinstance(data.get("consent"), bool):
        raise Invalid("consent is true or false", "invalid_consent")
    fields["consent"] = data["consent"]
    return fields


def _customer_id(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Invalid("the lane's customer id is a positive whole number", "invalid_customer")
    return value


def put(office: Office, fingerprint: str, chain_id: object, data: dict[str, Any]) -> dict[str, Any]:
    """The customer as the lane has them now; 409 `customer_erased` once erased anywhere (a
    lane that had not heard yet erases its copy at its next pull)."""
    wanted, fields, customer_id = _chain_id(chain_id), _fields(data), _customer_id(data.get("customer_id"))
    with office.connection() as conn, conn.transaction():
        lane_store, lane_till = _lane(conn, office, fingerprint)
        had = store.for_update(conn, wanted)
        if had is not None and had["erased_at"] is not None:
            raise Conflict("this customer was erased", ERASED)
        store.put(conn, wanted, fields, lane_store, lane_till, office.now())
        store.link(conn, lane_store, lane_till, customer_id, wanted)
    return {"chain_id": wanted, "state": "kept"}


def erase(office: Office, fingerprint: str, chain_id: object, customer_id: object) -> dict[str, Any]:
    """Scrubs the customer and tells every lane, on the feed, to erase its copy. Audited with
    the chain id and the lane, nothing of the person. Erasing twice is the same erasure."""
    wanted = _chain_id(chain_id)
    with office.connection() as conn:
        with conn.transaction():
            lane_store, lane_till = _lane(conn, office, fingerprint)
            had = store.for_update(conn, wanted)
            if had is not None and had["erased_at"] is not None:
                return {"chain_id": wanted, "state": "erased"}
            store.erase(conn, wanted, lane_store, lane_till, office.now())
            if customer_id is not None:
                store.link(conn, lane_store, lane_till, _customer_id(customer_id), wanted)
            actor = f"lane:{lane_store}/{lane_till}"
            _, version = catalogue.apply_changes(office, conn, [Change(ERASED, wanted, {})], actor)
            audit_log.record(
                office,
                conn,
                actor=actor,
                action="customer_erase",
                object=f"customer:{wanted}",
                details={"feed_version": version},
                origin="lane",
            )
        audit_log.anchor(office, conn)
    return {"chain_id": wanted, "state": "erased"}


def find(office: Office, fingerprint: str, query: dict[str, str]) -> dict[str, Any]:
    """The live customers with that exact phone, e-mail or loyalty card (the lane normalised
    it as it stores it). Never a name search: that would let any lane page through the chain's
    customers and copy them. Past the lane's limit of lookups that found nobody, 429
    `lookup_limit` for any lookup, a hit too: a refusal that depended on the answer would
    tell a thief which numbers are customers."""
    keys = [k for k in ("phone", "email", "loyalty_card") if query.get(k)]
    if len(keys) != 1 or len(query[keys[0]]) > 254:
        raise Invalid("ask by one of phone, email or loyalty_card", "invalid_customer_query")
    value = query[keys[0]]
    now = office.now()
    with office.connection() as conn:
        with conn.transaction():
            lane_store, lane_till = _lane(conn, office, fingerprint)
            lane = store.lookup_lane(conn, lane_store, lane_till)
            misses = store.lookup_misses(conn, lane_store, lane_till, now - LOOKUP_MISSES[-1][0])
            retry_after = _retry_after(misses, now)
            if retry_after is None:
                rows = store.find(
                    conn,
                    phone=value if keys[0] == "phone" else None,
                    email=value if keys[0] == "email" else None,
                    card=value if keys[0] == "loyalty_card" else None,
                )
                for row in rows:
                    row["points_available"] = max(
                        0, int(row.pop("points")) - store.held_points(conn, row["chain_id"], now)
                    )
                if not rows:
                    store.lookup_missed(conn, lane_store, lane_till, now, now - LOOKUP_MISSES[-1][0])
                store.lookup_answered(conn, lane_store, lane_till)
                return {"customers": rows}
            audited = _refused(office, conn, lane, lane_store, lane_till, misses, now, retry_after)
        if audited:
            audit_log.anchor(office, conn)
    raise TooManyAttempts(
        f"this lane found nobody too often: it may look customers up again in {retry_after} seconds",
        "lookup_limit",
        {"retry_after": retry_after},
    )


def _retry_after(misses: list[dt.datetime], now: dt.datetime) -> int | None:
    """Seconds until the lane may look up again (its misses oldest first), None if it may now."""
    waits: list[float] = []
    for window, limit in LOOKUP_MISSES:
        counted = [at for at in misses if at > now - window]
        if len(counted) >= limit:
            # The window lets one more in when the miss that fills it up to the limit leaves it.
            waits.append((counted[len(counted) - limit] + window - now).total_seconds())
    return max(1, math.ceil(max(waits))) if waits else None


def _refused(
    office: Office,
    conn: Connection,
    lane: dict[str, Any],
    lane_store: str,
    lane_till: str,
    misses: list[dt.datetime],
    now: dt.datetime,
    retry_after: int,
) -> bool:
    """The alarm (once a lane a day) and the audit entry (once each time a lane that was
    answered is refused); True when audited. The counts, never a value asked."""
    minute, day = LOOKUP_MISSES
    details = {
        "misses_last_minute": sum(at > now - minute[0] for at in misses),
        "misses_last_day": len(misses),
        "limits": {"minute": minute[1], "day": day[1]},
    }
    today = now.astimezone(dt.UTC).date()
    alarm = lane["alarmed_on"] != today and events_store.raise_alarm(
        conn, lane_store, lane_till, LOOKUP_LIMIT, 0, details, now, today.isoformat()
    )
    store.lookup_refused(conn, lane_store, lane_till, now, today if alarm else None)
    if lane["refused_since"] is not None and not alarm:
        return False
    audit_log.record(
        office,
        conn,
        actor=f"lane:{lane_store}/{lane_till}",
        action=LOOKUP_LIMIT,
        object=f"lane:{lane_store}/{lane_till}",
        details={**details, "retry_after": retry_after, "alarm": alarm},
        origin="lane",
        outcome="failure",
    )
    return True


# -- points as one balance ----------------------------------------------------------------------


def project(conn: Connection, lane: Lane, event: dict[str, Any]) -> list[Found]:
    """A lane's `points_moved`: added to its chain customer's balance (once the lane's id is
    linked to one); a hold it names is spent; a balance taken below zero is an alarm."""
    body = event["body"]
    customer_id, points = body.get("customer_id"), body.get("points")
    if isinstance(customer_id, bool) or not isinstance(customer_id, int) or not isinstance(points, int):
        return []
    chain_id = store.chain_of(conn, lane.store, lane.till, customer_id)
    customer = store.for_update(conn, chain_id) if chain_id else None
    # An erased customer's points were forfeited with them: their lanes' entries count no more.
    counted = customer is not None and customer["erased_at"] is None
    balance = store.add_points_entry(conn, lane.store, lane.till, event, chain_id, counted)
    if isinstance(body.get("hold"), str):
        store.end_hold(conn, lane.store, lane.till, body["hold"], "spent")
    if balance is None or balance >= 0 or points >= 0 or chain_id is None:
        return []
    return [
        Found(
            "points_overspent",
            int(event["seq"]),
            {"chain_id": chain_id, "overspent": -balance, "lanes": store.spenders(conn, chain_id)},
        )
    ]


def _points_answer(conn: Connection, customer: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    held = store.held_points(conn, customer["chain_id"], now)
    return {
        "chain_id": customer["chain_id"],
        "points": int(customer["points"]),
        "held": held,
        "available": max(0, int(customer["points"]) - held),
        "offline_cap": store.points_offline_cap(conn),
    }


def _live(conn: Connection, chain_id: str) -> dict[str, Any]:
    customer = store.for_update(conn, chain_id)
    if customer is None:
        raise NotFound("the office has not heard of this customer yet", "customer_not_found")
    if customer["erased_at"] is not None:
        raise Conflict("this customer was erased", ERASED)
    return customer


def points(office: Office, fingerprint: str, chain_id: object) -> dict[str, Any]:
    """The customer's points across the chain, what holds reserve, what is free, the cap."""
    wanted = _chain_id(chain_id)
    with office.connection() as conn, conn.transaction():
        _lane(conn, office, fingerprint)
        return _points_answer(conn, _live(conn, wanted), office.now())


def hold_points(office: Office, fingerprint: str, chain_id: object, points: object, key: object) -> dict[str, Any]:
    """Reserves `points` for a lane's points tender (409 `points_insufficient` beyond what is
    free). The same key again answers the same hold; another customer or count under it is
    409 `hold_key_reused`. The answer's `available` is what was free before this hold."""
    wanted = _chain_id(chain_id)
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        raise Invalid("points are a positive whole number", "invalid_points")
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise Invalid("the idempotency key is 8 to 80 letters, digits or . _ : -", "invalid_key")
    now = office.now()
    with office.connection() as conn, conn.transaction():
        lane_store, lane_till = _lane(conn, office, fingerprint)
        customer = _live(conn, wanted)
        before = store.hold_by_key(conn, lane_store, lane_till, key)
        answer = _points_answer(conn, customer, now)
        if before is not None:
            if before["chain_id"] != wanted or before["points"] != points:
                raise Conflict("that idempotency key names another hold", "hold_key_reused")
            if before["state"] == "held" and before["expires_at"] > now:
                answer["available"] += points
            return {**answer, "hold": key, "state": before["state"]}
        if points > answer["available"]:
            raise Conflict(f"the customer has only {answer['available']} points", "insufficient_points")
        store.add_hold(conn, wanted, lane_store, lane_till, key, points, now, now + HOLD_TIME)
        return {**answer, "hold": key, "state": "held"}


def release_points(office: Office, fingerprint: str, key: object) -> bool:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise Invalid("the idempotency key is 8 to 80 letters, digits or . _ : -", "invalid_key")
    with office.connection() as conn, conn.transaction():
        lane_store, lane_till = _lane(conn, office, fingerprint)
        return store.end_hold(conn, lane_store, lane_till, key, "released")


# -- the chain's rule ---------------------------------------------------------------------------


def points_offline_cap(office: Office) -> int:
    with office.connection() as conn:
        return store.points_offline_cap(conn)


def set_points_offline_cap(office: Office, points: object, *, actor: str, origin: str = "cli") -> int:
    """Sets the points a till may spend of one customer while the office is silent; never off
    (a till that cannot reach the office must still be able to say no)."""
    if isinstance(points, bool) or not isinstance(points, int) or not 1 <= points <= MAX_POINTS:
        raise Invalid("the cap is a whole number of points, 1 or more (it cannot be switched off)", "invalid_cap")
    with office.connection() as conn:
        with conn.transaction():
            before = store.set_points_offline_cap(conn, points, actor, office.now())
            audit_log.record(
                office,
                conn,
                actor=actor,
                action="points_offline_cap",
                object="points_rules",
                details={"before": before, "after": points},
                origin=origin,
            )
        audit_log.anchor(office, conn)
    return points
