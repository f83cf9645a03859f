"""The nftables ruleset: parsed from the file the firewall role writes."""

from __future__ import annotations

from appliance.security.compliance.checks.nft_parse import parse
from appliance.security.compliance.model import Status

from .conftest import Root

# What the firewall role renders for the test inventory (roles/firewall/templates).
RULESET = """#!/usr/sbin/nft -f
# Managed by Ansible
flush ruleset

table inet comptoir {
	chain input {
		type filter hook input priority filter; policy drop;
		iif "lo" accept
		ct state established,related accept
		ct state invalid drop
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert, nd-redirect } ip6 hoplimit 255 accept
		udp sport 67 udp dport 68 accept comment "dhcp"
		limit rate 10/second burst 20 packets log prefix "comptoir-drop in: " level warn
		counter comment "dropped in"
	}

	chain forward {
		type filter hook forward priority filter; policy drop;
		limit rate 10/second burst 20 packets log prefix "comptoir-drop fwd: " level warn
	}

	chain output {
		type filter hook output priority filter; policy drop;
		oif "lo" accept
		ct state established,related accept
		udp sport 68 udp dport 67 accept comment "dhcp"
		ip daddr 10.250.0.1 tcp dport { 443 } accept comment "payment gateway"
		ip daddr 10.250.0.3 tcp dport { 8443, 9443 } accept comment "head office"
		limit rate 10/second burst 20 packets log prefix "comptoir-drop out: " level warn
		counter comment "dropped out"
	}
}
"""
EXEMPT = ['^oif "lo" accept$', "^ct state established,related accept$", "^udp sport 68 udp dport 67 accept"]


def test_parse_finds_chains_hooks_policies_and_rules() -> None:
    ruleset = parse(RULESET, "/etc/nftables.conf")
    assert [(c.name, c.hook, c.policy) for c in ruleset.chains] == [
        ("input", "input", "drop"),
        ("forward", "forward", "drop"),
        ("output", "output", "drop"),
    ]
    output = ruleset.base_chains("output")[0]
    assert output.rules[3].text == 'ip daddr 10.250.0.1 tcp dport { 443 } accept comment "payment gateway"'
    assert output.rules[3].line == 27


def test_one_line_chains_and_named_sets() -> None:
    text = (
        "table ip filter {\n set allowed { type ipv4_addr; elements = { 10.0.0.1 } }\n"
        " chain out { type filter hook output priority 0; policy accept; }\n}\n"
    )
    (chain,) = parse(text, "x").chains
    assert (chain.hook, chain.policy, chain.rules) == ("output", "accept", [])


def test_policies_and_properties(root: Root) -> None:
    root.write("/etc/nftables.conf", RULESET, 0o750)
    for hook in ("input", "output", "forward"):
        assert (
            root.check({"type": "nftables", "property": "chain_policy", "hook": hook, "policy": "drop"}).status
            is Status.PASS
        )
        spec = {"type": "nftables", "property": "log_prefix", "hook": hook, "prefix": "^comptoir-drop"}
        assert root.check(spec).status is Status.PASS
    named = {"type": "nftables", "property": "accepts_name_destination", "hook": "output", "exempt": EXEMPT}
    assert root.check(named).status is Status.PASS
    ports = {"type": "nftables", "property": "no_inbound_port", "hook": "input", "ports": [22, 3389]}
    assert root.check(ports).status is Status.PASS


def test_an_open_output_policy_fails_with_the_line(root: Root) -> None:
    root.write(
        "/etc/nftables.conf",
        RULESET.replace("hook output priority filter; policy drop;", "hook output priority filter; policy accept;"),
    )
    outcome = root.check({"type": "nftables", "property": "chain_policy", "hook": "output", "policy": "drop"})
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0].where == "/etc/nftables.conf:22 (inet comptoir output)"
    assert outcome.evidence[0].found == "policy accept"


def test_a_blanket_accept_defeats_a_drop_policy(root: Root) -> None:
    root.write("/etc/nftables.conf", RULESET.replace('\t\toif "lo" accept\n', "\t\taccept\n"))
    outcome = root.check({"type": "nftables", "property": "chain_policy", "hook": "output", "policy": "drop"})
    assert outcome.status is Status.FAIL and "unconditional accept" in outcome.evidence[0].found
    named = root.check({"type": "nftables", "property": "accepts_name_destination", "hook": "output", "exempt": EXEMPT})
    assert named.status is Status.FAIL and named.evidence[0].found == "accept"


def test_an_open_ssh_port_is_found_in_a_set(root: Root) -> None:
    root.write(
        "/etc/nftables.conf",
        RULESET.replace('udp sport 67 udp dport 68 accept comment "dhcp"', "tcp dport { 80, ssh } accept"),
    )
    outcome = root.check({"type": "nftables", "property": "no_inbound_port", "hook": "input", "ports": [22]})
    assert outcome.status is Status.FAIL and "ssh" in outcome.evidence[0].found


def test_includes_are_followed_inside_the_root(root: Root) -> None:
    root.write("/etc/nftables.conf", 'flush ruleset\ninclude "/etc/nftables.d/*.nft"\n')
    root.write("/etc/nftables.d/10-kiosk.nft", RULESET)
    outcome = root.check({"type": "nftables", "property": "chain_policy", "hook": "input", "policy": "drop"})
    assert outcome.status is Status.PASS
    assert outcome.evidence[0].where.startswith("/etc/nftables.d/10-kiosk.nft:")


def test_no_ruleset_or_no_chain_fails(root: Root) -> None:
    spec = {"type": "nftables", "property": "chain_policy", "hook": "output", "policy": "drop"}
    assert root.check(spec).evidence[0].found == "file missing"
    root.write("/etc/nftables.conf", "#!/usr/sbin/nft -f\nflush ruleset\n")  # Debian's default: no table at all
    outcome = root.check(spec)
    assert outcome.status is Status.FAIL and outcome.evidence[0].found == "no base chain on that hook"


def test_garbage_does_not_crash(root: Root) -> None:
    root.write("/etc/nftables.conf", "table inet x { chain y { { { ;;; } policy\n")
    outcome = root.check({"type": "nftables", "property": "chain_policy", "hook": "input"})
    assert outcome.status in (Status.FAIL, Status.ERROR)
