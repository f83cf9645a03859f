"""pan-scan on real files, folders and a real encrypted store, and its command's exit codes."""

from __future__ import annotations

import argparse
import gzip
import os
import random
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from appliance import cli
from appliance.app.domain.barcode import with_check_digit
from appliance.app.domain.card import parse_card
from appliance.app.services import card_vault
from appliance.app.store import db as store
from appliance.security import pan_scan
from appliance.security.pan_scan import scan_database, scan_paths

PAN = "4111111111111111"


def _clean_tree(root: Path) -> None:
    rng = random.Random(3)
    (root / "logs").mkdir(parents=True)
    lines = [
        f"2025-06-15 12:{i % 60:02d}:00.123 INFO sale={i} total={rng.randint(1, 99999)} "
        f"card=************1111 token=tok_abc ts={1718452800123 + i}"
        for i in range(2000)
    ]
    (root / "logs" / "pos.log").write_text("\n".join(lines))
    barcodes = [with_check_digit(f"{rng.randint(0, 10**12 - 1):012d}") for _ in range(2000)]
    (root / "catalog.csv").write_text("\n".join(f"SKU{i},{b},thing,199" for i, b in enumerate(barcodes)))
    (root / "blob.bin").write_bytes(rng.randbytes(200_000))
    (root / "empty").write_bytes(b"")


def test_clean_data_has_no_findings(tmp_path: Path) -> None:
    _clean_tree(tmp_path)
    report = scan_paths([tmp_path])
    assert report.findings == []
    assert report.files == 4 and report.unreadable == []


def test_finds_pans_planted_in_a_log_and_a_text_file(tmp_path: Path) -> None:
    _clean_tree(tmp_path)
    log = tmp_path / "logs" / "pos.log"
    with log.open("a") as handle:
        handle.write(f"\n2025-06-15 12:00:01 DEBUG request body card={{'number': '{PAN}'}}\n")
    note = tmp_path / "notes" / "customer.txt"
    note.parent.mkdir()
    note.write_text("Call back about card 5555-5555-5555-4444 exp 01/27\n")
    track = tmp_path / "reader.dump"
    track.write_bytes(b"\x02;4111111111111111=25121010000000000000?\x03")
    report = scan_paths([tmp_path])
    where = {(Path(f.where).name, f.kind, f.masked) for f in report.findings}
    assert where == {
        ("pos.log", "pan", "411111******1111"),
        ("customer.txt", "pan", "555555******4444"),
        ("reader.dump", "track2", "411111******1111"),
    }
    offset = next(f.offset for f in report.findings if f.where == str(log))
    assert log.read_bytes()[offset : offset + 16] == PAN.encode()


