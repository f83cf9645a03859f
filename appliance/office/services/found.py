"""What a projection is given and what it gives back (services/projections.py), apart from
the list of projections so that a projection's module can name them without a cycle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Found:
    """An alarm a projection raises: its kind, the event's seq, and what it saw."""

    kind: str
    seq: int
    details: dict[str, Any]


@dataclass(frozen=True)
class Lane:
    store: str
    till: str
