"""`comptoir office init`: the CA, the schema, the first chain admin, and the audit log."""

from __future__ import annotations

import stat
from pathlib import Path

import psycopg
import pytest

from appliance.app.domain.errors import Conflict
from appliance.cli import main
from appliance.office.services import audit_log
from appliance.office.services.office import open_office
from appliance.office.services.setup import init_office
from appliance.office.store import db
from appliance.security.passwords import Passwords


def test_init_makes_the_ca_and_keys_private_and_a_one_time_admin(office_dsn: str, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "office"
    assert main(["office", "init", "--database", office_dsn, "--data-dir", str(folder), "--admin", "ada"]) == 0
    out = capsys.readouterr().out
    password = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("One-time password"))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for key in ("ca.key", "server.key", "audit.key"):
        assert stat.S_IMODE((folder / key).stat().st_mode) == 0o600, key
    with psycopg.connect(office_dsn) as conn:
        role, hashed, must_change = conn.execute(
            "SELECT role, password_hash, must_change FROM users WHERE username = 'ada'"
        ).fetchone()
        roles = {r for (r,) in conn.execute("SELECT name FROM roles")}
    assert role == "chain_admin" and must_change
    assert Passwords().verify(hashed, password)
    assert roles == {"chain_admin", "store_manager", "auditor"}


def test_init_twice_is_refused_and_changes_nothing(office_dsn: str, office_dir: Path, tmp_path: Path) -> None:
    before = {p.name: p.read_bytes() for p in office_dir.iterdir()}
    with pytest.raises(Conflict, match="already holds an office"):
        init_office(office_dsn, office_dir, password="Another-2026-pass")
    # Another data dir on the same database: refused too (one office per database).
    with pytest.raises(Conflict, match="database already holds an office"):
        init_office(office_dsn, tmp_path / "elsewhere", password="Another-2026-pass")
    assert not (tmp_path / "elsewhere" / "ca.key").exists()
    assert {p.name: p.read_bytes() for p in office_dir.iterdir()} == before
    with psycopg.connect(office_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone() == (1,)


def test_init_twice_from_the_command_line_exits_2(office_dsn: str, office_dir: Path, capsys) -> None:
    assert main(["office", "init", "--database", office_dsn, "--data-dir", str(office_dir)]) == 2
    assert "already holds an office" in capsys.readouterr().err


def test_migrations_are_recorded_and_applied_once(office_dsn: str, office_dir: Path) -> None:
    with db.connect(office_dsn) as conn:
        assert db.applied(conn) == [m.number for m in db.migrations()]
        assert db.migrate(conn) == []
        assert db.pending(conn) == []


def test_a_failing_migration_leaves_nothing_behind(office_dsn: str, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_good.sql").write_text("-- change: expand\nCREATE TABLE kept (id int);")
    (folder / "0002_bad.sql").write_text("-- change: expand\nCREATE TABLE half (id int); SELECT no_such_function();")
    with db.connect(office_dsn) as conn:
        with pytest.raises(psycopg.Error):
            db.migrate(conn, folder)
        assert db.applied(conn) == [1]
        assert conn.execute("SELECT to_regclass('half') IS NULL AS gone").fetchone() == {"gone": True}


def test_the_audit_log_is_chained_anchored_and_append_only(office_dsn: str, office_dir: Path) -> None:
    office = open_office(office_dsn, office_dir)
    count, problems = audit_log.verify(office)
    assert count == 2 and problems == []
    with psycopg.connect(office_dsn) as conn:
        for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(statement)
            conn.rollback()


def test_a_rewritten_entry_is_found(office_dsn: str, office_dir: Path) -> None:
    office = open_office(office_dsn, office_dir)
    with psycopg.connect(office_dsn, autocommit=True) as conn:
        # Whoever owns the database can switch the trigger off; the chain still tells.
        conn.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update_or_delete")
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    _, problems = audit_log.verify(office)
    assert [p.entry_id for p in problems] == [2]
