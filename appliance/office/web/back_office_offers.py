"""The back office's pages for the chain's offers and the tills' grids of item buttons
(services/back_office_feed.py says who may change what). A price and a percentage are typed
the office's way (12,50; 12,5 %); a grid is typed a tab a line, `Bakery: BRD, CRO`."""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from appliance.app.domain.errors import DomainError, Invalid
from appliance.app.domain.local_amount import marks, read_amount, write_amount
from appliance.app.domain.money import format_amount
from appliance.office.services import back_office_feed
from appliance.office.services.office import Office
from appliance.office.services.sign_in import Person
from appliance.office.web.back_office_http import back, done_notice, html_page, origin, signed_in, status_of
from appliance.office.web.html import Html, csrf_field, join, message, page, table, tag, void

KINDS = (
    ("multi_price", "N for a price"),
    ("buy_n_get_one", "buy N, get one free"),
    ("category_percent", "a percentage off a category"),
)
PERCENT_BASIS = 10_000  # the domain's (pricing.BASIS): 12.5 % is 1250 basis points


def _field(label: str, name: str, value: str = "", **attrs: object) -> Html:
    return join([tag("label", label, for_=name), void("input", id=name, name=name, value=value, **attrs)])


def _choice(label: str, name: str, options: list[tuple[str, str]], chosen: str = "") -> Html:
    shown = [tag("option", text, value=value, selected=value == chosen) for value, text in options]
    return join([tag("label", label, for_=name), tag("select", *shown, id=name, name=name)])


def _may_change(who: Person) -> bool:
    return who.changes_the_chain or who.role == "store_manager"


def _where(who: Person, stores: list[str]) -> list[tuple[str, str]]:
    return ([("", "every store")] if who.changes_the_chain else []) + [(s, s) for s in stores]


def _end_button(csrf: str, action: str, label: str, text: str = "End", **hidden: str) -> Html:
    fields = [void("input", type="hidden", name=k, value=v) for k, v in hidden.items()]
    return tag("form", csrf_field(csrf), *fields, tag("button", text, type="submit", aria_label=label),
               method="post", action=action)  # fmt: skip


# -- promotions ------------------------------------------------------------------------------


def _percent(text: str, locale: str) -> str:
    """'12,5' in a French office → '12.5', as the promotions service reads a percentage."""
    decimal = marks(locale)[0]
    cleaned = text.strip().rstrip("%").strip() or "0"
    if not re.fullmatch(r"[0-9]{1,3}([.,][0-9]{1,2})?", cleaned) or ("," in cleaned and decimal != ","):
        raise Invalid(f"{text!r} is not a percentage (12{decimal}5)", "invalid_promotion")
    return cleaned.replace(",", ".")


