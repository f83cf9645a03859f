"""The lanes as the office sees them: who they are, when they last called."""

from __future__ import annotations

from appliance.app.domain.errors import Forbidden
from appliance.office.services.office import Office
from appliance.office.store import lanes as lanes_store


def hello(office: Office, cert_fingerprint: str) -> dict[str, object]:
    """A lane calls in over mutual TLS. The TLS layer has already checked that the office's
    CA signed its certificate; here it must still be the lane's current one (a till enrolled
    again leaves its old certificate without a lane)."""
    with office.connection() as conn:
        lane = lanes_store.touch(conn, cert_fingerprint, office.now())
    if lane is None:
        raise Forbidden("this certificate is not a lane's current one: enrol the till again", "unknown_lane")
    return lane


def listing(office: Office) -> list[dict[str, object]]:
    with office.connection() as conn:
        return lanes_store.all_lanes(conn)
