"""The payment gateway: authorise, capture, void, refund and look up, behind one interface.

`PaymentGateway` is what the payment service calls. `HttpGateway` speaks the JSON protocol
of docs/acquirer-protocol.md over HTTP (httpx); `appliance.drivers.acquirer_sim` is a
simulated acquirer speaking the same protocol for development and tests.

The one distinction a caller must never get wrong is whether the money may have moved:

- a result (approved, partial or declined) is a known outcome;
- `GatewayUnavailable`: this request never reached the acquirer (connection refused, DNS,
  connect timeout, 503 "not processed"); this send did nothing, and it is safe to retry. It
  says nothing of an EARLIER send of the same key, which may have been charged;
- `GatewayTimeout`: the request was sent but no complete answer came back (read timeout,
  connection dropped, 5xx mid-way). The outcome is UNKNOWN: the caller must resolve it by
  `lookup(idempotency_key=…)` or by retrying with the same idempotency key, never by
  charging again under a new key.

The card number goes to the gateway in the request body only; it is never logged here,
and no error message carries it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from appliance.app.domain.card import Card
from appliance.drivers.acquirer_protocol import IN_FLIGHT_WINDOW_SECONDS, SENT_AT_FORMAT

if TYPE_CHECKING:
    # httpx (and the CLI libraries it pulls in) is imported by HttpGateway itself: a till
    # with no card gateway configured never loads it.
    import httpx

Status = Literal["approved", "partial", "declined"]

GATEWAY_URL_ENV = "COMPTOIR_GATEWAY_URL"
GATEWAY_WINDOW_ENV = "COMPTOIR_GATEWAY_WINDOW"


def sent_at_now() -> str:
    """The `sent_at` stamp of a request leaving now."""
    return datetime.now(UTC).strftime(SENT_AT_FORMAT)


class GatewayError(Exception):
    """The gateway could not give an answer. Subclasses say whether money may have moved."""


class GatewayUnavailable(GatewayError):
    """Not processed: the request did not reach the acquirer. Safe to retry."""


class GatewayTimeout(GatewayError):
    """Outcome unknown: sent, but no answer. Resolve with lookup before anything else."""


class GatewayRejected(GatewayError):
    """The acquirer refused the request as malformed or conflicting (HTTP 4xx).

    Nothing was charged. `code` is the acquirer's snake_case error code.
    """

    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Authorisation:
    """The acquirer's record of one authorisation, as answered or looked up."""

    reference: str  # the acquirer's id for it
    idempotency_key: str
    status: Status
    requested_amount: int
    approved_amount: int  # 0 when declined; less than requested when partial
    currency: str
    auth_code: str | None
    decline_code: str | None
    captured_amount: int
    refunded_amount: int
    voided: bool
    brand: str | None
    last_four: str | None

    @property
    def approved(self) -> bool:
        return self.status in ("approved", "partial")


@dataclass(frozen=True)
class Refund:
    reference: str  # the refund's own id
    authorisation: str  # the authorisation it gives money back on
    idempotency_key: str
    amount: int
    currency: str
    status: Literal["refunded", "declined"]
    decline_code: str | None


class PaymentGateway(Protocol):
    def authorise(
        self,
        amount: int,
        currency: str,
        card: Card,
        idempotency_key: str,
        *,
        reference: str | None = None,
        capture: bool = False,
        allow_partial: bool = True,
        sent_at: str | None = None,
    ) -> Authorisation:
        """Asks the issuer for `amount`; with capture, also takes the money in one step.
        `sent_at` is the send's stamp as the caller recorded it (default: now)."""
        ...

    def capture(self, reference: str, amount: int | None = None) -> Authorisation: ...

    def void(self, reference: str) -> Authorisation:
        """Releases an authorisation that was not (or not yet) settled."""
        ...

    def refund(self, reference: str, amount: int, idempotency_key: str) -> Refund: ...

    def lookup(self, *, reference: str | None = None, idempotency_key: str | None = None) -> Authorisation | None:
        """The acquirer's record, or None when it never saw the request."""
        ...


@dataclass(frozen=True)
class GatewayConfig:
    url: str
    connect_timeout: float = 3.0
    # A card authorisation can take the issuer ~10 s; past 25 s the cashier is better
    # served by "outcome unknown, looking it up" than by a frozen screen.
    read_timeout: float = 25.0
    api_key: str | None = None
    # The in-flight window (acquirer_protocol): never less than the acquirer's own.
    in_flight_window: float = IN_FLIGHT_WINDOW_SECONDS

    @classmethod
    def from_env(cls, default_url: str | None = None) -> GatewayConfig | None:
        url = os.environ.get(GATEWAY_URL_ENV) or default_url
        if not url:
            return None
        window = os.environ.get(GATEWAY_WINDOW_ENV)
        if window is None:
            return cls(url=url)
        try:
            seconds = float(window)
        except ValueError:
            seconds = -1.0
        if not 0 < seconds <= 86400:
            raise ValueError(f"{GATEWAY_WINDOW_ENV} is the acquirer's in-flight window in seconds (0 to 86400)")
        return cls(url=url, in_flight_window=seconds)


