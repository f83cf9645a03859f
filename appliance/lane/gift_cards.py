"""The till's side of the office's gift cards: look a card up, hold an amount for a tender,
release a hold, over the lane's mutual TLS (`/v1/gift-cards/...` on the lanes' port).

A short timeout: a cashier is waiting, and a till that hears nothing in time spends under
the chain's offline cap instead (services/gift_card_office.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from appliance.lane import enrolment

TIMEOUT = 3.0


class OfficeSilent(Exception):
    """The office did not answer (down, unreachable, too slow, or an answer that is not one)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def call(data_dir: Path, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
    """The office's answer (any 2xx or 4xx, with its JSON); OfficeSilent for anything else."""
    try:
        found = enrolment.link(data_dir)
        with enrolment.client(found) as http:
            http.timeout = httpx.Timeout(TIMEOUT)
            answer = http.request(method, path, json=body)
    except (httpx.HTTPError, OSError, enrolment.EnrolmentError) as exc:
        raise OfficeSilent(f"the office did not answer: {exc}") from None
    if answer.status_code >= 500:
        raise OfficeSilent(f"the office could not answer (HTTP {answer.status_code})")
    try:
        data = answer.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise OfficeSilent(f"the office's answer is not one (HTTP {answer.status_code})")
    return Answer(answer.status_code, data)
