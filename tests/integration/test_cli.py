"""The `comptoir` command as a person types it: real processes, real files."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PASSWORD = "Till-Password-77"


def comptoir(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "appliance", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def keys(data: Path) -> Path:
    """The data dir's key folder: its sibling, apart from the store."""
    return data.parent / (data.name + "-keys")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    directory = tmp_path / "store"
    done = comptoir("init", "--data-dir", str(directory), "--store-name", "Corner Shop")
    assert done.returncode == 0, done.stderr
    assert "One-time password:" in done.stdout
    return directory


def test_init_prints_a_one_time_admin_password_and_makes_a_private_key(data: Path) -> None:
    assert (keys(data) / "store.key").stat().st_mode & 0o777 == 0o600
    assert (data / "store.db").read_bytes()[:16] != b"SQLite format 3\x00"
    again = comptoir("init", "--data-dir", str(data))
    assert again.returncode == 2 and "already exists" in again.stderr


def test_init_keeps_the_keys_apart_from_the_store(data: Path) -> None:
    assert keys(data).stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in keys(data).iterdir()) == ["audit.key", "store.key", "vault.key"]
    assert all((keys(data) / k).stat().st_mode & 0o777 == 0o600 for k in ("audit.key", "store.key", "vault.key"))
    assert not list(data.glob("*.key*"))  # a copy of the data dir opens nothing
    assert comptoir("db", "verify", "--data-dir", str(data)).returncode == 0


def test_init_with_a_key_dir_of_ones_own(tmp_path: Path) -> None:
    data, chosen = tmp_path / "store", tmp_path / "etc" / "comptoir-keys"
    done = comptoir("init", "--data-dir", str(data), "--key-dir", str(chosen))
    assert done.returncode == 0, done.stderr
    assert f"keys in {chosen}" in done.stdout
    assert sorted(p.name for p in chosen.iterdir()) == ["audit.key", "store.key", "vault.key"]
    assert chosen.stat().st_mode & 0o777 == 0o700 and not keys(data).exists()
    assert f'key_dir = "{chosen}"' in (data / "comptoir.toml").read_text()
    assert comptoir("db", "verify", "--data-dir", str(data)).returncode == 0
    inside = comptoir("init", "--data-dir", str(tmp_path / "b"), "--key-dir", str(tmp_path / "b" / "keys"))
    assert inside.returncode == 2 and "inside the data dir" in inside.stderr


