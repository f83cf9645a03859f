"""A store's rules decided at the office, fed to that store's real tills only and applied
there like a manager's change (docs/office.md, "Store rules")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.app.domain.errors import Conflict, DomainError
from appliance.app.services import office_feed, store_rules
from appliance.app.services.office_feed import FeedError
from appliance.app.store import audit as till_audit
from appliance.cli import main
from appliance.office.services import audit_log
from appliance.office.services import store_rules as office_rules
from tests.office.conftest import RunningOffice
from tests.office.two_stores import Till, admin_of, office_of, two_stores


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[list[Till]]:
    with two_stores(running_office, tmp_path) as made:
        yield made


def test_rules_set_for_one_store_reach_its_tills_only(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    lyon, paris = tills
    office_rules.change(office, "lyon", {"keyed_card_payments": True, "gift_card_expiry_days": 365}, actor="alice")
    assert lyon.pull() == 1
    assert paris.pull() == 0
    got = store_rules.get(lyon.shop, lyon.cashier)
    assert (got["keyed_card_payments"], got["gift_card_expiry_days"]) == (True, 365)
    assert lyon.shop.settings.keyed_card_payments  # the cached settings were dropped: read anew
    other = store_rules.get(paris.shop, paris.cashier)
    assert (other["keyed_card_payments"], other["gift_card_expiry_days"]) == (False, 0)
    entry = [e for e in audit_log.entries(office) if e["action"] == "store_rules"][-1]
    assert entry["actor"] == "alice" and entry["object"] == "store:lyon"


def test_the_till_keeps_the_rules_the_office_does_not_decide(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    lyon = tills[0]
    boss = admin_of(lyon)
    office_rules.change(office, "lyon", {"keyed_card_payments": False}, actor="test")
    lyon.pull()
    with pytest.raises(Conflict) as refused:
        store_rules.put(lyon.shop, boss, {"keyed_card_payments": True})
    assert refused.value.code == "office_owned"
    store_rules.put(lyon.shop, boss, {"locale": "fr-FR"})  # not the office's: the store's own
    office_rules.change(office, "lyon", release=["keyed_card_payments"], actor="test")
    lyon.pull()
    assert store_rules.put(lyon.shop, boss, {"keyed_card_payments": True})["keyed_card_payments"] is True
    assert store_rules.get(lyon.shop, boss)["locale"] == "fr-FR"


def test_a_rule_the_till_refuses_stops_the_feed_until_the_office_mends_it(
    running_office: RunningOffice, tills: list[Till]
) -> None:
    office = office_of(running_office)
    lyon = tills[0]
    before = office_feed.cursor(lyon.shop)
    office_rules.change(office, "lyon", {"cash_rounding": "0.03"}, actor="test")  # no such coin
    with pytest.raises(FeedError, match="cash rounding"):
        lyon.pull()
    assert office_feed.cursor(lyon.shop) == before
    assert store_rules.get(lyon.shop, lyon.cashier)["cash_rounding"] == "none"
    done = office_rules.change(office, "lyon", {"cash_rounding": "0.05"}, actor="test")
    assert lyon.pull() == 1  # the row as it is now replaced the bad one
    assert office_feed.cursor(lyon.shop) == done.version
    assert store_rules.get(lyon.shop, lyon.cashier)["cash_rounding"] == "0.05"
    applied = [e for e in till_audit.entries(lyon.shop.db.conn) if e["action"] == "settings_change"]
    assert applied[-1]["actor"] == "office"


def test_the_office_checks_what_it_is_given(running_office: RunningOffice, tills: list[Till]) -> None:
    office = office_of(running_office)
    for bad in (
        lambda: office_rules.change(office, "lyon", {"refund_anything": True}, actor="test"),
        lambda: office_rules.change(office, "lyon", {"keyed_card_payments": "yes"}, actor="test"),
        lambda: office_rules.change(office, "lyon", {"gift_card_expiry_days": 99999}, actor="test"),
        lambda: office_rules.change(office, "nowhere", {"keyed_card_payments": True}, actor="test"),
        lambda: office_rules.change(office, "lyon", actor="test"),
    ):
        with pytest.raises(DomainError):
            bad()
    assert office_rules.rules(office, "lyon") == {}


def test_rules_from_the_command_line(
    running_office: RunningOffice, tills: list[Till], capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--database", running_office.dsn, "--data-dir", str(running_office.data_dir)]
    assert main(["office", "rules", "set", "--store", "paris", "keyed_card_payments=true", "locale=fr-FR", *where]) == 0
    capsys.readouterr()
    assert main(["office", "rules", "show", "--store", "paris", *where]) == 0
    assert capsys.readouterr().out == 'keyed_card_payments = true\nlocale = "fr-FR"\n'
    assert main(["office", "rules", "set", "--store", "paris", "keyed_card_payments=maybe", *where]) == 2
    tills[1].pull()
    assert store_rules.get(tills[1].shop, tills[1].cashier)["locale"] == "fr-FR"
