"""The nexo driver's messages, without a terminal: the message protection against vectors
computed apart from this code (OpenSSL's PBKDF2, AES-256-CBC and HMAC), the requests it
builds as a terminal would decrypt them, and answers shaped as in Adyen's documentation read
into what the till keeps."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance.drivers import nexo_protocol as nexo
from appliance.drivers.nexo_answers import AnswerRefused, payment_result
from appliance.drivers.terminal import TerminalConfigError, TerminalRejected, TerminalUnavailable, parse_url
from appliance.drivers.terminal_nexo import NexoTerminal, connect, service_id

PASSPHRASE = "comptoir test passphrase"
KEY = nexo.SharedKey("comptoir-test", 1, PASSPHRASE)
POI = "V400m-324688179"


# -- message protection ------------------------------------------------------------------------------


def test_key_material_is_pbkdf2_sha1_of_the_passphrase_as_openssl_derives_it() -> None:
    # openssl kdf -keylen 80 -kdfopt digest:SHA1 -kdfopt pass:"comptoir test passphrase"
    #   -kdfopt salt:AdyenNexoV1Salt -kdfopt iter:4000 PBKDF2
    keys = nexo.derive(PASSPHRASE)
    assert keys.hmac_key.hex() == "dbe9a98611366919f537ab21571fe7bf357aaa0c2844f14dbe98b937d3b5a510"
    assert keys.cipher_key.hex() == "92d08e0f3e6ac61d7317c77de48e559c5cf5a19ad05777524389701331bd248c"
    assert keys.iv.hex() == "554289481cbd9ff0afc5fd7bae9b120e"


def test_a_protected_message_is_the_blob_openssl_makes_and_its_hmac() -> None:
    message = {"MessageHeader": {"ServiceID": "1"}}
    wire = nexo.protect("SaleToPOIRequest", message, KEY, nonce=bytes(range(16)))
    outer = wire["SaleToPOIRequest"]
    # openssl enc -aes-256-cbc -K <cipher key> -iv <iv XOR nonce>, over the whole message's JSON
    assert outer["NexoBlob"] == (
        "amGl5o/z2kAMHuM6BHZ9Od6noXlUTy3uld5h8n7HujLAJeBjz6O0k1GY7SValKK7KUjikaxxrzTl9KqT7eyZ/w=="
    )
    assert outer["SecurityTrailer"] == {
        "AdyenCryptoVersion": 1,
        "KeyIdentifier": "comptoir-test",
        "KeyVersion": 1,
        "Nonce": base64.b64encode(bytes(range(16))).decode(),
        "Hmac": "KyXeMo5fONEieHx1B2u+/ncPKAj+UaLSnk4fGsQfiN0=",
    }
    assert outer["MessageHeader"] == message["MessageHeader"]
    assert nexo.unprotect(wire, KEY) == ("SaleToPOIRequest", message)


def _tampered(wire: dict[str, Any], path: tuple[str, ...], change: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(wire))
    target = copy["SaleToPOIResponse"]
    for name in path[:-1]:
        target = target[name]
    target[path[-1]] = change(target[path[-1]])
    return copy


def _flip(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[len(raw) // 2] ^= 1
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize(
    ("path", "change", "code"),
    [
        (("NexoBlob",), _flip, "hmac"),
        (("SecurityTrailer", "Hmac"), _flip, "hmac"),
        (("SecurityTrailer", "Nonce"), _flip, "hmac"),
        (("SecurityTrailer", "KeyVersion"), lambda v: v + 1, "key"),
        (("MessageHeader", "ServiceID"), lambda v: "OTHER", "header"),
        (("NexoBlob",), lambda v: "not base64!", "format"),
    ],
)
def test_a_tampered_message_does_not_open(path: tuple[str, ...], change: Any, code: str) -> None:
    wire = nexo.protect("SaleToPOIResponse", {"MessageHeader": {"ServiceID": "A1"}, "X": 1}, KEY)
    with pytest.raises(nexo.ProtectionError) as caught:
        nexo.unprotect(_tampered(wire, path, change), KEY)
    assert caught.value.code == code


def test_another_passphrase_does_not_open_it() -> None:
    wire = nexo.protect("SaleToPOIRequest", {"MessageHeader": {"ServiceID": "A1"}}, KEY)
    with pytest.raises(nexo.ProtectionError) as caught:
        nexo.unprotect(wire, nexo.SharedKey("comptoir-test", 1, "another passphrase"))
    assert caught.value.code == "hmac"


def test_a_message_in_clear_is_refused() -> None:
    with pytest.raises(nexo.ProtectionError) as caught:
        nexo.unprotect({"SaleToPOIResponse": {"MessageHeader": {}, "PaymentResponse": {}}}, KEY)
    assert caught.value.code == "unprotected"


def test_the_passphrase_is_not_in_the_keys_repr() -> None:
    assert PASSPHRASE not in repr(KEY)


# -- amounts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(1500, "JPY", "1500"), (0, "JPY", "0"), (1099, "CAD", "10.99"), (5, "EUR", "0.05"), (1234, "KWD", "1.234")],
)
def test_amounts_are_written_exactly_in_major_units(minor: int, currency: str, text: str) -> None:
    major = nexo.to_major(minor, currency)
    assert nexo.dumps({"RequestedAmount": major}) == f'{{"RequestedAmount":{text}}}'
    assert nexo.to_minor(nexo.loads(text), currency) == minor


def test_an_amount_with_more_decimals_than_its_currency_is_refused() -> None:
    with pytest.raises(ValueError, match="more decimals"):
        nexo.to_minor(Decimal("10.999"), "CAD")
    with pytest.raises(ValueError, match="not a number"):
        nexo.to_minor("10.99", "CAD")
    with pytest.raises(TypeError):
        nexo.dumps({"RequestedAmount": 10.99})


# -- what the driver sends -----------------------------------------------------------------------------


class FakeTerminal:
    """Decrypts what the driver sends and answers as told, protected: the wire without TLS."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answers: list[Any] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/nexo"
        _root, message = nexo.unprotect(nexo.loads(request.content), KEY)
        self.requests.append(message)
        answer = self.answers.pop(0)
        if callable(answer):
            answer = answer(message)
        return httpx.Response(200, content=nexo.dumps(answer).encode())


