"""The back office's pages: stores and lanes, alarms, the catalogue, staff, reports. Each
change is checked against the person's role by the service it calls (a 403 whatever the
page showed)."""

from __future__ import annotations

from typing import Any

import yaml
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from appliance.app.domain.errors import DomainError, Forbidden, Invalid
from appliance.office.services import back_office, catalogue, configuration, staff
from appliance.office.services.office import Office
from appliance.office.services.sign_in import Person
from appliance.office.web.back_office_http import (
    MAX_FORM,
    back,
    done_notice,
    html_page,
    origin,
    problem_page,
    status_of,
)
from appliance.office.web.html import Html, csrf_field, join, message, page, table, tag, void, when


def _lanes_body(found: list[dict[str, Any]]) -> Html:
    if not found:
        return tag("p", "No store yet: a store appears with its first enrolment token (comptoir office enrol-token).")
    parts: list[Html] = [
        table(
            "Stores, the largest backlog first",
            ["Store", "Lanes", "Backlog (events)", "Open alarms"],
            [[s["store"], len(s["lanes"]), s["backlog"], s["open_alarms"]] for s in found],
            numeric=(1, 2, 3),
        )
    ]
    for s in found:
        rows = [
            [
                lane["till"],
                when(lane["last_contact"]),
                when(lane["last_push"]),
                lane["acked_seq"],
                lane["backlog"],
                tag("a", lane["open_alarms"], href="/alarms") if int(str(lane["open_alarms"])) else "0",
                when(lane["cert_not_after"]),
            ]
            for lane in s["lanes"]
        ]
        parts.append(tag("h2", f"Store {s['store']}"))
        parts.append(
            table(
                f"Lanes of {s['store']}, the largest backlog first",
                [
                    "Till",
                    "Last contact",
                    "Last events sent",
                    "Events held (no gap)",
                    "Backlog",
                    "Open alarms",
                    "Certificate until",
                ],
                rows,
                numeric=(3, 4, 5),
            )
        )
    return join(parts)


