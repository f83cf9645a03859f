"""The back office: the office's people at a browser, on a port of its own (docs/office.md,
"The back office"). Pages are made on the server (back_office_pages.py); every form posts
with the session's CSRF token (back_office_http.py); each change is checked against the
person's role in the services, not only hidden from their pages.
"""

from __future__ import annotations

import importlib.resources
import secrets

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from appliance.app.domain.errors import DomainError, Locked, Unauthenticated
from appliance.office.services import sign_in
from appliance.office.services.office import Office, Unavailable
from appliance.office.services.sign_in import Person
from appliance.office.web import back_office_feed as feed
from appliance.office.web import back_office_offers as offers
from appliance.office.web import back_office_pages as pages
from appliance.office.web import back_office_reports as reports
from appliance.office.web import books
from appliance.office.web.back_office_http import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    BadForm,
    SecurityHeaders,
    back,
    html_page,
    origin,
    problem_page,
    read_form,
    signed_in,
    status_of,
)
from appliance.office.web.html import Html, csrf_field, join, message, page, tag, void

__all__ = ["LOGIN_COOKIE", "SESSION_COOKIE", "back_office_app"]

# -- login, logout, password ------------------------------------------------------------------


def _login_page(login_csrf: str, *, problem: str | None = None, username: str = "", next_path: str = "/lanes") -> Html:
    form = tag(
        "form",
        csrf_field(login_csrf),
        void("input", type="hidden", name="next", value=next_path),
        tag("label", "Name", for_="username"),
        void("input", id="username", name="username", autocomplete="username", required=True, value=username),
        tag("label", "Password", for_="password"),
        void("input", id="password", name="password", type="password", autocomplete="current-password", required=True),
        tag("button", "Log in", type="submit"),
        method="post",
        action="/login",
        class_="stack login",
    )
    return page("Log in", join([message(problem=problem), form]))


def _safe_next(path: str | None) -> str:
    # Only a path of this site: never a redirect to somewhere else after the login.
    return path if path and path.startswith("/") and not path.startswith("//") and "\\" not in path else "/lanes"


async def login_form(request: Request) -> Response:
    login_csrf = secrets.token_urlsafe(24)
    response = html_page(_login_page(login_csrf, next_path=_safe_next(request.query_params.get("next"))))
    response.set_cookie(LOGIN_COOKIE, login_csrf, max_age=3600, path="/", secure=True, httponly=True, samesite="strict")
    return response


async def login(request: Request) -> Response:
    office: Office = request.app.state.office
    try:
        form = await read_form(request)
    except BadForm as exc:
        return problem_page("Refused", str(exc), exc.status)
    cookie = request.cookies.get(LOGIN_COOKIE)
    login_csrf = cookie or secrets.token_urlsafe(24)
    next_path = _safe_next(form.get("next"))
    if not cookie or not secrets.compare_digest(cookie, form.get("csrf", "")):
        page_ = _login_page(
            login_csrf, problem="this form is not from this browser (CSRF): try again", next_path=next_path
        )
        response = html_page(page_, 403)
        response.set_cookie(
            LOGIN_COOKIE, login_csrf, max_age=3600, path="/", secure=True, httponly=True, samesite="strict"
        )
        return response
    username = form.get("username", "")
    try:
        done = await run_in_threadpool(sign_in.login, office, username, form.get("password", ""), origin(request))
    except (Unauthenticated, Locked) as exc:
        return html_page(
            _login_page(login_csrf, problem=exc.message, username=username[:64], next_path=next_path), status_of(exc)
        )
    signed = RedirectResponse("/password" if done.person.must_change else next_path, status_code=303)
    signed.set_cookie(SESSION_COOKIE, done.token, path="/", secure=True, httponly=True, samesite="strict")
    signed.delete_cookie(LOGIN_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return signed


async def logout(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    await run_in_threadpool(sign_in.logout, request.app.state.office, who, origin(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


def _password_page(who: Person, csrf: str, problem: str | None = None, status: int = 200) -> HTMLResponse:
    why = "Your password was given to you: choose your own before going on." if who.must_change else None
    form = tag(
        "form",
        csrf_field(csrf),
        tag("label", "Current password", for_="current"),
        void("input", id="current", name="current", type="password", autocomplete="current-password", required=True),
        tag("label", "New password (12 characters or more, letters and digits)", for_="new"),
        void("input", id="new", name="new", type="password", autocomplete="new-password", required=True),
        tag("button", "Change my password", type="submit"),
        method="post",
        action="/password",
        class_="stack",
    )
    return html_page(page("My password", join([message(why, problem), form]), who=who, csrf=csrf), status)


async def password(request: Request, who: Person, csrf: str, form: dict[str, str] | None) -> Response:
    if form is None:
        return _password_page(who, csrf)
    try:
        await run_in_threadpool(
            sign_in.change_password, request.app.state.office, who, form.get("current", ""), form.get("new", ""),
            origin(request),
        )  # fmt: skip
    except DomainError as exc:
        return _password_page(who, csrf, exc.message, status_of(exc))
    return back("/lanes", "Your password is changed.")


async def home(request: Request) -> Response:
    return RedirectResponse("/lanes", status_code=303)


async def _unavailable(request: Request, exc: Exception) -> Response:
    return html_page(page("Office unavailable", message(problem=str(exc))), 503, {"Retry-After": "30"})


def routes() -> list[BaseRoute]:
    static = importlib.resources.files("appliance.office.web") / "static"
    return [
        Route("/", home),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", signed_in(logout, allow_must_change=True), methods=["POST"]),
        Route("/password", signed_in(password, allow_must_change=True), methods=["GET", "POST"]),
        Route("/lanes", signed_in(pages.lanes_page)),
        Route("/alarms", signed_in(pages.alarms_page)),
        Route("/alarms/{alarm}/close", signed_in(pages.close_alarm), methods=["POST"]),
        Route("/catalogue", signed_in(pages.catalogue_page)),
        Route("/catalogue/import", signed_in(pages.catalogue_import), methods=["POST"]),
        Route("/catalogue/upload", signed_in(pages.catalogue_upload, upload=True), methods=["POST"]),
        Route("/catalogue/withdraw", signed_in(pages.catalogue_withdraw), methods=["POST"]),
        Route("/staff", signed_in(pages.staff_page), methods=["GET"]),
        Route("/staff", signed_in(pages.staff_add), methods=["POST"]),
        Route("/staff/{username}/disable", signed_in(pages.staff_disable), methods=["POST"]),
        *feed.routes(),
        *offers.routes(),
        Route("/reports", signed_in(reports.reports_page)),
        Route("/configuration", signed_in(pages.configuration_page)),
        Route("/reports/day-check", signed_in(reports.day_check_page)),
        Mount("/static", app=StaticFiles(directory=str(static)), name="static"),
    ]


def back_office_app(office: Office, *, locale: str = "en", currency: str = "EUR") -> Starlette:
    """`locale` and `currency`: how the office's people type and read amounts (12,50 EUR in fr)."""
    app = Starlette(
        routes=routes(),
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={Unavailable: _unavailable},
    )
    # The books' JSON behind the same session (reads only: no CSRF); nobody before their own password.
    app.router.routes += books.routes(office, reports.reader_on)
    app.state.office = office
    app.state.locale, app.state.currency = locale, currency.strip().upper()
    return app
