"""The till, the self-service screen and the back office are ES modules: every file they import
is served as JavaScript from /static (the CSP's script-src 'self'), and their pages load no plain
script of their own (the back office's one is the vendored Chart.js)."""

from __future__ import annotations

import re
from typing import Any

IMPORT = re.compile(r'^import (?:[^"]* from )?"([^"]+)";', re.MULTILINE)


def _modules(client: Any, entry: str) -> dict[str, str]:
    """Every module the entry imports, by URL, followed to the end."""
    seen: dict[str, str] = {}
    todo = [entry]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["content-type"].split(";")[0] in ("text/javascript", "application/javascript"), url
        seen[url] = answer.text
        base = url.rsplit("/", 1)[0]
        for target in IMPORT.findall(answer.text):
            parts = (base + "/" + target).split("/") if not target.startswith("/") else target.split("/")
            path: list[str] = []
            for part in parts:
                if part == "..":
                    path.pop()
                elif part != ".":
                    path.append(part)
            todo.append("/".join(path))
    return seen


def test_the_till_is_its_entry_and_the_modules_it_imports(client: Any) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert re.findall(r"<script[^>]*>", page.text) == ['<script type="module" src="/static/cashier.js">']
    modules = _modules(client, "/static/cashier.js")
    assert {"/static/comptoir.js", "/static/common.js", "/static/scanner.js", "/static/till/state.js"} <= set(modules)
    assert len([url for url in modules if url.startswith("/static/till/")]) >= 20
    till = [text for url, text in modules.items() if url.startswith("/static/till/") or url == "/static/cashier.js"]
    assert not [text for text in till if re.search(r"\.style\b", text)], "no inline style (CSP style-src 'self')"


def test_the_self_service_screen_shares_common_js(client: Any) -> None:
    page = client.get("/selfservice")
    assert re.findall(r"<script[^>]*>", page.text) == ['<script type="module" src="/static/selfservice.js">']
    modules = _modules(client, "/static/selfservice.js")
    assert {"/static/comptoir.js", "/static/common.js", "/static/selfservice/kiosk.js"} <= set(modules)
    own = [text for url, text in modules.items() if url.startswith("/static/selfservice")]
    assert len(own) >= 9
    assert not [text for text in own if re.search(r"\.style\b", text)], "no inline style (CSP style-src 'self')"


def test_the_back_office_is_two_entries_of_section_modules(client: Any) -> None:
    page = client.get("/backoffice")
    assert re.findall(r"<script[^>]*>", page.text) == [
        '<script src="/static/vendor/chart.umd.min.js">',
        '<script type="module" src="/static/manager.js">',
        '<script type="module" src="/static/backoffice.js">',
    ]
    shared = {"/static/comptoir.js", "/static/common.js", "/static/office.js", "/static/report_charts.js"}
    for entry, folder, least in (("manager", "/static/manager/", 7), ("backoffice", "/static/backoffice/", 10)):
        modules = _modules(client, f"/static/{entry}.js")
        assert shared <= set(modules), entry
        own = [text for url, text in modules.items() if url.startswith(folder) or url == f"/static/{entry}.js"]
        assert len(own) > least, entry
        assert not [text for text in own if re.search(r"\.style\b", text)], entry


def test_a_module_is_checked_again_at_each_load_and_unchanged_costs_a_304(client: Any) -> None:
    first = client.get("/static/till/state.js")
    assert first.headers["cache-control"] == "no-cache" and first.headers["etag"]
    again = client.get("/static/till/state.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
