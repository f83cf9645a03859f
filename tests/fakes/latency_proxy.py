"""A TCP proxy on 127.0.0.1 that puts a bad network between the till and its acquirer:
each chunk late by a random delay, some answers cut off after their first bytes, and hooks
that act at named points of an HTTP exchange (a request about to be forwarded, an answer
just come back) — to kill a process there, to hold a request, or to drop the connection.

It knows just enough HTTP/1.1 to tell where a request starts (a chunk from the client
beginning with a method) and where its answer starts (a chunk from upstream beginning with
"HTTP/"); requests on one connection are never pipelined by the clients it serves (httpx).

A request read from the client is forwarded even if the client has gone meanwhile (the
till killed with its request on the wire, as a real network would deliver it). While the
test says the upstream is down (`upstream_down(True)`) the proxy does not listen, so that a
client sees "connection refused" as it would without a proxy; a client whose upstream
connection fails anyway sees its connection closed at once.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# What an answer hook decides: pass the answer on, or cut the connection (after `keep`
# bytes of the answer, 0 for none).
FORWARD = "forward"
DROP = "drop"


@dataclass
class Faults:
    """What the proxy does now; the test changes it at any time."""

    delay: tuple[float, float] = (0.0, 0.0)  # seconds, uniform, before each chunk either way
    drop_answer: float = 0.0  # chance that an answer is cut after its first bytes
    # Called with the request's first line before it is forwarded; may sleep (hold it);
    # FORWARD or DROP (the request never reaches upstream; both sides are closed).
    on_request: Callable[[str], str] | None = None
    # Called with the request's first line when its answer starts; FORWARD or DROP.
    on_answer: Callable[[str], str] | None = None


@dataclass
class Stats:
    connections: int = 0
    refused_upstream: int = 0
    answers_dropped: int = 0
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, name: str) -> None:
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)


class LatencyProxy:
    def __init__(self, upstream_port: int, *, seed: int = 0, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.faults = Faults()
        self.stats = Stats()
        self._random = random.Random(seed)
        self._random_lock = threading.Lock()
        self._listener = self._listen(0)
        self.port = int(self._listener.getsockname()[1])
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._listen_lock = threading.Lock()
        self._closed = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def _listen(port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen(64)
        return sock

    def start(self) -> LatencyProxy:
        threading.Thread(target=self._accept, args=(self._listener,), name="proxy-accept", daemon=True).start()
        return self

    def upstream_down(self, down: bool) -> None:
        """Down: stop listening (callers are refused). Up: listen again on the same port."""
        with self._listen_lock:
            if down:
                with contextlib.suppress(OSError):
                    self._listener.close()
            elif self._listener.fileno() == -1 and not self._closed:
                self._listener = self._listen(self.port)
                self.start()

    def close(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._open_lock:
            for sock in list(self._open):
                _close(sock)
            self._open.clear()

    def __enter__(self) -> LatencyProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _chance(self) -> float:
        with self._random_lock:
            return self._random.random()

    def _pause(self) -> None:
        low, high = self.faults.delay
        if high > 0:
            with self._random_lock:
                wait = self._random.uniform(low, high)
            time.sleep(wait)

    def _track(self, sock: socket.socket) -> None:
        with self._open_lock:
            self._open.add(sock)

    def _accept(self, listener: socket.socket) -> None:
        while not self._closed:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            self.stats.add("connections")
            threading.Thread(target=self._serve, args=(client,), name="proxy-conn", daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        self._track(client)
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            self.stats.add("refused_upstream")
            _close(client)  # the acquirer is down: the till sees its connection closed
            return
        upstream.settimeout(30)
        self._track(upstream)
        exchange = _Exchange()
        answers = threading.Thread(
            target=self._answers, args=(upstream, client, exchange), name="proxy-answers", daemon=True
        )
        answers.start()
        self._requests(client, upstream, exchange)
        answers.join(35)
        _close(client)
        _close(upstream)

    def _requests(self, client: socket.socket, upstream: socket.socket, exchange: _Exchange) -> None:
        """Client to upstream, until the client closes (what it sent still goes on)."""
        while True:
            try:
                chunk = client.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            line = _request_line(chunk)
            if line is not None:
                exchange.request = line
                self.stats.add("requests")
                hook = self.faults.on_request
                if hook is not None and hook(line) == DROP:
                    _close(client)
                    _close(upstream)
                    return
            self._pause()
            try:
                upstream.sendall(chunk)
            except OSError:
                _close(client)
                return

    def _answers(self, upstream: socket.socket, client: socket.socket, exchange: _Exchange) -> None:
        """Upstream to client; an answer may be cut; a gone client only stops the copying."""
        client_gone = False
        while True:
            try:
                chunk = upstream.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            if chunk.startswith(b"HTTP/"):
                action = FORWARD
                hook = self.faults.on_answer
                if hook is not None:
                    action = hook(exchange.request)
                if action == FORWARD and self.faults.drop_answer and self._chance() < self.faults.drop_answer:
                    action = DROP
                if action == DROP:
                    self.stats.add("answers_dropped")
                    with contextlib.suppress(OSError):
                        client.sendall(chunk[:12])  # the start of an answer, then nothing
                    break
            if client_gone:
                continue
            self._pause()
            try:
                client.sendall(chunk)
            except OSError:
                client_gone = True
        _close(client)
        _close(upstream)


@dataclass
class _Exchange:
    request: str = ""


METHODS = (b"GET ", b"POST ", b"PUT ", b"PATCH ", b"DELETE ", b"HEAD ")


def _request_line(chunk: bytes) -> str | None:
    if not chunk.startswith(METHODS):
        return None
    return chunk.split(b"\r\n", 1)[0].decode("latin-1")


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
