"""The till's side of the outbox's wire: a batch of events sent to the office over mutual TLS
(`POST /v1/events` on the lanes' port), and the office's acknowledgement back."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from appliance.lane import enrolment


class OfficeUnreachable(Exception):
    """The office did not take the batch (down, refused, or an answer that is not one); the
    message says why. The events stay in the outbox and go in a later round."""


def send(data_dir: Path, events: Sequence[dict[str, Any]], last_seq: int) -> dict[str, Any]:
    """Sends the batch; the office's answer: acked_seq (the highest seq it holds with none
    missing before it), stored, duplicates, refused and the alarms it raised."""
    try:
        found = enrolment.link(data_dir)
        with enrolment.client(found) as http:
            answer = http.post("/v1/events", json={"events": list(events), "last_seq": last_seq})
    except (httpx.HTTPError, OSError, enrolment.EnrolmentError) as exc:
        raise OfficeUnreachable(f"the office did not answer: {exc}") from None
    if answer.status_code != 200:
        try:
            message = answer.json().get("message")
        except ValueError:
            message = None
        raise OfficeUnreachable(f"the office refused the batch (HTTP {answer.status_code}): {message or ''}".strip())
    try:
        body = answer.json()
        int(body["acked_seq"])
    except (ValueError, KeyError, TypeError):
        raise OfficeUnreachable("the office's answer holds no acknowledgement") from None
    return dict(body)
