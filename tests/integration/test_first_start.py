"""A box provisioned by the fleet run: systemd hands the service its store key as a
credential and there is no store yet. The first start makes the store under that key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appliance.app.services import audit_log, auth, card_vault
from appliance.app.services.opening import open_shop
from appliance.app.services.setup import first_start
from appliance.app.services.shop import FIRST_PASSWORD_FILE
from appliance.config import load
from appliance.security.keys import KeyFile, new_key, provider_for


def test_the_first_start_makes_the_store_under_the_credential(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = tmp_path / "creds"
    credentials.mkdir()
    key = new_key()
    (credentials / "comptoir-store-key").write_text(key.hex())
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    data = tmp_path / "var-lib-comptoir"
    cfg = load(data)
    made = first_start(cfg)
    assert made == cfg.data_dir / FIRST_PASSWORD_FILE
    assert made.stat().st_mode & 0o777 == 0o600
    assert not (cfg.data_dir / "store.key").exists()  # the key stays systemd's
    audit_key = provider_for("audit", cfg.data_dir)  # none handed over: a key file is made
    assert isinstance(audit_key, KeyFile) and audit_key.path.stat().st_mode & 0o777 == 0o600
    assert first_start(cfg) is None  # once only
    shop = open_shop(cfg)
    try:
        assert audit_log.verify(shop)[1] == []
        password = made.read_text().strip()
        actor = auth.login(shop, "admin", password, "127.0.0.1").actor
        assert actor.must_change_password
        auth.change_password(shop, actor, password, "Store-Keeper-2026")
        assert not made.exists()  # spent, so gone
    finally:
        shop.close()
    # The store opens only with the credential's key.
    monkeypatch.delenv("CREDENTIALS_DIRECTORY")
    (data / "store.key").write_text(new_key().hex())
    os.chmod(data / "store.key", 0o600)
    from appliance.app.store.db import StoreError

    with pytest.raises(StoreError):
        open_shop(load(data))


def test_no_credential_no_first_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    assert first_start(load(tmp_path / "data")) is None
    assert not (tmp_path / "data" / "store.db").exists()


def test_with_both_credentials_no_key_file_is_ever_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The appliance's layout (provisioning/roles/pos_app): systemd hands over the store key, the
    card vault's key and the audit log's key; the store is made under one, the vault under
    another, the audit chain linked with the third, and neither the data dir nor a key folder
    beside it ever holds a key."""
    from appliance.security.vault import KEY_NAME, kek_id

    credentials = tmp_path / "creds"
    credentials.mkdir()
    vault_key = new_key()
    (credentials / "comptoir-store-key").write_text(new_key().hex())
    (credentials / "comptoir-vault-key").write_text(vault_key.hex())
    (credentials / "comptoir-audit-key").write_text(new_key().hex())
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    data = tmp_path / "var-lib-comptoir"
    cfg = load(data)
    assert first_start(cfg) is not None
    shop = open_shop(cfg)
    try:
        wrapped_by = shop.db.conn.execute("SELECT DISTINCT kek_id FROM vault_keys").fetchall()
        assert [r[0] for r in wrapped_by] == [kek_id(vault_key)]
        assert card_vault.open_vault(shop.db, data).provider.describe() == f"systemd credential comptoir-{KEY_NAME}-key"
    finally:
        shop.close()
    assert not list(data.glob("*.key*"))
    assert not (tmp_path / "var-lib-comptoir-keys").exists()
