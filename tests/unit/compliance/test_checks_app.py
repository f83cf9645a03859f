"""The app as installed in a root: store encryption, Argon2, lockout, card data at rest."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from appliance.security.compliance.model import Status

from .conftest import Root

REPO = Path(__file__).resolve().parents[3]
SITE = "/opt/comptoir/lib/python3.11/site-packages/appliance"
# A Luhn-valid Visa test number, as a cashier's log line might carry it by mistake.
TEST_PAN = "4111 1111 1111 1111"


def install_app(root: Root) -> None:
    """Copies the modules the app checks read into the root's venv (as pos_app does)."""
    for rel in ("security/passwords.py", "config.py", "app/services/auth.py"):
        dest = root.host(f"{SITE}/{rel}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "appliance" / rel, dest)


def test_store_plain_sqlite_fails_encrypted_passes(root: Root) -> None:
    spec = {"type": "app_store_encrypted"}
    assert root.check(spec).status is Status.NOT_APPLICABLE  # an image has no store yet
    root.write("/var/lib/comptoir/store.db", os.urandom(4096), 0o600)
    root.mkdir("/var/lib/comptoir/receipts")
    assert root.check(spec).status is Status.PASS
    root.write("/var/lib/comptoir/store.db-copy", b"SQLite format 3\x00" + bytes(100))
    outcome = root.check(spec)
    assert outcome.status is Status.FAIL
    assert [e.found for e in outcome.evidence if e.where.endswith("-copy")] == ["plain SQLite header"]


def test_argon2_reads_defaults_then_the_data_dirs_toml(root: Root) -> None:
    spec = {"type": "app_argon2", "time_cost": 2, "memory_kib": 19456, "parallelism": 1}
    missing = root.check(spec)
    assert missing.status is Status.FAIL and "not installed" in missing.evidence[0].found
    install_app(root)
    outcome = root.check(spec)
    assert outcome.status is Status.PASS, outcome.evidence
    assert {e.found for e in outcome.evidence} == {"time_cost = 2", "memory_kib = 19456", "parallelism = 1"}
    assert all(e.where.startswith(f"{SITE}/config.py:") for e in outcome.evidence)
    root.write("/var/lib/comptoir/comptoir.toml", "[comptoir.argon2]\nmemory_kib = 8192\n")
    weak = root.check(spec)
    assert weak.status is Status.FAIL
    assert [e.where for e in weak.evidence if e.found == "memory_kib = 8192"] == ["/var/lib/comptoir/comptoir.toml"]
    root.write("/var/lib/comptoir/comptoir.toml", "[comptoir.argon2\n")
    assert root.check(spec).status is Status.ERROR


def test_auth_rules_read_from_the_installed_source(root: Root) -> None:
    install_app(root)
    spec = {
        "type": "app_auth_rules",
        "max_failures": 10,
        "min_lockout_minutes": 30,
        "min_password_length": 12,
        "min_password_history": 4,
    }
    outcome = root.check(spec)
    assert outcome.status is Status.PASS, outcome.evidence
    assert "LOCKOUT = 30 minutes" in [e.found for e in outcome.evidence]
    auth = root.host(f"{SITE}/app/services/auth.py")
    auth.write_text(auth.read_text().replace("LOCKOUT = dt.timedelta(minutes=30)", "LOCKOUT = dt.timedelta(minutes=5)"))
    weak = root.check(spec)
    assert weak.status is Status.FAIL and "LOCKOUT = 5 minutes" in [e.found for e in weak.evidence]


def test_pan_scan_finds_a_planted_number_and_never_shows_it(root: Root) -> None:
    spec = {"type": "app_pan_scan", "paths": ["/var/log", "/var/lib/comptoir"]}
    root.write("/var/log/comptoir/app.log", "sale 12 paid\n")
    clean = root.check(spec)
    assert clean.status is Status.PASS and "no card data" in clean.evidence[0].found
    root.write("/var/log/comptoir/app.log", f"sale 12 paid with {TEST_PAN}\n")
    outcome = root.check(spec)
    assert outcome.status is Status.FAIL
    assert outcome.evidence[0].where == "/var/log/comptoir/app.log:18"
    assert outcome.evidence[0].found == "pan 411111******1111 (visa)"
    assert TEST_PAN.replace(" ", "") not in repr(outcome)


def test_pan_scan_does_not_follow_links_out_of_the_root(root: Root, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.log").write_text(TEST_PAN)
    root.mkdir("/var/log")
    os.symlink(outside, root.host("/var/log/elsewhere"))
    assert root.check({"type": "app_pan_scan", "paths": ["/var/log"]}).status is Status.PASS
