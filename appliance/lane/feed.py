"""The till's side of the office's catalogue feed: one page after a version, over the lane's
mutual TLS (services/office_feed.py applies it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from appliance.lane.enrolment import EnrolmentError, client, link


class Fetcher:
    """Fetches pages with one kept connection (a 100,000-product change is 100 calls)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._http: httpx.Client | None = None

    def __call__(self, after: int, limit: int) -> dict[str, Any]:
        if self._http is None:
            self._http = client(link(self.data_dir))
        try:
            answer = self._http.get("/v1/catalogue", params={"after": after, "limit": limit})
        except httpx.HTTPError as exc:
            self.close()
            raise EnrolmentError(f"the office did not answer: {exc}") from None
        try:
            body = answer.json()
        except ValueError:
            body = None
        if answer.status_code != 200 or not isinstance(body, dict):
            message = body.get("message") if isinstance(body, dict) else None
            raise EnrolmentError(f"the office refused the catalogue: {message or f'HTTP {answer.status_code}'}")
        return body

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None


def enrolled(data_dir: Path) -> bool:
    try:
        link(data_dir)
    except EnrolmentError:
        return False
    return True
