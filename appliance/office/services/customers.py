"""The chain's customer directory (docs/office.md, "Customers across lanes").

A lane sends a customer's contact fields here when it makes or changes one (`put`), over its
mutual TLS and never in its outbox: the outbox is append-only, and an erased customer must
not live on in it. Another lane finds them by an exact phone, e-mail or loyalty card (`find`)
and keeps a copy. An erasure at any lane scrubs the office's row (`erase`) and goes to every
lane on the feed as a `customer_erased` row naming the chain id only.
"""

from __future__ import annotations

import re
from typing import Any

from appliance.app.domain.errors import Conflict, Forbidden, Invalid
from appliance.office.services import audit_log, catalogue
from appliance.office.services.office import Office
from appliance.office.store import customers as store
from appliance.office.store import lanes as lanes_store
from appliance.office.store.catalogue import Change
from appliance.office.store.db import Connection

ERASED = "customer_erased"  # the feed's kind for an erasure
_CHAIN_ID = re.compile(r"[0-9a-f]{32}")
# The lane checked each field with its own rules; these only keep what is stored sane.
_LIMITS = {"name": 80, "email": 254, "phone": 16, "loyalty_card": 32}


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
    customers and copy them."""
    keys = [k for k in ("phone", "email", "loyalty_card") if query.get(k)]
    if len(keys) != 1 or len(query[keys[0]]) > 254:
        raise Invalid("ask by one of phone, email or loyalty_card", "invalid_customer_query")
    value = query[keys[0]]
    with office.connection() as conn, conn.transaction():
        _lane(conn, office, fingerprint)
        rows = store.find(
            conn,
            phone=value if keys[0] == "phone" else None,
            email=value if keys[0] == "email" else None,
            card=value if keys[0] == "loyalty_card" else None,
        )
    return {"customers": rows}
