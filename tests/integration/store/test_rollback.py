"""An A/B update rolled back: version N boots on the store that N+1 migrated (docs/architecture.md,
"Migrations: expand, then contract"). N runs on it when every migration it does not know is an
expand, and refuses it, clearly, when one is a contract; the commands that check a store still
check it. N+1's migrations are written here and applied by the real runner to a real store."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from appliance.app.services import auth, sale_view, sales
from appliance.app.services.opening import open_shop
from appliance.app.store import db as db_module
from appliance.app.store.db import CONTRACT, EXPAND, Database, StoreTooNew
from appliance.cli import main
from appliance.config import load
from appliance.security.keys import provider_for
from tests.conftest import PASSWORD, Store

SHIPPED = db_module.migrations()
LATEST = SHIPPED[-1][0]

# What N+1 might add: a column with a default (N's inserts do not name it), a table, an index.
NEWER_EXPAND = """-- change: expand
-- A note a lane may put on a sale.
ALTER TABLE sales ADD COLUMN lane_note TEXT NOT NULL DEFAULT '';
CREATE TABLE lane_notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
CREATE INDEX sales_lane_note ON sales(lane_note);
"""
# What N+2 might do once N+1 stopped using it: products are no longer found by category.
NEWER_CONTRACT = """-- change: contract (products_category dropped)
DROP INDEX products_category;
"""


def migrate_as_newer_version(data_dir: Path, monkeypatch: pytest.MonkeyPatch, *newer: str) -> None:
    """The store moved on by a version that ships these migrations after ours."""
    extra = [(LATEST + i, f"newer_{i}", sql) for i, sql in enumerate(newer, start=1)]
    monkeypatch.setattr(db_module, "migrations", lambda: SHIPPED + extra)
    db = Database(data_dir / db_module.DB_FILE, provider_for("store", data_dir))
    try:
        assert db.migrate() == LATEST + len(newer)
    finally:
        db.close()
        monkeypatch.undo()


def recorded(data_dir: Path) -> list[tuple[int, str]]:
    db = Database(data_dir / db_module.DB_FILE, provider_for("store", data_dir))
    try:
        rows = db.conn.execute("SELECT version, change FROM schema_version ORDER BY version").fetchall()
        return [(int(r[0]), str(r[1])) for r in rows]
    finally:
        db.close()


def test_each_migration_is_recorded_with_its_change(store: Store) -> None:
    changes = dict(recorded(store.path))
    assert changes == {version: db_module.change_of(version, sql) for version, _, sql in SHIPPED}
    assert changes[18] == changes[20] == CONTRACT and changes[43] == EXPAND


def test_a_store_from_before_changes_were_recorded_gets_them(store: Store) -> None:
    with store.shop.db.transaction() as tx:
        tx.execute("ALTER TABLE schema_version DROP COLUMN change")
    store.shop.db.migrate()
    changes = dict(recorded(store.path))
    assert changes[20] == CONTRACT and changes[LATEST] == EXPAND


def test_the_older_version_sells_on_a_store_a_newer_one_expanded(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store.shop.close()
    migrate_as_newer_version(store.path, monkeypatch, NEWER_EXPAND)
    with caplog.at_level(logging.WARNING):
        shop = open_shop(load(store.path))
    try:
        assert [str(m) for m in shop.db.newer] == [f"{LATEST + 1:04d}_newer_1 (expand)"]
        assert f"{LATEST + 1:04d}_newer_1 (expand)" in caplog.text
        cashier = auth.login(shop, "cashier", PASSWORD, "127.0.0.1").actor
        sale = sales.open_sale(shop, cashier)
        sales.add_item(shop, cashier, sale["id"], sku="BRD", quantity=2)
        done = sales.pay_cash(shop, cashier, sale["id"], 1000)
        assert done["status"] == "completed" and done["totals"]["total"] == 698
        again = sale_view.get_sale(shop, cashier, sale["id"])
        assert again["receipt_no"] == done["receipt_no"] and again["totals"]["paid"] == 698
        row = shop.db.conn.execute("SELECT lane_note FROM sales WHERE id = ?", (sale["id"],)).fetchone()
        assert row[0] == ""  # N+1's column took its default under N
    finally:
        shop.close()
    # N never recorded a migration of its own over N+1's: the store is still at N+1.
    assert recorded(store.path)[-1] == (LATEST + 1, EXPAND)


def test_the_older_version_refuses_a_store_a_newer_one_contracted(
    store: Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    store.shop.close()
    migrate_as_newer_version(store.path, monkeypatch, NEWER_EXPAND, NEWER_CONTRACT)
    before = recorded(store.path)
    with pytest.raises(StoreTooNew) as refused:
        open_shop(load(store.path))
    expected = (
        f"this store was moved to version {LATEST + 2} by a change version {LATEST} cannot read"
        f" ({LATEST + 2:04d}_newer_2 (contract)); boot the newer slot or restore"
    )
    assert str(refused.value) == expected
    # The server does not start; the command line says why and exits 2.
    capsys.readouterr()
    assert main(["serve", "--data-dir", str(store.path)]) == 2
    assert capsys.readouterr().err == f"comptoir: {expected}\n"
    assert main(["user", "list", "--data-dir", str(store.path)]) == 2
    assert expected in capsys.readouterr().err
    assert recorded(store.path) == before
    # The store can still be checked before it is restored or the newer slot booted.
    assert main(["db", "verify", "--data-dir", str(store.path)]) == 0
    checked = capsys.readouterr()
    assert f"schema v{LATEST + 2}" in checked.out
    assert f"{LATEST + 2:04d}_newer_2 (contract)" in checked.err
    assert main(["audit", "verify", "--data-dir", str(store.path)]) == 0
    assert "Audit log intact" in capsys.readouterr().out
    assert recorded(store.path) == before


def test_a_store_whose_newer_migration_does_not_say_its_change_is_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.shop.close()
    migrate_as_newer_version(store.path, monkeypatch, NEWER_EXPAND)
    db = Database(store.path / db_module.DB_FILE, provider_for("store", store.path))
    with db.transaction() as tx:
        tx.execute("UPDATE schema_version SET change = NULL WHERE version = ?", (LATEST + 1,))
    db.close()
    with pytest.raises(StoreTooNew, match=rf"{LATEST + 1:04d}_newer_1 \(unmarked\)"):
        open_shop(load(store.path))


def test_a_migration_that_does_not_say_its_change_is_not_applied(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    unmarked = NEWER_EXPAND.replace("-- change: expand\n", "")
    monkeypatch.setattr(db_module, "migrations", lambda: [*SHIPPED, (LATEST + 1, "unmarked", unmarked)])
    with pytest.raises(db_module.StoreError, match=rf"migration {LATEST + 1:04d} does not begin with"):
        store.shop.db.migrate()
    assert "lane_note" not in store.shop.db.columns("sales")
