"""The token vault against a real SQLCipher store: round trip, lookup, keys, rotation."""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

import pytest

from appliance.app.domain.card import Card, parse_card
from appliance.app.domain.errors import Forbidden, Invalid, NotFound
from appliance.app.services import card_vault
from appliance.app.store import db as store
from appliance.security import vault as vault_module
from appliance.security.keys import KeyFile, key_dir_for
from appliance.security.pan_scan import scan_database
from appliance.security.vault import TokenVault, VaultError

from .conftest import AuditRecorder

TODAY = date(2025, 6, 15)
CARDS = [
    ("4111111111111111", 12, 2030),
    ("5555555555554444", 1, 2027),
    ("378282246310005", 3, 2028),
    ("6011111111111117", 4, 2029),
    ("3566002020360505", 5, 2031),
]


def _card(number: str, month: int = 12, year: int = 2030) -> Card:
    return parse_card(number, month, year, TODAY)


def test_round_trip_and_what_is_kept(vault: TokenVault, audit: AuditRecorder) -> None:
    for number, month, year in CARDS:
        info = vault.tokenise(_card(number, month, year))
        assert re.fullmatch(r"tok_[A-Za-z0-9_-]{22}", info.token)
        assert number not in info.token and number[-4:] == info.last_four
        assert (info.exp_month, info.exp_year) == (month, year)
        back = vault.detokenise(info.token, purpose="authorise", actor="pos-1", audit=audit)
        assert back.number == number
        assert (back.exp_month, back.exp_year) == (month, year)
        assert vault.info(info.token) == info
    assert len(audit.entries) == len(CARDS)
    for action, outcome, obj, details in audit.entries:
        assert (action, outcome) == ("vault.detokenise", "success")
        assert obj.startswith("tok_")
        assert details["purpose"] == "authorise" and details["actor"] == "pos-1"
        assert not any(number in repr(details) for number, _, _ in CARDS)


def test_same_card_same_token_found_by_fingerprint(vault: TokenVault) -> None:
    first = vault.tokenise(_card("4111111111111111", 12, 2030))
    again = vault.tokenise(_card("4111 1111 1111 1111", 1, 2032))  # reissued: new expiry
    assert again.token == first.token
    assert vault.info(first.token).exp_year == 2032
    found = vault.find("4111111111111111")
    assert found is not None and found.token == first.token
    assert vault.find("5555555555554444") is None
    other = vault.tokenise(_card("5555555555554444"))
    assert other.token != first.token


def test_detokenise_refuses_other_purposes_and_audits(vault: TokenVault, audit: AuditRecorder) -> None:
    token = vault.tokenise(_card("4111111111111111")).token
    with pytest.raises(Forbidden):
        vault.detokenise(token, purpose="report", actor="mgr", audit=audit)
    with pytest.raises(NotFound):
        vault.detokenise("tok_" + "A" * 22, purpose="authorise", actor="pos", audit=audit)
    assert [e[1] for e in audit.entries] == ["denied", "not_found"]


def test_no_pan_leaves_when_the_audit_fails(vault: TokenVault) -> None:
    token = vault.tokenise(_card("4111111111111111")).token

    def broken(action: str, outcome: str, obj: str, details: dict[str, object]) -> None:
        raise OSError("audit log unavailable")

    with pytest.raises(OSError):
        vault.detokenise(token, purpose="authorise", actor="pos", audit=broken)


def test_no_cvv_or_track_data_accepted(vault: TokenVault) -> None:
    card = _card("4111111111111111")
    with pytest.raises(TypeError):
        vault.tokenise(card, cvv="123")  # type: ignore[call-arg]
    with pytest.raises(Invalid):
        parse_card(";4111111111111111=25121010000000000?", 12, 2025, TODAY)


def test_wrong_kek_fails_clearly(database: store.Database, data_dir: Path) -> None:
    vault = card_vault.open_vault(database, data_dir)
    vault.tokenise(_card("4111111111111111"))
    key_path = key_dir_for(data_dir) / "vault.key"
    key_path.unlink()
    KeyFile("vault", key_path).create()  # another key: must not open, must not be replaced
    with pytest.raises(VaultError, match="does not open"):
        card_vault.open_vault(database, data_dir)
    key_path.unlink()
    with pytest.raises(VaultError):  # missing key with tokens present: no silent new key
        card_vault.open_vault(database, data_dir)
    assert not key_path.exists()


def test_vault_key_is_separate_from_the_store_key(vault: TokenVault, data_dir: Path) -> None:
    store_key = KeyFile("store", key_dir_for(data_dir) / "store.key").load()
    vault_key = KeyFile("vault", key_dir_for(data_dir) / "vault.key").load()
    assert store_key != vault_key
    assert os.stat(key_dir_for(data_dir) / "vault.key").st_mode & 0o077 == 0


def test_swapped_ciphertext_does_not_decrypt(vault: TokenVault, database: store.Database, audit: AuditRecorder) -> None:
    a = vault.tokenise(_card("4111111111111111")).token
    b = vault.tokenise(_card("5555555555554444")).token
    with database.transaction() as tx:
        row = tx.execute("SELECT nonce, ciphertext FROM card_tokens WHERE token = ?", (b,))
        nonce, ct = row.fetchone()
        tx.execute("UPDATE card_tokens SET nonce = ?, ciphertext = ? WHERE token = ?", (nonce, ct, a))
    with pytest.raises(VaultError):
        vault.detokenise(a, purpose="authorise", actor="pos", audit=audit)
    assert audit.entries[-1][1] == "failure"


