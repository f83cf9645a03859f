"""The Caisse-AP driver against a terminal scripted byte by byte: what it sends, answers
split or preceded by "request taken", and answers it must not take as an outcome."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from appliance.drivers.caisse_ap_messages import decode, encode
from appliance.drivers.terminal import TerminalRejected, TerminalTimeout
from appliance.drivers.terminal_caisse_ap import CaisseApTerminal

Script = Callable[[socket.socket, dict[str, str]], None]


class ScriptedTerminal:
    """Accepts connections on loopback; each request is read whole, then `script` answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.script: Script = lambda conn, request: None
        self.requests: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                raw = self._read(conn)
                self.requests.append(raw)
                if raw:
                    self.script(conn, decode(raw))

    @staticmethod
    def _read(conn: socket.socket) -> bytes:
        buf = b""
        conn.settimeout(0.2)
        while True:
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                if buf:
                    return buf
                continue
            if not chunk:
                return buf
            buf += chunk

    def terminal(self, lookup: str = "journal") -> CaisseApTerminal:
        return CaisseApTerminal("127.0.0.1", self.port, lookup=lookup, status_timeout=2)


@pytest.fixture
def tpe() -> Iterator[ScriptedTerminal]:
    terminal = ScriptedTerminal()
    yield terminal
    terminal.listener.close()


def echo(request: dict[str, str], **answer: str) -> bytes:
    fields = [(t, request[t]) for t in ("CZ", "CJ", "CA", "CB", "CD", "CE", "CF") if t in request]
    return encode(fields + [(t, v) for t, v in answer.items() if t not in request])


APPROVED = {"AE": "10", "AC": "184117", "CC": "00B", "AI": "A0000000421010"}


def test_the_request_carries_the_mandatory_tags_and_our_reference(tpe: ScriptedTerminal) -> None:
    tpe.script = lambda conn, request: conn.sendall(echo(request, **APPROVED))
    terminal = CaisseApTerminal("127.0.0.1", tpe.port, version="0300", caisse="01")
    assert terminal.pay("cmp-7", 12345, "EUR", timeout=5).approved
    [sent] = tpe.requests
    # The published debit of 123.45 EUR, then our options: answer at the end, no partial
    # approval, our reference as private data, the customer receipt asked for.
    assert sent == b"CZ0040300CJ012247300123456CA00201CB00512345CD0010CE003978BA0010BF0010CF005cmp-7CK003100"


def test_an_answer_split_over_segments_is_reassembled(tpe: ScriptedTerminal) -> None:
    def split(conn: socket.socket, request: dict[str, str]) -> None:
        answer = echo(request, **APPROVED)
        for part in (answer[:7], answer[7:30], answer[30:]):
            conn.sendall(part)
            time.sleep(0.05)

    tpe.script = split
    result = tpe.terminal().pay("cmp-8", 990, "EUR", timeout=5)
    assert (result.outcome, result.amount, result.brand, result.auth_code) == ("approved", 990, "CB", "184117")


@pytest.mark.parametrize("pause", [0.0, 0.5], ids=["back to back", "apart"])
def test_request_taken_then_the_outcome_on_the_same_connection(tpe: ScriptedTerminal, pause: float) -> None:
    def taken_then_done(conn: socket.socket, request: dict[str, str]) -> None:
        conn.sendall(echo(request, AE="11"))
        time.sleep(pause)
        conn.sendall(echo(request, AE="01", AF="04"))

    tpe.script = taken_then_done
    result = tpe.terminal().pay("cmp-9", 990, "EUR", timeout=5)
    assert (result.outcome, result.decline_reason) == ("declined", "Refusée (04)")


def test_two_outcomes_for_one_request_leave_it_unknown(tpe: ScriptedTerminal) -> None:
    tpe.script = lambda conn, request: conn.sendall(echo(request, **APPROVED) + echo(request, AE="01", AF="04"))
    with pytest.raises(TerminalTimeout, match="two outcomes"):
        tpe.terminal().pay("cmp-15", 990, "EUR", timeout=5)


