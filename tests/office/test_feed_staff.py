"""The people of a store, managed at the office and fed to that store's real tills with the
hashes of their password and PIN (docs/office.md, "Staff of a store")."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.app.domain.errors import Conflict, DomainError, Unauthenticated
from appliance.app.services import auth, users
from appliance.app.store import staff as till_staff
from appliance.cli import main
from appliance.office.services import audit_log
from appliance.office.services import store_staff as staff
from tests.office.conftest import RunningOffice
from tests.office.two_stores import PASSWORD, Till, admin_of, office_of, two_stores

MARIE = "Tulipe-2026-caisse"  # test accounts only
PIN = "4825"


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[list[Till]]:
    with two_stores(running_office, tmp_path) as made:
        yield made


def test_a_person_of_one_store_logs_in_at_its_tills_only(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    lyon, paris = tills
    staff.add(office, "lyon", "marie", "cashier", MARIE, pin=PIN, actor="test")
    assert lyon.pull() == 1
    assert paris.pull() == 0
    assert auth.login(lyon.shop, "marie", MARIE, "127.0.0.1").actor.role == "cashier"
    assert auth.login_with_pin(lyon.shop, "marie", PIN, "127.0.0.1").actor.username == "marie"
    with pytest.raises(Unauthenticated):
        auth.login(paris.shop, "marie", MARIE, "127.0.0.1")
    assert till_staff.by_name(paris.shop.db.conn, "marie") is None
    # The till's own people work on beside the office's.
    assert auth.login(lyon.shop, "cashier", PASSWORD, "127.0.0.1").actor.role == "cashier"


def test_only_hashes_leave_the_office(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    staff.add(office, "lyon", "marie", "cashier", MARIE, pin=PIN, actor="alice")
    page = tills[0].fetch(0, 100)
    (row,) = [c for c in page["changes"] if c["kind"] == "staff"]
    assert row["body"]["password_hash"].startswith("$argon2id$")
    assert row["body"]["pin_hash"].startswith("$argon2id$")
    text = json.dumps(page) + json.dumps(audit_log.entries(office))
    assert MARIE not in text and f'"{PIN}"' not in text
    added = [e for e in audit_log.entries(office) if e["action"] == "staff_add"]
    assert len(added) == 1 and added[0]["actor"] == "alice" and added[0]["object"] == "staff:lyon/marie"
    assert staff.people(office, "lyon") == [{"username": "marie", "role": "cashier", "active": True, "pin": True}]
    assert staff.people(office, "paris") == []


def test_a_person_disabled_at_the_office_is_logged_out_and_refused(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = office_of(running_office)
    lyon = tills[0]
    staff.add(office, "lyon", "marie", "cashier", MARIE, actor="test")
    lyon.pull()
    held = auth.login(lyon.shop, "marie", MARIE, "127.0.0.1")
    assert auth.authenticate(lyon.shop, held.token, "127.0.0.1").username == "marie"
    staff.change(office, "lyon", "marie", active=False, actor="test")
    assert auth.authenticate(lyon.shop, held.token, "127.0.0.1").username == "marie"  # until the pull
    assert lyon.pull() == 1
    with pytest.raises(Unauthenticated):
        auth.authenticate(lyon.shop, held.token, "127.0.0.1")
    with pytest.raises(DomainError):
        auth.login(lyon.shop, "marie", MARIE, "127.0.0.1")
    staff.change(office, "lyon", "marie", active=True, actor="test")
    lyon.pull()
    assert auth.login(lyon.shop, "marie", MARIE, "127.0.0.1").actor.username == "marie"


def test_a_new_role_or_password_from_the_office(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    lyon = tills[0]
    staff.add(office, "lyon", "marie", "cashier", MARIE, pin=PIN, actor="test")
    lyon.pull()
    held = auth.login(lyon.shop, "marie", MARIE, "127.0.0.1")
    staff.change(office, "lyon", "marie", role="auditor", password="Rose-2027-audit", actor="test")
    lyon.pull()
    with pytest.raises(Unauthenticated):
        auth.authenticate(lyon.shop, held.token, "127.0.0.1")  # the role was decided at login
    with pytest.raises(Unauthenticated):
        auth.login(lyon.shop, "marie", MARIE, "127.0.0.1")
    assert auth.login(lyon.shop, "marie", "Rose-2027-audit", "127.0.0.1").actor.role == "auditor"
    assert till_staff.by_name(lyon.shop.db.conn, "marie").pin_hash is None  # type: ignore[union-attr]


def test_the_till_refuses_to_change_the_offices_people(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    lyon = tills[0]
    staff.add(office, "lyon", "marie", "cashier", MARIE, pin=PIN, actor="test")
    lyon.pull()
    boss = admin_of(lyon)
    for change in (
        lambda: users.change_account(lyon.shop, boss, "marie", active=False),
        lambda: users.reset_password(lyon.shop, boss, "marie"),
        lambda: users.reset_pin(lyon.shop, boss, "marie"),
    ):
        with pytest.raises(Conflict) as refused:
            change()
        assert refused.value.code == "office_owned"
    marie = auth.login(lyon.shop, "marie", MARIE, "127.0.0.1").actor
    with pytest.raises(Conflict):
        auth.change_password(lyon.shop, marie, MARIE, "Rose-2026-other")
    with pytest.raises(Conflict):
        auth.change_pin(lyon.shop, marie, PIN, "7391")
    users.unlock(lyon.shop, boss, "marie")  # the lockout stays the till's
    users.change_account(lyon.shop, boss, "cashier", role="supervisor")  # the till's own: its own


def test_a_person_of_the_till_with_the_offices_name_becomes_the_offices(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = office_of(running_office)
    lyon = tills[0]
    before = till_staff.by_name(lyon.shop.db.conn, "cashier")
    assert before is not None
    staff.add(office, "lyon", "cashier", "supervisor", MARIE, actor="test")
    lyon.pull()
    after = till_staff.by_name(lyon.shop.db.conn, "cashier")
    assert after is not None and after.id == before.id and after.role == "supervisor"
    with pytest.raises(Unauthenticated):
        auth.login(lyon.shop, "cashier", PASSWORD, "127.0.0.1")
    assert auth.login(lyon.shop, "cashier", MARIE, "127.0.0.1").actor.role == "supervisor"


def test_the_office_checks_what_it_is_given(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    staff.add(office, "lyon", "marie", "cashier", MARIE, actor="test")
    for bad in (
        lambda: staff.add(office, "lyon", "marie", "cashier", MARIE, actor="test"),  # twice
        lambda: staff.add(office, "nowhere", "paul", "cashier", MARIE, actor="test"),
        lambda: staff.add(office, "lyon", "paul", "boss", MARIE, actor="test"),
        lambda: staff.add(office, "lyon", "paul", "cashier", "short", actor="test"),
        lambda: staff.add(office, "lyon", "paul", "cashier", MARIE, pin="1234", actor="test"),
        lambda: staff.add(office, "lyon", "paul", "auditor", MARIE, pin="4825", actor="test"),
        lambda: staff.change(office, "paris", "marie", active=False, actor="test"),
        lambda: staff.change(office, "lyon", "marie", actor="test"),
    ):
        with pytest.raises(DomainError):
            bad()


def test_staff_from_the_command_line(
    running_office: RunningOffice,
    tills: list[Till],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    where = ["--database", running_office.dsn, "--data-dir", str(running_office.data_dir)]
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{MARIE}\n{PIN}\n"))
    assert main(["office", "staff", "add", "--store", "lyon", "--username", "marie", "--role", "cashier",
                 "--pin-stdin", *where]) == 0  # fmt: skip
    assert "marie, cashier of lyon" in capsys.readouterr().out
    assert main(["office", "staff", "change", "--store", "lyon", "--username", "marie", "--disable", *where]) == 0
    capsys.readouterr()
    assert main(["office", "staff", "list", "--store", "lyon", *where]) == 0
    assert capsys.readouterr().out.split() == ["marie", "cashier", "disabled", "PIN"]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["office", "staff", "add", "--store", "lyon", "--username", "paul", "--role", "cashier", *where]) == 2
    tills[0].pull()
    with pytest.raises(DomainError):
        auth.login(tills[0].shop, "marie", MARIE, "127.0.0.1")