def test_keys_beside_an_older_store_are_moved_apart(data: Path) -> None:
    for key in ("store.key", "vault.key", "audit.key"):
        os.replace(keys(data) / key, data / key)  # the layout init made before
    keys(data).rmdir()
    done = comptoir("db", "verify", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert "moved store.key" in done.stderr and "kept apart from the store" in done.stderr
    assert (keys(data) / "store.key").exists() and not (data / "store.key").exists()
    rotated = comptoir("keys", "rotate", "--data-dir", str(data))
    assert rotated.returncode == 0, rotated.stderr
    assert "moved vault.key" in rotated.stderr
    assert not list(data.glob("*.key*")) and keys(data).stat().st_mode & 0o777 == 0o700


def test_keys_that_cannot_be_moved_still_open_the_store_with_a_warning(data: Path, tmp_path: Path) -> None:
    for key in ("store.key", "audit.key"):
        os.replace(keys(data) / key, data / key)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    done = comptoir("db", "verify", "--data-dir", str(data), env={"COMPTOIR_KEY_DIR": str(blocked / "keys")})
    assert done.returncode == 0, done.stderr
    assert "store.key is still in the data dir" in done.stderr and "comptoir-store-key" in done.stderr
    assert (data / "store.key").exists()


def test_user_add_with_password_on_stdin_and_unlock(data: Path) -> None:
    added = comptoir(
        "user",
        "add",
        "alice",
        "--role",
        "cashier",
        "--password-stdin",
        "--data-dir",
        str(data),
        stdin=PASSWORD + "\n",
    )
    assert added.returncode == 0, added.stderr
    weak = comptoir(
        "user",
        "add",
        "bob",
        "--role",
        "cashier",
        "--password-stdin",
        "--data-dir",
        str(data),
        stdin="short\n",
    )
    assert weak.returncode == 2 and "at least 12" in weak.stderr
    role = comptoir("user", "add", "carol", "--role", "wizard", "--data-dir", str(data))
    assert role.returncode == 2 and "invalid choice" in role.stderr
    assert comptoir("user", "unlock", "alice", "--data-dir", str(data)).returncode == 0
    missing = comptoir("user", "unlock", "nobody", "--data-dir", str(data))
    assert missing.returncode == 2 and "no user nobody" in missing.stderr


def test_data_dir_from_the_environment(data: Path) -> None:
    done = comptoir("db", "verify", env={"COMPTOIR_DATA_DIR": str(data)})
    assert done.returncode == 0 and "every page verified" in done.stdout
    none = comptoir("db", "verify", env={"COMPTOIR_DATA_DIR": ""})
    assert none.returncode == 2 and "--data-dir" in none.stderr


def test_catalog_import_reports_bad_rows_by_line_and_imports_none(data: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,price,barcodes\nA,Apple,1.00,4006381333931\nB,Bad,abc,\nC,Code,1.00,4006381333932\n")
    done = comptoir("catalog", "import", str(bad), "--data-dir", str(data))
    assert done.returncode == 2
    assert "line 3" in done.stderr and "line 4" in done.stderr and "nothing imported" in done.stderr
    good = tmp_path / "good.csv"
    good.write_text("sku,name,price,barcodes\nA,Apple,1.00,4006381333931\n")
    assert comptoir("catalog", "import", str(good), "--data-dir", str(data)).returncode == 0
    missing = comptoir("catalog", "import", str(tmp_path / "nope.csv"), "--data-dir", str(data))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_a_world_readable_key_stops_the_start(data: Path) -> None:
    os.chmod(keys(data) / "store.key", 0o644)
    done = comptoir("db", "verify", "--data-dir", str(data))
    assert done.returncode == 2
    assert "readable by others" in done.stderr and "chmod 600" in done.stderr
    assert "Traceback" not in done.stderr


def test_rekey_then_verify(data: Path) -> None:
    before = (keys(data) / "store.key").read_bytes()
    assert comptoir("db", "rekey", "--data-dir", str(data)).returncode == 0
    assert (keys(data) / "store.key").read_bytes() != before
    assert comptoir("db", "verify", "--data-dir", str(data)).returncode == 0
    verify = comptoir("audit", "verify", "--data-dir", str(data))
    assert verify.returncode == 0 and "intact" in verify.stdout


def test_audit_verify_names_a_tampered_entry(data: Path) -> None:
    from appliance.app.store.db import Database
    from appliance.security.keys import KeyFile

    comptoir(
        "user",
        "add",
        "alice",
        "--role",
        "cashier",
        "--password-stdin",
        "--data-dir",
        str(data),
        stdin=PASSWORD + "\n",
    )
    db = Database(data / "store.db", KeyFile("store", keys(data) / "store.key"))
    with db.transaction() as tx:
        tx.execute("UPDATE audit_log SET actor = 'nobody' WHERE id = 2")
    db.close()
    done = comptoir("audit", "verify", "--data-dir", str(data))
    assert done.returncode == 1
    assert "audit entry 2" in done.stdout and "changed" in done.stdout


def test_audit_verify_finds_entries_cut_off_the_end(data: Path) -> None:
    from appliance.app.store.db import Database
    from appliance.security.keys import KeyFile

    comptoir(
        "user",
        "add",
        "alice",
        "--role",
        "cashier",
        "--password-stdin",
        "--data-dir",
        str(data),
        stdin=PASSWORD + "\n",
    )
    db = Database(data / "store.db", KeyFile("store", keys(data) / "store.key"))
    with db.transaction() as tx:
        last = tx.execute("SELECT max(id) FROM audit_log").fetchone()[0]
        tx.execute("DELETE FROM audit_log WHERE id = ?", (last,))
    db.close()
    done = comptoir("audit", "verify", "--data-dir", str(data))
    assert done.returncode == 1 and f"audit entry {last}" in done.stdout and "missing" in done.stdout


# -- the audit log under attack: only SQL with the store key, the files and the command itself,
# so that each of these also shows what the build before keyed links let through.


def _store(data: Path) -> Any:
    from appliance.app.store.db import Database
    from appliance.security.keys import provider_for

    return Database(data / "store.db", provider_for("store", data))


def _relink_plain(tx: Any, data: Path, start: int) -> None:
    """What an attacker with the store key but not the audit key can do after an edit: the
    links from entry `start` on recomputed as a plain SHA-256 chain, and the head file beside
    the store to match."""
    before = tx.execute("SELECT hash FROM audit_log WHERE id = ?", (start - 1,)).fetchone()
    prev = before[0] if before else "0" * 64
    fields = ("id", "at", "actor", "action", "outcome", "origin", "object", "details")
    rows = tx.execute(f"SELECT {', '.join(fields)} FROM audit_log WHERE id >= ? ORDER BY id", (start,)).fetchall()
    for row in rows:
        body = json.dumps([row[f] for f in fields], separators=(",", ":"), ensure_ascii=False)
        link = hashlib.sha256((prev + body).encode("utf-8")).hexdigest()
        tx.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", (prev, link, row["id"]))
        prev = link
    head = data / "audit.head"
    words = head.read_text().split()
    head.write_text(" ".join([*words[:-2], str(rows[-1]["id"]), prev]) + "\n")


def _audit_key_file(data: Path) -> Path:
    from appliance.security.keys import KeyFile, provider_for

    provider = provider_for("audit", data)
    assert isinstance(provider, KeyFile)
    return provider.path


def _unlock(data: Path, times: int = 1) -> None:
    for _ in range(times):  # each one audited
        assert comptoir("user", "unlock", "admin", "--data-dir", str(data)).returncode == 0


def test_audit_verify_finds_a_cut_tail_after_later_entries(data: Path) -> None:
    _unlock(data)
    db = _store(data)
    with db.transaction() as tx:
        last = tx.execute("SELECT max(id) FROM audit_log").fetchone()[0]
        tx.execute("DELETE FROM audit_log WHERE id = ?", (last,))
    db.close()
    _unlock(data, 2)
    done = comptoir("audit", "verify", "--data-dir", str(data))
    assert done.returncode == 1, done.stdout
    assert f"audit entry {last}: missing" in done.stdout


def test_audit_verify_finds_a_chain_recomputed_without_the_key(data: Path) -> None:
    _unlock(data)
    db = _store(data)
    with db.transaction() as tx:
        tx.execute("UPDATE audit_log SET actor = 'nobody' WHERE id = 2")
        _relink_plain(tx, data, 2)
    db.close()
    done = comptoir("audit", "verify", "--data-dir", str(data))
    assert done.returncode == 1, done.stdout
    assert "audit entry 2:" in done.stdout and "without the audit key" in done.stdout


def test_audit_verify_names_every_edited_entry(data: Path) -> None:
    _unlock(data, 2)
    db = _store(data)
    with db.transaction() as tx:
        tx.execute("UPDATE audit_log SET actor = 'nobody' WHERE id = 2")
        tx.execute("UPDATE audit_log SET outcome = 'failure' WHERE id = 4")
    db.close()
    done = comptoir("audit", "verify", "--data-dir", str(data))
    assert done.returncode == 1, done.stdout
    assert "audit entry 2: changed" in done.stdout and "audit entry 4: changed" in done.stdout
    assert "not as the till wrote it at entries 2, 4:" in done.stdout
    assert "Traceback" not in done.stderr


def test_audit_verify_names_an_entry_put_in(data: Path) -> None:
    _unlock(data, 2)
    db = _store(data)
    with db.transaction() as tx:
        # A refund slipped in as entry 3: the entries after it renumbered, the chain relinked.
        count = tx.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        tx.execute("UPDATE audit_log SET id = -id WHERE id >= 3")
        tx.execute("UPDATE audit_log SET id = 1 - id WHERE id < 0")
        tx.execute(
            "INSERT INTO audit_log(id, at, actor, action, outcome, origin, object, details, prev_hash, hash) "
            "VALUES (3, '2026-01-01T00:00:00.000000Z', 'admin', 'refund', 'success', 'cli', 'sale:1', '{}', '', '')"
        )
        _relink_plain(tx, data, 3)
    db.close()
    done = comptoir("audit", "verify", "--data-dir", str(data))
    assert done.returncode == 1, done.stdout
    assert f"at entries 3-{count + 1}:" in done.stdout
    assert "audit entry 3:" in done.stdout


def test_a_missing_audit_key_is_a_clear_error(data: Path) -> None:
    key = _audit_key_file(data)
    key.unlink()
    done = comptoir("audit", "verify", "--data-dir", str(data))
    assert done.returncode == 2
    assert "audit key" in done.stderr and "missing" in done.stderr
    assert "Traceback" not in done.stderr
    assert not key.exists()


@pytest.mark.parametrize(
    "args",
    [
        ["serve", "--host", "0.0.0.0"],
        ["serve", "--port", "99999"],
        ["serve", "--port", "abc"],
        ["nonsense"],
        [],
    ],
)
def test_bad_arguments_exit_2_with_one_line(data: Path, args: list[str]) -> None:
    extra = ["--data-dir", str(data)] if args and args[0] == "serve" else []
    done = comptoir(*args, *extra)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert len([ln for ln in done.stderr.splitlines() if ln.startswith("comptoir")]) == 1


def test_a_box_with_no_office_boots_with_no_update_to_record(data: Path) -> None:
    # comptoir-update-booted.service runs this at every boot of an A/B box, enrolled or not.
    done = comptoir("update", "booted", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert "no update waited for this boot" in done.stdout
    refused = comptoir("update", "check", "--data-dir", str(data))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr  # asking the office needs an enrolment
