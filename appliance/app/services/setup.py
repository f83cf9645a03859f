"""A new store: its settings, its tax classes and its first admin."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.app.domain.money import exponent
from appliance.app.domain.tax import Tax, TaxClass, parse_rate
from appliance.app.services import audit_log, card_vault, users
from appliance.app.services.opening import open_shop
from appliance.app.services.shop import FIRST_PASSWORD_FILE, Shop
from appliance.app.store import settings as settings_store
from appliance.app.store.db import create
from appliance.config import Config, load
from appliance.security.keys import SystemdCredential, provider_for
from appliance.security.vault import KEY_NAME


@dataclass(frozen=True)
class NewStore:
    store_name: str = "Comptoir"
    currency: str = "CAD"
    prices_include_tax: bool = False
    taxes: tuple[tuple[str, str], ...] = (("GST", "5"), ("QST", "9.975"))
    timezone: str = "America/Montreal"
    header: tuple[str, ...] = ()


def parse_taxes(text: str) -> tuple[tuple[str, str], ...]:
    """'GST=5,QST=9.975' → (('GST', '5'), ('QST', '9.975'))."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, rate = part.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"tax {part!r} must look like NAME=RATE, e.g. GST=5")
        out.append((name.strip(), parse_rate(rate)))
    return tuple(out)


def init_store(data_dir: Path, new: NewStore, **config: Any) -> tuple[Shop, str]:
    """Creates the store and key in data_dir; returns the shop and the admin's one-time password."""
    exponent(new.currency)  # refuses an unknown currency before anything is written
    taxes = tuple(Tax(name, parse_rate(rate)) for name, rate in new.taxes)
    # A service started by systemd with the store key as a credential makes its store under
    # that key; anywhere else the store gets a key file of its own.
    provider = provider_for("store", data_dir)
    db, _ = create(data_dir, provider if isinstance(provider, SystemdCredential) else None)
    db.close()
    cfg: Config = load(data_dir, **config)
    shop = open_shop(cfg)
    with shop.db.transaction() as tx:
        for key, value in {
            "store_name": new.store_name,
            "currency": new.currency,
            "prices_include_tax": new.prices_include_tax,
            "tax_rounding": "half_up",
            "timezone": new.timezone,
            "header": list(new.header),
            "footer": ["Thank you!"],
        }.items():
            settings_store.put(tx, key, value)
        settings_store.put_tax_class(tx, TaxClass("standard", "Standard", taxes))
        settings_store.put_tax_class(tx, TaxClass("exempt", "Exempt", ()))
        audit_log.record(
            shop,
            actor="cli",
            action="store_init",
            object="store",
            details={"currency": new.currency, "taxes": [list(t) for t in new.taxes]},
        )
    shop.forget_settings()
    password = users.add_user(shop, None, "admin", "admin", None)
    assert password is not None
    # The card vault's key is made now, beside the store's in the key folder, so that whoever
    # seals or backs up the keys finds both; a vault key systemd hands over is used as it is.
    # With the store key a credential and no vault credential, the vault waits for its first card.
    vault_key = provider_for(KEY_NAME, data_dir)
    if not isinstance(provider, SystemdCredential) or isinstance(vault_key, SystemdCredential):
        card_vault.open_vault(shop.db, data_dir)
    return shop, password


def first_start(cfg: Config) -> Path | None:
    """A box provisioned with the store key as a systemd credential but no store yet (the
    fleet's first start of the service): makes the store under that key, and leaves the admin's
    one-time password in a 0600 file for IT rather than in the journal. Returns that file."""
    if (cfg.data_dir / "store.db").exists():
        return None
    if not isinstance(provider_for("store", cfg.data_dir), SystemdCredential):
        return None
    shop, password = init_store(cfg.data_dir, NewStore(), terminal_id=cfg.terminal_id)
    shop.close()
    path = cfg.data_dir / FIRST_PASSWORD_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, (password + "\n").encode())
    finally:
        os.close(fd)
    return path
