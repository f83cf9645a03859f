"""Idempotency keys: a retried POST that changes money gets the first answer back.

The first answer is stored in the same transaction as the change it describes, so either
both are there or neither is; a key reused with a different request is refused.

An answer is kept as long as a retry can come: the store rule `idempotency_keep_hours`
(48 by default, 1 to 720). The till re-sends a request whose answer was lost within seconds
(the same key, held in the page's memory); a card payment left pending is looked up by its
own attempt row (payment_attempts), not here. 48 hours cover a till that loses power after
its last sale and is restarted the next morning, even after a closed day. `purge` then
deletes older answers, in small batches, at start-up (services.devices.start) and after a
shift closes: a key purged and later sent again is a new request and runs again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from appliance.app.domain.errors import Conflict, Invalid
from appliance.app.services.shop import Actor, Shop, iso
from appliance.app.store import idempotency as idempotency_store
from appliance.app.store import sales as sales_store
from appliance.app.store import settings as settings_store
from appliance.app.store.db import Connection

log = logging.getLogger(__name__)

KEEP_RULE = "idempotency_keep_hours"
DEFAULT_KEEP_HOURS = 48
MIN_KEEP_HOURS = 1
MAX_KEEP_HOURS = 720  # 30 days
PURGE_BATCH = 500  # answers per transaction: the write lock is held for one small batch

# The answer's body: a service's typed result (a TypedDict), or as it was stored, replayed.
Body = TypeVar("Body", bound=Mapping[str, Any])


def check_key(key: str) -> str:
    if not 8 <= len(key) <= 128 or not key.isascii() or not key.isprintable():
        raise Invalid("Idempotency-Key must be 8 to 128 printable ASCII characters", "invalid_idempotency_key")
    return key


def run_once(
    shop: Shop,
    actor: Actor,
    key: str | None,
    route: str,
    body: Any,
    action: Callable[[], tuple[int, Body]],
    *,
    durable: bool = True,
) -> tuple[int, Body]:
    """The action's answer, stored in the action's own transaction (which joins this one, so
    this one's level holds): `durable=False` only for a step of an unpaid sale, a scan."""
    if key is None:
        return action()
    check_key(key)
    request_hash = _request_hash(route, body)
    with shop.db.transaction(durable=durable) as tx:
        first = _first_answer(shop, tx, actor, key, request_hash, durable=durable)
        if first is not None:
            return first
        status, answer = action()
        idempotency_store.remember(
            tx,
            key=key,
            user_id=actor.user_id,
            route=route,
            request_hash=request_hash,
            status=status,
            response=json.dumps(answer),
            at=shop.now(),
        )
        return status, answer


def answered(shop: Shop, actor: Actor, key: str, route: str, body: Any) -> tuple[int, Any] | None:
    """The first answer to this request when there is one, read with no transaction open:
    a step that must call the network before its transaction (an office hold) asks this
    first, so that a retry whose answer was lost repeats it and calls nobody. `run_once`
    asks again inside the transaction (a twin request may have committed meanwhile)."""
    check_key(key)
    return _first_answer(shop, shop.db.conn, actor, key, _request_hash(route, body), durable=True)


def run_after_network(
    shop: Shop,
    actor: Actor,
    key: str | None,
    route: str,
    body: Any,
    status: int,
    action: Callable[[Callable[[Callable[[], Body]], Body]], Body],
) -> tuple[int, Body]:
    """`run_once` for a step that must call the network (the office) before its transaction:
    a retry whose answer was lost is answered from the store first, calling nobody; otherwise
    `action` makes its call with no transaction open and hands its local part to the `commit`
    it is given, which runs it in the idempotency transaction with the stored answer."""
    if key is not None:
        first = answered(shop, actor, key, route, body)
        if first is not None:
            return first

    def commit(local: Callable[[], Body]) -> Body:
        return run_once(shop, actor, key, route, body, lambda: (status, local()))[1]

    return status, action(commit)


def sale_digest(shop: Shop, sale_id: int, user_id: int, client_key: str, kind: str = "") -> str | None:
    """A key for another party (a gateway, the office) made from the till's Idempotency-Key:
    the same request retried after its answer was lost reaches that party under the same key;
    another user's, sale's, store's or `kind`'s never collides with it (the sale's opening
    time tells apart two stores that both have a sale 1). None when there is no such sale."""
    head = sales_store.header(shop.db.conn, sale_id)
    if head is None:
        return None
    seed = f"{shop.config.terminal_id}|{head['opened_at']}|{user_id}|{sale_id}|{client_key}"
    return hashlib.sha256((f"{kind}|{seed}" if kind else seed).encode()).hexdigest()


def _request_hash(route: str, body: Any) -> str:
    return hashlib.sha256(json.dumps([route, body], sort_keys=True).encode()).hexdigest()


def _first_answer(
    shop: Shop, conn: Connection, actor: Actor, key: str, request_hash: str, *, durable: bool
) -> tuple[int, Any] | None:
    row = idempotency_store.first_answer(conn, key, actor.user_id)
    if row is None:
        return None
    if row["request_hash"] != request_hash:
        raise Conflict("this Idempotency-Key was used for a different request", "idempotency_key_reused")
    if durable:
        # The first try may still be syncing its commit: what we repeat is on the disk
        # before we say it again (a read-only transaction syncs nothing itself; outside one
        # this syncs now).
        shop.db.after_commit(shop.db.sync_log)
    return int(row["status"]), json.loads(row["response"])


def valid_keep_hours(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and MIN_KEEP_HOURS <= value <= MAX_KEEP_HOURS


def keep_hours(values: Mapping[str, Any]) -> int:
    """The rule as stored; a missing or damaged one keeps the default rather than less."""
    value = values.get(KEEP_RULE, DEFAULT_KEEP_HOURS)
    return value if valid_keep_hours(value) else DEFAULT_KEEP_HOURS


def purge(shop: Shop) -> int:
    """Deletes every answer older than the rule, a batch per transaction; how many went.
    Raises what the store raises (callers that must not fail catch and log)."""
    hours = keep_hours(settings_store.get_all(shop.db.conn))
    before = iso(shop.clock() - dt.timedelta(hours=hours))
    total = 0
    while True:
        with shop.db.transaction() as tx:
            count = idempotency_store.purge_before(tx, before, PURGE_BATCH)
        total += count
        if count < PURGE_BATCH:
            break
    if total:
        log.info("purged %d idempotency answer(s) older than %d hour(s)", total, hours)
    return total


def purge_quietly(shop: Shop) -> int:
    """`purge` for housekeeping that must not fail (start-up, a shift's close): an answer
    left behind now goes at the next one."""
    try:
        return purge(shop)
    except Exception:
        log.exception("could not purge old idempotency answers; retried at the next start-up or shift close")
        return 0
