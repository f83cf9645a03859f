"""The till's calls to the office's lanes' port over the lane's mutual TLS: `call` (gift
cards: look a card up, hold an amount for a tender, release a hold; returns across lanes
use it too) and `refusal`, a 4xx as the domain's error.

A short timeout: a cashier is waiting, and a till that hears nothing in time spends under
the chain's offline cap instead (services/gift_card_office.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from appliance.app.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from appliance.lane import enrolment

TIMEOUT = 3.0
_ERRORS: dict[int, type[DomainError]] = {404: NotFound, 409: Conflict, 403: Forbidden}


class OfficeSilent(Exception):
    """The office did not answer (down, unreachable, too slow, or an answer that is not one)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def call(
    data_dir: Path,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    params: dict[str, str] | None = None,
    timeout: float | None = TIMEOUT,
) -> Answer:
    """The office's answer (any 2xx or 4xx, with its JSON); OfficeSilent for anything else.
    `timeout` None: the link's own (enrolment's)."""
    try:
        found = enrolment.link(data_dir)
        with enrolment.client(found) as http:
            if timeout is not None:
                http.timeout = httpx.Timeout(timeout)
            answer = http.request(method, path, json=body, params=params)
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


def refusal(answer: Answer) -> DomainError:
    """A 4xx as the domain's error, with the office's code, reason and what it named."""
    kind = _ERRORS.get(answer.status, Invalid)
    details = {k: v for k, v in answer.body.items() if k not in ("error", "message")}
    message = str(answer.body.get("message") or f"the office refused (HTTP {answer.status})")
    return kind(message, str(answer.body.get("error") or "office_refused"), details)
