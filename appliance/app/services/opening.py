"""Opening the shop: the store (migrated), the audit chain, and the effects the parts of the
shop hang on each other's moments (shop.Effects): a completed sale activates the gift cards
sold on it, earns its customer points and queues its receipt; a refund takes cards and
points back; a logout parks the sales left open. Registered here, at start-up, so that the
module that completes a sale, refunds it or logs a person out imports none of those parts."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from appliance.app.services import audit_log, customers, gift_cards, printing, sales
from appliance.app.services.shop import Actor, Shop, utc_now
from appliance.app.store.db import DB_FILE, Connection, Database, StoreError, StoreTooNew
from appliance.config import Config
from appliance.security.keys import provider_for
from appliance.security.passwords import Passwords

log = logging.getLogger(__name__)


def open_shop(config: Config, clock: Callable[[], dt.datetime] = utc_now, *, checking: bool = False) -> Shop:
    """The shop on its store, migrated. A store a newer version moved by a contract is refused
    (StoreTooNew), unless `checking`: the commands that only check it (db verify, audit verify)
    read it as it is, so that a rolled-back till can still be checked before it is restored."""
    path = config.data_dir / DB_FILE
    if not path.exists():
        raise StoreError(f"no store in {config.data_dir}: run 'comptoir init --data-dir {config.data_dir}' first")
    db = Database(path, provider_for("store", config.data_dir))
    try:
        try:
            db.migrate()
        except StoreTooNew as exc:
            if not checking:
                raise
            log.warning("checking the store as it is: %s", exc)
        if db.newer and not checking:
            log.warning(
                "this store has migrations of a newer version that this one does not know: %s"
                " (expands only: this version runs on it)",
                ", ".join(str(m) for m in db.newer),
            )
        shop = Shop(config=config, db=db, passwords=Passwords(config.argon2), clock=clock)
        audit_log.open_chain(shop)
    except BaseException:
        db.close()
        raise
    register_effects(shop)
    return shop


def register_effects(shop: Shop) -> None:
    effects = shop.effects
    effects.sale_completed += [gift_cards.activate_on_completion, customers.earn_on_completion, _queue_receipt]
    effects.refunded += [_take_back_gift_cards, _take_back_points]
    effects.logging_out.append(_park_open_sales)


def _queue_receipt(shop: Shop, tx: Connection, sale_id: int) -> None:
    if shop.config.printer != "none":
        printing.queue_receipt(shop, tx, sale_id)
        printing.queue_gift_card_slips(shop, tx, sale_id)


def _take_back_gift_cards(
    shop: Shop, tx: Connection, actor: Actor, sale_id: int, refund_id: int, lines: dict[int, int]
) -> dict[str, Any]:
    return {"gift_cards_taken_back": gift_cards.take_back_on_refund(shop, tx, actor, sale_id, lines)}


def _take_back_points(
    shop: Shop, tx: Connection, actor: Actor, sale_id: int, refund_id: int, lines: dict[int, int]
) -> dict[str, Any]:
    return dict(customers.take_back_on_refund(shop, tx, actor, sale_id, refund_id))


def _park_open_sales(shop: Shop, tx: Connection, actor: Actor) -> dict[str, Any]:
    parked = sales.park_on_logout(shop, tx, actor)
    return {"parked_sales": parked} if parked else {}
