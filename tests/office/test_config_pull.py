"""Configuration pulled, not pushed (issue 19, point 3): a store's variables set at a real
office, a real enrolled till pulling its signed bundle over mutual TLS and applying it with the
real ansible-playbook (connection local), the recap going up the outbox, and the fleet report
built from the office. The playbook is a small one of the test's (it writes the allow-list to a
folder of the test): the shipped one would provision the machine running the tests."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from appliance.cli import main
from appliance.lane import config_pull
from appliance.office.services import configuration, enrolment, fleet
from appliance.security import config_bundle
from tests.conftest import Store
from tests.office.conftest import RunningOffice, fleet_cli
from tests.office.test_back_office import admin, person
from tests.office.test_outbox import enrol, push_all

ANSIBLE_PLAYBOOK = str(Path(sys.executable).parent / "ansible-playbook")

SITE = """\
- name: Make the box a kiosk
  hosts: kiosks
  gather_facts: false
  roles: [firewall]
"""
DEFAULTS = """\
firewall_allowed_destinations: []
firewall_root: /nonexistent
"""
TASKS = """\
- name: Write the allow-list
  ansible.builtin.copy:
    dest: "{{ firewall_root }}/allow-list.txt"
    content: |
      {% for d in firewall_allowed_destinations %}
      {{ d.name }} {{ d.address }} {{ d.ports | join(',') }}
      {% endfor %}
    mode: "0644"
"""


@pytest.fixture
def playbook(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The office's copy of the playbook: a provisioning/ tree named in its environment."""
    tree = tmp_path / "office-playbook" / "provisioning"
    (tree / "roles" / "firewall" / "defaults").mkdir(parents=True)
    (tree / "roles" / "firewall" / "tasks").mkdir()
    (tree / "site.yml").write_text(SITE)
    (tree / "ansible.cfg").write_text("[defaults]\nroles_path = roles\nretry_files_enabled = false\n")
    (tree / "roles" / "firewall" / "defaults" / "main.yml").write_text(DEFAULTS)
    (tree / "roles" / "firewall" / "tasks" / "main.yml").write_text(TASKS)
    monkeypatch.setenv(configuration.SOURCE_ENV, str(tree))
    return tree


@pytest.fixture
def box(running_office: RunningOffice, store: Store, tmp_path: Path) -> Path:
    """The folder the test's playbook writes the allow-list to, its till enrolled at the office."""
    folder = tmp_path / "box"
    folder.mkdir()
    enrol(running_office, store)
    return folder


def office_cli(office: RunningOffice, *args: str) -> int:
    return main(["office", "config", *args, "--database", office.dsn, "--data-dir", str(office.data_dir)])


def set_vars(office: RunningOffice, tmp_path: Path, values: dict[str, Any], name: str = "vars.yml") -> int:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(values))
    return office_cli(office, "set", "--store", "lyon", "--file", str(path))


def pull(store: Store) -> int:
    return main(["config", "pull", "--data-dir", str(store.path), "--ansible-playbook", ANSIBLE_PLAYBOOK])


def office_runs(office: RunningOffice) -> dict[str, Any]:
    (row,) = fleet.report(office.office)["lanes"]  # type: ignore[arg-type]
    config: dict[str, Any] = row["config"]
    return config


GATEWAY = {"name": "payment gateway", "address": "192.0.2.50", "protocol": "tcp", "ports": [443]}
MIRROR = {"name": "update mirror", "address": "192.0.2.60", "protocol": "tcp", "ports": [443]}


