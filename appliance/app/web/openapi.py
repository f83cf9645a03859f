"""The OpenAPI 3.1 description, made from the same endpoint table as the routes."""

from __future__ import annotations

import re
from typing import Any

from appliance import __version__
from appliance.app.web.endpoint import Endpoint, path_schema, query_schema
from appliance.app.web.http import bounded
from appliance.app.web.routes import all_endpoints
from appliance.app.web.schema import json_schema

ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}

# A POST, PUT or PATCH that declares no body takes none: {} or null, or nothing at all.
NO_BODY = {"type": ["object", "null"], "properties": {}, "additionalProperties": False}
HEADER = {"type": "string", "maxLength": 200}

REASONS = {
    200: "OK",
    201: "Created",
    202: "Accepted: the outcome is not known yet",
    400: "Malformed request",
    401: "No or expired session",
    403: "The role lacks the permission",
    404: "Not found",
    409: "State conflict",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Well-formed but invalid",
    423: "Account locked",
    429: "Too many attempts",
}


def _shared_statuses(ep: Any) -> set[int]:
    """What any route of its kind may answer, whatever its own list says: a malformed id or
    query (400) or one too long (422), no session or no permission, a body too big or not JSON."""
    shared = {400, 422}
    if not ep.who.startswith("anyone"):
        shared |= {401, 403}
    if "{" in ep.path:
        shared.add(404)
    if ep.method in ("POST", "PUT", "PATCH"):
        shared |= {413, 415}
    return shared


def success_schema(ep: Endpoint) -> dict[str, Any]:
    """The body of a success: from the TypedDict the endpoint names (every route that answers
    JSON names one: tests/integration/http/test_contract.py), else any object."""
    if ep.returns is not None:
        return json_schema(ep.returns)
    return {"type": "object"}


def describe() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/healthz": {
            "get": {
                "summary": "Health: ok once the store is open",
                "security": [],
                "responses": {
                    "200": {"description": "OK"},
                    "503": {"description": "Store not open"},
                },
            }
        }
    }
    for ep in all_endpoints():
        path = "/api/v1" + ep.path
        op: dict[str, Any] = {
            "summary": ep.summary,
            "description": f"Who: {ep.who}.",
            "operationId": ep.handler.__name__,
            "responses": {},
        }
        params = [
            {"name": name, "in": "path", "required": True, "schema": path_schema(name)}
            for name in re.findall(r"{(\w+)}", ep.path)
        ]
        params += [
            {
                "name": q,
                "in": "query",
                "required": False,
                "description": d,
                "schema": query_schema(q),
            }
            for q, d in ep.query
        ]
        params += [{"name": h, "in": "header", "required": False, "schema": HEADER} for h in ep.headers]
        if params:
            op["parameters"] = params
        if ep.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": bounded(ep.body)}},
            }
        elif ep.content == "text/csv":
            op["requestBody"] = {
                "required": True,
                "content": {"text/csv": {"schema": {"type": "string", "maxLength": 8 * 1024 * 1024}}},
            }
        elif ep.method in ("POST", "PUT", "PATCH"):
            op["requestBody"] = {"required": False, "content": {"application/json": {"schema": NO_BODY}}}
        if ep.path == "/auth/login":
            op["security"] = []
        for status in sorted(set(ep.statuses) | _shared_statuses(ep)):
            if status < 400:
                media = ep.content if ep.content != "text/csv" else "application/json"
                answer = success_schema(ep)
                op["responses"][str(status)] = {
                    "description": REASONS[status],
                    "content": {media: {"schema": answer if media == "application/json" else {"type": "string"}}},
                }
            else:
                op["responses"][str(status)] = {
                    "description": REASONS[status],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                }
        paths.setdefault(path, {})[ep.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Comptoir POS API", "version": __version__},
        "servers": [{"url": "http://127.0.0.1:8787"}],
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "comptoir_session"},
            },
        },
        "security": [{"bearer": []}, {"cookie": []}],
        "paths": paths,
    }
