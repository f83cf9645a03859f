"""The ruleset site.yml writes, loaded into network namespaces this test makes.

Two namespaces joined by a veth pair: "kiosk" (10.250.0.2, the ruleset loaded
here) and "net" (the gateway 10.250.0.1, the head office 10.250.0.3 and a
stranger 10.250.0.9, each listening on real sockets). Before the ruleset is
loaded every probe connects (so the network works); after, only the allow-list
does, the rest is dropped (timeouts, not refusals), inbound connections are
dropped too, loopback still works, and the drop counters moved. Nothing is
loaded in the host's namespace; the namespaces are deleted at the end.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from .roots import GATEWAY, HEAD_OFFICE, Provisioned

pytestmark = pytest.mark.slow

KIOSK = "10.250.0.2"
STRANGER = "10.250.0.9"

# Listens on every (proto, host, port) given as JSON in argv[1]; TCP answers
# "hi", UDP echoes. Prints "ready" once all are bound.
SERVER = r"""
import json, socket, sys, threading
def tcp(sock):
    while True:
        conn, _ = sock.accept()
        conn.sendall(b"hi"); conn.close()
def udp(sock):
    while True:
        data, peer = sock.recvfrom(512)
        sock.sendto(data, peer)
for proto, host, port in json.loads(sys.argv[1]):
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    if proto == "tcp":
        s.listen(16)
    threading.Thread(target=tcp if proto == "tcp" else udp, args=(s,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
"""

# Tries every (proto, host, port) of argv[1] at once; prints {"proto host:port": result}.
CLIENT = r"""
import json, socket, sys
from concurrent.futures import ThreadPoolExecutor
def probe(target):
    proto, host, port = target
    kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
    s = socket.socket(socket.AF_INET, kind)
    s.settimeout(1.5)
    try:
        if proto == "tcp":
            s.connect((host, port))
            return "ok" if s.recv(2) == b"hi" else "bad"
        s.sendto(b"ping", (host, port))
        return "ok" if s.recvfrom(512)[0] == b"ping" else "bad"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return type(e).__name__
    finally:
        s.close()
targets = [tuple(t) for t in json.loads(sys.argv[1])]
with ThreadPoolExecutor(len(targets)) as pool:
    results = list(pool.map(probe, targets))
print(json.dumps({f"{p} {h}:{port}": r for (p, h, port), r in zip(targets, results)}))
"""

ALLOWED = [("tcp", GATEWAY, 443), ("udp", GATEWAY, 53), ("tcp", HEAD_OFFICE, 8443)]
DROPPED = [
    ("tcp", GATEWAY, 8443),  # allowed host, other port
    ("tcp", HEAD_OFFICE, 443),  # allowed port of another destination
    ("tcp", STRANGER, 443),  # not on the list at all
    ("udp", GATEWAY, 5353),  # allowed host, other UDP port
]
INBOUND = [("tcp", KIOSK, 8787)]  # the net side connecting to the kiosk
LOOPBACK = [("tcp", "127.0.0.1", 8787)]


def key(target: tuple[str, str, int]) -> str:
    proto, host, port = target
    return f"{proto} {host}:{port}"


def sh(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@dataclass
class Network:
    kiosk: str
    net: str

    def run(self, ns: str, *args: str) -> str:
        return sh("ip", "netns", "exec", ns, *args)

    def probe(self, ns: str, targets: list[tuple[str, str, int]]) -> dict[str, str]:
        out = self.run(ns, sys.executable, "-c", CLIENT, json.dumps(targets))
        return json.loads(out)


def _listen(ns: str, targets: list[tuple[str, str, int]]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-c", SERVER, json.dumps(targets)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready", "listener did not start"
    return proc


@pytest.fixture
def network() -> Iterator[Network]:
    tag = f"{os.getpid() % 100000}"
    net = Network(kiosk=f"comptoir-kiosk-{tag}", net=f"comptoir-net-{tag}")
    listeners: list[subprocess.Popen[str]] = []
    created: list[str] = []
    try:
        for ns in (net.kiosk, net.net):
            sh("ip", "netns", "add", ns)
            created.append(ns)
        # The veth pair is made directly inside the two namespaces: the host
        # never sees either end.
        sh(
            "ip", "link", "add", "name", "ck0", "netns", net.kiosk, "type", "veth",
            "peer", "name", "cn0", "netns", net.net,
        )  # fmt: skip
        net.run(net.kiosk, "ip", "addr", "add", f"{KIOSK}/24", "dev", "ck0")
        for address in (GATEWAY, HEAD_OFFICE, STRANGER):
            net.run(net.net, "ip", "addr", "add", f"{address}/24", "dev", "cn0")
        for ns, dev in ((net.kiosk, "ck0"), (net.net, "cn0")):
            net.run(ns, "ip", "link", "set", "lo", "up")
            net.run(ns, "ip", "link", "set", dev, "up")
        listeners.append(_listen(net.net, ALLOWED + DROPPED))
        listeners.append(_listen(net.kiosk, [("tcp", "0.0.0.0", 8787)]))
        yield net
    finally:
        for proc in listeners:
            proc.kill()
            proc.wait(timeout=10)
        for ns in created:
            subprocess.run(["ip", "netns", "delete", ns], check=False)


def test_ruleset_allows_the_allow_list_and_drops_the_rest(provisioned: Provisioned, network: Network) -> None:
    ruleset = provisioned.root / "etc/nftables.conf"
    assert ruleset.exists()

    # The kiosk namespace holds only what this test made.
    links = network.run(network.kiosk, "ip", "-o", "link", "show")
    assert sorted(re.findall(r"^\d+: ([^:@]+)", links, re.M)) == ["ck0", "lo"], links

    # Without the ruleset everything connects: the network itself works.
    before = network.probe(network.kiosk, ALLOWED + DROPPED + LOOPBACK)
    before |= network.probe(network.net, INBOUND)
    assert set(before.values()) == {"ok"}, before

    network.run(network.kiosk, "nft", "-f", str(ruleset))
    loaded = network.run(network.kiosk, "nft", "list", "ruleset")
    assert "table inet comptoir" in loaded

    after = network.probe(network.kiosk, ALLOWED + DROPPED + LOOPBACK)
    after |= network.probe(network.net, INBOUND)
    for target in ALLOWED + LOOPBACK:
        assert after[key(target)] == "ok", (target, after)
    # A dropped outbound TCP SYN times out; a UDP datagram dropped on the way
    # out is refused to the sender with EPERM. Never an answer, never a reset.
    for target in DROPPED:
        assert after[key(target)] in {"timeout", "PermissionError"}, (target, after)
    for target in INBOUND:
        assert after[key(target)] == "timeout", (target, after)

    # The drops went through the logging rule and its counter.
    time.sleep(0.2)
    counters = network.run(network.kiosk, "nft", "list", "table", "inet", "comptoir")
    out = re.search(r'counter packets (\d+) bytes \d+ comment "dropped out"', counters)
    inbound = re.search(r'counter packets (\d+) bytes \d+ comment "dropped in"', counters)
    assert out and int(out.group(1)) >= len(DROPPED), counters
    assert inbound and int(inbound.group(1)) >= 1, counters
    assert 'log prefix "comptoir-drop out: "' in counters


def test_host_ruleset_untouched(provisioned: Provisioned) -> None:
    """The host's own namespace never gets the kiosk table."""
    host = subprocess.run(["nft", "list", "tables"], capture_output=True, text=True, check=False)
    assert "comptoir" not in host.stdout
