"""A fresh encrypted store and vault per test; keys are made at test time, never committed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.app.services import card_vault, sales
from appliance.app.services.card_payments import CardDesk
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import db as store
from appliance.security.vault import TokenVault


class AuditRecorder:
    def __init__(self) -> None:
        self.entries: list[tuple[str, str, str, dict[str, Any]]] = []

    def __call__(self, action: str, outcome: str, obj: str, details: dict[str, Any]) -> None:
        self.entries.append((action, outcome, obj, details))


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def database(data_dir: Path) -> Iterator[store.Database]:
    db, _ = store.create(data_dir)
    yield db
    db.close()


@pytest.fixture
def vault(database: store.Database, data_dir: Path) -> TokenVault:
    return card_vault.open_vault(database, data_dir)


@pytest.fixture
def audit() -> AuditRecorder:
    return AuditRecorder()


def new_sale(shop: Shop, cashier: Actor, apples: int = 1) -> int:
    """An open sale of `apples` apples (sku APL, in each card test's catalogue)."""
    sale_id = int(sales.open_sale(shop, cashier)["id"])
    sales.add_item(shop, cashier, sale_id, sku="APL", quantity=apples)
    return sale_id


def charged(desk: CardDesk, shop: Shop, sale_id: int) -> int:
    """What the acquirer actually holds for this sale: captured minus refunded, not voided."""
    total = 0
    for (key,) in shop.db.conn.execute(
        "SELECT idempotency_key FROM payment_attempts WHERE sale_id = ?", (sale_id,)
    ).fetchall():
        found = desk.gateway.lookup(idempotency_key=key)
        if found is not None and found.approved and not found.voided:
            total += found.captured_amount - found.refunded_amount
    return total
