"""Issue 19's "done when" for the configuration and compliance paths: a box (a copy of the
image's provisioned root, run under systemd-nspawn) pulls and applies a config change (a new
allow-list entry) from a real office, pushes its compliance report and its logs, and the fleet
report built from the office lists it, with no SSH anywhere.

The box runs its own Comptoir (/opt/comptoir) and Debian's ansible-core (the config_pull
role's), against the real playbook the office serves from this checkout. It shares the host's
network to reach the office on 127.0.0.1, and the host's kernel: so the store's variables say
that nothing is applied to the running kernel or services (`*_manage_running: false`, as in
the image build's chroot) and that the host's listeners are not the box's; what the box writes
is what is checked. The till's store is made and enrolled from the host (the bench's job), and
the till's push loop (comptoir.service's, not running in an unbooted container) is run from
the host too."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from appliance.app.services.opening import open_shop
from appliance.app.services.setup import NewStore, init_store
from appliance.cli import main
from appliance.config import load
from appliance.lane import enrolment as lane
from appliance.office.services import enrolment, fleet
from tests.conftest import Store
from tests.e2e.image.vm import Image
from tests.office.conftest import RunningOffice, fleet_cli
from tests.office.conftest import office_dir as office_dir  # the fixtures, by their names
from tests.office.conftest import office_dsn as office_dsn
from tests.office.conftest import pg_cluster as pg_cluster
from tests.office.conftest import running_office as running_office
from tests.office.test_outbox import push_all

pytestmark = pytest.mark.slow

DATA_DIR = "/srv/till"  # in the box: the till's store, made and enrolled from the host
_NSPAWN = (
    "set -e; mkdir -p /run/systemd/nspawn; mount -t tmpfs tmpfs /run/systemd/nspawn; "
    'root="$0"; exec systemd-nspawn --quiet --register=no --keep-unit -D "$root" "$@"'
)
NOT_THE_HOSTS = {
    name: False
    for name in (
        "kiosk_base_manage_running",
        "firewall_manage_running",
        "updates_manage_running",
        "usb_manage_running",
        "audit_manage_running",
        "pos_app_manage_running",
        "no_remote_access_verify_listeners",
    )
}
GATEWAY: dict[str, object] = {"name": "payment gateway", "address": "192.0.2.50", "protocol": "tcp", "ports": [443]}
SUPPLIER: dict[str, object] = {
    "name": "new supplier portal",
    "address": "192.0.2.77",
    "protocol": "tcp",
    "ports": [8443],
}


def inside(box: Path, *command: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", _NSPAWN, str(box), *command],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def set_vars(office: RunningOffice, tmp_path: Path, destinations: list[dict[str, object]]) -> None:
    path = tmp_path / "lyon.yml"
    path.write_text(yaml.safe_dump({**NOT_THE_HOSTS, "firewall_allowed_destinations": destinations}))
    argv = ["office", "config", "set", "--store", "lyon", "--file", str(path)]
    assert main([*argv, "--database", office.dsn, "--data-dir", str(office.data_dir)]) == 0


def pull(box: Path) -> dict[str, object]:
    done = inside(box, "/opt/comptoir/bin/comptoir", "config", "pull", "--data-dir", DATA_DIR)
    said = done.stdout + done.stderr
    assert done.returncode == 0, said[-6000:]
    assert "Traceback" not in said
    return {"said": said}


def test_a_box_pulls_a_config_change_pushes_its_report_and_logs_and_the_office_lists_it(
    image: Image, running_office: RunningOffice, tmp_path: Path
) -> None:
    if shutil.which("systemd-nspawn") is None or shutil.which("unshare") is None:
        pytest.skip("needs systemd-nspawn and unshare")
    box = tmp_path / "box"
    subprocess.run(["cp", "-a", "--reflink=auto", str(image.rootfs), str(box)], check=True)
    assert not (box / "usr/sbin/sshd").exists()  # no SSH on the box: no_remote_access purged it
    assert (box / "usr/bin/ansible-playbook").exists()  # Debian's, from the config_pull role

    # The bench's part: the till's store, enrolled at the office.
    data_dir = box / DATA_DIR.lstrip("/")
    shop, password = init_store(data_dir, NewStore(store_name="Lyon"))
    shop.close()  # the box opens it from now on
    issued = enrolment.issue_token(running_office.office, "lyon", "T01", issued_by="test")  # type: ignore[arg-type]
    lane.enrol(data_dir, running_office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)
    before = (box / "etc/nftables.conf").read_text()
    assert "192.0.2.77" not in before

    # The office's store variables gain an allow-list entry; the box pulls and applies it.
    set_vars(running_office, tmp_path, [GATEWAY, SUPPLIER])
    first = pull(box)["said"]
    assert "applied" in str(first) and "changed=0" not in str(first)
    ruleset = (box / "etc/nftables.conf").read_text()
    assert "192.0.2.77" in ruleset and "8443" in ruleset
    assert (box / DATA_DIR.lstrip("/") / "office/config-signing.pub").exists()

    # A second run on the unchanged bundle changes nothing.
    second = pull(box)["said"]
    print(f"\nfirst pull: {str(first).strip()[-1500:]}\nsecond pull: {str(second).strip()[-500:]}")
    assert "changed=0 failed=0" in str(second), second

    # The box scans itself and pushes its report and its logs, as its timers do.
    scan = inside(
        box,
        "/opt/comptoir/bin/comptoir",
        "compliance",
        "scan",
        "--root",
        "/",
        "--policies",
        "/etc/comptoir/policies",
        "--report-dir",
        "/var/log/comptoir/compliance",
        "--output",
        "/dev/null",
    )
    assert scan.returncode in (0, 1), scan.stdout[-3000:] + scan.stderr[-3000:]
    push = inside(box, "/opt/comptoir/bin/comptoir", "compliance", "push", "--data-dir", DATA_DIR)
    assert push.returncode == 0, push.stdout[-3000:] + push.stderr[-3000:]
    assert "taken by the office for lyon/T01" in push.stdout
    store = Store(open_shop(load(str(data_dir))), password, data_dir)
    try:
        push_all(store)  # the till's push loop: the recaps and the logs go up the outbox
    finally:
        store.shop.close()

    # The fleet report, from the office alone.
    out = tmp_path / "fleet.json"
    fleet_cli(running_office, "--format", "json", "--output", str(out))
    (row,) = json.loads(out.read_text())["lanes"]
    assert row["lane"] == "lyon/T01" and row["report"] is not None and row["report"]["signature_ok"]
    assert row["audit_head"] is not None
    config = row["config"]
    assert config["state"] == "applied", config
    assert config["last_run"]["changed"] == 0 and config["last_run"]["failed"] == 0
    assert config["last_run"]["bundle_version"] == config["served_version"]
    runs = fleet.report(running_office.office)["lanes"][0]  # type: ignore[arg-type]
    assert runs["config"]["last_run"]["ok"] > 0
