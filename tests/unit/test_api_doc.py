"""docs/api.md's route tables are the endpoint tables: a route added, removed or renamed
without `make api-doc` fails here."""

from __future__ import annotations

from pathlib import Path

from appliance.app.web import api_doc
from appliance.app.web.routes import all_endpoints

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_the_document_lists_every_route_as_the_app_serves_it() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert api_doc.rewrite(text) == text, "docs/api.md is stale: run make api-doc"


def test_every_endpoint_has_a_row() -> None:
    rendered = api_doc.render()
    for endpoint in all_endpoints():
        assert f"`{endpoint.method} /api/v1{endpoint.path}`" in rendered
    assert sum(len(table) for _, table in api_doc.AREAS) == len(all_endpoints())
