"""A body's schema carries its TypedDict's name as title: one name must mean one shape in the
OpenAPI document, or a reader takes the sale view's customer for the customer list's."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from appliance.app.web.openapi import describe


def _titled(node: Any, found: dict[str, set[str]]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "object" and "title" in node:
            found[node["title"]].add(",".join(sorted(node.get("properties", {}))))
        for value in node.values():
            _titled(value, found)
    elif isinstance(node, list):
        for value in node:
            _titled(value, found)


def test_one_title_is_one_shape() -> None:
    found: dict[str, set[str]] = defaultdict(set)
    _titled(describe(), found)
    assert found, "the document names no typed body"
    assert {title: keys for title, keys in found.items() if len(keys) > 1} == {}