def _percent_shown(basis: int, locale: str) -> str:
    """1250 basis points → '12,5 %' in a French office."""
    whole, hundredths = divmod(basis, PERCENT_BASIS // 100)
    fraction = f"{hundredths:02d}".rstrip("0")
    return f"{whole}{marks(locale)[0]}{fraction} %" if fraction else f"{whole} %"


def _offer_rows(request: Request, who: Person, csrf: str, found: list[dict[str, Any]]) -> list[list[object]]:
    currency, locale = request.app.state.currency, request.app.state.locale
    rows = []
    for offer in found:
        terms = offer["sku"] or offer["category"] or ""
        if offer["kind"] == "category_percent":
            value = _percent_shown(int(offer["percent"]), locale)
        elif offer["kind"] == "multi_price":
            value = f"{offer['quantity']} for {write_amount(int(offer['price']), currency, locale)} {currency}"
        else:
            value = f"buy {offer['quantity']}, get one free"
        store = offer["store"] or "every store"
        cells: list[object] = [offer["code"], offer["name"], value, terms, f"{offer['starts']} to {offer['ends']}",
                               store]  # fmt: skip
        if _may_change(who):
            mine = who.changes_the_chain or offer["store"] == who.scope
            cells.append(
                _end_button(csrf, "/promotions/end", f"End {offer['code']} in {store}", code=offer["code"],
                            store=offer["store"] or "")
                if mine
                else ""
            )  # fmt: skip
        rows.append(cells)
    return rows


async def _promotions(
    request: Request, who: Person, csrf: str, *, typed: dict[str, str] | None = None, problem: str | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    office: Office = request.app.state.office
    found = await run_in_threadpool(back_office_feed.offers, office, who)
    stores = await run_in_threadpool(back_office_feed.stores_of, office, who)
    heads = ["Code", "Name", "Offer", "Product or category", "Days", "Where"] + (["End"] if _may_change(who) else [])
    parts: list[Html] = [
        message(done_notice(request) if problem is None else None, problem),
        table("The running offers", heads, _offer_rows(request, who, csrf, found)),
    ]
    if _may_change(who):
        t = typed or {}
        currency, locale = request.app.state.currency, request.app.state.locale
        parts.append(tag("h2", "Make or change an offer"))
        parts.append(
            tag(
                "form",
                csrf_field(csrf),
                _field("Code (the office's name for it: summer-bread)", "code", t.get("code", ""), required=True,
                       maxlength="40", autocomplete="off"),
                _field("Name (as the receipt shows it)", "name", t.get("name", ""), required=True, maxlength="60"),
                _choice("Kind", "kind", list(KINDS), t.get("kind", "")),
                _field("Product (SKU; not for a category's percentage)", "sku", t.get("sku", ""), maxlength="64"),
                _field("Category (for a percentage off)", "category", t.get("category", ""), maxlength="64"),
                _field("N (of N for a price, or buy N)", "quantity", t.get("quantity", ""), inputmode="numeric",
                       maxlength="4"),
                _field(f"Price of N in {currency} (as you write it: {write_amount(500, currency, locale)})", "price",
                       t.get("price", ""), inputmode="decimal", maxlength="32"),
                _field(f"Percentage off (12{marks(locale)[0]}5)", "percent", t.get("percent", ""),
                       inputmode="decimal", maxlength="8"),
                _field("First day", "starts", t.get("starts", ""), type="date", required=True),
                _field("Last day (included)", "ends", t.get("ends", ""), type="date", required=True),
                _choice("Where", "store", _where(who, stores), t.get("store", "")),
                tag("button", "Save the offer", type="submit"),
                method="post",
                action="/promotions",
                class_="stack",
            )
        )  # fmt: skip
    return html_page(page("Promotions", join(parts), who=who, csrf=csrf, here="/promotions"), status)


async def promotions_page(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    return await _promotions(request, who, csrf)


async def promotion_put(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    form = form or {}
    currency, locale = request.app.state.currency, request.app.state.locale
    code, store = form.get("code", "").strip(), form.get("store") or None
    try:
        quantity_text = form.get("quantity", "").strip() or "0"
        if not quantity_text.isdigit() or len(quantity_text) > 4:
            raise Invalid(f"N is a whole number, not {quantity_text!r}", "invalid_promotion")
        price = form.get("price", "").strip()
        major = format_amount(read_amount(price, currency, locale), currency) if price else "0"
        done = await run_in_threadpool(
            lambda: back_office_feed.put_offer(
                request.app.state.office, who, code, store, origin(request), name=form.get("name", ""),
                kind=form.get("kind", ""), starts=form.get("starts", "").strip(), ends=form.get("ends", "").strip(),
                sku=form.get("sku", "").strip() or None, category=form.get("category", "").strip() or None,
                quantity=int(quantity_text), price=major, percent=_percent(form.get("percent", ""), locale),
                currency=currency,
            )
        )  # fmt: skip
    except DomainError as exc:
        typed = {k: v[:200] for k, v in form.items() if k != "csrf"}
        return await _promotions(request, who, csrf, typed=typed, problem=exc.message, status=status_of(exc))
    said = "saved" if done.changed else "as it was"
    return back("/promotions", f"Offer {code} {said}; at the tills after their next pull (version {done.version}).")


async def promotion_end(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    form = form or {}
    code, store = form.get("code", "").strip(), form.get("store") or None
    try:
        done = await run_in_threadpool(
            back_office_feed.end_offer, request.app.state.office, who, code, store, origin(request)
        )
    except DomainError as exc:
        return await _promotions(request, who, csrf, problem=exc.message, status=status_of(exc))
    return back("/promotions", f"Offer {code} ends at the tills' next pull (version {done.version}).")


# -- item grids ------------------------------------------------------------------------------


def read_grid(text: str) -> list[dict[str, Any]]:
    """'Bakery: BRD, CRO' a tab a line → the grid's tabs (the service checks the rest)."""
    tabs = []
    for n, line in enumerate((x for x in text.splitlines() if x.strip()), 1):
        category, sep, skus = line.partition(":")
        if not sep or not category.strip():
            raise Invalid(f"line {n}: a tab is 'Category: SKU, SKU', not {line.strip()[:60]!r}", "invalid_grid")
        tabs.append({"category": category.strip(), "products": [s.strip() for s in skus.split(",") if s.strip()]})
    return tabs


def _grid_text(tabs: list[dict[str, Any]]) -> str:
    return "\n".join(f"{t['category']}: {', '.join(t['products'])}" for t in tabs)


async def _grids(
    request: Request, who: Person, csrf: str, *, typed: str | None = None, problem: str | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    office: Office = request.app.state.office
    found = await run_in_threadpool(back_office_feed.grids, office, who)
    stores = await run_in_threadpool(back_office_feed.stores_of, office, who)
    rows = []
    for grid in found:
        cells: list[object] = [grid["store"] or "every store (the chain's)",
                               "; ".join(_grid_text([t]) for t in grid["tabs"])]  # fmt: skip
        if _may_change(who):
            mine = grid["store"] is not None and (who.changes_the_chain or grid["store"] == who.scope)
            cells.append(
                _end_button(csrf, "/item-grids/release", f"{grid['store']} takes the chain's grid", "Release",
                            store=grid["store"])
                if mine
                else ""
            )  # fmt: skip
        rows.append(cells)
    heads = ["Where", "Tabs (category: products)"] + (["Chain's grid again"] if _may_change(who) else [])
    parts: list[Html] = [
        message(done_notice(request) if problem is None else None, problem),
        table("The tills' grids of item buttons (a store's own over the chain's)", heads, rows),
    ]
    if _may_change(who):
        parts.append(tag("h2", "Lay out a grid"))
        parts.append(
            tag(
                "form",
                csrf_field(csrf),
                tag("label", "Tabs, one a line: a category, then its products' SKUs (Bakery: BRD, CRO)", for_="tabs"),
                tag("textarea", typed or "", id="tabs", name="tabs", required=True, spellcheck="false"),
                _choice("Where", "store", _where(who, stores)),
                tag("button", "Save the grid", type="submit"),
                method="post",
                action="/item-grids",
                class_="stack",
            )
        )
    return html_page(page("Item grids", join(parts), who=who, csrf=csrf, here="/item-grids"), status)


async def grids_page(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    return await _grids(request, who, csrf)


async def grid_set(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    form = form or {}
    text, store = form.get("tabs", ""), form.get("store") or None
    try:
        tabs = read_grid(text)
        done = await run_in_threadpool(back_office_feed.set_grid, request.app.state.office, who, tabs, store,
                                       origin(request))  # fmt: skip
    except DomainError as exc:
        return await _grids(request, who, csrf, typed=text[:4000], problem=exc.message, status=status_of(exc))
    said = "saved" if done.changed else "as it was"
    return back("/item-grids", f"The grid of {store or 'every store'} {said} (version {done.version}).")


async def grid_release(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    store = (form or {}).get("store", "").strip()
    try:
        done = await run_in_threadpool(
            back_office_feed.release_grid, request.app.state.office, who, store, origin(request)
        )
    except DomainError as exc:
        return await _grids(request, who, csrf, problem=exc.message, status=status_of(exc))
    return back("/item-grids", f"{store} takes the chain's grid again (version {done.version}).")


def routes() -> list[BaseRoute]:
    return [
        Route("/promotions", signed_in(promotions_page), methods=["GET"]),
        Route("/promotions", signed_in(promotion_put), methods=["POST"]),
        Route("/promotions/end", signed_in(promotion_end), methods=["POST"]),
        Route("/item-grids", signed_in(grids_page), methods=["GET"]),
        Route("/item-grids", signed_in(grid_set), methods=["POST"]),
        Route("/item-grids/release", signed_in(grid_release), methods=["POST"]),
    ]
