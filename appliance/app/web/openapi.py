"""The OpenAPI 3.1 description, made from the same endpoint table as the routes."""

from __future__ import annotations

import re
from typing import Any

from appliance import __version__
from appliance.app.web.routes import all_endpoints

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

REASONS = {
    200: "OK",
    201: "Created",
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
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in re.findall(r"{(\w+)}", ep.path)
        ]
        params += [
            {
                "name": q,
                "in": "query",
                "required": False,
                "description": d,
                "schema": {"type": "string"},
            }
            for q, d in ep.query
        ]
        params += [{"name": h, "in": "header", "required": False, "schema": {"type": "string"}} for h in ep.headers]
        if params:
            op["parameters"] = params
        if ep.body is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ep.body}},
            }
        elif ep.content == "text/csv":
            op["requestBody"] = {
                "required": True,
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        if ep.path == "/auth/login":
            op["security"] = []
        for status in ep.statuses:
            if status < 400:
                media = ep.content if ep.content != "text/csv" else "application/json"
                op["responses"][str(status)] = {
                    "description": REASONS[status],
                    "content": {media: {"schema": ep.response} if ep.response and media == "application/json" else {}},
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
