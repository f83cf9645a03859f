"""The chain's books as JSON, for the office's back office (docs/office.md, "The chain's books").

Not mounted here: the back office mounts `routes(office, person)` behind its own login, and
`person` tells who is asking (None: nobody logged in, 401). What each person may read is the
service's rule: a chain admin and an auditor every store, a store manager their own.

    GET /books/reports/{name}?from=YYYY-MM-DD&to=YYYY-MM-DD[&store=S][&lane=T][&timezone=Z]
    GET /books/day-check?store=S&day=YYYY-MM-DD
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from appliance.app.domain.errors import DomainError, Forbidden, Invalid, NotFound, Unauthenticated
from appliance.office.services import books
from appliance.office.services.books import Reader
from appliance.office.services.office import Office, Unavailable

Person = Callable[[Request], Reader | None]

_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Invalid, 422),
)


def _answer(exc: DomainError) -> JSONResponse:
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 422)
    return JSONResponse({"error": exc.code, "message": exc.message}, status_code=status)


def _json(found: dict[str, Any]) -> JSONResponse:
    # Times (a shift's opening) are datetimes from PostgreSQL: as ISO text.
    return JSONResponse(_plain(found))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def _param(request: Request, name: str, *, required: bool = False) -> str | None:
    value = request.query_params.get(name)
    if required and not value:
        raise Invalid(f"{name} is required", "missing_parameter")
    return value or None


def routes(office: Office, person: Person) -> list[Route]:
    def reader(request: Request) -> Reader:
        found = person(request)
        if found is None:
            raise Unauthenticated("log in to the office first", "not_logged_in")
        return found

    async def report(request: Request) -> Response:
        try:
            who = reader(request)
            name = str(request.path_params["name"])
            start = _param(request, "from", required=True) or ""
            found = await run_in_threadpool(
                books.report,
                office,
                who,
                name,
                store=_param(request, "store"),
                start=start,
                end=_param(request, "to") or start,
                lane=_param(request, "lane"),
                timezone=_param(request, "timezone"),
            )
        except DomainError as exc:
            return _answer(exc)
        except Unavailable as exc:
            return JSONResponse({"error": "office_unavailable", "message": str(exc)}, status_code=503)
        return _json(found)

    async def day_check(request: Request) -> Response:
        try:
            who = reader(request)
            store = _param(request, "store", required=True) or ""
            day = _param(request, "day", required=True) or ""
            found = await run_in_threadpool(books.day_check, office, store, day, who)
        except DomainError as exc:
            return _answer(exc)
        except Unavailable as exc:
            return JSONResponse({"error": "office_unavailable", "message": str(exc)}, status_code=503)
        return _json(found)

    return [
        Route("/books/reports/{name}", report, methods=["GET"]),
        Route("/books/day-check", day_check, methods=["GET"]),
    ]
