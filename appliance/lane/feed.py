"""The till's side of the office's catalogue feed: one page after a version, over the lane's
mutual TLS (services/office_feed.py applies it).

httpx and the enrolment module are loaded by the first fetch only: every till's start-up asks
`enrolled`, and a till that is not loads no HTTP client (tests/integration/test_start_imports).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

# Where lane/enrolment.py keeps the lane's certificate, its presence meaning enrolled (a test
# holds the two modules to the same names).
OFFICE_DIR = "office"
CLIENT_CERT = "client.pem"


def enrolled(data_dir: Path) -> bool:
    return (data_dir / OFFICE_DIR / CLIENT_CERT).is_file()


class Fetcher:
    """Fetches pages with one kept connection (a 100,000-product change is 100 calls)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._http: httpx.Client | None = None

    def __call__(self, after: int, limit: int) -> dict[str, Any]:
        import httpx

        from appliance.lane.enrolment import EnrolmentError, accepted, client, link

        if self._http is None:
            self._http = client(link(self.data_dir))
        try:
            answer = self._http.get("/v1/catalogue", params={"after": after, "limit": limit})
        except httpx.HTTPError as exc:
            self.close()
            raise EnrolmentError(f"the office did not answer: {exc}") from None
        return accepted(
            answer,
            lambda status, message: EnrolmentError(f"the office refused the catalogue: {message or f'HTTP {status}'}"),
        )

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
