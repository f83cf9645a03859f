"""The keys of a tender's hold at the office, and the rule that it is asked for with no
transaction open: shared by the gift card and the points tenders (docs/office.md, "Shared
balances"). A hold calls the network (3 s when the office is silent); inside a transaction
it would hold the process's one writer queue that long, every till served by this box and
the outbox push waiting with it. (A refund's hold of its own lines is `office_holds`.)"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from appliance.app.services.shop import Shop
from appliance.app.store import sales as sales_store


def new_key(shop: Shop, sale_id: int, client_key: str | None, user_id: int, kind: str) -> str:
    """An idempotency key for one tender: the same key names the same hold at the office.
    Under the till's Idempotency-Key it is made from it, so that the request retried after
    its answer was lost asks for the same hold instead of a second one; another user's,
    sale's, store's or tender kind's key never collides with it (the sale's opening time
    tells apart two stores that both have a sale 1)."""
    if client_key is None:
        return f"{shop.config.terminal_id}:{sale_id}:{secrets.token_hex(8)}"
    head = sales_store.header(shop.db.conn, sale_id)
    opened = head["opened_at"] if head is not None else ""
    seed = f"{kind}|{shop.config.terminal_id}|{opened}|{user_id}|{sale_id}|{client_key}"
    return f"{shop.config.terminal_id}:{sale_id}:{hashlib.sha256(seed.encode()).hexdigest()[:24]}"


def renewed_key(key: str) -> str:
    """A fresh key for a tender whose key names a hold that has ended: a try under it failed
    and gave it back (or its spend is at the office and the till's answer was purged). The
    office answers such a key with the ended hold, which reserves nothing; this try holds
    afresh. (An expired hold is still "held" in the answer, with `available` no longer
    counting it: the till's copy takes that figure, and its own balance check decides.)"""
    return f"{key[:60]}.{secrets.token_hex(4)}"


def live(body: dict[str, Any]) -> bool:
    """The office's answer names a hold that still reserves (an older office says no state)."""
    return bool(body.get("state", "held") == "held")


def not_in_transaction(shop: Shop) -> None:
    if shop.db.conn.in_transaction:
        raise RuntimeError("an office hold calls the network: not inside a transaction (it holds the writer queue)")
