"""The till's side of returns across lanes: another lane's receipt found at the office, its
quantities held before a refund and given back if the refund fails, over the lane's mutual
TLS (the office's web/returns_across.py). The office's refusals come back as the domain's
errors with the office's reason; an office out of reach is a conflict that says so (a receipt
of another lane cannot be looked up offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from appliance.app.domain.errors import Conflict
from appliance.lane import gift_cards as wire  # the lanes' port's one call


class OfficeReturns:
    """One lane's calls to its office for returns across lanes."""

    def __init__(self, data_dir: Path, timeout: float | None = None) -> None:
        self.data_dir = data_dir
        self.timeout = timeout  # the link's own (enrolment.TIMEOUT) when None

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        try:
            answer = wire.call(self.data_dir, method, path, body, timeout=self.timeout, **kw)
        except wire.OfficeSilent as exc:
            raise Conflict(
                f"the office cannot be reached, and a receipt of another lane is found only through it: {exc}",
                "office_unreachable",
            ) from None
        if answer.status == 200:
            return answer.body
        raise wire.refusal(answer)

    def lookup(self, number: str, store: str | None) -> dict[str, Any]:
        params = {"store": store} if store else {}
        return self._call("GET", f"/v1/receipts/{quote(number, safe='')}", params=params)

    def hold(self, key: str, sale: dict[str, Any], lines: list[dict[str, int]]) -> dict[str, Any]:
        return self._call("POST", "/v1/return-holds", {"hold_key": key, "sale": sale, "lines": lines})

    def release(self, key: str) -> dict[str, Any]:
        return self._call("POST", f"/v1/return-holds/{quote(key, safe='')}/release")
