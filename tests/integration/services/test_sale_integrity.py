"""A sale commits whole or not at all, whatever line the failure comes at."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.app.services import auth, receipts, sale_view, sales, users
from appliance.app.services.setup import NewStore, init_store
from appliance.app.store import catalog as catalog_store
from appliance.app.store import sales as sales_store
from appliance.security.passwords import Argon2Params, Passwords
from tests.conftest import PASSWORD, Store


class PowerCut(Exception):
    pass


@pytest.mark.parametrize("where", ["next_receipt_no", "complete", "adjust_stock"])
def test_a_failure_while_completing_leaves_the_sale_open_and_unpaid(
    store: Store, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    cashier = store.actor("cashier")
    sale = sales.open_sale(store.shop, cashier)
    sales.add_item(store.shop, cashier, sale["id"], sku="BRD", quantity=2)
    module = catalog_store if where == "adjust_stock" else sales_store

    def cut(*args: object, **kwargs: object) -> None:
        raise PowerCut(where)

    monkeypatch.setattr(module, where, cut)
    with pytest.raises(PowerCut):
        sales.pay_cash(store.shop, cashier, sale["id"], 1000)
    monkeypatch.undo()
    after = sale_view.get_sale(store.shop, cashier, sale["id"])
    assert after["status"] == "open" and after["payments"] == [] and after["receipt_no"] is None
    assert catalog_store.by_sku(store.shop.db.conn, "BRD").stock_on_hand == 20  # type: ignore[union-attr]
    done = sales.pay_cash(store.shop, cashier, sale["id"], 1000)
    assert done["status"] == "completed" and done["receipt_no"] == 1  # the number was not lost


def test_a_password_hash_is_remade_when_the_parameters_rise(store: Store) -> None:
    before = store.shop.db.conn.execute("SELECT password_hash FROM users WHERE username = 'cashier'").fetchone()[0]
    assert ",t=2," in before
    store.shop.passwords = Passwords(Argon2Params(time_cost=3))
    auth.login(store.shop, "cashier", PASSWORD, "127.0.0.1")
    after = store.shop.db.conn.execute("SELECT password_hash FROM users WHERE username = 'cashier'").fetchone()[0]
    assert ",t=3," in after
    auth.login(store.shop, "cashier", PASSWORD, "127.0.0.1")  # and the new hash still verifies


def test_a_store_with_tax_inclusive_prices(tmp_path: Path) -> None:
    shop, _ = init_store(
        tmp_path / "eu",
        NewStore(
            store_name="Boulangerie",
            currency="EUR",
            prices_include_tax=True,
            taxes=(("TVA", "20"),),
            timezone="Europe/Paris",
        ),
    )
    try:
        users.add_user(shop, None, "anne", "cashier", PASSWORD)
        from appliance.app.services import catalog

        catalog.import_csv(shop, None, "sku,name,price\nCAF,Café,1.20\nTRT,Tarte,4.80\n")
        anne = auth.login(shop, "anne", PASSWORD, "127.0.0.1").actor
        sale = sales.open_sale(shop, anne)
        sales.add_item(shop, anne, sale["id"], sku="CAF")
        view = sales.add_item(shop, anne, sale["id"], sku="TRT")
        assert view["totals"]["total"] == 600  # what the shelf said
        assert view["taxes"] == [{"name": "TVA", "rate": "20", "amount": 100}]
        assert view["totals"]["subtotal"] == 500
        done = sales.pay_cash(shop, anne, sale["id"], 600)
        from appliance.app.domain.receipt import render_text

        text = render_text(receipts.build_receipt(shop, shop.db.conn, done["id"]))
        assert "TVA 20% incl." in text and "TOTAL EUR" in text and "6.00" in text
    finally:
        shop.close()


def test_the_escpos_receipt_carries_the_same_sale(as_role: object, store: Store) -> None:
    from tests.fakes.escpos_printer import VirtualPrinter  # parses ESC/POS back into paper

    cashier = as_role("cashier")  # type: ignore[operator]
    sale = cashier.post("/api/v1/sales").json()
    cashier.post(f"/api/v1/sales/{sale['id']}/items", json={"barcode": "4006381333931", "quantity": 2})
    cashier.post(f"/api/v1/sales/{sale['id']}/payments", json={"method": "cash", "amount": 500})
    raw = cashier.get(f"/api/v1/sales/{sale['id']}/receipt?format=escpos")
    assert raw.status_code == 200 and raw.headers["content-type"] == "application/octet-stream"
    printer = VirtualPrinter()
    printer.feed(raw.content)
    (paper,) = printer.cut_papers()
    assert paper.line_with("Test Market").bold
    assert "2 x 1,25 $" in paper.text  # the store's fr-CA
    assert paper.line_with("TOTAL CAD").text.endswith("2,88 $")  # 2.50 + GST 0.13 + QST 0.25
    assert paper.barcodes[0].data == "T01-000001"