def _tokenise_all(vault: TokenVault) -> dict[str, str]:
    return {vault.tokenise(_card(n, m, y)).token: n for n, m, y in CARDS}


def _assert_all_readable(vault: TokenVault, tokens: dict[str, str]) -> None:
    audit = AuditRecorder()
    for token, number in tokens.items():
        assert vault.detokenise(token, purpose="resolve", actor="t", audit=audit).number == number


def test_rotate_rewraps_and_old_tokens_work(database: store.Database, data_dir: Path) -> None:
    vault = card_vault.open_vault(database, data_dir)
    tokens = _tokenise_all(vault)
    old_key = (key_dir_for(data_dir) / "vault.key").read_bytes()
    result = vault.rotate()
    assert (key_dir_for(data_dir) / "vault.key").read_bytes() != old_key
    assert not (key_dir_for(data_dir) / "vault.key.next").exists()
    assert result.rewrapped == 2 and result.new_data_key_id is not None
    _assert_all_readable(vault, tokens)
    newer = vault.tokenise(_card("6200000000000005"))
    tokens[newer.token] = "6200000000000005"
    # A fresh process (new vault object) opens with the new key only.
    reopened = card_vault.open_vault(database, data_dir)
    _assert_all_readable(reopened, tokens)
    assert reopened.find("4111111111111111") is not None  # fingerprints survive rotation
    reopened.rotate()
    _assert_all_readable(card_vault.open_vault(database, data_dir), tokens)
    data_keys = database.conn.execute("SELECT count(*) FROM vault_keys WHERE purpose = 'data'").fetchone()[0]
    assert data_keys == 3


def test_crash_during_rewrap_leaves_everything_readable(
    database: store.Database, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = card_vault.open_vault(database, data_dir)
    tokens = _tokenise_all(vault)
    old_key = (key_dir_for(data_dir) / "vault.key").read_bytes()
    real_wrap = vault_module._wrap
    calls = 0

    def crash_on_second(*args: object) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("power cut")
        return real_wrap(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(vault_module, "_wrap", crash_on_second)
    with pytest.raises(RuntimeError):
        vault.rotate()
    monkeypatch.undo()
    assert (key_dir_for(data_dir) / "vault.key").read_bytes() == old_key
    _assert_all_readable(vault, tokens)
    _assert_all_readable(card_vault.open_vault(database, data_dir), tokens)


def test_crash_after_commit_before_key_swap_is_finished_on_open(
    database: store.Database, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = card_vault.open_vault(database, data_dir)
    tokens = _tokenise_all(vault)
    old_key = (key_dir_for(data_dir) / "vault.key").read_bytes()

    def crash(pending: Path, path: Path) -> None:
        raise RuntimeError("power cut after commit")

    monkeypatch.setattr(TokenVault, "_install_kek", staticmethod(crash))
    with pytest.raises(RuntimeError):
        vault.rotate()
    monkeypatch.undo()
    # The store is already under the new KEK, which sits in vault.key.next.
    assert (key_dir_for(data_dir) / "vault.key").read_bytes() == old_key
    assert (key_dir_for(data_dir) / "vault.key.next").exists()
    reopened = card_vault.open_vault(database, data_dir)
    assert (key_dir_for(data_dir) / "vault.key").read_bytes() != old_key
    assert not (key_dir_for(data_dir) / "vault.key.next").exists()
    _assert_all_readable(reopened, tokens)


def test_leftover_pending_key_from_an_uncommitted_rotation_is_dropped(
    vault: TokenVault, database: store.Database, data_dir: Path
) -> None:
    tokens = _tokenise_all(vault)
    KeyFile("vault", key_dir_for(data_dir) / "vault.key.next").create()
    reopened = card_vault.open_vault(database, data_dir)
    assert not (key_dir_for(data_dir) / "vault.key.next").exists()
    _assert_all_readable(reopened, tokens)


def _digits_variants(number: str) -> list[bytes]:
    return [number.encode(), number.encode("utf-16-le"), number[:6].encode() + number[-4:].encode()]


def test_no_pan_bytes_in_the_store_files(database: store.Database, data_dir: Path) -> None:
    vault = card_vault.open_vault(database, data_dir)
    for n, m, y in CARDS * 3:
        vault.tokenise(_card(n, m, y))
    # Before a checkpoint the rows are in the WAL; read both files as bytes.
    files = [p for p in data_dir.iterdir() if p.is_file()]
    assert any(p.name.endswith("-wal") for p in files)
    for path in files:
        raw = path.read_bytes()
        for number, _, _ in CARDS:
            for variant in _digits_variants(number):
                assert variant not in raw, path.name
    database.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = (data_dir / "store.db").read_bytes()
    assert not any(n.encode() in raw for n, _, _ in CARDS)
    # And decrypted: nothing in any table or column looks like a PAN.
    assert scan_database(database).findings == []
