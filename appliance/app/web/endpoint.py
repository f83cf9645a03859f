"""One row of the API's routing table: the route and what the OpenAPI description says of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Awaitable[Response]]

# Parameters by name, the same for every route, so that routing, checking and the OpenAPI
# description agree: ids in paths and these query parameters are whole numbers.
INT_QUERY = frozenset({"after", "limit", "offset"})
MAX_PATH_TEXT = 64  # a sku or a user name in a path
MAX_QUERY_TEXT = 200  # any other query value, a search term included


def is_int_path(name: str) -> bool:
    return name.endswith("_id") or name == "line"


def path_schema(name: str) -> dict[str, Any]:
    if is_int_path(name):
        return {"type": "integer", "format": "int64", "minimum": 1, "maximum": 2**63 - 1}
    return {"type": "string", "minLength": 1, "maxLength": MAX_PATH_TEXT}


def query_schema(name: str) -> dict[str, Any]:
    if name in INT_QUERY:
        return {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}
    return {"type": "string", "maxLength": MAX_QUERY_TEXT}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    handler: Handler
    summary: str
    who: str  # who may call it, for people reading the OpenAPI description
    body: dict[str, Any] | None = None
    query: tuple[tuple[str, str], ...] = ()
    statuses: tuple[int, ...] = (200,)
    headers: tuple[str, ...] = ()
    content: str = "application/json"
    # The TypedDict the service returns for a success's body: the OpenAPI schema is made from it
    # (appliance.app.web.schema), so the document follows the code.
    returns: type | None = None
    extra: dict[str, Any] = field(default_factory=dict)
