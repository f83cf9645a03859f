"""GET/PUT /api/v1/settings/rules: the scale-label settings' HTTP contract. A body of the wrong
shape is a 400; a well-formed layout or prefix map the till could not read is a 422 with the
reason, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

RULES = "/api/v1/settings/rules"


def put(api: Any, json: Any) -> Any:
    return api.client.put(RULES, json=json, headers=api._headers(None))


@pytest.mark.parametrize(
    ("body", "status", "code", "words"),
    [
        ({"variable_measure_layout": "PPIIIIIQVVVVK"}, 422, "invalid_layout", "layout"),
        ({"variable_measure_layout": "PPIIIIICVVVV"}, 422, "invalid_layout", "13"),
        ({"variable_measure_prefixes": {"19": "price"}}, 422, "invalid_prefix", "20 to 29"),
        ({"variable_measure_prefixes": {"2x": "weight"}}, 422, "invalid_prefix", "20 to 29"),
        ({"variable_measure_prefixes": {"22": "volume"}}, 422, "invalid_prefix", "price or a weight"),
        ({"variable_measure_layout": 1}, 400, "invalid_request", "variable_measure_layout"),
        ({"variable_measure_layout": "P" * 65}, 400, "invalid_request", "variable_measure_layout"),
        ({"variable_measure_prefixes": ["20"]}, 400, "invalid_request", "variable_measure_prefixes"),
        ({"variable_measure_prefixes": {"20": 1}}, 400, "invalid_request", "variable_measure_prefixes/20"),
        ({"scale_layout": "PPIIIIICVVVVK"}, 400, "invalid_request", "unknown field"),
        ({}, 422, "nothing_to_change", "nothing"),
    ],
)
def test_bad_scale_label_settings(as_role: Any, body: Any, status: int, code: str, words: str) -> None:
    admin = as_role("boss")
    before = admin.get(RULES).json()
    answer = put(admin, body)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), answer.text
    assert words in answer.json()["error"]["message"]
    assert admin.get(RULES).json() == before


def test_the_layout_and_prefixes_are_read_and_changed_over_http(as_role: Any) -> None:
    cashier, manager, admin = as_role("cashier"), as_role("manager"), as_role("boss")
    shown = cashier.get(RULES)
    assert shown.status_code == 200
    assert shown.json()["variable_measure_layout"] == "PPIIIIICVVVVK"
    assert shown.json()["variable_measure_prefixes"]["23"] == "weight"
    assert put(manager, {"variable_measure_layout": "PPIIIIIVVVVVK"}).status_code == 403
    changed = put(admin, {"variable_measure_layout": "ppiiiiivvvvvk", "variable_measure_prefixes": {"28": "price"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["variable_measure_layout"] == "PPIIIIIVVVVVK"
    assert changed.json()["variable_measure_prefixes"] == {"28": "price"}
    assert changed.json()["loyalty_point_value"] == 1  # the other rules untouched
    assert cashier.get(RULES).json() == changed.json()
    none = put(admin, {"variable_measure_prefixes": {}})
    assert none.status_code == 200 and none.json()["variable_measure_prefixes"] == {}
