"""Every migration, the till's and the office's, says on its first line whether it is an expand
or a contract, and an expand only adds: no DROP, no RENAME, no column changing type or becoming
NOT NULL (docs/architecture.md, "Migrations: expand, then contract"). The previous version
runs on a store its successor expanded (a rolled-back A/B update); a contract it cannot read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from appliance.app.store import db as till_db
from appliance.office.store import db as office_db

_COMMENT = re.compile(r"--[^\n]*")
_WORD = r"[\w\"]+"
# Replacing an index or a constraint by one of the same name (wider, or over more columns) is
# not a removal: the older version still finds it by its name.
_REBUILT = re.compile(rf"\bDROP\s+(INDEX|CONSTRAINT)\s+(?:IF\s+EXISTS\s+)?({_WORD})", re.I)
_REMOVES = [
    (re.compile(r"\bDROP\b", re.I), "drops"),
    (re.compile(r"\bRENAME\b", re.I), "renames"),
    (re.compile(rf"\bALTER\s+COLUMN\s+{_WORD}\s+(?:SET\s+DATA\s+)?TYPE\b", re.I), "changes a column's type"),
    (re.compile(r"\bSET\s+NOT\s+NULL\b", re.I), "makes a column NOT NULL"),
]


def why_not_an_expand(sql: str) -> list[str]:
    """What, in a migration marked expand, the previous version could not run on."""
    code = _COMMENT.sub("", sql)
    problems = []
    for kind, name in _REBUILT.findall(code):
        made = rf"\b(?:CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?|ADD\s+CONSTRAINT\s+){re.escape(name)}\b"
        if not re.search(made, code, re.I):
            problems.append(f"drops {kind.lower()} {name} without making it again")
    code = _REBUILT.sub("", code)
    for pattern, what in _REMOVES:
        for match in pattern.finditer(code):
            line = code[: match.start()].count("\n") + 1
            problems.append(f"{what} (line {line}: {code.splitlines()[line - 1].strip()!r})")
    return problems


def _till() -> list[tuple[str, str]]:
    return [(f"store/migrations/{v:04d}_{name}.sql", sql) for v, name, sql in till_db.migrations()]


def _office() -> list[tuple[str, str]]:
    return [(f"office/migrations/{m.path.name}", m.path.read_text(encoding="utf-8")) for m in office_db.migrations()]


EVERY = _till() + _office()


@pytest.mark.parametrize(("name", "sql"), EVERY, ids=[name for name, _ in EVERY])
def test_a_migration_says_its_change_and_an_expand_only_adds(name: str, sql: str) -> None:
    change = till_db.change_of(0, sql)  # raises when the first line does not say it
    if change == till_db.EXPAND:
        assert why_not_an_expand(sql) == [], f"{name} is marked expand; mark it contract, or split it"


def test_the_contracts_are_those_that_remove() -> None:
    contracts = [name for name, sql in EVERY if till_db.change_of(0, sql) == till_db.CONTRACT]
    assert contracts == [
        "store/migrations/0018_vault_forgets_numbers.sql",
        "store/migrations/0020_categories.sql",
        "office/migrations/0004_alarm_kinds.sql",
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE products DROP COLUMN category;",
        "DROP TABLE lane_notes;",
        "drop index if exists sales_completed_cover;",
        "ALTER TABLE catalogue DROP CONSTRAINT catalogue_kind_check;\n"
        "ALTER TABLE catalogue ADD CONSTRAINT catalogue_kind_word CHECK (true);",
        "ALTER TABLE sales RENAME COLUMN total TO grand_total;",
        "ALTER TABLE settings RENAME TO store_settings;",
        "ALTER TABLE lane_sales ALTER COLUMN total TYPE numeric;",
        "ALTER TABLE lane_sales ALTER COLUMN note SET NOT NULL;",
    ],
)
def test_the_rule_catches_what_the_previous_version_could_not_run_on(sql: str) -> None:
    assert why_not_an_expand("-- change: expand\n" + sql) != []


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE sales ADD COLUMN lane_note TEXT NOT NULL DEFAULT '';",
        "-- the old one is dropped below, and made again wider\nDROP INDEX IF EXISTS sales_cover;\n"
        "CREATE INDEX sales_cover ON sales(completed_at, total);",
        "ALTER TABLE catalogue DROP CONSTRAINT catalogue_kind_check;\n"
        "ALTER TABLE catalogue ADD CONSTRAINT catalogue_kind_check CHECK (kind IN ('a', 'b'));",
        "UPDATE customers SET chain_id = lower(hex(randomblob(16)));",
    ],
)
def test_the_rule_lets_an_expand_add(sql: str) -> None:
    assert why_not_an_expand("-- change: expand\n" + sql) == []


@pytest.mark.parametrize("first", ["-- Categories are rows of their own", "-- change: expands", "--change: expand", ""])
def test_a_migration_without_its_change_is_refused(first: str) -> None:
    with pytest.raises(till_db.StoreError, match="does not begin with '-- change: expand'"):
        till_db.change_of(45, first + "\nCREATE TABLE t (id INTEGER);")


def test_the_office_runner_refuses_an_unmarked_migration(tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("-- change: expand\nCREATE TABLE t (id int);")
    (tmp_path / "0002_second.sql").write_text("CREATE TABLE u (id int);")
    with pytest.raises(office_db.OfficeDatabaseError, match=r"0002_second\.sql does not begin with"):
        office_db.migrations(tmp_path)
