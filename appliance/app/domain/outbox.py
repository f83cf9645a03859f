"""The outbox's chain: each event the till sends to the office is numbered per till with no
gap and linked to the one before by a SHA-256 over its canonical JSON. The till makes the
links as it writes; the office makes them again from what it receives. Pure: no I/O, so the
till and the office share one definition of an event's hash.

Not keyed, unlike the audit log: the office must check a link without holding a till's
secret. What the chain proves is order and completeness (no event dropped, changed or
inserted unnoticed once the office holds its successor); who sent it is the lane's
certificate, checked by mutual TLS.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

GENESIS = "0" * 64  # the link the first event of a till follows

# What an event may never carry (names of keys, at any depth): card data and secrets.
FORBIDDEN_KEYS = frozenset(
    {"pan", "card_number", "number_sealed", "cvv", "cvc", "track", "pin", "pin_hash", "password", "password_hash"}
)


class OutboxEvent(TypedDict):
    """An event as it is written at the till and sent to the office."""

    seq: int
    at: str
    kind: str
    body: dict[str, Any]
    prev_hash: str
    hash: str


def canonical(value: Any) -> str:
    """The one text of a JSON value that is hashed: sorted keys, no spaces, UTF-8 as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def event_hash(prev_hash: str, seq: int, at: str, kind: str, body: Mapping[str, Any]) -> str:
    text = canonical({"at": at, "body": body, "kind": kind, "prev": prev_hash, "seq": seq})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def forbidden_keys(value: Any) -> list[str]:
    """The keys of `value` (at any depth) that name card data or a secret."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if str(key).lower() in FORBIDDEN_KEYS:
                found.append(str(key))
            found.extend(forbidden_keys(inner))
    elif isinstance(value, list | tuple):
        for inner in value:
            found.extend(forbidden_keys(inner))
    return found


def chain_problems(events: Iterable[Mapping[str, Any]], *, after: tuple[int, str] = (0, GENESIS)) -> list[str]:
    """What is wrong with a run of events that should follow `after` (seq, hash): a gap, a
    link to the wrong predecessor, a hash that is not the event's. Empty when the chain holds."""
    problems: list[str] = []
    last_seq, last_hash = after
    for event in events:
        seq = int(event["seq"])
        if seq != last_seq + 1:
            problems.append(f"event {seq} follows event {last_seq}: {seq - last_seq - 1} missing")
        elif event["prev_hash"] != last_hash:
            problems.append(f"event {seq} does not link to event {last_seq}")
        made = event_hash(str(event["prev_hash"]), seq, str(event["at"]), str(event["kind"]), event["body"])
        if made != event["hash"]:
            problems.append(f"event {seq}'s hash is not its content's")
        last_seq, last_hash = seq, str(event["hash"])
    return problems