def _status_not_found(message: dict[str, Any]) -> dict[str, Any]:
    header = {**message["MessageHeader"], "MessageType": "Response"}
    body = {"Response": {"Result": "Failure", "ErrorCondition": "NotFound"}}
    return nexo.protect("SaleToPOIResponse", {"MessageHeader": header, "TransactionStatusResponse": body}, KEY)


def _approval(message: dict[str, Any]) -> dict[str, Any]:
    header = {**message["MessageHeader"], "MessageType": "Response"}
    request = message["PaymentRequest"]
    amounts = request["PaymentTransaction"]["AmountsReq"]
    response = sample_payment_response()
    response["SaleData"] = request["SaleData"]
    response["PaymentResult"]["AmountsResp"] = {
        "Currency": amounts["Currency"],
        "AuthorizedAmount": amounts["RequestedAmount"],
    }
    return nexo.protect("SaleToPOIResponse", {"MessageHeader": header, "PaymentResponse": response}, KEY)


def _terminal(fake: FakeTerminal, tmp_path: Path) -> NexoTerminal:
    return NexoTerminal(
        "192.0.2.40",
        8443,
        poi=POI,
        sale_id="till-1",
        key=KEY,
        ca_file=tmp_path / "unused.pem",  # the mock transport has no TLS
        transport=httpx.MockTransport(fake),
    )


def test_a_payment_request_is_built_as_adyen_documents_it(tmp_path: Path) -> None:
    fake = FakeTerminal()
    fake.answers = [_status_not_found, _approval]
    terminal = _terminal(fake, tmp_path)
    result = terminal.pay("sale-42", 123456, "KWD", timeout=5)
    status, payment = fake.requests
    assert status["MessageHeader"]["MessageCategory"] == "TransactionStatus"
    assert status["TransactionStatusRequest"]["MessageReference"] == {
        "SaleID": "till-1",
        "ServiceID": service_id("till-1", "sale-42", 0),
    }
    header = payment["MessageHeader"]
    assert header == {
        "ProtocolVersion": "3.0",
        "MessageClass": "Service",
        "MessageCategory": "Payment",
        "MessageType": "Request",
        "SaleID": "till-1",
        "ServiceID": service_id("till-1", "sale-42", 0),
        "POIID": POI,
    }
    assert len(header["ServiceID"]) == 10 and header["ServiceID"].isalnum()
    assert status["MessageHeader"]["ServiceID"] != header["ServiceID"]
    assert payment["PaymentRequest"]["SaleData"]["SaleTransactionID"]["TransactionID"] == "sale-42"
    assert payment["PaymentRequest"]["PaymentTransaction"]["AmountsReq"] == {
        "Currency": "KWD",
        "RequestedAmount": Decimal("123.456"),
    }
    assert (result.outcome, result.amount, result.currency) == ("approved", 123456, "KWD")


