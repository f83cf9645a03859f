"""Item grids laid out at the office for the chain or one store, fed to real tills of two
stores (docs/office.md, "Item grids")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.app.domain.errors import Conflict, DomainError
from appliance.app.services import auth, item_grid, users
from appliance.cli import main
from appliance.office.services import audit_log, catalogue, item_grids
from tests.office.conftest import RunningOffice
from tests.office.two_stores import PASSWORD, Till, office_of, two_stores

CHAIN_GRID = [{"category": "Fruit", "products": ["APL"]}, {"category": "Bakery", "products": ["BRD"]}]


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[list[Till]]:
    with two_stores(running_office, tmp_path) as made:
        catalogue.import_csv(office_of(running_office), "sku,category\nAPL,Fruit\nBRD,Bakery\n", actor="test")
        for till in made:
            till.pull()
        yield made


def _layout(till: Till) -> list[tuple[str, list[str]]]:
    return [(t["category"], [p["sku"] for p in t["products"]]) for t in item_grid.grid(till.shop, till.cashier)]


def test_the_chains_grid_and_a_stores_own(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    lyon, paris = tills
    item_grids.set_grid(office, CHAIN_GRID, actor="alice")
    for till in tills:
        assert till.pull() == 1
        assert _layout(till) == [("Fruit", ["APL"]), ("Bakery", ["BRD"])]
    item_grids.set_grid(office, [{"category": "Bakery", "products": ["BRD", "APL"]}], store="lyon", actor="test")
    assert lyon.pull() == 1
    assert paris.pull() == 0
    assert _layout(lyon) == [("Bakery", ["BRD", "APL"])]
    assert _layout(paris) == [("Fruit", ["APL"]), ("Bakery", ["BRD"])]
    # A change of the chain's grid does not undo a store's own.
    item_grids.set_grid(office, CHAIN_GRID[:1], actor="test")
    for till in tills:
        till.pull()
    assert (_layout(lyon), _layout(paris)) == ([("Bakery", ["BRD", "APL"])], [("Fruit", ["APL"])])
    item_grids.release(office, "lyon", actor="test")
    assert lyon.pull() == 1
    assert _layout(lyon) == [("Fruit", ["APL"])]
    actions = [e["action"] for e in audit_log.entries(office) if e["action"].startswith("item_grid")]
    assert actions == ["item_grid", "item_grid", "item_grid", "item_grid_release"]


def test_the_till_refuses_to_lay_out_the_offices_grid(running_office: RunningOffice, tills: list[Till]) -> None:
    lyon = tills[0]
    users.add_user(lyon.shop, None, "boss", "admin", PASSWORD)
    boss = auth.login(lyon.shop, "boss", PASSWORD, "127.0.0.1").actor
    item_grid.set_grid(lyon.shop, boss, [{"category": "Fruit", "products": ["APL"]}])  # the till's own, so far
    item_grids.set_grid(office_of(running_office), CHAIN_GRID, actor="test")
    lyon.pull()
    with pytest.raises(Conflict) as refused:
        item_grid.set_grid(lyon.shop, boss, [])
    assert refused.value.code == "office_owned"


def test_the_office_checks_a_grid(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    for bad in (
        [{"category": "Toys", "products": ["APL"]}],
        [{"category": "Fruit", "products": ["NOPE"]}],
        [{"category": "Fruit", "products": ["APL", "APL"]}],
        [{"category": "Fruit", "products": []}, {"category": "Fruit", "products": []}],
        "Fruit",
        [],
    ):
        with pytest.raises(DomainError):
            item_grids.set_grid(office, bad, actor="test")
    with pytest.raises(DomainError):
        item_grids.set_grid(office, CHAIN_GRID, store="nowhere", actor="test")
    with pytest.raises(DomainError):
        item_grids.release(office, "lyon", actor="test")  # it has none of its own


def test_grids_from_the_command_line(
    running_office: RunningOffice, tills: list[Till], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--database", running_office.dsn, "--data-dir", str(running_office.data_dir)]
    grid = tmp_path / "grid.json"
    grid.write_text(json.dumps(CHAIN_GRID))
    assert main(["office", "grid", "set", str(grid), "--store", "paris", *where]) == 0
    assert "The grid of paris: set" in capsys.readouterr().out
    grid.write_text("[{")
    assert main(["office", "grid", "set", str(grid), *where]) == 2
    tills[1].pull()
    assert _layout(tills[1]) == [("Fruit", ["APL"]), ("Bakery", ["BRD"])]
