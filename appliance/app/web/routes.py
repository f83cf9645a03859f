"""Every API endpoint, from each area's table. The routing and the OpenAPI description are
both made from this one list, so they cannot drift apart."""

from __future__ import annotations

from appliance.app.web import (
    api,
    api_backoffice,
    api_devices,
    api_office_returns,
    api_selfservice,
    api_selling,
    api_shifts,
    api_terminal,
)
from appliance.app.web.endpoint import Endpoint


def all_endpoints() -> tuple[Endpoint, ...]:
    return (
        *api.ENDPOINTS,
        *api_selling.ENDPOINTS,
        *api_shifts.ENDPOINTS,
        *api_backoffice.ENDPOINTS,
        *api_selfservice.ENDPOINTS,
        *api_devices.ENDPOINTS,
        *api_terminal.ENDPOINTS,
        *api_office_returns.ENDPOINTS,
    )