def test_service_ids_differ_by_reference_and_attempt_and_fit_ten_characters() -> None:
    ids = {service_id("till-1", ref, attempt) for ref in ("a", "b", "sale-1") for attempt in (0, 1, 99)}
    assert len(ids) == 9
    assert all(len(i) == 10 and i.isalnum() for i in ids)
    assert service_id("till-1", "a", 0) != service_id("till-2", "a", 0)


def test_an_answer_to_another_request_is_refused(tmp_path: Path) -> None:
    def other(message: dict[str, Any]) -> dict[str, Any]:
        header = {**message["MessageHeader"], "MessageType": "Response", "ServiceID": "ELSEWHERE1"}
        body = {"Response": {"Result": "Failure", "ErrorCondition": "NotFound"}}
        return nexo.protect("SaleToPOIResponse", {"MessageHeader": header, "TransactionStatusResponse": body}, KEY)

    fake = FakeTerminal()
    fake.answers = [other]
    with pytest.raises(AnswerRefused) as caught:
        _terminal(fake, tmp_path).status("sale-1")
    assert caught.value.code == "header"


def test_a_reject_notification_is_a_rejection(tmp_path: Path) -> None:
    reject = {
        "SaleToPOIRequest": {
            "MessageHeader": {"MessageClass": "Event", "MessageCategory": "Event", "MessageType": "Notification"},
            "EventNotification": {"EventToNotify": "Reject", "EventDetails": "message=Invalid+currency"},
        }
    }
    fake = FakeTerminal()
    fake.answers = [reject]
    with pytest.raises(TerminalRejected, match="Invalid currency") as caught:
        _terminal(fake, tmp_path).status("sale-1")
    assert caught.value.code == "reject"


def test_an_unknown_currency_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    fake = FakeTerminal()
    fake.answers = [_status_not_found]
    with pytest.raises(TerminalRejected):
        _terminal(fake, tmp_path).pay("sale-1", 100, "XYZ", timeout=5)
    assert fake.requests == []


def test_a_reference_still_in_progress_is_not_paid_again(tmp_path: Path) -> None:
    def in_progress(message: dict[str, Any]) -> dict[str, Any]:
        header = {**message["MessageHeader"], "MessageType": "Response"}
        body = {"Response": {"Result": "Failure", "ErrorCondition": "InProgress"}}
        return nexo.protect("SaleToPOIResponse", {"MessageHeader": header, "TransactionStatusResponse": body}, KEY)

    fake = FakeTerminal()
    fake.answers = [in_progress]
    with pytest.raises(TerminalUnavailable, match="still on"):
        _terminal(fake, tmp_path).pay("sale-1", 100, "CAD", timeout=5)
    assert [r["MessageHeader"]["MessageCategory"] for r in fake.requests] == ["TransactionStatus"]


# -- reading answers -------------------------------------------------------------------------------


def sample_payment_response() -> dict[str, Any]:
    """A PaymentResponse with the fields and shapes of Adyen's documented sample."""
    line = "name=Card&value=%2a%2a%2a%2a%2a%2a%2a%2a%2a%2a%2a%2a9999&key=pan"
    return {
        "POIData": {
            "POITransactionID": {"TimeStamp": "2024-03-01T10:00:00.000Z", "TransactionID": "Ab12001.PSPREF"},
            "POIReconciliationID": "1000",
        },
        "SaleData": {"SaleTransactionID": {"TimeStamp": "2024-03-01T10:00:00.000Z", "TransactionID": "sale-42"}},
        "PaymentReceipt": [
            {
                "DocumentQualifier": "CashierReceipt",
                "OutputContent": {
                    "OutputFormat": "Text",
                    "OutputText": [
                        {"Text": "name=MERCHANT%20COPY&key=merchantTitle"},
                        {"Text": line},
                        {"Text": "key=filler"},
                    ],
                },
            },
            {
                "DocumentQualifier": "CustomerReceipt",
                "OutputContent": {
                    "OutputFormat": "Text",
                    "OutputText": [
                        {"Text": "name=CARDHOLDER%20COPY&key=cardholderHeader"},
                        {"Text": line},
                        {"Text": "name=TOTAL&value=%e2%82%ac%c2%a010.99&key=totalAmount"},
                    ],
                },
            },
        ],
        "PaymentResult": {
            "PaymentAcquirerData": {"ApprovalCode": "123456", "MerchantID": "TestMerchant"},
            "PaymentInstrumentData": {
                "CardData": {
                    "EntryMode": ["Tapped"],
                    "PaymentBrand": "mc",
                    "MaskedPan": "541333 **** 9999",
                    "PaymentToken": {"TokenRequestedType": "Customer", "TokenValue": "K722246565280932"},
                },
                "PaymentInstrumentType": "Card",
            },
            "AmountsResp": {"AuthorizedAmount": Decimal("10.99"), "Currency": "EUR"},
        },
        "Response": {"Result": "Success", "AdditionalResponse": "cardSummary=9999&authCode=123456&alias=M900"},
    }


