"""Caisse-AP messages: records of TAG(2) LENGTH(3) VALUE, checked against the example
frames published with the protocol's 3.x integrations (HiPay's Local API for Nepting,
the OCA module's examples), and the reading of an answer into what the shop keeps."""

from __future__ import annotations

import pytest

from appliance.drivers.caisse_ap_messages import (
    MessageError,
    amount_field,
    currency_field,
    decode,
    decode_all,
    encode,
    result_of,
)
from appliance.drivers.terminal import TerminalConfigError, TerminalRejected, TerminalUrl
from appliance.drivers.terminal_caisse_ap import connect

# Published: a debit of 123.45 EUR, mandatory tags only (protocol 3.00).
DEBIT_12345 = b"CZ0040300CJ012247300123456CA00201CB00512345CD0010CE003978"
# Published: the answer to a request with a bad format.
BAD_FORMAT = b"CZ0040320CJ012999999999999AE00201AF00209CA00201CB00512345CD0010CE003978"
# Published: an approved contactless debit with its receipt in ZT{CK, AK}. The page lost one
# character of CF (announced 026, 25 shown: the separator before "custom data") and one of
# AK (361 announced, 360 shown); the frame below restores the separator as "|" and gives
# AK and ZT the lengths of what is shown.
RECEIPT = (
    "ICBDQVJURSBCQU5DQUlSRQogICAgICBTQU5TIENPTlRBQ1QKQTAwMDAwMDAwNDEwMTAKTWFzdGVyQ2FyZApMZSAx"
    "OS8xMi8yMDIyIGEgMTM6NTc6MjIKSElQQVkKOTJMRVZBTExPSVMKMTIzNDU2NyAzOTAzMzQyMjUwMDA5NiAzMDAw"
    "NAojIyMjIyMjIyMjIyM2MzY4CkQ2QzY5MUUxMkI3MEFDNDAKMDA1IDAwMSAwMDAwMTAgQyBAIApOVU0gQVVUTyA6"
    "IDE4NDExNwpNT05UQU5UIDoKICAgICAgICAgMTIzLDQ1IEVVUgpERUJJVAoKVElDS0VUIENMSUVOVApBIENPTlNF"
    "UlZFUgo="
)
APPROVED = (
    "CZ0040320CJ012999999999999CA00201CB00512345CC00300BCD0010CE003978AC006184117AE00210"
    "CF0262023-05-04-010|custom dataCG0071234567ZT373CK003100AK360" + RECEIPT
).encode("ascii")


def test_a_published_request_is_encoded_byte_for_byte() -> None:
    fields = [("CZ", "0300"), ("CJ", "247300123456"), ("CA", "01"), ("CB", "12345"), ("CD", "0"), ("CE", "978")]
    assert encode(fields) == DEBIT_12345
    assert decode(DEBIT_12345) == dict(fields)


def test_a_published_approval_is_read_with_its_receipt() -> None:
    fields = decode(APPROVED)
    assert (fields["AE"], fields["CF"], fields["CK"]) == ("10", "2023-05-04-010|custom data", "100")
    result = result_of(fields, "2023-05-04-010|custom data", "payment", "EUR")
    assert (result.outcome, result.amount, result.auth_code, result.terminal_reference) == (
        "approved",
        12345,
        "184117",
        "184117",
    )
    assert result.brand == "CB"  # CC 00B: CB contactless (no AID in this answer)
    assert result.last_four is None  # no AA: nothing is made up
    assert "NUM AUTO : 184117" in result.customer_receipt
    assert "############6368" in result.customer_receipt


def test_a_published_refusal_for_bad_format_is_a_rejected_request() -> None:
    fields = decode(BAD_FORMAT)
    assert (fields["AE"], fields["AF"]) == ("01", "09")
    with pytest.raises(TerminalRejected) as refused:
        result_of(fields, "cmp-1", "payment", "EUR")
    assert refused.value.code == "af_09"


@pytest.mark.parametrize(
    ("af", "outcome", "reason"),
    [
        ("04", "declined", "Refusée (04)"),
        ("05", "declined", "Interdite (05)"),
        ("0451  Solde insuffisant", "declined", "Refusée (04)"),  # CB2A details after the code
        ("06", "cancelled", "Abandon (06)"),
        ("08", "cancelled", "Time-out saisie (08)"),
        ("11", "cancelled", "Abandon opérateur (11)"),
        ("00", "declined", "Inconnu (00)"),
    ],
)
def test_not_done_is_a_decline_or_a_cancel_by_its_reason(af: str, outcome: str, reason: str) -> None:
    result = result_of({"AE": "01", "AF": af, "CB": "1000"}, "cmp-1", "payment", "EUR")
    assert (result.outcome, result.amount, result.decline_reason) == (outcome, 0, reason)


@pytest.mark.parametrize("af", ["09", "12", "13"])
def test_a_request_refused_unread_is_rejected_with_its_code(af: str) -> None:
    with pytest.raises(TerminalRejected) as refused:
        result_of({"AE": "01", "AF": af}, "cmp-1", "payment", "EUR")
    assert refused.value.code == f"af_{af}"