def test_a_refusal_that_echoes_nothing_is_still_a_refusal(tpe: ScriptedTerminal) -> None:
    tpe.script = lambda conn, request: conn.sendall(encode([("CZ", "0320"), ("AE", "01"), ("AF", "09")]))
    with pytest.raises(TerminalRejected) as refused:
        tpe.terminal().pay("cmp-16", 990, "EUR", timeout=5)
    assert refused.value.code == "af_09"


def test_a_terminal_not_known_to_answer_consultations_is_only_reached_for_its_status(tpe: ScriptedTerminal) -> None:
    assert tpe.terminal(lookup="last").terminal_status() == "idle"
    deadline = time.monotonic() + 5
    while not tpe.requests and time.monotonic() < deadline:
        time.sleep(0.02)
    assert tpe.requests == [b""]


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda r: echo(r, **APPROVED)[:-3], id="cut mid-record"),
        pytest.param(lambda r: b"HTTP/1.1 400 Bad Request\r\n\r\n", id="not Caisse-AP"),
        pytest.param(lambda r: echo({**r, "CF": "cmp-other"}, **APPROVED), id="another reference"),
        pytest.param(lambda r: echo({**r, "CA": "02"}, **APPROVED), id="another till"),
        pytest.param(lambda r: echo({**r, "CE": "840"}, **APPROVED), id="another currency"),
        pytest.param(lambda r: echo({k: v for k, v in r.items() if k != "CB"}, AE="10"), id="approved without amount"),
        pytest.param(lambda r: echo(r, AE="42"), id="unknown result"),
        pytest.param(lambda r: b"", id="closed unanswered"),
    ],
)
def test_an_answer_that_is_not_an_outcome_leaves_it_unknown(
    tpe: ScriptedTerminal, answer: Callable[[dict[str, str]], bytes]
) -> None:
    def reply(conn: socket.socket, request: dict[str, str]) -> None:
        if request.get("CD") == "3":  # the approval below may not be inferred from this
            conn.sendall(echo(request, AE="01", AF="12"))
        elif raw := answer(request):
            conn.sendall(raw)

    tpe.script = reply
    terminal = tpe.terminal()
    with pytest.raises(TerminalTimeout):
        terminal.pay("cmp-10", 990, "EUR", timeout=3)
    assert terminal.status("cmp-10").outcome == "in_progress"


def test_a_terminal_that_keeps_the_line_silent_times_out(tpe: ScriptedTerminal) -> None:
    release = threading.Event()

    def silent(conn: socket.socket, request: dict[str, str]) -> None:
        release.wait(10)

    tpe.script = silent
    try:
        with pytest.raises(TerminalTimeout, match="no answer"):
            tpe.terminal().pay("cmp-11", 990, "EUR", timeout=1)
    finally:
        release.set()


def test_a_request_the_terminal_refuses_unread_is_rejected(tpe: ScriptedTerminal) -> None:
    tpe.script = lambda conn, request: conn.sendall(echo(request, AE="01", AF="13"))
    with pytest.raises(TerminalRejected) as refused:
        tpe.terminal().pay("cmp-12", 990, "EUR", timeout=3)
    assert refused.value.code == "af_13"


def test_a_terminal_that_consults_only_its_last_transaction_never_says_not_found(tpe: ScriptedTerminal) -> None:
    last = {"CD": "0", "CF": "cmp-someone-else", "CB": "000000000500", "AE": "10", "AC": "111111"}
    tpe.script = lambda conn, request: conn.sendall(
        encode([("CZ", "0320"), ("CJ", request["CJ"]), ("CA", "01"), ("CE", "978"), *last.items()])
    )
    assert tpe.terminal(lookup="journal").status("cmp-13").outcome == "in_progress"


def test_a_consultation_the_terminal_does_not_know_is_in_progress_not_not_found(tpe: ScriptedTerminal) -> None:
    tpe.script = lambda conn, request: conn.sendall(echo(request, AE="01", AF="12"))
    assert tpe.terminal(lookup="journal").status("cmp-14").outcome == "in_progress"
    tpe.script = lambda conn, request: conn.sendall(echo(request, AE="01", AF="10"))
    assert tpe.terminal(lookup="last").status("cmp-14").outcome == "in_progress"
    assert tpe.terminal(lookup="journal").status("cmp-14").outcome == "not_found"
