"""The screens: plain HTML shells whose scripts talk to the JSON API (no inline script, so
the CSP can forbid it)."""

from __future__ import annotations

import importlib.resources

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

PAGES = {"/": "cashier.html", "/backoffice": "backoffice.html"}
PAGES["/selfservice"] = "selfservice.html"  # a customer alone at a self-service till
PAGES["/display"] = "display.html"  # the customer display: a second window facing the customer


def _page(name: str) -> str:
    return (importlib.resources.files("appliance.app.web") / "templates" / name).read_text(encoding="utf-8")


def _serve(name: str) -> object:
    async def page(request: Request) -> Response:
        return HTMLResponse(_page(name))

    page.__name__ = name.replace(".", "_")
    return page


async def _to_backoffice(request: Request) -> Response:
    """/manager was the back office's other half: its bookmarks and links land in the one back
    office (the browser keeps the #section across the redirect: /manager#staff → /backoffice#staff)."""
    return RedirectResponse("/backoffice", status_code=301)


def routes() -> list[BaseRoute]:
    pages: list[BaseRoute] = [Route(path, _serve(name), methods=["GET"]) for path, name in PAGES.items()]  # type: ignore[arg-type]
    return [*pages, Route("/manager", _to_backoffice, methods=["GET"])]
