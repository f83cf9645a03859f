"""What every page of the back office shares: its security headers, reading a form, and the
gate each page is behind (a live session; on a POST, the session's CSRF token)."""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qs, quote, unquote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from appliance.app.domain.errors import Conflict, DomainError, Forbidden, Invalid, Locked, NotFound, Unauthenticated
from appliance.office.services import sign_in
from appliance.office.services.office import Office
from appliance.office.services.sign_in import Person
from appliance.office.web.html import message, page
from appliance.security import web_headers

SESSION_COOKIE = "__Host-comptoir_office"  # __Host-: Secure, Path=/, no Domain, or the browser drops it
NOTICE_COOKIE = "__Host-comptoir_office_notice"  # what the last change did, shown once
LOGIN_COOKIE = "__Host-comptoir_office_login"  # the login form's CSRF token, before any session
MAX_FORM = 8 * 1024 * 1024  # a catalogue file pasted in the import form
# The till's headers (security/web_headers.py), and HTTPS only: the back office is never plain HTTP.
HEADERS = [*web_headers.HEADERS, (b"strict-transport-security", b"max-age=31536000")]
_STATUS = {Invalid: 422, Conflict: 409, NotFound: 404, Forbidden: 403, Unauthenticated: 401, Locked: 423}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Pages hold what only their person may read: never kept by a browser or a proxy.
        cache = b"no-cache" if scope["path"].startswith("/static/") else b"no-store"

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS, (b"cache-control", cache)]
            await send(message)

        await self.app(scope, receive, wrapped)


def origin(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def status_of(exc: DomainError) -> int:
    return next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 422)


class BadForm(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


async def _body(request: Request) -> bytes:
    too_big = BadForm(413, f"the form must be at most {MAX_FORM // (1024 * 1024)} MiB")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FORM:
        raise too_big
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            raise too_big
    return body


async def read_form(request: Request) -> dict[str, str]:
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise BadForm(415, "send the page's form (application/x-www-form-urlencoded)")
    body = await _body(request)
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise BadForm(400, "the form is not readable") from None
    return {k: v[0] for k, v in parsed.items()}


async def read_upload(request: Request) -> dict[str, str]:
    """A form with a file (multipart/form-data), each field as text: a file's text under its
    field's name, its name under NAME.filename. The standard library's MIME parser reads it
    (the office's one upload is a catalogue's CSV file, MAX_FORM at most)."""
    kind = request.headers.get("content-type", "")
    if not kind.startswith("multipart/form-data") or "boundary=" not in kind:
        raise BadForm(415, "send the page's form with its file (multipart/form-data)")
    body = await _body(request)
    try:
        head = b"Content-Type: " + kind.encode("latin-1") + b"\r\n\r\n"
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    except (UnicodeError, ValueError):
        raise BadForm(400, "the form is not readable") from None
    if not parsed.is_multipart() or parsed.defects:
        raise BadForm(400, "the form is not readable (a broken multipart body)")
    fields: dict[str, str] = {}
    for part in parsed.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or len(fields) >= 200:
            raise BadForm(400, "the form is not readable (a part without its name)")
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        try:
            fields[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            what = f"the file {filename}" if filename else f"the field {name}"
            raise BadForm(400, f"{what} is not text in UTF-8 (save it as CSV UTF-8)") from None
        if filename is not None:
            fields[f"{name}.filename"] = filename
    return fields


Handler = Callable[[Request, Person, str, dict[str, str] | None], Awaitable[Response]]


def signed_in(
    handler: Handler, *, allow_must_change: bool = False, upload: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """The page for a live session only; a POST must carry the session's CSRF token (in a
    form with a file when `upload`)."""

    async def endpoint(request: Request) -> Response:
        office: Office = request.app.state.office
        token = request.cookies.get(SESSION_COOKIE)
        who = await run_in_threadpool(sign_in.person, office, token)
        if who is None or token is None:
            if request.method == "POST":
                return problem_page("Signed out", "your session is over: log in again", 401)
            return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=303)
        csrf = sign_in.csrf_token(token)
        form: dict[str, str] | None = None
        if request.method == "POST":
            try:
                form = await (read_upload(request) if upload else read_form(request))
            except BadForm as exc:
                return problem_page("Refused", str(exc), exc.status, who, csrf)
            if not sign_in.csrf_ok(token, form.get("csrf")):
                return problem_page(
                    "Refused", "this form is not from this session (CSRF): open the page again", 403, who, csrf
                )
        if who.must_change and not allow_must_change:
            return RedirectResponse("/password", status_code=303)
        response = await handler(request, who, csrf, form)
        if request.method == "GET" and NOTICE_COOKIE in request.cookies:
            response.delete_cookie(NOTICE_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
        return response

    return endpoint


def html_page(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(body, status_code=status, headers=headers)


def problem_page(title: str, reason: str, status: int, who: Person | None = None, csrf: str = "") -> HTMLResponse:
    return html_page(page(title, message(problem=reason), who=who, csrf=csrf), status)


def back(path: str, notice: str) -> RedirectResponse:
    """After a change, to the page that shows it, with a word of what was done. The word goes
    in a cookie the next page shows once, not in the address: a link made elsewhere cannot put
    its own words on the office's pages."""
    response = RedirectResponse(path, status_code=303)
    response.set_cookie(
        NOTICE_COOKIE, quote(notice[:200]), max_age=60, path="/", secure=True, httponly=True, samesite="strict"
    )
    return response


def done_notice(request: Request) -> str | None:
    return unquote(request.cookies.get(NOTICE_COOKIE, ""))[:200] or None


def person_of(request: Request) -> Person | None:
    """Who is signed in on this request, for routes mounted beside the pages that read only
    (the reports' JSON, web/books.py): None without a live session, or before the person has
    chosen their own password. One query, on the caller's thread."""
    who = sign_in.person(request.app.state.office, request.cookies.get(SESSION_COOKIE))
    return None if who is None or who.must_change else who