def test_nothing_is_skipped_silently(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text(PAN)
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    os.mkfifo(tmp_path / "fifo")
    report = scan_paths([tmp_path, tmp_path / "missing.log"])
    assert len(report.findings) == 1
    skipped = {Path(w).name: why for w, why in report.skipped}
    assert skipped == {
        "link.txt": "symlink not followed",
        "dangling": "symlink not followed",
        "fifo": "not a regular file",
    }
    assert [Path(w).name for w, _ in report.unreadable] == ["missing.log"]


def test_a_temporary_file_gone_before_it_is_read_is_listed_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another program's temporary files come and go while a whole root is scanned (two
    audits of one machine at once did exactly this); a vanished file is not data at rest."""
    (tmp_path / "kept.txt").write_text(f"x {PAN} y")
    (tmp_path / "payload.zip").write_text("soon gone")
    (tmp_path / "ansible_tmp").mkdir()
    (tmp_path / "ansible_tmp" / "inside.txt").write_text("soon gone")
    real_scan_file, real_scandir = pan_scan.scan_file, os.scandir

    def scan_file_after_removal(path: Path) -> tuple[list[pan_scan.Finding], int]:
        if path.name == "payload.zip":
            path.unlink()
        return real_scan_file(path)

    def scandir_after_removal(folder: Any) -> Any:
        if isinstance(folder, Path) and folder.name == "ansible_tmp":
            (folder / "inside.txt").unlink()
            folder.rmdir()
        return real_scandir(folder)

    monkeypatch.setattr(pan_scan, "scan_file", scan_file_after_removal)
    monkeypatch.setattr(os, "scandir", scandir_after_removal)
    report = scan_paths([tmp_path])
    assert [Path(f.where).name for f in report.findings] == ["kept.txt"]
    assert report.unreadable == []
    assert sorted((Path(w).name, why) for w, why in report.skipped) == [
        ("ansible_tmp", "removed while the scan ran"),
        ("payload.zip", "removed while the scan ran"),
    ]


def test_parallel_scan_finds_the_same(tmp_path: Path) -> None:
    for i in range(6):
        (tmp_path / f"f{i}.txt").write_text(f"x {PAN} y" if i % 2 else "nothing here")
    assert len(scan_paths([tmp_path], jobs=2).findings) == 3


@pytest.fixture
def database(tmp_path: Path) -> store.Database:
    db, _ = store.create(tmp_path / "data")
    return db


def test_finds_a_pan_written_behind_the_vaults_back(database: store.Database) -> None:
    vault = card_vault.open_vault(database, database.path.parent)
    vault.tokenise(parse_card(PAN, 12, 2030, date(2025, 1, 1)))
    assert scan_database(database).findings == []
    with database.transaction() as tx:
        tx.execute("INSERT INTO settings (key, value) VALUES ('note', ?)", (f'"card {PAN} on file"',))
        tx.execute("INSERT INTO terminals (id, next_receipt) VALUES ('T9', ?)", (5555555555554444,))
        tx.execute("INSERT INTO settings (key, value) VALUES ('blob', ?)", (b"\x00%B" + PAN.encode() + b"^X/Y^2512",))
    report = scan_database(database)
    found = {(f.where.split("#")[0], f.kind, f.masked) for f in report.findings}
    assert found == {
        ("db:settings.value", "pan", "411111******1111"),
        ("db:terminals.next_receipt", "pan", "555555******4444"),
        ("db:settings.value", "track1", "411111******1111"),
    }
    assert report.rows > 0


def _args(data_dir: Path | None, *paths: Path, as_json: bool = False) -> argparse.Namespace:
    return argparse.Namespace(data_dir=data_dir, paths=list(paths), json=as_json, jobs=1)


def test_command_exit_codes_and_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COMPTOIR_DATA_DIR", raising=False)
    db, _ = store.create(tmp_path / "data")
    db.close()
    clean = tmp_path / "clean"
    _clean_tree(clean)
    assert cli.cmd_pan_scan(_args(tmp_path / "data", clean)) == 0
    assert cli.cmd_pan_scan(_args(None)) == 2
    assert cli.cmd_pan_scan(_args(None, tmp_path / "nope")) == 2
    assert cli.cmd_pan_scan(_args(tmp_path / "clean")) == 2  # not a store
    capsys.readouterr()
    (tmp_path / "data" / "app.log.1.gz").write_bytes(gzip.compress(b"nothing"))
    (tmp_path / "data" / "app.log").write_text(f"oops {PAN}\n")
    (tmp_path / "data" / "app.log.2.gz").write_bytes(gzip.compress(f"old {PAN}".encode()))
    monkeypatch.setenv("COMPTOIR_DATA_DIR", str(tmp_path / "data"))
    assert cli.cmd_pan_scan(_args(None)) == 1
    out, err = capsys.readouterr()
    assert "app.log:" in out and "411111******1111" in out
    assert "app.log.2.gz (gunzipped)" in out
    assert PAN not in out + err
    assert cli.cmd_pan_scan(_args(None, as_json=True)) == 1
    out, _ = capsys.readouterr()
    assert PAN not in out and '"kind": "pan"' in out


def test_finds_a_gtin_valid_pan_in_a_card_column_and_utf16_in_a_blob(database: store.Database) -> None:
    gtin_pan = "4000000000006"  # a Visa number and a valid EAN-13
    with database.transaction() as tx:
        tx.execute("CREATE TABLE legacy_export (barcode TEXT, card_number TEXT, note BLOB)")
        tx.execute(
            "INSERT INTO legacy_export VALUES (?, ?, ?)",
            (gtin_pan, gtin_pan, f"paid with {PAN}".encode("utf-16")),
        )
    found = {(f.where.split("#")[0], f.where.endswith("(UTF-16)"), f.masked) for f in scan_database(database).findings}
    assert found == {
        ("db:legacy_export.card_number", False, "*********0006"),
        ("db:legacy_export.note", True, "411111******1111"),
    }
