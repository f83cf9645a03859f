"""One row of the API's routing table: the route and what the OpenAPI description says of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Awaitable[Response]]


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
    response: dict[str, Any] | None = None  # the JSON schema of a success's body, when described
    extra: dict[str, Any] = field(default_factory=dict)
