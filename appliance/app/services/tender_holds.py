"""The keys of a tender's hold at the office, and the rule that it is asked for with no
transaction open: shared by the gift card and the points tenders (docs/office.md, "Shared
balances"). A hold calls the network (3 s when the office is silent); inside a transaction
it would hold the process's one writer queue that long, every till served by this box and
the outbox push waiting with it. (A refund's hold of its own lines is `office_holds`.)"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from appliance.app.services import idempotency
from appliance.app.services.shop import Shop

log = logging.getLogger(__name__)


def new_key(shop: Shop, sale_id: int, client_key: str | None, user_id: int, kind: str) -> str:
    """An idempotency key for one tender: the same key names the same hold at the office.
    Under the till's Idempotency-Key it is made from it (idempotency.sale_digest), so that
    the request retried after its answer was lost asks for the same hold, not a second one."""
    digest = None if client_key is None else idempotency.sale_digest(shop, sale_id, user_id, client_key, kind)
    # No sale: the tender is refused after, and its hold given back; any key will do.
    return f"{shop.config.terminal_id}:{sale_id}:{digest[:24] if digest else secrets.token_hex(8)}"


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
        raise RuntimeError(
            "the office is called over the network: not inside a transaction (it would hold the writer queue)"
        )


def release(shop: Shop, path: str, what: str) -> None:
    """Gives the hold at `path` back (its tender failed). Best effort: a hold the office does
    not hear of expires on its own."""
    from appliance.lane import gift_cards as wire  # httpx and TLS only on an enrolled till

    not_in_transaction(shop)
    try:
        wire.call(shop.data_dir, "DELETE", path)
    except wire.OfficeSilent as exc:
        log.warning("%s: the office did not hear the release of hold %s (%s); it expires", what, path, exc)