def test_a_box_pulls_its_stores_config_applies_it_and_the_office_sees_each_run(
    running_office: RunningOffice,
    store: Store,
    playbook: Path,
    box: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = running_office.data_dir / configuration.SIGNING_KEY
    assert key.stat().st_mode & 0o777 == 0o600  # made by office init, before any bundle was served

    # Bad input at the office: exit 2 with a message, nothing kept.
    assert set_vars(running_office, tmp_path, {"firewall_root": str(box), "sshd_port": 22}) == 2
    assert "unknown variable: sshd_port" in capsys.readouterr().err
    (tmp_path / "list.yml").write_text("- a\n- b\n")
    assert office_cli(running_office, "set", "--store", "lyon", "--file", str(tmp_path / "list.yml")) == 2
    assert "must be a YAML mapping" in capsys.readouterr().err
    (tmp_path / "nantes.yml").write_text("firewall_root: /x\n")
    assert office_cli(running_office, "set", "--store", "nowhere", "--file", str(tmp_path / "nantes.yml")) == 2
    assert "no store named 'nowhere'" in capsys.readouterr().err

    assert (
        set_vars(running_office, tmp_path, {"firewall_root": str(box), "firewall_allowed_destinations": [GATEWAY]}) == 0
    )
    assert "2 variable(s) set for store lyon" in capsys.readouterr().out
    assert office_cli(running_office, "show") == 0
    shown = capsys.readouterr().out
    assert "# store lyon, set" in shown and "address: 192.0.2.50" in shown
    assert office_runs(running_office)["state"] == "never pulled"

    # The first pull: the key is pinned, the allow-list written, the recap in the outbox.
    assert pull(store) == 0
    first = capsys.readouterr().out
    assert "applied: ok=1 changed=1 failed=0: firewall : Write the allow-list" in first
    assert (box / "allow-list.txt").read_text() == "payment gateway 192.0.2.50 443\n"
    pinned = store.path / "office" / config_pull.PINNED_KEY
    assert pinned.read_text() == config_bundle.public_pem(configuration.signing_key(running_office.data_dir))
    push_all(store)
    state = office_runs(running_office)
    run = state["last_run"]
    assert (state["state"], run["outcome"], run["ok"], run["changed"], run["failed"]) == ("applied", "applied", 1, 1, 0)
    assert run["changed_tasks"] == ["firewall : Write the allow-list"]
    assert run["bundle_version"] == state["served_version"]
    version = run["bundle_version"]

    # Unchanged configuration: the same version, and nothing changes on the box.
    assert pull(store) == 0
    assert "applied: ok=1 changed=0 failed=0" in capsys.readouterr().out
    push_all(store)
    state = office_runs(running_office)
    assert (state["state"], state["last_run"]["bundle_version"], state["last_run"]["changed"]) == (
        "applied",
        version,
        0,
    )

    # A new allow-list entry at the office: a new version; the box is behind until it pulls.
    assert (
        set_vars(
            running_office, tmp_path, {"firewall_root": str(box), "firewall_allowed_destinations": [GATEWAY, MIRROR]}
        )
        == 0
    )
    state = office_runs(running_office)
    assert state["state"] == "behind" and state["served_version"] != version
    assert pull(store) == 0
    capsys.readouterr()
    assert "update mirror 192.0.2.60 443" in (box / "allow-list.txt").read_text()
    push_all(store)
    state = office_runs(running_office)
    assert state["state"] == "applied" and state["last_run"]["changed"] == 1
    assert state["last_run"]["bundle_version"] == state["served_version"] != version

    # Someone edits the box by hand: the next run on the same bundle changes it back: drift.
    (box / "allow-list.txt").write_text("anything goes\n")
    assert pull(store) == 0
    push_all(store)
    data = fleet.report(running_office.office)  # type: ignore[arg-type]
    assert data["lanes"][0]["config"]["state"] == "drift" and data["config_drift_lanes"] == ["lyon/T01"]

    # The fleet report from the office: the config state is there, in words too.
    out = tmp_path / "fleet.json"
    assert fleet_cli(running_office, "--format", "json", "--output", str(out)) == 1
    assert "config drift" in capsys.readouterr().out
    assert json.loads(out.read_text())["lanes"][0]["config"]["state"] == "drift"


def test_a_tampered_bundle_or_another_key_is_refused_and_the_office_hears_of_it(
    running_office: RunningOffice,
    store: Store,
    playbook: Path,
    box: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert (
        set_vars(running_office, tmp_path, {"firewall_root": str(box), "firewall_allowed_destinations": [GATEWAY]}) == 0
    )
    assert pull(store) == 0  # pins the office's key
    capsys.readouterr()

    def tampered(data_dir: Path) -> config_pull.Fetched:
        got = config_pull.fetch(data_dir)
        bundle = got.bundle.replace(b"192.0.2.50", b"203.0.113.9")  # another gateway
        assert bundle != got.bundle
        return config_pull.Fetched(config_bundle.version(bundle), bundle, got.signature, got.public_key)

    (box / "allow-list.txt").unlink()
    run = config_pull.pull(store.path, ANSIBLE_PLAYBOOK, tampered)
    assert run["outcome"] == "refused" and "signature is not the office's" in run["message"]
    assert not (box / "allow-list.txt").exists()  # nothing of it was applied

    # The office's key replaced (or an impostor's): refused, with the pinned key named.
    (running_office.data_dir / configuration.SIGNING_KEY).unlink()
    configuration.make_signing_key(running_office.data_dir)
    assert pull(store) == 1
    said = capsys.readouterr()
    assert "refused" in said.err and "not the one pinned" in said.err and "Traceback" not in said.err
    assert not (box / "allow-list.txt").exists()

    push_all(store)
    state = office_runs(running_office)
    assert state["state"] == "refused" and "not the one pinned" in state["last_run"]["message"]
    data = fleet.report(running_office.office)  # type: ignore[arg-type]
    assert data["config_failed_lanes"] == ["lyon/T01"]

    # An office that does not answer: reported at the next contact, exit 1, no traceback.
    running_office_url = json.loads((store.path / "office" / "office.json").read_text())
    running_office_url["lane_url"] = "https://127.0.0.1:9"
    (store.path / "office" / "office.json").write_text(json.dumps(running_office_url))
    assert pull(store) == 1
    said = capsys.readouterr()
    assert "unreachable" in said.err and "did not answer" in said.err and "Traceback" not in said.err


def test_the_back_office_shows_each_stores_variables_read_only_to_whom_may_see_the_store(
    office_dsn: str, office_dir: Path, playbook: Path, tmp_path: Path
) -> None:
    from appliance.office.services.office import open_office

    office = open_office(office_dsn, office_dir)
    try:
        for store in ("lyon", "paris"):
            enrolment.issue_token(office, store, "T01", issued_by="test")
        known = configuration.known_names(playbook)
        configuration.set_vars(office, "lyon", "", {"firewall_allowed_destinations": [GATEWAY]}, "cli:test")
        configuration.set_vars(
            office, "paris", "T01", configuration.parse_vars("firewall_root: /srv\n", known), "cli:test"
        )
        chief = admin(office)
        page = chief.get("/configuration")
        assert page.status_code == 200
        assert "Store lyon" in page.text and "192.0.2.50" in page.text and "paris/T01" in page.text
        assert "<form" not in page.text.split("<main")[-1]  # read-only: the CLI sets them
        manager = person(office, chief, "marie", "store_manager", "paris")
        theirs = manager.get("/configuration").text
        assert "paris/T01" in theirs and "192.0.2.50" not in theirs and "Store lyon" not in theirs
    finally:
        office.close()
