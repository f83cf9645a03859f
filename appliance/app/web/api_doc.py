"""The route tables of docs/api.md, made from the same endpoint rows as the routing and the
OpenAPI description, so that the document cannot drift from what the app serves.

`python -m appliance.app.web.api_doc docs/api.md` rewrites the part between the markers;
a test fails when the document and the tables disagree."""

from __future__ import annotations

import sys
from pathlib import Path

from appliance.app.web import (
    api,
    api_backoffice,
    api_devices,
    api_office_returns,
    api_selfservice,
    api_selling,
    api_shifts,
    api_terminal,
)
from appliance.app.web.endpoint import Endpoint

BEGIN = "<!-- routes: made by `make api-doc` from the endpoint tables; do not edit by hand -->"
END = "<!-- routes end -->"

AREAS = (
    ("Sign-in, catalogue, store, audit", api.ENDPOINTS),
    ("Selling: sales, tenders, returns, customers and gift cards at the till", api_selling.ENDPOINTS),
    ("Shifts and cash-up", api_shifts.ENDPOINTS),
    ("Back office: stock, suppliers, customers, gift cards, reports", api_backoffice.ENDPOINTS),
    ("Self-service", api_selfservice.ENDPOINTS),
    ("Devices", api_devices.ENDPOINTS),
    ("Payment terminal: card-present tenders", api_terminal.ENDPOINTS),
    ("Returns across lanes, through the office", api_office_returns.ENDPOINTS),
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(endpoint: Endpoint) -> str:
    route = f"`{endpoint.method} /api/v1{endpoint.path}`"
    extras = []
    if endpoint.query:
        extras.append("query " + ", ".join(f"`{name}`" for name, _ in endpoint.query))
    if endpoint.headers:
        extras.append("header " + ", ".join(f"`{name}`" for name in endpoint.headers))
    statuses = " ".join(str(s) for s in endpoint.statuses)
    what = _cell(endpoint.summary) + (f" ({'; '.join(extras)})" if extras else "")
    return f"| {route} | {_cell(endpoint.who)} | {what} | {statuses} |"


def render() -> str:
    parts = [BEGIN]
    for title, endpoints in AREAS:
        parts += ["", f"### {title}", "", "| route | who | what | answers |", "|---|---|---|---|"]
        parts += [_row(e) for e in endpoints]
    parts += ["", END]
    return "\n".join(parts)


def rewrite(document: str) -> str:
    head, sep, rest = document.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise ValueError("the document has no route markers")
    return head + render() + tail


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m appliance.app.web.api_doc DOCUMENT.md", file=sys.stderr)
        return 2
    path = Path(argv[0])
    path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
