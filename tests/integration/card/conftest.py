"""A fresh encrypted store and vault per test; keys are made at test time, never committed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
    return TokenVault.open(database, data_dir)


@pytest.fixture
def audit() -> AuditRecorder:
    return AuditRecorder()
