"""The till's side of returns across lanes: another lane's receipt found at the office, its
quantities held before a refund and given back if the refund fails, over the lane's mutual
TLS (the office's web/returns_across.py). The office's refusals come back as the domain's
errors with the office's reason; an office out of reach is a conflict that says so (a receipt
of another lane cannot be looked up offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from appliance.app.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from appliance.lane import enrolment

_ERRORS: dict[int, type[DomainError]] = {404: NotFound, 409: Conflict, 403: Forbidden}


class OfficeReturns:
    """One lane's calls to its office for returns across lanes."""

    def __init__(self, data_dir: Path, timeout: float | None = None) -> None:
        self.data_dir = data_dir
        self.timeout = timeout  # the link's own (enrolment.TIMEOUT) when None

    def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            found = enrolment.link(self.data_dir)
            with enrolment.client(found) as http:
                if self.timeout is not None:
                    kw["timeout"] = self.timeout
                answer = http.request(method, path, **kw)
        except (httpx.HTTPError, OSError, enrolment.EnrolmentError) as exc:
            raise Conflict(
                f"the office cannot be reached, and a receipt of another lane is found only through it: {exc}",
                "office_unreachable",
            ) from None
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise Conflict(f"the office's answer is not one (HTTP {answer.status_code})", "office_unreachable")
        if answer.status_code == 200:
            return body
        if answer.status_code >= 500:
            raise Conflict(f"the office cannot answer now: {body.get('message', '')}".strip(), "office_unreachable")
        kind = _ERRORS.get(answer.status_code, Invalid)
        details = {k: v for k, v in body.items() if k not in ("error", "message")}
        raise kind(str(body.get("message") or f"HTTP {answer.status_code}"), str(body.get("error")), details)

    def lookup(self, number: str, store: str | None) -> dict[str, Any]:
        params = {"store": store} if store else {}
        return self._call("GET", f"/v1/receipts/{quote(number, safe='')}", params=params)

    def hold(self, key: str, sale: dict[str, Any], lines: list[dict[str, int]]) -> dict[str, Any]:
        return self._call("POST", "/v1/return-holds", json={"hold_key": key, "sale": sale, "lines": lines})

    def release(self, key: str) -> dict[str, Any]:
        return self._call("POST", f"/v1/return-holds/{quote(key, safe='')}/release")
