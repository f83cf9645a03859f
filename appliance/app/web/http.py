"""What every route needs: reading a JSON body safely, the caller's session, errors as JSON."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from jsonschema import Draft202012Validator
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from appliance.app.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Locked,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from appliance.app.services import auth
from appliance.app.services.shop import Actor, Shop

log = logging.getLogger("comptoir.web")

SESSION_COOKIE = "comptoir_session"
CSRF_HEADER = "x-csrf-token"
MAX_JSON = 64 * 1024
MAX_UPLOAD = 8 * 1024 * 1024
T = TypeVar("T")

STATUS = [
    (Unauthenticated, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Locked, 423),
    (TooManyAttempts, 429),
    (DomainError, 422),
]


class BadRequest(Exception):
    """Malformed: not JSON, wrong shape, unknown fields, wrong types. HTTP 400."""

    def __init__(self, message: str, code: str = "bad_request") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def error(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    details: dict[str, object] | None = None,
) -> JSONResponse:
    body: dict[str, object] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def domain_error(exc: DomainError) -> JSONResponse:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            return error(status, exc.code, exc.message, headers, exc.details)
    return error(422, exc.code, exc.message)  # pragma: no cover - DomainError is last above


def shop_of(request: Request) -> Shop:
    shop: Shop = request.app.state.shop
    return shop


def origin_of(request: Request) -> str:
    return request.client.host if request.client else "unix-socket"


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BadRequest(f"the body is larger than {limit} bytes", "body_too_large")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BadRequest(f"the body is larger than {limit} bytes", "body_too_large")
    return body


def _describe(err: Any) -> str:
    # Our own words, never the offending value: a body may carry a card number.
    where = "/".join(str(p) for p in err.absolute_path) or "body"
    validator = err.validator
    if validator == "required":
        missing = [m for m in err.validator_value if m not in (err.instance or {})]
        return f"{where}: missing field {', '.join(missing)}"
    if validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        return f"{where}: unknown field(s); allowed: {', '.join(allowed)}"
    if validator == "type":
        return f"{where}: must be {err.validator_value}"
    if validator in ("minLength", "maxLength", "pattern", "format"):
        return f"{where}: wrong length or format"
    if validator in ("minimum", "maximum"):
        return f"{where}: out of range"
    if validator == "enum":
        return f"{where}: must be one of {', '.join(map(str, err.validator_value))}"
    return f"{where}: invalid ({validator})"


_validators: dict[int, Draft202012Validator] = {}


async def json_body(request: Request, schema: dict[str, Any]) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip() not in ("application/json", ""):
        raise BadRequest("send the body as application/json", "unsupported_media_type")
    raw = await read_body(request, MAX_JSON)
    try:
        data = json.loads(raw or b"null", parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise BadRequest("the body is not valid JSON", "malformed_json") from None
    validator = _validators.get(id(schema))
    if validator is None:
        validator = _validators[id(schema)] = Draft202012Validator(schema)
    problem = next(iter(sorted(validator.iter_errors(data), key=lambda e: e.path)), None)
    if problem is not None:
        raise BadRequest(_describe(problem), "invalid_request")
    return data  # type: ignore[no-any-return]


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Services block (SQLite, Argon2): run them off the event loop."""
    return await run_in_threadpool(fn, *args, **kwargs)


def _token(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("use 'Authorization: Bearer TOKEN'", "bad_authorization")
        return value.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE)
    return cookie, True


async def actor(request: Request) -> Actor:
    """The signed-in person; with a cookie session, unsafe methods must carry the CSRF token."""
    token, from_cookie = _token(request)
    if not token:
        raise Unauthenticated("log in first", "no_session")
    shop = shop_of(request)
    who = await call(auth.authenticate, shop, token, origin_of(request))
    if from_cookie and request.method not in ("GET", "HEAD", "OPTIONS"):
        await call(auth.check_csrf, shop, who, request.headers.get(CSRF_HEADER))
    return who


async def handle_errors(request: Request, exc: Exception) -> Response:
    if isinstance(exc, DomainError):
        return domain_error(exc)
    if isinstance(exc, BadRequest):
        status = 413 if exc.code == "body_too_large" else 415 if exc.code == "unsupported_media_type" else 400
        return error(status, exc.code, exc.message)
    if isinstance(exc, HTTPException):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error(exc.status_code, code, str(exc.detail))
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error(500, "internal_error", "something went wrong on our side; it was logged")


def int_param(value: str, name: str) -> int:
    if not value.isdigit() or len(value) > 12:
        raise BadRequest(f"{name} must be a positive whole number", "invalid_request")
    return int(value)
