"""Idempotency keys: a retried POST that changes money gets the first answer back.

The first answer is stored in the same transaction as the change it describes, so either
both are there or neither is; a key reused with a different request is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from appliance.app.domain.errors import Conflict, Invalid
from appliance.app.services.shop import Actor, Shop

# The answer's body: a service's typed result (a TypedDict), or as it was stored, replayed.
Body = TypeVar("Body", bound=Mapping[str, Any])


def check_key(key: str) -> str:
    if not 8 <= len(key) <= 128 or not key.isascii() or not key.isprintable():
        raise Invalid("Idempotency-Key must be 8 to 128 printable ASCII characters", "invalid_idempotency_key")
    return key


def run_once(
    shop: Shop, actor: Actor, key: str | None, route: str, body: Any, action: Callable[[], tuple[int, Body]]
) -> tuple[int, Body]:
    if key is None:
        return action()
    check_key(key)
    request_hash = hashlib.sha256(json.dumps([route, body], sort_keys=True).encode()).hexdigest()
    with shop.db.transaction() as tx:
        row = tx.execute(
            "SELECT route, request_hash, status, response FROM idempotency WHERE key = ? AND user_id = ?",
            (key, actor.user_id),
        ).fetchone()
        if row is not None:
            if row["request_hash"] != request_hash:
                raise Conflict(
                    "this Idempotency-Key was used for a different request",
                    "idempotency_key_reused",
                )
            return int(row["status"]), json.loads(row["response"])
        status, answer = action()
        tx.execute(
            "INSERT INTO idempotency(key, user_id, route, request_hash, status, response, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (key, actor.user_id, route, request_hash, status, json.dumps(answer), shop.now()),
        )
        return status, answer
