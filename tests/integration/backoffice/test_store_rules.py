"""Store rules: how scale labels are read is a store setting, checked by the barcode domain's
own rules before it is stored, audited, and read by the till at its next scan."""

from __future__ import annotations

from typing import Any

import pytest

from appliance.app.domain.barcode import DEFAULT_LAYOUT, DEFAULT_PREFIXES, price_check_digit, with_check_digit
from appliance.app.domain.errors import Forbidden, Invalid
from appliance.app.services import audit_log, catalog, store_rules
from tests.conftest import Store
from tests.integration.backoffice.conftest import code_of, put

NEW_LAYOUT = "PPIIIIIVVVVVK"  # no price check digit, five value digits


def label(prefix: str, item: str, value: str) -> str:
    """A scale label in the default layout: prefix, item, price check, 4-digit value."""
    return with_check_digit(prefix + item + str(price_check_digit(value)) + value)


def test_a_new_store_reads_labels_the_default_way(store: Store) -> None:
    rules = store_rules.get(store.shop, store.actor("cashier"))
    assert rules["variable_measure_layout"] == DEFAULT_LAYOUT
    assert rules["variable_measure_prefixes"] == dict(sorted(DEFAULT_PREFIXES.items()))


def test_a_layout_change_is_stored_audited_and_read_at_once(store: Store) -> None:
    boss = store.actor("boss")
    assert store.shop.settings.variable_measure_layout == DEFAULT_LAYOUT  # cached by the till
    changed = store_rules.put(
        store.shop,
        boss,
        {"variable_measure_layout": " ppiiiiivvvvvk ", "variable_measure_prefixes": {"26": "weight", "20": "price"}},
    )
    assert changed["variable_measure_layout"] == NEW_LAYOUT
    assert changed["variable_measure_prefixes"] == {"20": "price", "26": "weight"}
    assert store.shop.settings.variable_measure_layout == NEW_LAYOUT
    assert store.shop.settings.variable_measure_prefixes == {"20": "price", "26": "weight"}
    last = audit_log.entries(store.shop)[-1]
    assert (last["action"], last["actor"], last["object"]) == ("settings_change", "boss", "settings")
    assert NEW_LAYOUT in str(last["details"]) and '"26"' in str(last["details"])


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        ({"variable_measure_layout": "XYZ"}, "invalid_layout", "layout 'XYZ' refused"),
        ({"variable_measure_layout": "PPIIIIICVVVVX"}, "invalid_layout", "K last"),
        ({"variable_measure_layout": "PPIIIICVVVVVK"}, "invalid_layout", "4 with C"),
        ({"variable_measure_layout": ""}, "invalid_layout", "refused"),
        ({"variable_measure_layout": 13}, "invalid_layout", "13 letters"),
        ({"variable_measure_prefixes": {"19": "price"}}, "invalid_prefix", "20 to 29"),
        ({"variable_measure_prefixes": {"30": "weight"}}, "invalid_prefix", "20 to 29"),
        ({"variable_measure_prefixes": {"2a": "price"}}, "invalid_prefix", "20 to 29"),
        ({"variable_measure_prefixes": {"021": "price"}}, "invalid_prefix", "20 to 29"),
        ({"variable_measure_prefixes": {"20": "volume"}}, "invalid_prefix", "a price or a weight"),
        ({"variable_measure_prefixes": ["20"]}, "invalid_prefix", "map each prefix"),
        ({"variable_measure_prefixs": {"20": "price"}}, "unknown_rule", "no store rule"),
    ],
)
def test_a_layout_or_prefix_map_the_parser_cannot_use_is_never_stored(
    store: Store, changes: dict[str, Any], code: str, words: str
) -> None:
    boss = store.actor("boss")
    before = store_rules.get(store.shop, boss)
    audited = len(audit_log.entries(store.shop))
    with pytest.raises(Invalid) as refused:
        store_rules.put(store.shop, boss, changes)
    assert refused.value.code == code
    assert words in refused.value.message
    assert store_rules.get(store.shop, boss) == before
    assert len(audit_log.entries(store.shop)) == audited
    assert store.shop.settings.variable_measure_layout == DEFAULT_LAYOUT


def test_a_good_rule_beside_a_bad_one_is_not_stored_either(store: Store) -> None:
    boss = store.actor("boss")
    with pytest.raises(Invalid):
        store_rules.put(store.shop, boss, {"loyalty_points_per_unit": 5, "variable_measure_layout": "PPIIIIIIIIIIK"})
    assert store_rules.get(store.shop, boss)["loyalty_points_per_unit"] == 1


def test_only_a_role_that_manages_settings_changes_the_layout(store: Store) -> None:
    with pytest.raises(Forbidden):
        store_rules.put(store.shop, store.actor("manager"), {"variable_measure_layout": NEW_LAYOUT})


def test_a_label_is_read_with_the_layout_just_set(store: Store, as_role: Any) -> None:
    manager = store.actor("manager")
    catalog.create_product(
        store.shop, manager, {"sku": "DLI", "name": "Deli salad", "price": 0, "barcodes": ["2000042"]}
    )
    catalog.create_product(
        store.shop,
        manager,
        {"sku": "CHS", "name": "Comté", "price": 2999, "sold_by": "weight", "barcodes": ["2612345", "2312345"]},
    )
    cashier, boss = as_role("cashier"), as_role("boss")
    sale_id = cashier.post("/api/v1/sales").json()["id"]

    def scan(code: str) -> Any:
        return cashier.post(f"/api/v1/sales/{sale_id}/items", json={"barcode": code})

    old_style = label("20", "00042", "0399")  # 3.99 with a price check digit
    first = scan(old_style)
    assert first.status_code == 200, first.text
    assert first.json()["lines"][-1]["unit_price"] == 399
    assert code_of(scan(with_check_digit("2612345" + "00512")))[1] == "unknown_barcode"  # 26 is no scale prefix yet
    old_weight = label("23", "12345", "0512")
    assert scan(old_weight).json()["lines"][-1]["measure"] == "0.512 kg @ 29.99/kg"

    changed = put(
        boss,
        "/api/v1/settings/rules",
        json={"variable_measure_layout": NEW_LAYOUT, "variable_measure_prefixes": {"20": "price", "26": "weight"}},
    )
    assert changed.status_code == 200, changed.text

    # The same till, no restart: five value digits and no price check now.
    priced = scan(with_check_digit("2000042" + "12345"))
    assert priced.status_code == 200, priced.text
    assert priced.json()["lines"][-1]["unit_price"] == 12345
    reread = scan(old_style)  # the old label's price check digit is now the value's first digit
    assert reread.json()["lines"][-1]["unit_price"] == int(old_style[7:12])
    weighed = scan(with_check_digit("2612345" + "00512"))
    assert weighed.status_code == 200, weighed.text
    assert weighed.json()["lines"][-1]["measure"] == "0.512 kg @ 29.99/kg"
    # 23 was a weight prefix by default; the new map has dropped it.
    assert code_of(scan(old_weight))[1] == "unknown_barcode"