def test_an_approval_keeps_brand_last_four_references_and_receipts_never_the_masked_pan() -> None:
    result = payment_result("sale-42", "payment", sample_payment_response(), currency_hint="EUR")
    assert (result.outcome, result.amount, result.currency) == ("approved", 1099, "EUR")
    assert (result.brand, result.last_four, result.auth_code) == ("mc", "9999", "123456")
    assert result.terminal_reference == "Ab12001.PSPREF"
    assert result.card_token == "K722246565280932"
    assert result.merchant_receipt == ("MERCHANT COPY", "Card: ************9999", "")
    assert result.customer_receipt == ("CARDHOLDER COPY", "Card: ************9999", "TOTAL: €\u00a010.99")
    assert "541333" not in repr(result)


def test_a_refusal_is_a_decline_with_the_terminals_words() -> None:
    response = sample_payment_response()
    del response["PaymentResult"]
    response["Response"] = {
        "Result": "Failure",
        "ErrorCondition": "Refusal",
        "AdditionalResponse": "refusalReason=05%20%3a%20Not%20enough%20balance&message=Not%20enough%20balance",
    }
    result = payment_result("sale-42", "payment", response, currency_hint="EUR")
    assert (result.outcome, result.amount, result.decline_reason) == ("declined", 0, "Not enough balance")


@pytest.mark.parametrize("condition", ["Aborted", "Cancel"])
def test_an_abort_or_a_cancel_on_the_terminal_is_cancelled(condition: str) -> None:
    response = {"Response": {"Result": "Failure", "ErrorCondition": condition}}
    assert payment_result("sale-42", "payment", response, currency_hint="EUR").outcome == "cancelled"


def test_a_partial_approval_keeps_the_amount_approved() -> None:
    response = sample_payment_response()
    response["Response"]["Result"] = "Partial"
    response["PaymentResult"]["AmountsResp"]["AuthorizedAmount"] = Decimal("5.00")
    result = payment_result("sale-42", "payment", response, currency_hint="EUR")
    assert (result.outcome, result.amount) == ("approved", 500)


def test_an_answer_for_another_of_our_transactions_is_refused() -> None:
    with pytest.raises(AnswerRefused):
        payment_result("sale-43", "payment", sample_payment_response(), currency_hint="EUR")


# -- configuration -------------------------------------------------------------------------------------


def test_the_url_needs_the_poi_and_the_key_id(tmp_path: Path) -> None:
    with pytest.raises(TerminalConfigError, match="poi=POIID&key_id"):
        connect(parse_url("nexo://192.0.2.40:8443?poi=V400m-1"), tmp_path)
    with pytest.raises(TerminalConfigError, match="unknown option"):
        connect(parse_url("nexo://192.0.2.40:8443?poi=V400m-1&key_id=k&passphrase=x"), tmp_path)


def test_a_missing_passphrase_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(TerminalConfigError, match=r"terminal-nexo\.passphrase \(mode 0600\)"):
        connect(parse_url("nexo://192.0.2.40:8443?poi=V400m-1&key_id=k"), tmp_path)


def test_a_passphrase_others_can_read_is_refused(tmp_path: Path) -> None:
    (tmp_path / nexo.PASSPHRASE_FILE).write_text("secret words")
    (tmp_path / nexo.PASSPHRASE_FILE).chmod(0o644)
    with pytest.raises(TerminalConfigError, match="chmod 600"):
        connect(parse_url("nexo://192.0.2.40:8443?poi=V400m-1&key_id=k"), tmp_path)


def test_a_missing_ca_file_is_named(tmp_path: Path) -> None:
    (tmp_path / nexo.PASSPHRASE_FILE).write_text("secret words")
    (tmp_path / nexo.PASSPHRASE_FILE).chmod(0o600)
    with pytest.raises(TerminalConfigError, match=r"terminal-nexo-ca\.pem"):
        connect(parse_url("nexo://192.0.2.40:8443?poi=V400m-1&key_id=k"), tmp_path)


def test_a_ca_file_that_is_not_a_certificate_is_named(tmp_path: Path) -> None:
    (tmp_path / nexo.PASSPHRASE_FILE).write_text("secret words")
    (tmp_path / nexo.PASSPHRASE_FILE).chmod(0o600)
    (tmp_path / nexo.CA_FILE).write_text("not a certificate")
    with pytest.raises(TerminalConfigError, match="does not hold a CA certificate"):
        connect(parse_url("nexo://192.0.2.40:8443?poi=V400m-1&key_id=k"), tmp_path)
