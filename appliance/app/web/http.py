"""What every route needs: reading a JSON body safely, the caller's session, errors as JSON."""

from __future__ import annotations

import copy
import functools
import json
import logging
import re
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from jsonschema import Draft202012Validator, validators
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from appliance.app.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    Invalid,
    Locked,
    NotFound,
    TooManyAttempts,
    Unauthenticated,
)
from appliance.app.services import auth
from appliance.app.services.shop import Actor, Shop
from appliance.app.web.endpoint import INT_QUERY, MAX_PATH_TEXT, MAX_QUERY_TEXT, Endpoint, is_int_path
from appliance.app.web.workers import WORKERS
from appliance.security.rbac import Permission, require

log = logging.getLogger("comptoir.web")

SESSION_COOKIE = "comptoir_session"
CSRF_HEADER = "x-csrf-token"
MAX_JSON = 64 * 1024
MAX_UPLOAD = 8 * 1024 * 1024
# What the store's SQLite can hold: an integer beyond signed 64 bits never reaches it.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# A string in a body with no bound of its own is refused past this many characters.
MAX_TEXT = 2000
_ASCII_INT = re.compile(r"[0-9]{1,19}")
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
    if declared is not None and (ascii_int(declared) is None or int(declared) > limit):
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


def bounded(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema as it is enforced and published: every integer within signed 64 bits and
    every string with a maximum length, unless the schema gives tighter bounds of its own."""
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
            return
        if not isinstance(node, dict):
            return
        kinds = node.get("type")
        kinds = [kinds] if isinstance(kinds, str) else kinds or []
        if "integer" in kinds:
            node.setdefault("minimum", INT64_MIN)
            node.setdefault("maximum", INT64_MAX)
        if "string" in kinds and "enum" not in node:
            node.setdefault("maxLength", MAX_TEXT)
        for key, value in node.items():
            if key in ("properties", "patternProperties"):
                for sub in value.values():
                    walk(sub)
            elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf", "not", "prefixItems"):
                walk(value)

    walk(out)
    return out


def _whole_number(checker: Any, instance: Any) -> bool:
    # JSON Schema counts 100.0 as an integer; money and ids here are written without a point.
    return isinstance(instance, int) and not isinstance(instance, bool)


_Strict = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _whole_number),
)
_validators: dict[int, tuple[dict[str, Any], Any, Callable[[Any], bool]]] = {}


def validator_for(schema: dict[str, Any]) -> Any:
    return _known(schema)[1]


def _known(schema: dict[str, Any]) -> tuple[dict[str, Any], Any, Callable[[Any], bool]]:
    known = _validators.get(id(schema))
    if known is None or known[0] is not schema:
        enforced = bounded(schema)
        known = _validators[id(schema)] = (schema, _Strict(enforced), plainly_valid(enforced))
    return known


_FIELD_WORDS = frozenset({"type", "description", "minimum", "maximum", "minLength", "maxLength", "pattern", "enum"})
_OBJECT_WORDS = frozenset({"type", "description", "properties", "required", "additionalProperties"})


def _field_test(node: Any) -> Callable[[Any], bool] | None:
    """A test that holds only for a value `node` accepts; None for a field it cannot judge."""
    if not isinstance(node, dict) or not node.keys() <= _FIELD_WORDS:
        return None
    kind, enum = node.get("type"), node.get("enum")
    if kind == "integer" and enum is None:
        low, high = node.get("minimum", INT64_MIN), node.get("maximum", INT64_MAX)
        return lambda v: type(v) is int and low <= v <= high
    if kind == "string" and (enum is None or all(isinstance(e, str) for e in enum)):
        shortest, longest = node.get("minLength", 0), node.get("maxLength", MAX_TEXT)
        pattern = re.compile(node["pattern"]) if "pattern" in node else None
        allowed = frozenset(enum) if enum is not None else None
        return lambda v: (
            type(v) is str
            and shortest <= len(v) <= longest
            and (allowed is None or v in allowed)
            and (pattern is None or pattern.search(v) is not None)
        )
    return None


def plainly_valid(schema: dict[str, Any]) -> Callable[[Any], bool]:
    """For a flat object schema (string and integer fields, no others allowed): a quick test
    that holds only for a body the validator accepts, so that the sale's bodies skip the
    validator; False means "ask the validator", which also words the refusal."""
    if not isinstance(schema, dict) or not schema.keys() <= _OBJECT_WORDS or schema.get("additionalProperties", True):
        return lambda data: False
    kinds = schema.get("type")
    if kinds not in ("object", ["object"], ["object", "null"], ["null", "object"]):
        return lambda data: False
    null_ok = isinstance(kinds, list) and "null" in kinds
    tests = {name: _field_test(node) for name, node in schema.get("properties", {}).items()}
    required = tuple(schema.get("required", ()))

    def test(data: Any) -> bool:
        if data is None:
            return null_ok
        if type(data) is not dict or any(name not in data for name in required):
            return False
        for name, value in data.items():
            check = tests.get(name)
            if check is None or not check(value):
                return False
        return True

    return test


def _has_lone_surrogate(data: Any) -> bool:
    if isinstance(data, str):
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(data, list):
        return any(_has_lone_surrogate(item) for item in data)
    if isinstance(data, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in data.items())
    return False


def _is_written_with_a_point(err: Any) -> bool:
    wanted = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
    return isinstance(err.instance, float) and err.instance.is_integer() and "integer" in wanted


async def json_body(request: Request, schema: dict[str, Any]) -> dict[str, Any]:
    try:
        return await _json_body(request, schema)
    except (BadRequest, DomainError):
        setattr(request.state, BODY_REFUSED, True)  # call_checked asks who is calling first
        raise


async def _json_body(request: Request, schema: dict[str, Any]) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip() not in ("application/json", ""):
        raise BadRequest("send the body as application/json", "unsupported_media_type")
    raw = await read_body(request, MAX_JSON)
    try:
        data = json.loads(raw or b"null", parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise BadRequest("the body is not valid JSON", "malformed_json") from None
    if _has_lone_surrogate(data):
        # Valid JSON, but not text: a \ud800 without its pair cannot be stored or printed.
        raise Invalid("the body holds a lone UTF-16 surrogate, which is not text", "invalid_text")
    _, validator, plain = _known(schema)
    if plain(data):
        return data  # type: ignore[no-any-return]
    problem = next(iter(sorted(validator.iter_errors(data), key=lambda e: e.path)), None)
    if problem is not None:
        if problem.validator == "type" and _is_written_with_a_point(problem):
            where = "/".join(str(p) for p in problem.absolute_path) or "body"
            raise Invalid(f"{where}: must be a whole number written without a decimal point", "not_an_integer")
        raise BadRequest(_describe(problem), "invalid_request")
    return data  # type: ignore[no-any-return]


BODY_REFUSED = "comptoir_body_refused"


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


# A session whose last_seen in the store is due for renewal (auth.recall), written by the
# request's next service call on the same worker thread: no trip of its own. Each request is
# its own task, with its own context, so it never carries over to another request.
_touch_due: ContextVar[tuple[Shop, str] | None] = ContextVar("touch_due", default=None)


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Services block (SQLite, Argon2): run them off the event loop, one hop (workers.py)."""
    work = functools.partial(fn, *args, **kwargs)
    due = _touch_due.get()
    if due is not None:
        _touch_due.set(None)
        return await WORKERS.run(functools.partial(_touch_then, due, work))
    return await WORKERS.run(work)


def _touch_then(due: tuple[Shop, str], work: Callable[[], T]) -> T:
    try:
        auth.touch(*due)
    except Exception:
        # Not written, the store keeps the older last_seen, and so does the memory
        # (auth.recall): the session can only idle out sooner, and the next request tries again.
        log.warning("could not write a session's last use", exc_info=True)
    return work()


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
    csrf_needed = from_cookie and request.method not in ("GET", "HEAD", "OPTIONS")
    csrf = request.headers.get(CSRF_HEADER)
    # A session this process holds as live is known from memory, on the event loop: the
    # request's only trip to a worker thread is then its own service call.
    recalled = auth.recall(shop, token, origin_of(request))
    if recalled is None:
        return await call(auth.authenticate_request, shop, token, origin_of(request), csrf, csrf_needed)
    if csrf_needed:
        auth.refuse_wrong_csrf(recalled.csrf_hash, csrf)
    if recalled.touch_due:
        _touch_due.set((shop, recalled.actor.session))
    return recalled.actor


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


def ascii_int(value: str) -> int | None:
    """A whole number written in ASCII digits that fits in signed 64 bits, else None. (str.isdigit
    and int() also take '²' and '٣'.)"""
    if not _ASCII_INT.fullmatch(value):
        return None
    number = int(value)
    return number if number <= INT64_MAX else None


def int_param(value: str, name: str) -> int:
    number = ascii_int(value)
    if number is None:
        raise BadRequest(f"{name} must be a positive whole number in ASCII digits", "invalid_request")
    return number


_PERMISSIONS = frozenset(p.value for p in Permission)


def _parameter_problem(request: Request, ep: Endpoint) -> Exception | None:
    """What is wrong with the path and query parameters, by the rules endpoint.py publishes.
    Only the route's own names are repeated back, never what the client made up."""
    declared = {name for name, _ in ep.query}
    for name, value in request.path_params.items():
        label = name.replace("_", " ")
        if is_int_path(name):
            if ascii_int(value) is None:
                return BadRequest(f"{label} must be a positive whole number in ASCII digits", "invalid_request")
        elif len(value) > MAX_PATH_TEXT:
            return BadRequest(f"{label} is longer than {MAX_PATH_TEXT} characters", "invalid_request")
    for name, value in request.query_params.multi_items():
        shown = name if name in declared or name in INT_QUERY else "a query value"
        if len(value) > MAX_QUERY_TEXT:
            return Invalid(f"{shown} is longer than {MAX_QUERY_TEXT} characters", "query_too_long")
        if name in INT_QUERY and ascii_int(value) is None:
            return BadRequest(f"{shown} must be a positive whole number in ASCII digits", "invalid_request")
    return None


async def call_checked(request: Request, ep: Endpoint) -> Response:
    """The handler, behind the checks every route shares: a bad id, query or body is refused
    only to a caller who may use the route at all. Whoever has no session hears 401 and
    whoever lacks the permission 403, whatever the id or body, so that the answer says
    nothing of which ids are well-formed nor what the body's schema is."""
    problem = _parameter_problem(request, ep)
    if problem is not None:
        await _may_use(request, ep)
        raise problem
    try:
        return await ep.handler(request)
    except (BadRequest, DomainError):
        if getattr(request.state, BODY_REFUSED, False):
            await _may_use(request, ep)
        raise


async def _may_use(request: Request, ep: Endpoint) -> None:
    """Raises 401 or 403 when the caller may not use the route at all (its `who` names a
    permission; a supervisor's X-Approval may stand in for it, the handler checks that)."""
    if ep.who.startswith("anyone"):
        return
    who = await actor(request)
    needed = Permission(ep.who) if ep.who in _PERMISSIONS else None
    if needed is not None and not request.headers.get("x-approval"):
        require(who.role, needed)
