"""A store with its staff and the terminal double (tests/fakes/terminal.py) at its till.

`desk` waits for the outcome no longer than the double takes to answer, and its in-flight
window is 0: a "not found" is final at once unless a test says otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.app.services import audit_log
from appliance.app.services.shop import Actor, Shop
from appliance.app.services.terminal_desk import TerminalDesk
from appliance.app.store import terminal_transactions
from tests.fakes.terminal import FakeTerminal
from tests.integration.card.conftest import card_shop, logged_in, new_sale

__all__ = ["actions", "logged_in", "new_sale", "row_of"]


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    staff = {"cashier": "cashier", "manager": "manager"}
    with card_shop(tmp_path / "data", "Terminal Shop", staff) as shop:
        yield shop


@pytest.fixture
def cashier(shop: Shop) -> Actor:
    return logged_in(shop, "cashier")


@pytest.fixture
def manager(shop: Shop) -> Actor:
    return logged_in(shop, "manager")


@pytest.fixture
def fake() -> FakeTerminal:
    return FakeTerminal()


@pytest.fixture
def desk(fake: FakeTerminal) -> TerminalDesk:
    return TerminalDesk(fake, timeout=5.0, in_flight_window=0.0, answer_wait=5.0)


def actions(shop: Shop) -> list[str]:
    """The audit log's actions, oldest first."""
    return [entry["action"] for entry in audit_log.entries(shop)]


def row_of(shop: Shop, attempt_id: int) -> dict[str, Any]:
    row = terminal_transactions.by_id(shop.db.conn, attempt_id)
    assert row is not None
    return row
