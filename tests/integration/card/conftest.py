"""A fresh encrypted store and vault per test; keys are made at test time, never committed.

For the tests of card payments on a whole store: `card_shop(...)` (a store with its staff and
products), the simulated acquirer (`sim_url`, one a module), and `cashier`, `keyer` and `desk`,
the cashier, the manager and the card desk of the module's own `shop` fixture (`desk` waits
`read_timeout`).

These tests take keyed card payments (card not present): `card_shop` turns the store rule on,
which a new store has off, and `keyer`, a manager, takes them (a cashier may not)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from appliance.app.services import auth, card_vault, catalog, sales, users
from appliance.app.services.card_payments import CardDesk
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Actor, Shop
from appliance.app.store import db as store
from appliance.drivers.payment import GatewayConfig, HttpGateway
from appliance.security.vault import TokenVault
from tests.conftest import PASSWORD, set_keyed_cards

from .simulator import running_simulator

KEYER = "keyer"  # the manager who takes the keyed card payments
APPLES = "sku,name,price,tax_class,barcodes,stock\nAPL,Apple,10.00,exempt,,100\n"


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


@pytest.fixture(scope="module")
def sim_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The simulated acquirer, with its state in a file of the module's own."""
    with running_simulator(state=tmp_path_factory.mktemp("acquirer") / "acquirer.json") as url:
        yield url


@contextlib.contextmanager
def card_shop(data_dir: Path, store_name: str, staff: Mapping[str, str], products: str = APPLES) -> Iterator[Shop]:
    """A new store with `staff` (user name → role; all with the tests' PASSWORD, and "keyer",
    a manager) and `products` (a catalogue's CSV), that takes keyed card payments: what a card
    test's `shop` fixture yields."""
    shop, _ = init_store(data_dir, NewStore(store_name=store_name))
    try:
        set_keyed_cards(shop, True)
        for username, role in {**staff, KEYER: "manager"}.items():
            users.add_user(shop, None, username, role, PASSWORD)
        catalog.import_csv(shop, None, products)
        auth.throttle._failures.clear()
        yield shop
    finally:
        shop.close()


def logged_in(shop: Shop, username: str) -> Actor:
    return auth.login(shop, username, PASSWORD, "127.0.0.1").actor


@pytest.fixture
def cashier(shop: Shop) -> Actor:
    """The module's `shop`'s cashier (user name "cashier"), logged in."""
    return logged_in(shop, "cashier")


@pytest.fixture
def keyer(shop: Shop) -> Actor:
    """The module's `shop`'s manager who keys card numbers in (user name "keyer"), logged in."""
    return logged_in(shop, KEYER)


@pytest.fixture
def read_timeout() -> float:
    """How long `desk` waits for the acquirer's answer, in seconds (a module may wait longer)."""
    return 1.0


@pytest.fixture
def desk(shop: Shop, sim_url: str, read_timeout: float) -> Iterator[CardDesk]:
    """The module's `shop`'s card desk on the simulated acquirer."""
    with HttpGateway(GatewayConfig(sim_url, read_timeout=read_timeout)) as gateway:
        yield CardDesk(card_vault.open_vault(shop.db, shop.data_dir), gateway)


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
