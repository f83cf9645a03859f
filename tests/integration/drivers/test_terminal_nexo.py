"""The nexo driver against the simulated Adyen terminal, a real process on loopback speaking
HTTPS with the message protection: outcomes known and unknown, each resolved by status; the
terminal's record is the judge of what was charged."""

from __future__ import annotations

import base64
import json
import logging
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance import cli
from appliance.drivers import nexo_protocol as nexo
from appliance.drivers import terminal
from appliance.drivers.nexo_answers import AnswerRefused
from appliance.drivers.nexo_display import display_event
from appliance.drivers.nexo_sim_answers import POIID
from appliance.drivers.terminal import TerminalRejected, TerminalResult, TerminalTimeout, TerminalUnavailable
from appliance.drivers.terminal_nexo import NexoTerminal, tls_context
from appliance.drivers.terminal_sim_nexo import KEY_ID, KEY_VERSION, records, tell
from appliance.security.pan_scan import scan_paths
from tests.integration.drivers.nexo_sim import Simulator, free_port, until


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[Simulator]:
    simulator = Simulator(tmp_path / "sim")
    simulator.folder.mkdir()
    simulator.start()
    try:
        yield simulator
    finally:
        simulator.stop()


@pytest.fixture
def till(sim: Simulator) -> Iterator[NexoTerminal]:
    driver = sim.driver()
    try:
        yield driver
    finally:
        driver.close()


def test_an_approved_payment_is_recorded_once_with_brand_and_last_four(sim: Simulator, till: NexoTerminal) -> None:
    states: list[str] = []
    result = till.pay("sale-1", 1099, "CAD", timeout=10, on_state=states.append)
    assert (result.outcome, result.kind, result.amount, result.currency) == ("approved", "payment", 1099, "CAD")
    assert result.brand and result.last_four and len(result.last_four) == 4 and result.last_four.isdigit()
    assert result.terminal_reference and result.card_token and result.auth_code
    assert "APPROVED" in result.customer_receipt and "MERCHANT COPY" in result.merchant_receipt
    # No display URL set up: the till cannot see the terminal's screen, and says no more.
    assert states == ["in_progress"]
    [record] = records(sim.state)
    assert (record["transaction_id"], record["state"], record["amount"]) == ("sale-1", "approved", 1099)
    assert record["poi_transaction_id"] == result.terminal_reference
    assert till.status("sale-1") == result
    assert till.terminal_status() == "idle"


def test_a_decline_says_why_and_charges_nothing(sim: Simulator, till: NexoTerminal) -> None:
    tell(sim.state, ["decline"])
    result = till.pay("sale-1", 2500, "CAD", timeout=10)
    assert (result.outcome, result.amount, result.decline_reason) == ("declined", 0, "Not enough balance")
    assert "DECLINED" in result.customer_receipt
    assert [r["state"] for r in records(sim.state)] == ["declined"]
    # the customer tries another card under the same reference: a new attempt, a new ServiceID
    again = till.pay("sale-1", 2500, "CAD", timeout=10)
    assert again.outcome == "approved"
    assert [r["state"] for r in records(sim.state)] == ["declined", "approved"]
    assert till.status("sale-1") == again


def test_a_refund_goes_back_to_the_original_card(sim: Simulator, till: NexoTerminal) -> None:
    payment = till.pay("sale-1", 4000, "EUR", timeout=10)
    fresh = sim.driver()  # a restarted till knows the payment only from its store
    try:
        refund = fresh.refund("refund-1", 1500, "EUR", original=payment, timeout=10)
        assert (refund.outcome, refund.kind, refund.amount) == ("approved", "refund", 1500)
        assert (refund.brand, refund.last_four) == (payment.brand, payment.last_four)
        assert fresh.status("refund-1").kind == "refund"
        too_much = fresh.refund("refund-2", 3000, "EUR", original=payment, timeout=10)
        assert too_much.outcome == "declined"
    finally:
        fresh.close()
    kept = {r["transaction_id"]: r for r in records(sim.state)}
    assert kept["refund-1"]["original"] == payment.terminal_reference
    assert kept["refund-1"]["kind"] == "refund" and kept["refund-2"]["state"] == "declined"


def test_a_lost_answer_is_found_by_status_and_never_charged_twice(sim: Simulator, till: NexoTerminal) -> None:
    tell(sim.state, ["lose-answer"])
    with pytest.raises(TerminalTimeout):
        till.pay("sale-1", 1000, "CAD", timeout=10)
    found = till.status("sale-1")
    assert (found.outcome, found.amount) == ("approved", 1000)
    assert till.pay("sale-1", 1000, "CAD", timeout=10) == found  # asked again: the same charge
    assert [r["state"] for r in records(sim.state)] == ["approved"]


