"""How long the card vault keeps a number: only while a payment needs it.

`forget_settled` is called after each card payment settles and by `resolve_pending`; `sweep`
at start-up (also for stores made before numbers were forgotten) and by `comptoir vault
sweep`. The store rule `card_number_keep_minutes` (0 by default: at once) may keep an
approved number a little longer; a declined one is never kept, a pending one always is.

The vault (`security/vault.py`) is opened here, on the store's modules of its tables
(`TABLES`): security does not import the store, the services join them.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Protocol

from appliance.app.store import card_tokens, vault_keys
from appliance.app.store import settings as settings_store
from appliance.app.store.db import Database, truncate_log
from appliance.security import vault as vault_module
from appliance.security.vault import Tables, TokenVault

log = logging.getLogger(__name__)


class Shop(Protocol):
    """What forgetting needs of the shop: its store and its clock. A protocol rather than
    the services' Shop, so that the payment, device and CLI code that call this module do
    not pull it into the services' import cycle."""

    @property
    def db(self) -> Database: ...

    def clock(self) -> dt.datetime: ...


# Where the vault keeps its rows: every SQL statement it runs is one of these modules'.
TABLES = Tables(tokens=card_tokens, keys=vault_keys)


def open_vault(db: Database, data_dir: Path) -> TokenVault:
    """The card vault of the store in data_dir (`TokenVault.open`), on its tables."""
    return TokenVault.open(db, data_dir, TABLES)


def count_held(db: Database) -> int:
    """How many numbers the vault holds; needs no key."""
    return vault_module.count_held(db, TABLES)


KEEP_RULE = "card_number_keep_minutes"
MAX_KEEP_MINUTES = 60


def keep_minutes(shop: Shop) -> int:
    value = settings_store.get_all(shop.db.conn).get(KEEP_RULE, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_KEEP_MINUTES:
        return 0  # a damaged rule keeps nothing rather than too much
    return value


def _kept_since(shop: Shop) -> str | None:
    minutes = keep_minutes(shop)
    if minutes == 0:
        return None
    moment = shop.clock() - dt.timedelta(minutes=minutes)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def forget_settled(shop: Shop, vault: TokenVault) -> int:
    """Erases every number no attempt still needs. Never raises: the payment it follows has
    committed, and a number left behind now is erased by the next call or at start-up."""
    try:
        count = vault.forget_settled(kept_since=_kept_since(shop))
        if count:
            drop_old_pages(shop)
        return count
    except Exception:
        log.exception("the card vault could not forget settled card numbers; retried at the next payment")
        return 0


def drop_old_pages(shop: Shop) -> bool:
    """Empties the write-ahead log once numbers are erased (the store's own pages were zeroed
    by secure_delete), so that its older copies of those pages go too."""
    return truncate_log(shop.db.conn)


def sweep(shop: Shop) -> int:
    """The start-up sweep (and `comptoir vault sweep`): needs no key, so it runs whether or
    not this till has a gateway or its vault key at hand. Raises what the store raises."""
    count, _ = vault_module.forget_settled(shop.db, TABLES, kept_since=_kept_since(shop))
    if count:
        drop_old_pages(shop)
    return count