async def lanes_page(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    found = await run_in_threadpool(back_office.stores_and_lanes, request.app.state.office, who)
    body = join([message(done_notice(request)), _lanes_body(found)])
    return html_page(page("Stores and lanes", body, who=who, csrf=csrf, here="/lanes"))


def _alarms_body(who: Person, csrf: str, rows: list[dict[str, Any]], show_all: bool) -> Html:
    switch = (
        tag("a", "Open alarms only", href="/alarms")
        if show_all
        else tag("a", "Closed alarms too", href="/alarms?all=1")
    )
    shown = []
    for row in rows:
        if row["resolved_at"] is not None:
            state: object = f"closed {when(row['resolved_at'])}" + (
                f" by {row['resolved_by']}: {row['resolution']}" if row["resolved_by"] else " (by the office)"
            )
        elif who.changes_the_chain:
            state = tag(
                "form",
                csrf_field(csrf),
                tag("label", f"Why close alarm {row['id']}", for_=f"reason-{row['id']}", class_="muted"),
                " ",
                void("input", id=f"reason-{row['id']}", name="reason", required=True, minlength="3", maxlength="500"),
                " ",
                tag("button", "Close", type="submit"),
                method="post",
                action=f"/alarms/{row['id']}/close",
            )
        else:
            state = "open"
        details = ", ".join(f"{k}: {v}" for k, v in (row["details"] or {}).items() if k != "body")
        shown.append(
            [
                row["id"],
                when(row["raised_at"]),
                f"{row['store']}/{row['till']}",
                row["kind"],
                row["seq"],
                details,
                state,
            ]
        )
    heads = ["#", "Raised", "Lane", "Kind", "Event", "What was seen", "State"]
    return join([tag("p", switch), table("Alarms, the newest first", heads, shown, numeric=(0, 4))])


async def alarms_page(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    show_all = request.query_params.get("all") == "1"
    rows = await run_in_threadpool(back_office.alarms, request.app.state.office, who, open_only=not show_all)
    body = join([message(done_notice(request)), _alarms_body(who, csrf, rows, show_all)])
    return html_page(page("Alarms", body, who=who, csrf=csrf, here="/alarms"))


async def close_alarm(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    office: Office = request.app.state.office
    try:
        alarm_id = int(request.path_params["alarm"])
        await run_in_threadpool(
            back_office.close_alarm, office, who, alarm_id, (form or {}).get("reason", ""), origin(request)
        )
    except ValueError:
        return problem_page("Alarms", "an alarm is named by its number", 404, who, csrf)
    except DomainError as exc:
        rows = await run_in_threadpool(back_office.alarms, office, who)
        body = join([message(problem=exc.message), _alarms_body(who, csrf, rows, False)])
        return html_page(page("Alarms", body, who=who, csrf=csrf, here="/alarms"), status_of(exc))
    return back("/alarms", f"Alarm {alarm_id} closed.")


def _price(value: object) -> str:
    # The office keeps prices in minor units (the chain's currency has two decimals today).
    amount = int(str(value)) if value is not None else 0
    return f"{amount // 100}.{amount % 100:02d}" if amount >= 0 else f"-{(-amount) // 100}.{(-amount) % 100:02d}"


def _catalogue_body(who: Person, csrf: str, text: str, rows: list[dict[str, Any]], status: dict[str, Any]) -> Html:
    counts = status["counts"]
    parts: list[Html] = [
        tag(
            "p",
            f"Version {status['version']}: {counts.get('product', 0)} products on sale,"
            f" {counts.get('category', 0)} categories, {counts.get('tax_class', 0)} tax classes.",
        ),
        tag(
            "form",
            tag("label", "Find a product (SKU, name or barcode)", for_="q"),
            void("input", id="q", name="q", type="search", value=text),
            tag("button", "Find", type="submit"),
            method="get",
            action="/catalogue",
            role="search",
            class_="stack",
        ),
    ]
    shown = []
    for row in rows:
        body = row["body"] or {}
        cells: list[object] = [
            row["sku"],
            body.get("name", ""),
            _price(body.get("price")),
            body.get("tax_class", ""),
            body.get("category") or "",
            " ".join(body.get("barcodes") or ()),
            "withdrawn" if row["removed"] else "on sale",
        ]
        if who.changes_the_chain:
            cells.append(
                ""
                if row["removed"]
                else tag(
                    "form",
                    csrf_field(csrf),
                    void("input", type="hidden", name="sku", value=row["sku"]),
                    tag("button", "Withdraw", type="submit", aria_label=f"Withdraw {row['sku']}"),
                    method="post",
                    action="/catalogue/withdraw",
                )
            )
        shown.append(cells)
    heads = ["SKU", "Name", "Price", "Tax class", "Category", "Barcodes", "State"] + (
        ["Take off sale"] if who.changes_the_chain else []
    )
    parts.append(table("Products, by SKU (at most 200 shown)", heads, shown, numeric=(2,)))
    if who.changes_the_chain:
        columns = ",".join(catalogue.CSV_COLUMNS)
        parts.append(tag("h2", "Import a CSV file"))
        parts.append(
            tag(
                "form",
                csrf_field(csrf),
                tag("label", f"The file's text (columns: {columns}; prices in major units, 3.99)", for_="csv"),
                tag("textarea", id="csv", name="csv", required=True, spellcheck="false"),
                tag("label", "Currency of the prices", for_="currency"),
                void("input", id="currency", name="currency", value="EUR", maxlength="3", size="4"),
                tag("button", "Import", type="submit"),
                method="post",
                action="/catalogue/import",
                class_="stack",
            )
        )
        parts.append(tag("h2", "Or send the file"))
        parts.append(
            tag(
                "form",
                csrf_field(csrf),
                tag("label", f"A CSV file in UTF-8, at most {MAX_FORM // (1024 * 1024)} MiB", for_="file"),
                void("input", id="file", name="file", type="file", accept=".csv,text/csv", required=True),
                tag("label", "Currency of the prices", for_="file-currency"),
                void("input", id="file-currency", name="currency", value="EUR", maxlength="3", size="4"),
                tag("button", "Send and import", type="submit"),
                method="post",
                action="/catalogue/upload",
                enctype="multipart/form-data",
                class_="stack",
            )
        )
    return join(parts)


async def _catalogue(
    request: Request,
    who: Person,
    csrf: str,
    *,
    notice: str | None = None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    office: Office = request.app.state.office
    text = request.query_params.get("q", "")[:64]
    rows = await run_in_threadpool(back_office.products, office, text)
    counts = await run_in_threadpool(catalogue.status, office)
    body = join([message(notice or done_notice(request), problem), _catalogue_body(who, csrf, text, rows, counts)])
    return html_page(page("Catalogue and prices", body, who=who, csrf=csrf, here="/catalogue"), status)


async def catalogue_page(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    return await _catalogue(request, who, csrf)


def _chain_admin_only(who: Person, what: str) -> None:
    if not who.changes_the_chain:
        raise Forbidden(f"only a chain admin {what}", "forbidden")


async def catalogue_import(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    form = form or {}
    return await _import(request, who, csrf, form.get("csv", ""), form.get("currency", "EUR"))


async def catalogue_upload(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    """The same import, from a file sent with the form (multipart/form-data)."""
    form = form or {}
    if "file.filename" not in form:
        return await _catalogue(request, who, csrf, problem="choose the CSV file to send", status=422)
    if not form.get("file", "").strip():
        name = form["file.filename"][:80]
        return await _catalogue(request, who, csrf, problem=f"the file {name} is empty", status=422)
    return await _import(request, who, csrf, form["file"], form.get("currency", "EUR"))


async def _import(request: Request, who: Person, csrf: str, text: str, currency: str) -> Response:
    try:
        _chain_admin_only(who, "changes the catalogue")
        done = await run_in_threadpool(
            lambda: catalogue.import_csv(
                request.app.state.office, text.lstrip("\ufeff"), actor=who.actor,
                currency=currency.strip().upper() or "EUR", origin=origin(request),
            )
        )  # fmt: skip
    except DomainError as exc:
        errors = exc.details.get("errors")
        listed = [str(x) for x in errors[:20]] if isinstance(errors, list) else []
        reason = "nothing imported: " + "; ".join(listed) if listed else exc.message
        return await _catalogue(request, who, csrf, problem=reason, status=status_of(exc))
    return back("/catalogue", f"{done.changed} changed, {done.unchanged} as they were; version {done.version}.")


async def catalogue_withdraw(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    sku = (form or {}).get("sku", "").strip()
    try:
        _chain_admin_only(who, "changes the catalogue")
        if not sku:
            raise Invalid("name the product to withdraw", "sku_needed")
        done = await run_in_threadpool(
            lambda: catalogue.withdraw(request.app.state.office, [sku], actor=who.actor, origin=origin(request))
        )
    except DomainError as exc:
        return await _catalogue(request, who, csrf, problem=exc.message, status=status_of(exc))
    return back("/catalogue", f"{sku} withdrawn from sale in every store; version {done.version}.")


def _staff_body(who: Person, csrf: str, rows: list[dict[str, Any]], stores: list[str]) -> Html:
    shown = []
    for row in rows:
        state = "disabled " + when(row["disabled_at"]) if row["disabled_at"] else "active"
        if row["locked_until"] is not None:
            state += f" (locked until {when(row['locked_until'])})"
        cells: list[object] = [
            row["username"],
            row["role"],
            row["store"] or "the chain",
            state,
            when(row["created_at"]),
        ]
        if who.changes_the_chain:
            can = row["disabled_at"] is None and row["username"] != who.username
            cells.append(
                tag(
                    "form",
                    csrf_field(csrf),
                    tag("button", "Disable", type="submit", aria_label=f"Disable {row['username']}"),
                    method="post",
                    action=f"/staff/{row['username']}/disable",
                )
                if can
                else ""
            )
        shown.append(cells)
    heads = ["Name", "Role", "Store", "State", "Added"] + (["Disable"] if who.changes_the_chain else [])
    caption = f"The people of store {who.store}" if who.scope else "The office's people"
    parts = [table(caption, heads, shown)]
    if who.changes_the_chain:
        parts.append(tag("h2", "Add someone"))
        parts.append(
            tag(
                "form",
                csrf_field(csrf),
                tag("label", "Name", for_="new-username"),
                void("input", id="new-username", name="username", required=True, maxlength="64", autocomplete="off"),
                tag("label", "Role", for_="role"),
                tag(
                    "select",
                    *(tag("option", r, value=r) for r in ("store_manager", "auditor", "chain_admin")),
                    id="role",
                    name="role",
                ),
                tag("label", "Store (a store manager's only)", for_="store"),
                tag(
                    "select",
                    tag("option", "none", value=""),
                    *(tag("option", s, value=s) for s in stores),
                    id="store",
                    name="store",
                ),
                tag("button", "Add", type="submit"),
                method="post",
                action="/staff",
                class_="stack",
            )
        )
    return join(parts)


async def _staff(request: Request, who: Person, csrf: str, top: Html | None = None, status: int = 200) -> Response:
    office: Office = request.app.state.office
    rows = await run_in_threadpool(staff.listing, office, who)
    stores = await run_in_threadpool(staff.store_names, office)
    body = join([top or message(done_notice(request)), _staff_body(who, csrf, rows, stores)])
    return html_page(page("Staff", body, who=who, csrf=csrf, here="/staff"), status)


async def staff_page(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    return await _staff(request, who, csrf)


async def staff_add(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    form = form or {}
    try:
        added = await run_in_threadpool(
            staff.add, request.app.state.office, who, form.get("username", ""), form.get("role", ""),
            form.get("store") or None, origin(request),
        )  # fmt: skip
    except DomainError as exc:
        return await _staff(request, who, csrf, message(problem=exc.message), status_of(exc))
    shown = tag(
        "div",
        tag("p", f"{added.username} is added. Their one-time password, shown this once:"),
        tag("p", added.one_time_password, class_="secret"),
        tag("p", "They choose their own at their first login."),
        class_="notice",
        role="status",
    )
    return await _staff(request, who, csrf, shown)


async def staff_disable(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    username = str(request.path_params["username"])
    try:
        await run_in_threadpool(staff.disable, request.app.state.office, who, username, origin(request))
    except DomainError as exc:
        return await _staff(request, who, csrf, message(problem=exc.message), status_of(exc))
    return back("/staff", f"{username} is disabled; their sessions are over.")


def _configuration_body(rows: list[dict[str, Any]]) -> Html:
    if not rows:
        return tag("p", "No store has configuration variables yet (comptoir office config set).")
    parts = [
        tag("p", "What the boxes pull, read-only here: set with comptoir office config set --store S --file vars.yml.")
    ]
    for row in rows:
        whose = f"{row['store']}/{row['till']}" if row["till"] else f"Store {row['store']}"
        parts.append(tag("h2", whose))
        parts.append(tag("p", f"Set {when(row['set_at'])} by {row['set_by']}", class_="muted"))
        parts.append(tag("pre", yaml.safe_dump(dict(row["vars"]), sort_keys=True)))
    return join(parts)


async def configuration_page(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    rows = await run_in_threadpool(configuration.listing, request.app.state.office, who.scope)
    body = _configuration_body(rows)
    return html_page(page("Configuration", body, who=who, csrf=csrf, here="/configuration"))
