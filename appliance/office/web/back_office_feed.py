"""The back office's pages for what the office feeds its lanes beyond the catalogue: prices
from a date, the people of each store, each store's rules (services/back_office_feed.py says
who may change what). Amounts are typed and shown the way the office's people write them (its
locale, `comptoir office serve --locale`): a French office types 12,50."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from appliance.app.domain.errors import DomainError, Invalid
from appliance.app.domain.local_amount import read_amount, write_amount
from appliance.office.services import back_office, back_office_feed, store_rules
from appliance.office.services.office import Office
from appliance.office.services.sign_in import Person
from appliance.office.web.back_office_http import (
    back,
    done_notice,
    html_page,
    origin,
    signed_in,
    status_of,
)
from appliance.office.web.html import Html, csrf_field, join, message, page, table, tag, void, when

T = TypeVar("T")

EVERY_STORE = ""  # the store field's value for a price of the whole chain
STAFF_ROLES = ("cashier", "supervisor", "manager", "admin", "auditor")  # the till's (security/rbac)


def _money(request: Request) -> tuple[str, str]:
    return request.app.state.currency, request.app.state.locale


def _shown(request: Request, minor: object) -> str:
    currency, locale = _money(request)
    return write_amount(int(str(minor)), currency, locale) + f" {currency}"


def _field(label: str, name: str, **attrs: object) -> Html:
    return join([tag("label", label, for_=name), void("input", id=name, name=name, **attrs)])


def _choice(label: str, name: str, options: list[tuple[str, str]], chosen: str = "") -> Html:
    shown = [tag("option", text, value=value, selected=value == chosen) for value, text in options]
    return join([tag("label", label, for_=name), tag("select", *shown, id=name, name=name)])


# -- prices from a date ----------------------------------------------------------------------


async def _prices(
    request: Request, who: Person, csrf: str, sku: str, *, problem: str | None = None, status: int = 200
) -> Response:
    office: Office = request.app.state.office
    sku = sku.strip()[:64]
    parts: list[Html] = [
        message(done_notice(request) if problem is None else None, problem),
        tag(
            "form",
            _field("Product (SKU)", "sku", value=sku, required=True, maxlength="64"),
            tag("button", "Show its prices", type="submit"),
            method="get",
            action="/prices",
            role="search",
            class_="stack",
        ),
    ]
    if sku:
        found = [r for r in await run_in_threadpool(back_office.products, office, sku) if r["sku"] == sku]
        if not found or found[0]["removed"]:
            parts.append(tag("p", f"The chain has no product {sku} on sale.", class_="problem", role="alert"))
            status = status if status != 200 else 404
        else:
            body = found[0]["body"] or {}
            parts.append(tag("p", f"{sku}, {body.get('name', '')}: its catalogue price is"
                                  f" {_shown(request, body.get('price', 0))} until a price below starts."))  # fmt: skip
            rows = await run_in_threadpool(back_office_feed.price_list, office, who, sku)
            parts.append(_price_table(request, who, csrf, sku, rows))
            stores = await run_in_threadpool(back_office_feed.stores_of, office, who)
            if who.changes_the_chain or who.role == "store_manager":
                parts.append(_schedule_form(request, who, csrf, sku, stores))
    return html_page(page("Prices from a date", join(parts), who=who, csrf=csrf, here="/prices"), status)


def _from(stamp: str) -> str:
    """The office's stamp of a start (2026-12-06T23:00:00.000000Z) as people read it."""
    try:
        return when(dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")))
    except ValueError:
        return stamp


def _price_table(request: Request, who: Person, csrf: str, sku: str, rows: list[dict[str, Any]]) -> Html:
    shown = []
    for row in rows:
        cells: list[object] = [_from(row["from"]), _shown(request, row["price"]), row["store"] or "every store"]
        may = who.changes_the_chain or (who.role == "store_manager" and row["store"] == who.scope)
        if who.changes_the_chain or who.role == "store_manager":
            cells.append(
                tag(
                    "form",
                    csrf_field(csrf),
                    void("input", type="hidden", name="sku", value=sku),
                    void("input", type="hidden", name="starts", value=row["from"]),
                    void("input", type="hidden", name="store", value=row["store"] or EVERY_STORE),
                    tag(
                        "button",
                        "Cancel",
                        type="submit",
                        aria_label=f"Cancel the price from {_from(row['from'])} in {row['store'] or 'every store'}",
                    ),
                    method="post",
                    action="/prices/cancel",
                )
                if may
                else ""
            )
        shown.append(cells)
    heads = ["From", "Price", "Where"] + (["Take back"] if who.changes_the_chain or who.role == "store_manager" else [])
    return table(f"Prices of {sku} from a date, the earliest first", heads, shown, numeric=(1,))


def _schedule_form(request: Request, who: Person, csrf: str, sku: str, stores: list[str]) -> Html:
    currency, locale = _money(request)
    where = ([(EVERY_STORE, "every store")] if who.changes_the_chain else []) + [(s, s) for s in stores]
    return join(
        [
            tag("h2", "Set a price from a date"),
            tag(
                "form",
                csrf_field(csrf),
                void("input", type="hidden", name="sku", value=sku),
                _field(f"Price in {currency} (as you write it: {write_amount(1250, currency, locale)})", "price",
                       required=True, maxlength="32", inputmode="decimal", autocomplete="off"),
                _field("From (date, time and offset from UTC: 2026-12-07T00:00+01:00)", "starts",
                       required=True, maxlength="40", autocomplete="off"),
                _choice("Where", "store", where),
                tag("button", "Set the price", type="submit"),
                method="post",
                action="/prices",
                class_="stack",
            ),
        ]
    )  # fmt: skip


async def prices_page(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    return await _prices(request, who, csrf, request.query_params.get("sku", ""))


def _back_to_prices(sku: str, notice: str) -> Response:
    return back("/prices?" + urlencode({"sku": sku}), notice)


async def schedule_price(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    form = form or {}
    sku, starts, store = form.get("sku", "").strip(), form.get("starts", "").strip(), form.get("store") or None
    currency, locale = _money(request)
    try:
        amount = read_amount(form.get("price", ""), currency, locale)
        done = await run_in_threadpool(
            back_office_feed.schedule_price, request.app.state.office, who, sku, amount, starts, store, currency,
            origin(request),
        )  # fmt: skip
    except DomainError as exc:
        return await _prices(request, who, csrf, sku, problem=exc.message, status=status_of(exc))
    where = f"in {store}" if store else "in every store"
    said = "set" if done.changed else "as it was"
    return _back_to_prices(
        sku, f"{sku} at {_shown(request, amount)} from {starts} {where}: {said}; version {done.version}."
    )


async def cancel_price(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    form = form or {}
    sku, starts, store = form.get("sku", "").strip(), form.get("starts", "").strip(), form.get("store") or None
    try:
        done = await run_in_threadpool(
            back_office_feed.cancel_price, request.app.state.office, who, sku, starts, store, origin(request)
        )
    except DomainError as exc:
        return await _prices(request, who, csrf, sku, problem=exc.message, status=status_of(exc))
    return _back_to_prices(sku, f"The price of {sku} from {starts} is taken back; version {done.version}.")


# -- the people of a store -------------------------------------------------------------------


def _store_picker(action: str, stores: list[str], chosen: str) -> Html:
    return tag(
        "form",
        _choice("Store", "store", [(s, s) for s in stores], chosen),
        tag("button", "Show", type="submit"),
        method="get",
        action=action,
        class_="stack",
    )


def _chosen_store(request: Request, who: Person, stores: list[str], given: str | None = None) -> str:
    chosen = (given if given is not None else request.query_params.get("store", "")).strip()[:64]
    return who.scope or chosen or (stores[0] if stores else "")


def _changes_store(who: Person, store: str) -> bool:
    return who.changes_the_chain or (who.role == "store_manager" and who.scope == store)


async def _store_page(
    request: Request, who: Person, csrf: str, store: str | None, problem: str | None, status: int, title: str,
    here: str, read: Callable[[Office, Person, str], T],
) -> tuple[str, list[Html], T] | Response:  # fmt: skip
    """A page of one store's things: the store chosen (a picker for the chain's people), its
    notice, and what `read` finds there; or the whole page when there is no store or the
    reading is refused."""
    office: Office = request.app.state.office
    stores = await run_in_threadpool(back_office_feed.stores_of, office, who)
    chosen = _chosen_store(request, who, stores, store)
    parts: list[Html] = [message(done_notice(request) if problem is None else None, problem)]
    if not stores:
        parts.append(tag("p", "No store yet: a store appears with its first enrolment token."))
        return html_page(page(title, join(parts), who=who, csrf=csrf, here=here), status)
    if who.scope is None:
        parts.append(_store_picker(here, stores, chosen))
    try:
        found = await run_in_threadpool(read, office, who, chosen)
    except DomainError as exc:
        parts.append(message(problem=exc.message))
        return html_page(page(title, join(parts), who=who, csrf=csrf, here=here), status_of(exc))
    return chosen, parts, found


async def _store_staff(
    request: Request, who: Person, csrf: str, store: str | None = None, *, problem: str | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    opened = await _store_page(
        request, who, csrf, store, problem, status, "Store staff", "/store-staff", back_office_feed.people
    )
    if isinstance(opened, Response):
        return opened
    chosen, parts, found = opened
    may = _changes_store(who, chosen)
    rows = []
    for person in found:
        cells: list[object] = [
            person["username"], person["role"], "active" if person["active"] else "disabled",
            "yes" if person["pin"] else "no",
        ]  # fmt: skip
        if may:
            verb = "Disable" if person["active"] else "Enable"
            cells.append(
                tag(
                    "form",
                    csrf_field(csrf),
                    void("input", type="hidden", name="store", value=chosen),
                    void("input", type="hidden", name="username", value=person["username"]),
                    void("input", type="hidden", name="active", value="no" if person["active"] else "yes"),
                    tag("button", verb, type="submit", aria_label=f"{verb} {person['username']}"),
                    method="post",
                    action="/store-staff/active",
                )
            )
        rows.append(cells)
    heads = ["Name", "Role", "State", "PIN"] + (["Change"] if may else [])
    parts.append(tag("p", "The people who may log in at this store's tills, after the tills' next pull."))
    parts.append(table(f"The people of {chosen}", heads, rows))
    if may:
        parts.append(tag("h2", f"Add someone to {chosen}"))
        parts.append(
            tag(
                "form",
                csrf_field(csrf),
                void("input", type="hidden", name="store", value=chosen),
                _field("Name (2-32 lower-case letters, digits, . _ -)", "username", required=True, maxlength="32",
                       autocomplete="off"),
                _choice("Role at the tills", "role", [(r, r) for r in STAFF_ROLES]),
                _field("Password (12 characters or more, letters and digits)", "password", type="password",
                       required=True, autocomplete="new-password"),
                _field("PIN (optional; not for an auditor)", "pin", type="password", inputmode="numeric",
                       autocomplete="off"),
                tag("button", "Add", type="submit"),
                method="post",
                action="/store-staff",
                class_="stack",
            )
        )  # fmt: skip
    return html_page(page("Store staff", join(parts), who=who, csrf=csrf, here="/store-staff"), status)


async def store_staff_page(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    return await _store_staff(request, who, csrf)


async def store_staff_add(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    form = form or {}
    store, username = form.get("store", "").strip(), form.get("username", "").strip()
    try:
        done = await run_in_threadpool(
            back_office_feed.add_person, request.app.state.office, who, store, username, form.get("role", ""),
            form.get("password", ""), form.get("pin") or None, origin(request),
        )  # fmt: skip
    except DomainError as exc:
        return await _store_staff(request, who, csrf, store, problem=exc.message, status=status_of(exc))
    notice = f"{username} may work at {store} after its tills' next pull; version {done.version}."
    return back("/store-staff?" + urlencode({"store": store}), notice)


async def store_staff_active(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    form = form or {}
    store, username = form.get("store", "").strip(), form.get("username", "").strip()
    try:
        if form.get("active") not in ("yes", "no"):
            raise Invalid("say whether the person is active (yes or no)", "invalid_active")
        active = form.get("active") == "yes"
        await run_in_threadpool(
            back_office_feed.set_active, request.app.state.office, who, store, username, active, origin(request)
        )
    except DomainError as exc:
        return await _store_staff(request, who, csrf, store, problem=exc.message, status=status_of(exc))
    notice = f"{username} is {'enabled' if active else 'disabled'} at {store}'s tills after their next pull."
    return back("/store-staff?" + urlencode({"store": store}), notice)


# -- a store's rules -------------------------------------------------------------------------

# How each rule is typed on the page: a flag, a whole number, an amount, or text (JSON for a map).
RULE_KINDS = {
    "loyalty_enabled": "flag",
    "loyalty_points_per_unit": "whole",
    "loyalty_point_value": "amount",
    "gift_card_expiry_days": "whole",
    "variable_measure_prefixes": "json",
    "variable_measure_layout": "text",
    "card_number_keep_minutes": "whole",
    "cash_rounding": "text",
    "locale": "text",
    "cash_requires_shift": "flag",
    "idempotency_keep_hours": "whole",
    "keyed_card_payments": "flag",
    "update_window": "text",
}
RULE_WORDS = {
    "loyalty_enabled": "Loyalty points are earned",
    "loyalty_points_per_unit": "Points earned per unit of currency spent",
    "loyalty_point_value": "What one point is worth",
    "gift_card_expiry_days": "Gift cards expire after (days; 0: never)",
    "variable_measure_prefixes": 'Weighed-item barcode prefixes (JSON: {"2": "price"})',
    "variable_measure_layout": "Weighed-item barcode layout (13 letters)",
    "card_number_keep_minutes": "Minutes a card number is kept",
    "cash_rounding": "Cash rounding",
    "locale": "Language of the tills (fr-CA)",
    "cash_requires_shift": "Cash needs an open shift",
    "idempotency_keep_hours": "Hours a repeated request is recognised",
    "keyed_card_payments": "Card numbers may be keyed in",
    "update_window": "When the tills may install an update (02:00-05:00, the store's time)",
}


def _typed(request: Request, name: str, value: Any) -> str:
    """A rule's value as the page shows it in its field."""
    kind = RULE_KINDS[name]
    if kind == "flag":
        return "yes" if value else "no"
    if kind == "amount":
        currency, locale = _money(request)
        return write_amount(int(value), currency, locale)
    if kind == "json":
        return json.dumps(value)
    return str(value)


def _read_rules(request: Request, form: dict[str, str]) -> dict[str, Any]:
    """The rules the office is to decide, from the form; a blank field is the store's own."""
    currency, locale = _money(request)
    wanted: dict[str, Any] = {}
    for name, kind in RULE_KINDS.items():
        text = form.get(name, "").strip()
        if not text:
            continue
        words = RULE_WORDS[name]
        if kind == "flag":
            if text not in ("yes", "no"):
                raise Invalid(f"{words}: yes, no, or the store's own", "invalid_rule")
            wanted[name] = text == "yes"
        elif kind == "whole":
            if not text.isdigit() or len(text) > 9:
                raise Invalid(f"{words}: a whole number, not {text!r}", "invalid_rule")
            wanted[name] = int(text)
        elif kind == "amount":
            try:
                wanted[name] = read_amount(text, currency, locale)
            except Invalid as exc:
                raise Invalid(f"{words}: {exc.message}", exc.code) from None
        elif kind == "json":
            try:
                wanted[name] = json.loads(text)
            except ValueError:
                raise Invalid(f'{words}: JSON such as {{"2": "price"}}, not {text!r}', "invalid_rule") from None
        else:
            wanted[name] = text
    return wanted


def _rule_field(request: Request, name: str, had: dict[str, Any], typed: dict[str, str] | None, may: bool) -> Html:
    value = typed.get(name, "") if typed is not None else (_typed(request, name, had[name]) if name in had else "")
    label = RULE_WORDS[name]
    if RULE_KINDS[name] == "amount":
        currency, locale = _money(request)
        label += f" (in {currency}, as you write it: {write_amount(5, currency, locale)})"
    if RULE_KINDS[name] == "flag":
        options = [("", "the store's own"), ("yes", "yes"), ("no", "no")]
        shown = [tag("option", text, value=v, selected=v == value) for v, text in options]
        return join([tag("label", label, for_=name), tag("select", *shown, id=name, name=name, disabled=not may)])
    return _field(label, name, value=value, maxlength="200", autocomplete="off", readonly=not may,
                  placeholder="the store's own")  # fmt: skip


async def _rules(
    request: Request, who: Person, csrf: str, store: str | None = None, *, typed: dict[str, str] | None = None,
    problem: str | None = None, status: int = 200,
) -> Response:  # fmt: skip
    opened = await _store_page(
        request, who, csrf, store, problem, status, "Store rules", "/rules", back_office_feed.rules
    )
    if isinstance(opened, Response):
        return opened
    chosen, parts, had = opened
    may = _changes_store(who, chosen)
    decided = [[RULE_WORDS[n], _typed(request, n, v)] for n, v in sorted(had.items()) if n in RULE_KINDS]
    parts.append(table(f"What the office decides for {chosen} (the rest is the store's own)", ["Rule", "Value"],
                       decided))  # fmt: skip
    fields = [_rule_field(request, name, had, typed, may) for name in store_rules.RULES if name in RULE_KINDS]
    if may:
        parts.append(tag("h2", f"Change the rules of {chosen}"))
        parts.append(tag("p", "A blank field, or the store's own, gives the rule back to the store.", class_="muted"))
        parts.append(
            tag(
                "form",
                csrf_field(csrf),
                void("input", type="hidden", name="store", value=chosen),
                *fields,
                tag("button", "Save the rules", type="submit"),
                method="post",
                action="/rules",
                class_="stack",
            )
        )
    return html_page(page("Store rules", join(parts), who=who, csrf=csrf, here="/rules"), status)


async def rules_page(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    return await _rules(request, who, csrf)


async def rules_change(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    form = form or {}
    store = form.get("store", "").strip()
    try:
        wanted = _read_rules(request, form)
        done = await run_in_threadpool(
            back_office_feed.change_rules, request.app.state.office, who, store, wanted, origin(request)
        )
    except DomainError as exc:
        typed = {k: form.get(k, "")[:200] for k in RULE_KINDS}
        return await _rules(request, who, csrf, store, typed=typed, problem=exc.message, status=status_of(exc))
    notice = "Nothing changed." if done is None else f"The rules of {store} are changed; version {done.version}."
    return back("/rules?" + urlencode({"store": store}), notice)


def routes() -> list[BaseRoute]:
    return [
        Route("/prices", signed_in(prices_page), methods=["GET"]),
        Route("/prices", signed_in(schedule_price), methods=["POST"]),
        Route("/prices/cancel", signed_in(cancel_price), methods=["POST"]),
        Route("/store-staff", signed_in(store_staff_page), methods=["GET"]),
        Route("/store-staff", signed_in(store_staff_add), methods=["POST"]),
        Route("/store-staff/active", signed_in(store_staff_active), methods=["POST"]),
        Route("/rules", signed_in(rules_page), methods=["GET"]),
        Route("/rules", signed_in(rules_change), methods=["POST"]),
    ]
