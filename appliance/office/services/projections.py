"""What the office makes of a lane's events: balances, stock, books, found in its own tables.

`lane_events.ingest` calls `project` inside the transaction that stores a batch, with the
events that batch stored for the first time (a duplicate is never projected twice), so a
projection commits with its event or not at all, and an office killed mid-ingest leaves
neither. Events can come out of order (a gap filled by a later push), and from several lanes
at once: a projection adds what one event says and must not depend on having seen the ones
before it. What a projection finds wrong (a gift card overspent offline, a Z that does not
add up) it returns as alarms; ingest raises them like its own.

Each projection names the kinds it reads; the office's projections are listed in
`PROJECTIONS`, one line each.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# Found and Lane live apart so that a projection can name them without importing this module,
# which imports it (an import cycle otherwise).
from appliance.office.services import (
    books,
    configuration,
    customers,
    gift_cards,
    returns_across,
    security_log,
    stock_ledger,
)
from appliance.office.services.found import Found as Found
from appliance.office.services.found import Lane as Lane
from appliance.office.store.db import Connection

Projection = Callable[[Connection, Lane, dict[str, Any]], list[Found]]


@dataclass(frozen=True)
class Registered:
    kinds: frozenset[str]
    apply: Projection


# One line per projection: `Registered(frozenset({"sale_completed"}), books.project)`.
PROJECTIONS: tuple[Registered, ...] = (
    Registered(stock_ledger.KINDS, stock_ledger.project),
    Registered(gift_cards.KINDS, gift_cards.project),
    Registered(customers.KINDS, customers.project),
    Registered(security_log.KINDS, security_log.project),
    Registered(books.KINDS, books.project),
    Registered(returns_across.KINDS, returns_across.project),
    Registered(configuration.KINDS, configuration.project),
)


def project(
    conn: Connection, lane: Lane, events: Sequence[dict[str, Any]], projections: Sequence[Registered] | None = None
) -> list[Found]:
    """Applies every projection to each event (in seq order) that it reads; what they found."""
    found: list[Found] = []
    for e in events:
        for p in PROJECTIONS if projections is None else projections:
            if e["kind"] in p.kinds:
                found.extend(p.apply(conn, lane, e))
    return found
