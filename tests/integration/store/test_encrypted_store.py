import os
from pathlib import Path

import pytest

from appliance.app.store.db import Database, StoreError, create, migrations
from appliance.security.keys import KeyError_, KeyFile, write_key_file


def new_store(tmp_path: Path) -> tuple[Database, KeyFile]:
    db, key = create(tmp_path / "data")
    with db.transaction() as tx:
        tx.execute("INSERT INTO settings(key, value) VALUES ('secret', '\"sardines\"')")
    return db, key


def test_the_file_is_encrypted(tmp_path: Path) -> None:
    db, _ = new_store(tmp_path)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = db.path.read_bytes()
    assert not raw.startswith(b"SQLite format 3")
    assert b"sardines" not in raw
    assert b"CREATE TABLE" not in raw


def test_a_wrong_key_does_not_open_it(tmp_path: Path) -> None:
    db, _key = new_store(tmp_path)
    db.close()
    other = KeyFile("store", tmp_path / "other.key")
    other.create()
    with pytest.raises(StoreError, match="cannot be opened with this key"):
        Database(db.path, other)


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    db, key = new_store(tmp_path)
    db.close()
    os.chmod(key.path, 0o644)
    with pytest.raises(StoreError, match=r"readable by others.*chmod 600"):
        Database(db.path, key)


def test_a_malformed_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.key"
    path.write_text("not hex\n")
    path.chmod(0o600)
    with pytest.raises(KeyError_, match="64 hex"):
        KeyFile("store", path).load()


def test_the_key_file_is_0600_and_holds_32_bytes(tmp_path: Path) -> None:
    _, key = new_store(tmp_path)
    assert key.path.stat().st_mode & 0o777 == 0o600
    assert len(key.load()) == 32


def test_init_refuses_to_overwrite_a_store(tmp_path: Path) -> None:
    new_store(tmp_path)
    with pytest.raises(StoreError, match="already exists"):
        create(tmp_path / "data")


def test_migrations_are_recorded_and_not_rerun(tmp_path: Path) -> None:
    db, _ = new_store(tmp_path)
    latest = migrations()[-1][0]
    assert db.version() == latest
    assert db.migrate() == latest
    rows = db.conn.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert [r[0] for r in rows] == [m[0] for m in migrations()]


def test_wal_and_full_sync(tmp_path: Path) -> None:
    db, _ = new_store(tmp_path)
    assert db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_a_transaction_is_all_or_nothing(tmp_path: Path) -> None:
    db, _ = new_store(tmp_path)
    with pytest.raises(RuntimeError), db.transaction() as tx:
        tx.execute("INSERT INTO settings(key, value) VALUES ('a', '1')")
        raise RuntimeError("power cut")
    assert db.conn.execute("SELECT count(*) FROM settings WHERE key = 'a'").fetchone()[0] == 0


def test_verify_finds_nothing_on_a_good_store_and_damage_on_a_bad_one(tmp_path: Path) -> None:
    db, key = new_store(tmp_path)
    with db.transaction() as tx:
        for i in range(300):
            tx.execute("INSERT INTO settings(key, value) VALUES (?, ?)", (f"k{i}", '"' + "x" * 200 + '"'))
    assert db.verify() == []
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(db.path.read_bytes())
    data[4096 * 3 + 100] ^= 0xFF  # flip a byte inside the fourth page
    db.path.write_bytes(bytes(data))
    damaged = Database(db.path, key)
    assert damaged.verify() != []


def test_rekey_keeps_every_row_and_retires_the_old_key(tmp_path: Path) -> None:
    db, key = new_store(tmp_path)
    old = key.load()
    db.rekey()
    assert key.load() != old
    assert db.conn.execute("SELECT value FROM settings WHERE key = 'secret'").fetchone()[0] == '"sardines"'
    db.close()
    reopened = Database(db.path, key)
    assert reopened.conn.execute("SELECT count(*) FROM settings WHERE key = 'secret'").fetchone()[0] == 1
    stale = tmp_path / "old.key"
    write_key_file(stale, old)
    with pytest.raises(StoreError):
        Database(db.path, KeyFile("store", stale))


def test_a_crash_after_rekey_before_the_key_moved_is_finished_at_open(tmp_path: Path) -> None:
    db, key = new_store(tmp_path)
    pending = key.path.with_name("store.key.next")
    new = os.urandom(32)
    write_key_file(pending, new)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.execute(f"PRAGMA rekey = \"x'{new.hex()}'\"")
    db.close()
    # The process died here: the file has the new key, store.key still the old one.
    reopened = Database(db.path, key)
    assert key.load() == new and not pending.exists()
    assert reopened.conn.execute("SELECT count(*) FROM settings").fetchone()[0] >= 1


def test_a_crash_before_rekey_keeps_the_old_key(tmp_path: Path) -> None:
    db, key = new_store(tmp_path)
    old = key.load()
    pending = key.path.with_name("store.key.next")
    write_key_file(pending, os.urandom(32))
    db.close()
    Database(db.path, key)
    assert key.load() == old and not pending.exists()


def test_a_migration_numbered_below_the_highest_still_runs(tmp_path: Path) -> None:
    db, _ = new_store(tmp_path)
    latest = migrations()[-1][0]
    # As if this store was made by a build that had the newest migration but not 0005 yet.
    with db.transaction() as tx:
        tx.execute("DELETE FROM schema_version WHERE version = 5")
    db.conn.execute("ALTER TABLE products RENAME COLUMN age_restricted TO _gone")
    db.conn.execute("ALTER TABLE sale_lines RENAME COLUMN restricted TO _gone_a")
    db.conn.execute("ALTER TABLE sale_lines RENAME COLUMN restricted_approved_by TO _gone_b")
    assert db.migrate() == latest
    assert 5 in {r[0] for r in db.conn.execute("SELECT version FROM schema_version")}
    columns = {r[1] for r in db.conn.execute("PRAGMA table_info(products)")}
    assert "age_restricted" in columns
