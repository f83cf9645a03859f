"""Path parameters that several endpoint tables read: one reader each, so that a bad value
gets the same 400 and the same words whichever table the route sits in."""

from __future__ import annotations

from starlette.requests import Request

from appliance.app.web.http import int_param


def sale_id(request: Request) -> int:
    """The `{sale_id}` of the route."""
    return int_param(request.path_params["sale_id"], "sale id")


def line(request: Request) -> int:
    """The `{line}` of the route: a line's number on its sale."""
    return int_param(request.path_params["line"], "line")
