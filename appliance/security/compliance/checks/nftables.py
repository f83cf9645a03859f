"""Firewall: properties of the nftables ruleset the target loads at boot (or, live, the
ruleset loaded in the kernel, listed read-only with `nft list ruleset`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from typing import Any

from appliance.security.compliance.checks.base import PATH, REGEX, check
from appliance.security.compliance.checks.nft_parse import Chain, Ruleset, parse
from appliance.security.compliance.model import Evidence, Outcome, Status
from appliance.security.compliance.target import Target, Unreadable

CONFIG = "/etc/nftables.conf"
SERVICES = {"ssh": 22, "telnet": 23, "vnc": 5900, "rdp": 3389, "ms-wbt-server": 3389, "http": 80, "https": 443}
PROPERTIES = ["chain_policy", "log_prefix", "no_inbound_port", "accepts_name_destination"]
_PARAMS: dict[str, Any] = {
    "path": PATH,
    "property": {"enum": PROPERTIES},
    "hook": {"enum": ["input", "output", "forward", "prerouting", "postrouting", "ingress"]},
    "policy": {"enum": ["drop", "accept"]},
    "prefix": REGEX,
    "ports": {"type": "array", "items": {"type": ["integer", "string"]}, "minItems": 1},
    "exempt": {"type": "array", "items": REGEX},
}


def ruleset_of(target: Target, path: str) -> Ruleset:
    def include(pattern: str) -> list[tuple[str, str]]:
        full = pattern if pattern.startswith("/") else f"/etc/{pattern}"
        return [(p, target.read_text(p)) for p in target.glob(full)]

    return target.memo(f"nft:{path}", lambda: parse(target.read_text(path), path, include))


def _property(ruleset: Ruleset, p: Mapping[str, Any]) -> Outcome:
    prop, hook = p["property"], p.get("hook", "input")
    chains = ruleset.base_chains(hook)
    where = ", ".join(ruleset.files)
    if not chains:
        return Outcome.failed(where, f"a base chain on the {hook} hook", "no base chain on that hook")
    if prop == "chain_policy":
        return _chain_policy(chains, p.get("policy", "drop"), hook)
    if prop == "log_prefix":
        return _log_prefix(chains, p["prefix"])
    if prop == "no_inbound_port":
        return _no_port(chains, p["ports"])
    return _named_destinations(chains, p.get("exempt", []))


def _chain_policy(chains: list[Chain], policy: str, hook: str) -> Outcome:
    expected = f"policy {policy} on the {hook} hook, no unconditional accept"
    outcome = Outcome(Status.FAIL)
    for chain in chains:
        blanket = [r for r in chain.rules if r.words in (["accept"], ["counter", "accept"])]
        ok = chain.policy == policy and not blanket
        if ok:
            outcome.status = Status.PASS
        found = f"policy {chain.policy or 'accept (default)'}"
        if blanket:
            found += f"; unconditional accept at line {blanket[0].line}"
        outcome.evidence.append(Evidence(f"{chain.source}:{chain.line} ({chain.label})", expected, found, ok))
    return outcome


def _log_prefix(chains: list[Chain], prefix: str) -> Outcome:
    regex = re.compile(prefix)
    expected = f"a log rule with a prefix matching /{prefix}/"
    for chain in chains:
        for rule in chain.rules:
            words = rule.text.split()
            if "log" in words and "prefix" in words:
                text = words[words.index("prefix") + 1].strip('"') if words.index("prefix") + 1 < len(words) else ""
                if regex.search(text):
                    return Outcome.passed(f"{rule.source}:{rule.line} ({chain.label})", expected, rule.text)
    return Outcome.failed(", ".join(c.label for c in chains), expected, "no such log rule")


def _ports(words: list[str]) -> set[str]:
    found: set[str] = set()
    for index, word in enumerate(words):
        if word == "dport":
            for value in words[index + 1 :]:
                if not re.fullmatch(r"[0-9a-z-]+", value) or value in ("accept", "drop", "counter", "log", "comment"):
                    break
                found.add(str(SERVICES.get(value, value)))
    return found


def _no_port(chains: list[Chain], ports: list[int | str]) -> Outcome:
    banned = {str(SERVICES.get(str(p), p)) for p in ports}
    expected = f"no accept rule for port(s) {', '.join(sorted(banned))}"
    outcome = Outcome(Status.PASS)
    for chain in chains:
        for rule in chain.rules:
            hit = _ports(rule.words) & banned
            if rule.verdict == "accept" and hit:
                outcome.add(f"{rule.source}:{rule.line} ({chain.label})", expected, rule.text, False)
    if outcome.status is Status.PASS:
        outcome.evidence.append(Evidence(", ".join(c.label for c in chains), expected, "none found", True))
    return outcome


def _named_destinations(chains: list[Chain], exempt: list[str]) -> Outcome:
    """Each accept rule names an address (an allow-list entry) or is one of the exempt kinds
    (loopback, established traffic, neighbour discovery, DHCP…)."""
    patterns = [re.compile(e) for e in exempt]
    expected = "every accept rule names a destination address (or is exempt)"
    outcome = Outcome(Status.PASS)
    count = 0
    for chain in chains:
        for rule in chain.rules:
            if rule.verdict != "accept":
                continue
            count += 1
            if "daddr" in rule.words or any(p.search(rule.text) for p in patterns):
                continue
            outcome.add(f"{rule.source}:{rule.line} ({chain.label})", expected, rule.text, False)
    if outcome.status is Status.PASS:
        outcome.evidence.append(
            Evidence(", ".join(c.label for c in chains), expected, f"{count} accept rule(s), all named", True)
        )
    return outcome


@check("nftables", _PARAMS, ["property"])
def nftables(target: Target, p: Mapping[str, Any]) -> Outcome:
    """A property of the ruleset loaded at boot: chain_policy, log_prefix, no_inbound_port, accepts_name_destination."""
    path = p.get("path", CONFIG)
    if not target.exists(path):
        return Outcome.failed(path, "an nftables ruleset", "file missing")
    return _property(ruleset_of(target, path), p)


@check("nftables_live", {k: v for k, v in _PARAMS.items() if k != "path"}, ["property"], live_only=True)
def nftables_live(target: Target, p: Mapping[str, Any]) -> Outcome:
    """The same properties on the ruleset loaded in the running kernel (`nft list ruleset`, read-only)."""
    nft = shutil.which("nft") or "/usr/sbin/nft"

    def listed() -> Ruleset:
        proc = subprocess.run([nft, "list", "ruleset"], capture_output=True, text=True, timeout=20, check=False)
        if proc.returncode != 0:
            raise Unreadable(f"nft list ruleset: {proc.stderr.strip() or proc.returncode}")
        return parse(proc.stdout, "nft list ruleset")

    return _property(target.memo("nft:live", listed), p)