def test_of_the_card_only_brand_and_last_four_are_kept() -> None:
    number = "4970" + "1000" + "0000" + "0014"  # as a terminal may send it in AA
    fields = {
        "AE": "10",
        "CB": "1000",
        "AA": number,
        "AB": "3012",
        "AI": "A0000000031010",
        "AC": "A12345",
        "CG": "1234567",
    }
    result = result_of(fields, "cmp-1", "payment", "EUR")
    assert (result.brand, result.last_four, result.auth_code) == ("Visa", "0014", "A12345")
    kept = repr(result)
    assert number not in kept and number[:6] not in kept and "3012" not in kept and "1234567" not in kept


def test_a_masked_number_gives_its_last_four() -> None:
    fields = {"AE": "10", "CB": "1000", "AA": "497010######0019", "AI": "A0000000041010"}
    result = result_of(fields, "cmp-1", "payment", "EUR")
    assert (result.brand, result.last_four) == ("Mastercard", "0019")


@pytest.mark.parametrize(
    "fields",
    [{"AE": "10"}, {"AE": "10", "CB": "0"}, {"AE": "10", "CB": "12,00"}, {"AE": "11"}, {"AE": "99"}, {}],
)
def test_an_answer_that_states_no_outcome_is_not_a_result(fields: dict[str, str]) -> None:
    with pytest.raises(MessageError):
        result_of(fields, "cmp-1", "payment", "EUR")


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"CZ004030", "cut short"),
        (b"CZ0040320CA0", "truncated"),
        (b"CZ0040320CA0x101", "bad length"),
        (b"CZ0040320CA000", "zero"),
        (b"CZ0040320ca00201", "bad tag"),
        (b"CZ0040320CA00201CA00202", "twice"),
        (b"CA00201CZ0040320", "starts with CZ"),
        (b"CZ0040320AF002\xe91", "ASCII"),
        (b"CZ0040320ZT005CK00", "cut short|truncated"),
        (b"", "starts with CZ"),
    ],
)
def test_a_malformed_message_is_refused(raw: bytes, why: str) -> None:
    with pytest.raises(MessageError, match=why):
        decode(raw)


def test_messages_one_after_the_other_are_told_apart() -> None:
    taken = b"CZ0040320CA00201AE00211"
    assert decode_all(taken + BAD_FORMAT) == [{"CZ": "0320", "CA": "01", "AE": "11"}, decode(BAD_FORMAT)]
    with pytest.raises(MessageError, match="more than one"):
        decode(taken + BAD_FORMAT)


def test_a_trailing_line_end_is_tolerated() -> None:
    assert decode(DEBIT_12345 + b"\r\n")["CB"] == "12345"


@pytest.mark.parametrize(
    "fields",
    [
        [("CA", "01")],
        [("CZ", "0320"), ("CZ", "0300")],
        [("CZ", "")],
        [("CZ", "0320"), ("cb", "1")],
        [("CZ", "x" * 1000)],
    ],
)
def test_encoding_refuses_what_is_not_a_message(fields: list[tuple[str, str]]) -> None:
    with pytest.raises(MessageError):
        encode(fields)


def test_a_value_of_three_digit_length_is_framed() -> None:
    assert encode([("CZ", "0320"), ("AK", "A" * 120)]) == b"CZ0040320AK120" + b"A" * 120


@pytest.mark.parametrize(
    ("amount", "field"),
    [(1, "01"), (150, "150"), (12345, "12345"), (500, "500"), (1500, "1500"), (999_999_999_999, "999999999999")],
)
def test_amounts_travel_in_minor_units_on_two_to_twelve_digits(amount: int, field: str) -> None:
    assert amount_field(amount) == field


@pytest.mark.parametrize("amount", [0, -1, 10**12])
def test_an_amount_caisse_ap_cannot_carry_is_refused(amount: int) -> None:
    with pytest.raises(TerminalRejected) as refused:
        amount_field(amount)
    assert refused.value.code == "amount"


@pytest.mark.parametrize(
    ("letters", "numeric"), [("EUR", "978"), ("JPY", "392"), ("TND", "788"), ("XPF", "953"), ("CAD", "124")]
)
def test_currencies_travel_as_iso_4217_numbers(letters: str, numeric: str) -> None:
    assert currency_field(letters) == numeric


def test_options_come_from_the_url_query() -> None:
    terminal = connect(
        TerminalUrl("caisse-ap", "tpe.local", 8888, {"caisse": "02", "version": "0300", "lookup": "journal"})
    )
    assert (terminal.caisse, terminal.version, terminal.lookup, terminal.cj) == (
        "02",
        "0300",
        "journal",
        "247300123456",
    )


@pytest.mark.parametrize(
    "options",
    [{"caisse": "1"}, {"version": "3.2"}, {"lookup": "guess"}, {"cj": "short"}, {"currency": "XXX"}, {"pos": "1"}],
)
def test_a_wrong_option_is_a_configuration_error(options: dict[str, str]) -> None:
    with pytest.raises(TerminalConfigError):
        connect(TerminalUrl("caisse-ap", "tpe.local", 8888, options))
