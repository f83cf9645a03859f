"""The loopback port a test or a demo gives a server it is about to start: free, and out of the
range outgoing connections take their ports from (one took a test office's port so)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from appliance import processes
from appliance.processes import free_port


def ephemeral_start() -> int:
    return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])


def test_the_port_is_below_the_range_outgoing_connections_take_theirs_from() -> None:
    ports = {free_port() for _ in range(50)}
    assert all(1024 <= port < ephemeral_start() for port in ports), sorted(ports)
    assert len(ports) > 40, "drawn at random, not the same few ports"


def test_the_port_can_be_listened_on() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", free_port()))
        server.listen()


def test_a_port_someone_listens_on_is_never_given(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", free_port()))
        listener.listen()
        taken = listener.getsockname()[1]
        drawn = iter([taken, taken, taken + 1])

        class Draws:
            def randrange(self, start: int, stop: int) -> int:
                return next(drawn)

        monkeypatch.setattr(processes.random, "SystemRandom", Draws)
        assert processes.free_port() == taken + 1
