"""The three requests a till sends for every sale (open it, scan, take cash), served without
Starlette's middleware stack and router.

With eight tills on one box the event loop, not SQLite, was the queue: each request went
through five middleware layers, a linear walk of some 150 routes and a Request built per
layer, ~40 % of the loop's time (issue 18). These three routes are instead matched by one
regular expression and handed straight to the same `call_checked` handler, behind what the
stack would have done for them:
- the security headers and the 500 for an unexpected error: the same `SecurityHeaders`;
- the trusted host: only a request whose Host is plainly allowed takes this path; any other
  (missing, malformed, a www. redirect, not ours) goes to the full stack, which refuses it;
- the exception handlers: the same `handle_errors` for the same exception types;
- what the route does itself (session, CSRF, body limit and schema, idempotency, audit)
  is in the handler, untouched.
Anything this does not recognise falls through to the full stack, so a request either gets
what the stack would answer or is answered by it. tests/integration/http/test_hot_path.py
sends the same requests both ways and compares the answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from starlette._utils import parse_host_header
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from appliance.app.domain.errors import DomainError
from appliance.app.web.http import BadRequest

HOT = (("POST", "/sales"), ("POST", "/sales/{sale_id}/items"), ("POST", "/sales/{sale_id}/payments"))
PREFIX = "/api/v1"

Endpoint = Callable[[Request], Any]
ErrorHandler = Callable[[Request, Exception], Any]


def _pattern(path: str) -> str:
    # Starlette's default convertor for "{name}": anything but a slash.
    return re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(PREFIX + path).replace(r"\{", "{").replace(r"\}", "}"))


class Hosts:
    """TrustedHostMiddleware's test of a Host header, answering only "plainly allowed"."""

    def __init__(self, allowed: Iterable[str]) -> None:
        patterns = [p.lower() for p in allowed]
        self.any = "*" in patterns
        self.exact = frozenset(p for p in patterns if not p.startswith("*"))
        self.suffixes = tuple(p[1:] for p in patterns if p.startswith("*.") and p != "*")

    def allowed(self, scope: Scope) -> bool:
        if self.any:
            return True
        parsed = parse_host_header(Headers(scope=scope).get("host"))
        if parsed is None:
            return False
        host = parsed.host.lower()
        return host in self.exact or (bool(self.suffixes) and host.endswith(self.suffixes))


class HotPath:
    def __init__(
        self,
        handlers: dict[tuple[str, str], Endpoint],
        hosts: Iterable[str],
        errors: ErrorHandler,
        wrap: Callable[[ASGIApp], ASGIApp],
    ) -> None:
        self.hosts = Hosts(hosts)
        self._errors = errors
        self._routes: list[tuple[str, re.Pattern[str], Endpoint]] = [
            (method, re.compile(_pattern(path)), handlers[(method, path)]) for method, path in HOT
        ]
        self._served = wrap(self._respond)

    def route(self, scope: Scope) -> tuple[Endpoint, dict[str, str]] | None:
        """The hot endpoint and its path parameters, or None: the full stack answers."""
        if scope["type"] != "http" or scope.get("root_path"):
            return None
        method, path = scope["method"], scope["path"]
        for wanted, pattern, endpoint in self._routes:
            if method == wanted:
                found = pattern.fullmatch(path)
                if found is not None:
                    return (endpoint, found.groupdict()) if self.hosts.allowed(scope) else None
        return None

    async def serve(self, endpoint: Endpoint, scope: Scope, receive: Receive, send: Send) -> None:
        scope["endpoint"] = endpoint
        await self._served(scope, receive, send)

    async def _respond(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            response: Response = await scope["endpoint"](request)
        except (DomainError, BadRequest, HTTPException) as exc:
            response = await self._errors(request, exc)
        await response(scope, receive, send)