def test_a_reference_the_terminal_never_heard_of_is_not_found(till: NexoTerminal) -> None:
    result = till.status("never-sent")
    assert (result.outcome, result.amount) == ("not_found", 0)
    assert not result.settled


def test_no_answer_is_a_timeout_and_status_resolves_it(sim: Simulator, till: NexoTerminal) -> None:
    tell(sim.state, ["timeout"])
    with pytest.raises(TerminalTimeout):
        till.pay("sale-1", 1000, "CAD", timeout=1)
    assert till.status("sale-1").outcome == "approved"
    assert len(records(sim.state)) == 1


def test_a_terminal_that_restarts_mid_transaction_is_asked_again(sim: Simulator, till: NexoTerminal) -> None:
    tell(sim.state, ["restart"])
    with pytest.raises(TerminalTimeout):
        till.pay("sale-1", 1000, "CAD", timeout=10)
    assert sim.wait_exit() == 75
    assert [r["state"] for r in records(sim.state)] == ["waiting_for_card"]
    with pytest.raises(TerminalUnavailable):
        till.status("sale-1")
    assert till.terminal_status() == "offline"
    sim.start()
    found = till.status("sale-1")
    assert (found.outcome, found.amount) == ("cancelled", 0)
    again = till.pay("sale-1", 1000, "CAD", timeout=10)
    assert again.outcome == "approved"
    assert [r["state"] for r in records(sim.state)] == ["cancelled", "approved"]


@pytest.mark.parametrize("same_till", [True, False])
def test_cancel_while_waiting_for_the_card(sim: Simulator, till: NexoTerminal, same_till: bool) -> None:
    tell(sim.state, ["wait:60"])
    outcome: list[TerminalResult] = []
    paying = threading.Thread(target=lambda: outcome.append(till.pay("sale-1", 1000, "CAD", timeout=90)))
    paying.start()
    until(lambda: [r["state"] for r in records(sim.state)] == ["waiting_for_card"])
    assert till.terminal_status() == "busy"
    with pytest.raises(TerminalUnavailable, match="Busy"):  # one at a time: another till's sale is turned away
        sim.driver().pay("sale-2", 500, "CAD", timeout=10)
    canceller = till if same_till else sim.driver()  # the other: a till restarted meanwhile
    assert canceller.status("sale-1").outcome == "in_progress"
    canceller.cancel("sale-1")
    paying.join(30)
    assert not paying.is_alive()
    [result] = outcome
    assert (result.outcome, result.amount) == ("cancelled", 0)
    assert [r["state"] for r in records(sim.state)] == ["cancelled"]
    if not same_till:
        canceller.close()


def test_a_pin_payment_is_approved_after_the_pin(sim: Simulator, till: NexoTerminal) -> None:
    tell(sim.state, ["pin"])
    assert till.pay("sale-1", 1000, "CAD", timeout=10).outcome == "approved"
    [record] = records(sim.state)
    assert (record["behaviour"], record["state"]) == ("pin", "approved")


def test_the_display_notifications_say_card_then_pin_then_the_answer(sim: Simulator) -> None:
    """The terminal asks for the PIN and waits for it: the till hears each step from the
    terminal's display notifications while the payment is still on its way."""
    port = free_port()
    driver = terminal.connect(f"{sim.url}&display=127.0.0.1:{port}", key_dir=sim.folder)
    assert isinstance(driver, NexoTerminal) and driver.display is not None
    tell(sim.state, [f"display=http://127.0.0.1:{port}/", "pin:60"])
    states: list[str] = []
    outcome: list[TerminalResult] = []
    paying = threading.Thread(
        target=lambda: outcome.append(driver.pay("sale-pin", 1250, "CAD", timeout=90, on_state=states.append))
    )
    try:
        paying.start()
        until(lambda: states[-1:] == ["pin"])
        assert states == ["in_progress", "waiting_for_card", "pin"] and not outcome
        tell(sim.state, ["pin-entered"])
        paying.join(30)
        assert [r.outcome for r in outcome] == ["approved"]
        assert states == ["in_progress", "waiting_for_card", "pin"]  # nothing heard once it answered
    finally:
        paying.join(30)
        driver.close()


