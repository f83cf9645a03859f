"""HttpGateway against the simulated acquirer, started as a real process on loopback."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.app.domain.card import AMEX, DISCOVER, JCB, MASTERCARD, VISA, Brand, Card
from appliance.drivers.payment import (
    GatewayConfig,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    HttpGateway,
)
from appliance.security.pan_scan import scan_paths

from .simulator import running_simulator


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with running_simulator() as url:
        yield url


@pytest.fixture
def gateway(sim_url: str) -> Iterator[HttpGateway]:
    with HttpGateway(GatewayConfig(sim_url, connect_timeout=2, read_timeout=5)) as gw:
        yield gw


def card(number: str, brand: Brand = VISA, month: int = 12, year: int = 2030) -> Card:
    # Built directly (not parse_card) so that the acquirer's own checks can be reached.
    return Card(number, month, year, brand)


def key() -> str:
    return "idem-" + uuid.uuid4().hex


@pytest.mark.parametrize(
    ("number", "brand"),
    [
        ("4111111111111111", VISA),
        ("5555555555554444", MASTERCARD),
        ("2223003122003222", MASTERCARD),
        ("378282246310005", AMEX),
        ("6011111111111117", DISCOVER),
        ("3566002020360505", JCB),
    ],
)
def test_approved(gateway: HttpGateway, number: str, brand: Brand) -> None:
    k = key()
    result = gateway.authorise(1999, "CAD", card(number, brand), k, reference="sale-1")
    assert result.status == "approved" and result.approved
    assert result.approved_amount == result.requested_amount == 1999
    assert result.auth_code and len(result.auth_code) == 6
    assert result.last_four == number[-4:] and result.brand == brand.code
    assert result.idempotency_key == k and result.captured_amount == 0


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("4000000000000002", "do_not_honor"),
        ("4000000000009995", "insufficient_funds"),
        ("4000000000000069", "expired_card"),
    ],
)
def test_declined(gateway: HttpGateway, number: str, code: str) -> None:
    result = gateway.authorise(500, "CAD", card(number), key())
    assert result.status == "declined" and not result.approved
    assert result.decline_code == code and result.approved_amount == 0
    assert result.auth_code is None


def test_past_expiry_declined(gateway: HttpGateway) -> None:
    result = gateway.authorise(500, "CAD", card("4111111111111111", year=2020), key())
    assert (result.status, result.decline_code) == ("declined", "expired_card")


def test_partial_approval(gateway: HttpGateway) -> None:
    result = gateway.authorise(1001, "CAD", card("4000000000000010"), key())
    assert result.status == "partial" and result.approved
    assert (result.requested_amount, result.approved_amount) == (1001, 500)
    no_partial = gateway.authorise(1001, "CAD", card("4000000000000010"), key(), allow_partial=False)
    assert no_partial.status == "declined"


def test_luhn_failure_is_rejected(gateway: HttpGateway) -> None:
    with pytest.raises(GatewayRejected) as caught:
        gateway.authorise(100, "CAD", card("4111111111111112"), key())
    assert caught.value.status == 422 and caught.value.code == "invalid_card"
    assert "4111111111111112" not in str(caught.value)


def test_idempotent_retry_charges_once(gateway: HttpGateway) -> None:
    k = key()
    first = gateway.authorise(2500, "CAD", card("5555555555554444", MASTERCARD), k)
    again = gateway.authorise(2500, "CAD", card("5555555555554444", MASTERCARD), k)
    assert again.reference == first.reference and again.auth_code == first.auth_code
    with pytest.raises(GatewayRejected) as caught:
        gateway.authorise(9999, "CAD", card("5555555555554444", MASTERCARD), k)
    assert caught.value.status == 409 and caught.value.code == "idempotency_conflict"


def test_hang_times_out_then_lookup_resolves(sim_url: str) -> None:
    k = key()
    with HttpGateway(GatewayConfig(sim_url, read_timeout=0.5)) as gw:
        started = time.monotonic()
        with pytest.raises(GatewayTimeout):
            gw.authorise(700, "CAD", card("4000000000000036"), k)
        assert time.monotonic() - started < 5
        found = gw.lookup(idempotency_key=k)
        assert found is not None and found.status == "approved"
        # A retry under the same key answers at once with the same record.
        retried = gw.authorise(700, "CAD", card("4000000000000036"), k)
        assert retried.reference == found.reference


def test_dropped_connection_is_unknown_outcome_then_lookup(gateway: HttpGateway) -> None:
    k = key()
    with pytest.raises(GatewayTimeout):
        gateway.authorise(800, "CAD", card("4000000000000085"), k)
    found = gateway.lookup(idempotency_key=k)
    assert found is not None and found.approved and found.approved_amount == 800
    assert gateway.lookup(reference=found.reference) == found


def test_unavailable_is_not_processed(gateway: HttpGateway) -> None:
    k = key()
    with pytest.raises(GatewayUnavailable):
        gateway.authorise(900, "CAD", card("4000000000000028"), k)
    assert gateway.lookup(idempotency_key=k) is None


def test_nothing_listening_is_unavailable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with HttpGateway(GatewayConfig(f"http://127.0.0.1:{port}", connect_timeout=1)) as gw:
        with pytest.raises(GatewayUnavailable):
            gw.authorise(100, "CAD", card("4111111111111111"), key())
        with pytest.raises(GatewayUnavailable):
            gw.lookup(idempotency_key="whatever-key")


def test_capture_void_refund(gateway: HttpGateway) -> None:
    auth = gateway.authorise(5000, "CAD", card("4111111111111111"), key())
    captured = gateway.capture(auth.reference)
    assert captured.captured_amount == 5000
    assert gateway.capture(auth.reference).captured_amount == 5000  # idempotent
    rk = key()
    refund = gateway.refund(auth.reference, 1200, rk)
    assert (refund.status, refund.amount) == ("refunded", 1200)
    assert refund.authorisation == auth.reference
    assert gateway.refund(auth.reference, 1200, rk).reference == refund.reference  # once
    with pytest.raises(GatewayRejected):
        gateway.refund(auth.reference, 3801, key())  # more than is left
    gateway.refund(auth.reference, 3800, key())
    after = gateway.lookup(reference=auth.reference)
    assert after is not None and after.refunded_amount == 5000
    # Sale-and-capture in one step, then a void.
    sale = gateway.authorise(300, "CAD", card("4111111111111111"), key(), capture=True)
    assert sale.captured_amount == 300
    held = gateway.authorise(400, "CAD", card("5555555555554444", MASTERCARD), key())
    assert gateway.void(held.reference).voided
    with pytest.raises(GatewayRejected):
        gateway.capture(held.reference)
    with pytest.raises(GatewayRejected):
        gateway.refund(held.reference, 100, key())


def test_lookup_unknown(gateway: HttpGateway) -> None:
    assert gateway.lookup(reference="auth_nope") is None
    assert gateway.lookup(idempotency_key="never-used-key") is None
    with pytest.raises(ValueError):
        gateway.lookup()


def test_state_survives_a_restart_and_holds_no_pan(tmp_path: Path) -> None:
    state = tmp_path / "acquirer.json"
    k = key()
    with running_simulator(state=state) as url, HttpGateway(GatewayConfig(url)) as gw:
        first = gw.authorise(1234, "CAD", card("4111111111111111"), k, capture=True)
        gw.refund(first.reference, 234, key())
    with running_simulator(state=state) as url, HttpGateway(GatewayConfig(url)) as gw:
        found = gw.lookup(idempotency_key=k)
        assert found is not None and found.reference == first.reference
        assert found.refunded_amount == 234
        again = gw.authorise(1234, "CAD", card("4111111111111111"), k, capture=True)
        assert again.reference == first.reference
    assert b"4111111111111111" not in state.read_bytes()
    assert scan_paths([tmp_path]).findings == []