def _authorisation(body: dict[str, Any]) -> Authorisation:
    return Authorisation(
        reference=str(body["id"]),
        idempotency_key=str(body["idempotency_key"]),
        status=body["status"],
        requested_amount=int(body["requested_amount"]),
        approved_amount=int(body["approved_amount"]),
        currency=str(body["currency"]),
        auth_code=body.get("auth_code"),
        decline_code=body.get("decline_code"),
        captured_amount=int(body.get("captured_amount", 0)),
        refunded_amount=int(body.get("refunded_amount", 0)),
        voided=bool(body.get("voided", False)),
        brand=body.get("brand"),
        last_four=body.get("last_four"),
    )


def _refund(body: dict[str, Any]) -> Refund:
    return Refund(
        reference=str(body["id"]),
        authorisation=str(body["authorisation"]),
        idempotency_key=str(body["idempotency_key"]),
        amount=int(body["amount"]),
        currency=str(body["currency"]),
        status=body["status"],
        decline_code=body.get("decline_code"),
    )


class HttpGateway:
    """`PaymentGateway` over the HTTP/JSON protocol of docs/acquirer-protocol.md."""

    def __init__(self, config: GatewayConfig, *, transport: httpx.BaseTransport | None = None):
        import httpx

        self.config = config
        headers = {"Accept": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        self._client = httpx.Client(
            base_url=config.url.rstrip("/"),
            timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout, pool=config.connect_timeout),
            headers=headers,
            transport=transport,
            follow_redirects=False,
            # Card data goes where the config says, not to a proxy an environment variable
            # happens to name.
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpGateway:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        not_found_ok: bool = False,
    ) -> dict[str, Any] | None:
        import httpx

        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            response = self._client.request(method, path, json=body, params=params, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise GatewayUnavailable(f"acquirer not reachable: {type(exc).__name__}") from None
        except httpx.TransportError as exc:
            # ReadTimeout, RemoteProtocolError (dropped), ReadError, WriteError…: the request
            # may have been acted on. `from None` so that no request body hangs off it.
            raise GatewayTimeout(f"no answer from the acquirer: {type(exc).__name__}") from None
        if response.status_code == 404 and not_found_ok:
            return None
        if response.status_code == 503:
            # By the protocol, 503 means "not processed, try again".
            raise GatewayUnavailable("acquirer unavailable (503): not processed")
        if response.status_code >= 500:
            raise GatewayTimeout(f"acquirer error {response.status_code}: outcome unknown")
        try:
            data = response.json()
        except ValueError:
            if response.status_code >= 400:
                raise GatewayRejected(
                    f"acquirer refused the request ({response.status_code})",
                    "rejected",
                    response.status_code,
                ) from None
            raise GatewayTimeout("the acquirer's answer is not JSON: outcome unknown") from None
        if response.status_code >= 400:
            error = data.get("error", {}) if isinstance(data, dict) else {}
            raise GatewayRejected(
                str(error.get("message", f"refused ({response.status_code})")),
                str(error.get("code", "rejected")),
                response.status_code,
            )
        if not isinstance(data, dict):
            raise GatewayTimeout("the acquirer's answer is not an object: outcome unknown")
        return data

    def authorise(
        self,
        amount: int,
        currency: str,
        card: Card,
        idempotency_key: str,
        *,
        reference: str | None = None,
        capture: bool = False,
        allow_partial: bool = True,
        sent_at: str | None = None,
    ) -> Authorisation:
        body = {
            "amount": amount,
            "currency": currency,
            "card": {
                "number": card.number,
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
            },
            "idempotency_key": idempotency_key,
            "reference": reference,
            "capture": capture,
            "allow_partial": allow_partial,
            # The acquirer refuses it once the in-flight window has passed since this moment.
            "sent_at": sent_at or sent_at_now(),
        }
        data = self._call("POST", "/v1/authorisations", body=body, idempotency_key=idempotency_key)
        assert data is not None
        return _authorisation(data)

    def capture(self, reference: str, amount: int | None = None) -> Authorisation:
        body = {} if amount is None else {"amount": amount}
        data = self._call("POST", f"/v1/authorisations/{reference}/capture", body=body)
        assert data is not None
        return _authorisation(data)

    def void(self, reference: str) -> Authorisation:
        data = self._call("POST", f"/v1/authorisations/{reference}/void", body={})
        assert data is not None
        return _authorisation(data)

    def refund(self, reference: str, amount: int, idempotency_key: str) -> Refund:
        body = {"amount": amount, "idempotency_key": idempotency_key}
        data = self._call(
            "POST",
            f"/v1/authorisations/{reference}/refunds",
            body=body,
            idempotency_key=idempotency_key,
        )
        assert data is not None
        return _refund(data)

    def lookup(self, *, reference: str | None = None, idempotency_key: str | None = None) -> Authorisation | None:
        if (reference is None) == (idempotency_key is None):
            raise ValueError("look up by reference or by idempotency key, one of the two")
        if reference is not None:
            data = self._call("GET", f"/v1/authorisations/{reference}", not_found_ok=True)
        else:
            data = self._call(
                "GET",
                "/v1/authorisations",
                params={"idempotency_key": str(idempotency_key)},
                not_found_ok=True,
            )
        return None if data is None else _authorisation(data)