def test_a_display_notification_for_another_payment_or_terminal_is_not_heard() -> None:
    key = nexo.SharedKey(KEY_ID, KEY_VERSION, "not the real one")

    def notification(**header: str) -> dict[str, Any]:
        head = {"MessageClass": "Device", "MessageCategory": "Display", "SaleID": "till-1", "POIID": POIID}
        head.update(ServiceID="abcdefgh00", **header)
        output = {"OutputContent": {"PredefinedContent": {"ReferenceID": "event=WAIT_FOR_PIN&TransactionID=x"}}}
        return {"SaleToPOIRequest": {"MessageHeader": head, "DisplayRequest": {"DisplayOutput": [output]}}}

    def heard(envelope: dict[str, Any]) -> tuple[str, str] | None:
        return display_event(envelope, poi=POIID, sale_id="till-1", key=key)

    assert heard(notification()) == ("abcdefgh00", "pin")
    assert heard(notification(POIID="OTHER-1")) is None
    assert heard(notification(SaleID="till-2")) is None
    assert heard(notification(MessageCategory="Payment")) is None
    event = notification()
    output = event["SaleToPOIRequest"]["DisplayRequest"]["DisplayOutput"][0]
    output["OutputContent"]["PredefinedContent"]["ReferenceID"] = "event=ASK_SIGNATURE"
    assert heard(event) == ("abcdefgh00", "processing")  # past the card, in words the till has
    event["SaleToPOIRequest"]["SecurityTrailer"] = {"KeyIdentifier": KEY_ID}
    assert heard(event) is None  # "protected" with a key that does not open it


def test_a_display_option_that_is_not_host_port_is_refused(sim: Simulator) -> None:
    with pytest.raises(terminal.TerminalConfigError, match="display is HOST:PORT"):
        terminal.connect(f"{sim.url}&display=nowhere", key_dir=sim.folder)
    # The till opens no port to the shop's network, for the terminal's words either.
    for lan in ("0.0.0.0:8555", "192.168.1.20:8555", "[::]:8555", "till.local:8555"):
        with pytest.raises(terminal.TerminalConfigError, match="loopback only"):
            terminal.connect(f"{sim.url}&display={lan}", key_dir=sim.folder)


@pytest.mark.parametrize(("amount", "currency"), [(1500, "JPY"), (0, "JPY"), (1999, "EUR"), (12345, "KWD")])
def test_amounts_arrive_exact_whatever_the_currencys_decimals(
    sim: Simulator, till: NexoTerminal, amount: int, currency: str
) -> None:
    result = till.pay("sale-1", amount, currency, timeout=10)
    assert (result.amount, result.currency) == (amount, currency)
    [record] = records(sim.state)
    assert (record["amount"], record["currency"]) == (amount, currency)


# -- message protection and TLS -------------------------------------------------------------------------


def _with_passphrase(sim: Simulator, tmp_path: Path, passphrase: str) -> NexoTerminal:
    keys = tmp_path / "other-keys"
    keys.mkdir()
    shutil.copy(sim.folder / nexo.CA_FILE, keys / nexo.CA_FILE)
    (keys / nexo.PASSPHRASE_FILE).write_text(passphrase)
    (keys / nexo.PASSPHRASE_FILE).chmod(0o600)
    from appliance.drivers import terminal

    driver = terminal.connect(sim.url, key_dir=keys)
    assert isinstance(driver, NexoTerminal)
    return driver


def test_a_request_under_another_passphrase_is_rejected_unread(sim: Simulator, tmp_path: Path) -> None:
    stranger = _with_passphrase(sim, tmp_path, "not the shared key")
    try:
        with pytest.raises(TerminalRejected, match="HMAC") as caught:
            stranger.pay("sale-1", 1000, "CAD", timeout=10)
        assert caught.value.code == "reject"
    finally:
        stranger.close()
    assert records(sim.state) == []


def _post(sim: Simulator, body: bytes) -> Any:
    context = tls_context(sim.folder / nexo.CA_FILE, POIID)
    with httpx.Client(transport=httpx.HTTPTransport(verify=context)) as client:
        reply = client.post(f"https://127.0.0.1:{sim.port}/nexo", content=body)
    assert reply.status_code == 200
    return json.loads(reply.content)


def test_a_tampered_request_is_rejected_and_charges_nothing(sim: Simulator) -> None:
    passphrase = (sim.folder / nexo.PASSPHRASE_FILE).read_text().strip()
    key = nexo.SharedKey(KEY_ID, KEY_VERSION, passphrase)
    header = {
        "ProtocolVersion": "3.0",
        "MessageClass": "Service",
        "MessageCategory": "Payment",
        "MessageType": "Request",
        "SaleID": "till-1",
        "ServiceID": "A000000001",
        "POIID": POIID,
    }
    payment = {
        "SaleData": {"SaleTransactionID": {"TransactionID": "sale-1", "TimeStamp": "2026-01-01T00:00:00Z"}},
        "PaymentTransaction": {"AmountsReq": {"Currency": "CAD", "RequestedAmount": nexo.to_major(1000, "CAD")}},
    }
    wire = nexo.protect("SaleToPOIRequest", {"MessageHeader": header, "PaymentRequest": payment}, key)
    blob = bytearray(base64.b64decode(wire["SaleToPOIRequest"]["NexoBlob"]))
    blob[20] ^= 0x40
    wire["SaleToPOIRequest"]["NexoBlob"] = base64.b64encode(bytes(blob)).decode()
    answer = _post(sim, nexo.dumps(wire).encode())
    assert answer["SaleToPOIRequest"]["EventNotification"]["EventToNotify"] == "Reject"
    in_clear = json.loads(nexo.dumps({"SaleToPOIRequest": {"MessageHeader": header, "PaymentRequest": payment}}))
    answer = _post(sim, json.dumps(in_clear).encode())
    assert answer["SaleToPOIRequest"]["EventNotification"]["EventToNotify"] == "Reject"
    assert records(sim.state) == []


