"""A member of staff's account as the shop keeps it: who, which role, how they sign in
(password, PIN, badge: their hashes only) and whether the account is locked."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    password_hash: str
    must_change_password: bool
    failed_attempts: int
    locked_until: str | None
    active: bool
    pin_hash: str | None = None
    must_change_pin: bool = False
    badge_hash: str | None = None
