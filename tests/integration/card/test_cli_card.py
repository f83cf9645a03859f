"""`comptoir keys rotate`, `comptoir pan-scan` and `comptoir acquirer serve`, as typed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import httpx

from appliance.app.domain.card import parse_card
from appliance.app.services import card_vault
from appliance.app.store.db import Database
from appliance.security.keys import key_dir_for, provider_for
from appliance.security.vault import TokenVault

PAN = "4111111111111111"


def comptoir(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appliance", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def _store(tmp_path: Path) -> Path:
    directory = tmp_path / "store"
    done = comptoir("init", "--data-dir", str(directory))
    assert done.returncode == 0, done.stderr
    return directory


def _open(directory: Path) -> tuple[Database, TokenVault]:
    db = Database(directory / "store.db", provider_for("store", directory))
    db.migrate()
    return db, card_vault.open_vault(db, directory)


def test_keys_rotate_keeps_tokens_and_is_audited(tmp_path: Path) -> None:
    directory = _store(tmp_path)
    db, vault = _open(directory)
    token = vault.tokenise(parse_card(PAN, 12, 2030, date(2025, 1, 1))).token
    db.close()
    old = (key_dir_for(directory) / "vault.key").read_bytes()
    done = comptoir("keys", "rotate", "--data-dir", str(directory))
    assert done.returncode == 0, done.stderr
    assert "re-wrapped" in done.stdout
    assert (key_dir_for(directory) / "vault.key").read_bytes() != old
    db, vault = _open(directory)
    seen: list[str] = []
    card = vault.detokenise(token, purpose="resolve", actor="t", audit=lambda a, o, ob, d: seen.append(o))
    assert card.number == PAN and seen == ["success"]
    row = db.conn.execute("SELECT action, object FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert tuple(row) == ("key_rotation", "vault.key")
    db.close()


def test_pan_scan_exit_codes(tmp_path: Path) -> None:
    directory = _store(tmp_path)
    clean = comptoir("pan-scan", "--data-dir", str(directory))
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "no card data found" in clean.stderr
    (tmp_path / "leak.txt").write_text(f"card {PAN}\n")
    found = comptoir("pan-scan", str(tmp_path / "leak.txt"), env={"COMPTOIR_DATA_DIR": str(directory)})
    assert found.returncode == 1
    assert "411111******1111" in found.stdout and PAN not in found.stdout + found.stderr
    assert comptoir("pan-scan", env={"COMPTOIR_DATA_DIR": ""}).returncode == 2
    assert comptoir("pan-scan", "--jobs", "x", str(tmp_path)).returncode == 2


def test_acquirer_serve(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "appliance", "acquirer", "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().rsplit(" ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(url + "/healthz", timeout=5).json()["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    bad = comptoir("acquirer", "serve", "--host", "0.0.0.0", "--port", "0")
    assert bad.returncode == 2 and "loopback" in bad.stderr