class Tampering(httpx.BaseTransport):
    """Between the till and the terminal: flips a bit of each answer's blob."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        reply = self.inner.handle_request(request)
        reply.read()
        wire = json.loads(reply.content)
        outer = wire.get("SaleToPOIResponse")
        if outer:
            blob = bytearray(base64.b64decode(outer["NexoBlob"]))
            blob[-20] ^= 1
            outer["NexoBlob"] = base64.b64encode(bytes(blob)).decode()
        return httpx.Response(reply.status_code, content=json.dumps(wire).encode())

    def close(self) -> None:
        self.inner.close()


def test_a_tampered_answer_is_refused_and_the_outcome_is_asked_again(sim: Simulator, till: NexoTerminal) -> None:
    context = tls_context(sim.folder / nexo.CA_FILE, POIID)
    fooled = NexoTerminal(
        "127.0.0.1",
        sim.port,
        poi=POIID,
        sale_id="till-1",
        key=till.key,
        ca_file=sim.folder / nexo.CA_FILE,
        transport=Tampering(httpx.HTTPTransport(verify=context)),
    )
    try:
        with pytest.raises(AnswerRefused) as caught:  # a TerminalTimeout: money may have moved
            fooled.status("sale-1")
        assert caught.value.code == "hmac"
    finally:
        fooled.close()
    assert till.status("sale-1").outcome == "not_found"


def test_a_terminal_whose_certificate_is_not_from_the_ca_is_not_talked_to(sim: Simulator, tmp_path: Path) -> None:
    from appliance.drivers.terminal_sim_nexo import prepare

    other = tmp_path / "other-ca"
    prepare(other)  # another simulator's CA: a stranger on the LAN
    keys = tmp_path / "keys"
    keys.mkdir()
    shutil.copy(other / nexo.CA_FILE, keys / nexo.CA_FILE)
    shutil.copy(sim.folder / nexo.PASSPHRASE_FILE, keys / nexo.PASSPHRASE_FILE)
    from appliance.drivers import terminal

    driver = terminal.connect(sim.url, key_dir=keys)
    try:
        with pytest.raises(TerminalUnavailable):
            driver.pay("sale-1", 1000, "CAD", timeout=10)
    finally:
        driver.close()
    assert records(sim.state) == []


def test_a_certificate_for_another_terminal_is_refused(sim: Simulator) -> None:
    from appliance.drivers import terminal

    driver = terminal.connect(sim.url.replace(f"poi={POIID}", "poi=V400m-000000002"), key_dir=sim.folder)
    try:
        with pytest.raises(TerminalUnavailable, match="certificate"):
            driver.status("sale-1")
    finally:
        driver.close()


def test_a_terminal_that_is_off_is_unavailable(sim: Simulator, till: NexoTerminal) -> None:
    sim.stop()
    with pytest.raises(TerminalUnavailable):
        till.pay("sale-1", 1000, "CAD", timeout=10)
    assert till.terminal_status() == "offline"


# -- nothing of a card at rest -------------------------------------------------------------------------


def test_no_card_number_in_the_simulators_state_or_the_drivers_log(
    sim: Simulator,
    till: NexoTerminal,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)
    tell(sim.state, ["decline", "lose-answer", "pin"])
    paid = []
    for i in range(8):
        try:
            paid.append(till.pay(f"sale-{i}", 1000 + i, "CAD", timeout=10))
        except TerminalTimeout:
            paid.append(till.status(f"sale-{i}"))
    till.refund("refund-1", 500, "CAD", original=paid[-1], timeout=10)
    log = tmp_path / "driver.log"
    log.write_text("\n".join(r.getMessage() for r in caplog.records) + "\n" + "\n".join(map(repr, paid)))
    monkeypatch.delenv("COMPTOIR_DATA_DIR", raising=False)
    assert cli.main(["pan-scan", str(sim.folder), str(log)]) == 0
    report = scan_paths([sim.folder, log])
    assert report.findings == [] and report.files >= 3
    # the same scan does read the simulator's records: a number planted in a copy is found
    planted = tmp_path / "planted" / sim.state.name
    planted.parent.mkdir()
    planted.write_text(sim.state.read_text().replace('"sale-3"', '"4111111111111111"'))
    assert cli.main(["pan-scan", str(planted)]) == 1
