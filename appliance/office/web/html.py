"""The back office's pages as HTML, made here with every value escaped (no template engine
at the office, and no inline script or style: the CSP forbids both)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from html import escape

from appliance.office.services.sign_in import Person

NAV = (
    ("/lanes", "Stores and lanes"),
    ("/alarms", "Alarms"),
    ("/catalogue", "Catalogue"),
    ("/prices", "Prices from a date"),
    ("/staff", "Staff"),
    ("/store-staff", "Store staff"),
    ("/rules", "Store rules"),
    ("/promotions", "Promotions"),
    ("/item-grids", "Item grids"),
    ("/reports", "Reports"),
    ("/configuration", "Configuration"),
)
ROLE_NAMES = {"chain_admin": "chain admin", "store_manager": "store manager", "auditor": "auditor"}


class Html(str):
    """Text already made safe: put into a page as it is."""


def e(value: object) -> Html:
    return value if isinstance(value, Html) else Html(escape("" if value is None else str(value), quote=True))


def join(parts: Iterable[str]) -> Html:
    return Html("".join(e(p) for p in parts))


def tag(name: str, /, *children: object, **attrs: object) -> Html:
    shown = "".join(
        f" {k.rstrip('_').replace('_', '-')}" + ("" if v is True else f'="{e(v)}"')
        for k, v in attrs.items()
        if v is not None and v is not False
    )
    return Html(f"<{name}{shown}>" + "".join(e(c) for c in children) + f"</{name}>")


def void(name: str, /, **attrs: object) -> Html:
    return Html(tag(name, **attrs)[: -len(f"</{name}>")])


def when(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return "never" if value is None else str(value)


def csrf_field(csrf: str) -> Html:
    return void("input", type="hidden", name="csrf", value=csrf)


def table(caption: str, heads: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[int] = ()) -> Html:
    head = tag("tr", *(tag("th", h, scope="col", class_="num" if i in numeric else None) for i, h in enumerate(heads)))
    body = [
        tag("tr", *(tag("td", c, class_="num" if i in numeric else None) for i, c in enumerate(row))) for row in rows
    ]
    if not body:
        body = [tag("tr", tag("td", "None.", colspan=str(len(heads))))]
    return tag("table", tag("caption", caption), tag("thead", head), tag("tbody", *body))


def message(notice: str | None = None, problem: str | None = None) -> Html:
    shown = []
    if notice:
        shown.append(tag("p", notice, class_="notice", role="status"))
    if problem:
        shown.append(tag("p", problem, class_="problem", role="alert"))
    return join(shown)


def page(title: str, body: object, *, who: Person | None = None, csrf: str = "", here: str = "") -> Html:
    top: list[Html] = [tag("span", "Comptoir office", class_="brand")]
    if who is not None:
        links = [
            tag("li", tag("a", label, href=path, aria_current="page" if path == here else None)) for path, label in NAV
        ]
        top.append(tag("nav", tag("ul", *links), aria_label="Back office"))
        role = ROLE_NAMES.get(who.role, who.role) + (f" of {who.store}" if who.scope else "")
        logout = tag(
            "form", csrf_field(csrf), tag("button", "Log out", type="submit"), method="post", action="/logout",
            class_="inline",
        )  # fmt: skip
        top.append(tag("div", tag("span", f"{who.username} ({role})"), logout, class_="who"))
    document = "<!doctype html>" + tag(
        "html",
        tag(
            "head",
            void("meta", charset="utf-8"),
            void("meta", name="viewport", content="width=device-width, initial-scale=1"),
            tag("title", f"{title} · Comptoir office"),
            void("link", rel="stylesheet", href="/static/office.css"),
            void("link", rel="icon", href="data:,"),
        ),
        tag("body", tag("header", *top), tag("main", tag("h1", title), body, id="main")),
        lang="en",
    )
    return Html(document)
