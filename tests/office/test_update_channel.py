"""Where updates come from and when they install (issue 19, point 2, and point 1's gate): a
real office on PostgreSQL says which version each store runs (rings, pins); real enrolled
tills ask it over mutual TLS, fetch the bundle from a real HTTP mirror on 127.0.0.1 or a
stick's folder, check its SHA-256 and hand it to `rauc` on PATH (tests/office/fake_rauc.py:
the edge, faithful to RAUC 1.8's command line); the events reach the office and its fleet
report."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.app.domain.errors import Conflict, Invalid, NotFound
from appliance.app.services import outbox, outbox_push, shifts, updates
from appliance.app.services import store_rules as till_rules
from appliance.app.store import settings as settings_store
from appliance.cli import main
from appliance.lane import updates as wire
from appliance.office.services import fleet, lane_events, store_rules
from appliance.office.services import updates as office_updates
from appliance.security.compliance.fleet import OFFICE_RENDER
from appliance.update_cli import RaucBox, asker, fetcher
from tests.office.conftest import RunningOffice
from tests.office.fake_rauc import FakeRauc, bundle
from tests.office.two_stores import Till, admin_of, office_of, two_stores

IN_WINDOW = dt.datetime(2026, 12, 6, 8, 0, tzinfo=dt.UTC)  # 03:00 in Montreal: inside 02:00-05:00
OUTSIDE = dt.datetime(2026, 12, 6, 15, 0, tzinfo=dt.UTC)  # 10:00 in Montreal


class Mirror:
    """The update mirror: a real HTTP server on 127.0.0.1 serving a folder, with Range
    requests answered 206 as a web server does; the Range headers it was sent."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ranges: list[str | None] = []
        mirror = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = mirror.folder / self.path.lstrip("/")
                wanted = self.headers.get("Range")
                mirror.ranges.append(wanted)
                if not path.is_file():
                    self.send_error(404)
                    return
                data = path.read_bytes()
                start = int(wanted.split("=")[1].split("-")[0]) if wanted else 0
                if start >= len(data) and wanted:
                    self.send_response(416)
                    self.end_headers()
                    return
                self.send_response(206 if wanted else 200)
                if wanted:
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                self.send_header("Content-Length", str(len(data) - start))
                self.end_headers()
                self.wfile.write(data[start:])

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tills(running_office: RunningOffice, tmp_path: Path) -> Iterator[list[Till]]:
    with two_stores(running_office, tmp_path) as made:
        yield made


@pytest.fixture
def rauc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeRauc:
    fake = FakeRauc(tmp_path / "edge")
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    return fake


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[Mirror]:
    served = Mirror(tmp_path / "mirror")
    served.folder.mkdir()
    try:
        yield served
    finally:
        served.close()


def release(running: RunningOffice, folder: Path, version: str) -> Path:
    path = bundle(folder, version)
    data = path.read_bytes()
    office_updates.add_release(
        office_of(running), version, path.name, hashlib.sha256(data).hexdigest(), len(data), actor="test"
    )
    return path


def push_all(till: Till) -> None:
    pusher = outbox_push.Pusher(till.shop, outbox_push.office_sender(till.shop))
    while pusher.run_once():
        pass


def apply(till: Till, downloads: Path, usb: list[Path] | None = None) -> updates.Outcome:
    """`comptoir update apply`'s wiring, on the test's till (its clock is the test's)."""
    data = till.shop.data_dir
    return updates.apply(till.shop, RaucBox(), asker(data), fetcher(downloads, usb or []))


def update_events(running: RunningOffice, store: str, till: str) -> list[tuple[str, dict[str, Any]]]:
    rows = lane_events.events(office_of(running), store, till, limit=10_000)
    return [(str(r["kind"]), dict(r["body"])) for r in rows if str(r["kind"]).startswith("update_")]


def local_events(till: Till) -> list[tuple[str, dict[str, Any]]]:
    return [(e["kind"], e["body"]) for e in outbox.events(till.shop) if e["kind"].startswith("update_")]


def test_rings_and_pins_decide_the_version_each_lane_hears(
    running_office: RunningOffice, tills: list[Till], tmp_path: Path
) -> None:
    office = office_of(running_office)
    lyon, paris = tills
    assert wire.ask(lyon.shop.data_dir)["version"] is None  # nothing decided: stay as you are
    for version in ("1.0", "1.1", "1.2"):
        release(running_office, tmp_path / "bundles", version)
    office_updates.set_ring(office, "stores", "1.1", actor="test")
    office_updates.set_ring(office, "pilot", "1.2", actor="test")
    office_updates.place_store(office, "paris", "pilot", actor="test")

    said = wire.ask(lyon.shop.data_dir)
    assert (said["store"], said["ring"], said["version"], said["pinned"]) == ("lyon", "stores", "1.1", False)
    assert (said["source"], said["url"], said["bundle"]) == ("usb", None, "comptoir-1.1.raucb")  # no mirror set
    assert said["sha256"] == hashlib.sha256((tmp_path / "bundles" / "comptoir-1.1.raucb").read_bytes()).hexdigest()
    assert wire.ask(paris.shop.data_dir)["version"] == "1.2"

    office_updates.pin_store(office, "paris", "1.0", actor="test")  # the pin beats the ring
    office_updates.set_mirror(office, "https://updates.example/comptoir/", actor="test")
    said = wire.ask(paris.shop.data_dir)
    assert (said["version"], said["pinned"], said["ring"]) == ("1.0", True, "pilot")
    assert (said["source"], said["url"]) == ("mirror", "https://updates.example/comptoir/comptoir-1.0.raucb")
    office_updates.pin_store(office, "paris", None, actor="test")
    assert wire.ask(paris.shop.data_dir)["version"] == "1.2"

    with pytest.raises(NotFound):
        office_updates.set_ring(office, "stores", "9.9", actor="test")
    with pytest.raises(NotFound):
        office_updates.pin_store(office, "nowhere", "1.0", actor="test")
    with pytest.raises(NotFound):
        office_updates.place_store(office, "lyon", "canary", actor="test")
    with pytest.raises(Invalid):
        office_updates.add_release(office, "2.0", "b.raucb", "not-hex", 10, actor="test")
    with pytest.raises(Conflict):  # a version is never given another bundle under the boxes
        office_updates.add_release(office, "1.0", "other.raucb", "a" * 64, 10, actor="test")


def test_the_office_cli_adds_releases_and_refuses_bad_input_with_exit_2(
    running_office: RunningOffice, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--database", running_office.dsn, "--data-dir", str(running_office.data_dir)]
    path = bundle(tmp_path / "bundles", "1.3")
    assert main(["office", "release", "add", *where, "--version", "1.3", "--bundle", str(path)]) == 0
    assert hashlib.sha256(path.read_bytes()).hexdigest() in capsys.readouterr().out
    assert main(["office", "ring", "set", *where, "stores", "1.3"]) == 0
    assert main(["office", "update-mirror", *where, "http://127.0.0.1:9/u"]) == 0
    shown = json.loads((capsys.readouterr(), main(["office", "updates", *where]), capsys.readouterr().out)[2])
    assert shown["rings"] == {"stores": "1.3"} and shown["mirror_url"] == "http://127.0.0.1:9/u"

    for bad, said in (
        (["release", "add", *where, "--version", "1.4", "--bundle", str(path), "--sha256", "0" * 64], "SHA-256"),
        (["release", "add", *where, "--version", "1.4", "--bundle", str(tmp_path / "nothing.raucb")], "no bundle"),
        (["release", "add", *where, "--version", "1.4", "--bundle", "https://m.example/b.raucb"], "--sha256"),
        (["release", "add", *where, "--version", "bad version", "--bundle", str(path)], "version"),
        (["ring", "set", *where, "stores", "7.7"], "no release 7.7"),
        (["ring", "set", *where, "Not A Ring", "1.3"], "ring"),
        (["pin", *where, "nowhere", "1.3"], "no store nowhere"),
        (["update-mirror", *where, "ftp://mirror"], "http(s)"),
    ):
        assert main(["office", *bad]) == 2, bad
        assert said in capsys.readouterr().err, bad


def test_the_gate_refuses_outside_the_window_during_a_shift_and_with_unsent_events(
    running_office: RunningOffice, tills: list[Till], rauc: FakeRauc, mirror: Mirror, tmp_path: Path
) -> None:
    office = office_of(running_office)
    release(running_office, mirror.folder, "1.1")
    office_updates.set_ring(office, "stores", "1.1", actor="test")
    office_updates.set_mirror(office, mirror.url, actor="test")
    lyon = tills[0]
    downloads = tmp_path / "downloads"
    push_all(lyon)

    lyon.at(OUTSIDE)
    done = apply(lyon, downloads)
    assert (done.state, done.reason, done.running, done.wanted) == ("refused", "outside_window", "1.0", "1.1")
    assert "02:00-05:00" in done.message and "10:00" in done.message
    apply(lyon, downloads)  # the timer asks again: the same refusal is not written twice
    assert [k for k, _ in local_events(lyon)] == ["update_refused"]

    with pytest.raises(Invalid):  # the till checks the rule as the office does
        till_rules.put(lyon.shop, admin_of(lyon), {"update_window": "25:00-01:00"})
    with pytest.raises(Invalid):
        store_rules.change(office, "lyon", {"update_window": "10:00"}, actor="test")
    # The office moves the store's window (a store rule): now is inside it.
    store_rules.change(office, "lyon", {"update_window": "09:30-11:00"}, actor="test")
    lyon.pull()
    assert settings_store.get_all(lyon.shop.db.conn)["update_window"] == "09:30-11:00"
    push_all(lyon)
    shifts.open_shift(lyon.shop, lyon.cashier, {"2000": 5})
    push_all(lyon)
    assert apply(lyon, downloads).reason == "open_shift"
    shifts.close_shift(lyon.shop, lyon.cashier, {"2000": 5})
    # The shift's close and the refusal wait in the outbox: the office has not had them.
    assert apply(lyon, downloads).reason == "unsent_events"

    assert rauc.installs() == [] and rauc.reboots() == []
    assert not downloads.exists() or not any(downloads.iterdir())  # nothing fetched either
    push_all(lyon)
    said = update_events(running_office, "lyon", "T01")
    assert [(k, b["reason"]) for k, b in said] == [
        ("update_refused", "outside_window"),
        ("update_refused", "open_shift"),
        ("update_refused", "unsent_events"),
    ]
    assert all(b["version"] == "1.1" and b["running"] == "1.0" for _, b in said)


def test_a_bundle_whose_sha256_is_not_the_offices_is_refused_and_removed(
    running_office: RunningOffice, tills: list[Till], rauc: FakeRauc, mirror: Mirror, tmp_path: Path
) -> None:
    office = office_of(running_office)
    path = release(running_office, mirror.folder, "1.1")
    office_updates.set_ring(office, "stores", "1.1", actor="test")
    office_updates.set_mirror(office, mirror.url, actor="test")
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # the mirror holds another file under the release's name
    path.write_bytes(bytes(data))
    lyon = tills[0]
    push_all(lyon)
    lyon.at(IN_WINDOW)
    done = apply(lyon, tmp_path / "downloads")
    assert (done.state, done.reason) == ("refused", "sha256_mismatch")
    assert rauc.installs() == []
    assert list((tmp_path / "downloads").iterdir()) == []  # not kept for RAUC or a later try
    push_all(lyon)
    assert [(k, b["reason"]) for k, b in update_events(running_office, "lyon", "T01")] == [
        ("update_refused", "sha256_mismatch")
    ]


def test_a_mirror_that_sends_past_the_release_size_is_read_only_up_to_it(
    running_office: RunningOffice, tills: list[Till], rauc: FakeRauc, mirror: Mirror, tmp_path: Path
) -> None:
    office = office_of(running_office)
    path = release(running_office, mirror.folder, "1.1")
    good = path.read_bytes()
    path.write_bytes(good + b"\0" * 5_000_000)  # a mirror that would fill the data partition
    office_updates.set_ring(office, "stores", "1.1", actor="test")
    office_updates.set_mirror(office, mirror.url, actor="test")
    lyon = tills[0]
    push_all(lyon)
    lyon.at(IN_WINDOW)
    assert apply(lyon, tmp_path / "downloads").state == "installed"
    assert (tmp_path / "downloads" / "comptoir-1.1.raucb").read_bytes() == good  # the office's bytes, no more


def test_a_good_install_from_the_mirror_boots_and_a_failed_one_rolls_back(
    running_office: RunningOffice, tills: list[Till], rauc: FakeRauc, mirror: Mirror, tmp_path: Path
) -> None:
    office = office_of(running_office)
    release(running_office, mirror.folder, "1.1")
    release(running_office, mirror.folder, "1.2")
    office_updates.set_ring(office, "stores", "1.1", actor="test")
    office_updates.set_mirror(office, mirror.url, actor="test")
    lyon = tills[0]
    downloads = tmp_path / "downloads"
    # An earlier try stopped halfway: the fetch asks the mirror for the rest only.
    whole = (mirror.folder / "comptoir-1.1.raucb").read_bytes()
    downloads.mkdir()
    (downloads / "comptoir-1.1.raucb.part").write_bytes(whole[:100_000])
    push_all(lyon)
    lyon.at(IN_WINDOW)

    done = apply(lyon, downloads)
    assert (done.state, done.running, done.wanted) == ("installed", "1.0", "1.1")
    assert mirror.ranges == ["bytes=100000-"]
    assert rauc.installs() == [["install", str(downloads / "comptoir-1.1.raucb")]]
    assert (downloads / "comptoir-1.1.raucb").read_bytes() == whole
    assert rauc.reboots() and rauc.reboots()[0][:2] == ["-r", "+1"]
    assert apply(lyon, downloads).reason == "unsent_events"  # installed once, not again before the reboot
    assert len(rauc.installs()) == 1

    rauc.boot(good=True)
    assert updates.booted(lyon.shop, RaucBox()).state == "booted"  # type: ignore[union-attr]
    assert updates.booted(lyon.shop, RaucBox()) is None  # recorded once
    push_all(lyon)
    assert apply(lyon, downloads).state == "current"

    office_updates.set_ring(office, "stores", "1.2", actor="test")
    assert apply(lyon, downloads).state == "installed"
    rauc.boot(good=False)  # 1.2 failed its health check three times: the box is on 1.1 again
    gone = updates.booted(lyon.shop, RaucBox())
    assert gone is not None and (gone.state, gone.running, gone.wanted) == ("rolled_back", "1.1", "1.2")
    push_all(lyon)

    said = update_events(running_office, "lyon", "T01")
    assert [k for k, _ in said] == [
        "update_installed",
        "update_refused",  # the try before the reboot: update_installed had not reached the office
        "update_booted",
        "update_installed",
        "update_rolled_back",
    ]
    installed = next(b for k, b in said if k == "update_installed")
    assert installed["version"] == "1.1" and installed["from_slot"] == "rootfs.0" and installed["source"] == "mirror"
    actions = [str(a[0]) for a in lyon.shop.db.conn.execute("SELECT action FROM audit_log").fetchall()]
    assert actions.count("update_attempt") == 2 and "update_rolled_back" in actions

    report = fleet.report(office)
    row = next(r for r in report["lanes"] if r["lane"] == "lyon/T01")
    assert (row["running_version"], row["wanted_version"], row["ring"]) == ("1.1", "1.2", "stores")
    assert row["last_update"]["kind"] == "update_rolled_back" and row["last_update"]["version"] == "1.2"
    paris = next(r for r in report["lanes"] if r["lane"] == "paris/T02")
    assert paris["last_update"] is None and paris["wanted_version"] == "1.2"
    text = OFFICE_RENDER["text"](report)
    assert "software: runs 1.1, should run 1.2 (ring stores); last update event update_rolled_back 1.2" in text
    header, *rows = OFFICE_RENDER["csv"](report).splitlines()
    columns = header.split(",")
    lyon_row = dict(zip(columns, next(r for r in rows if r.startswith("lyon/T01")).split(","), strict=False))
    assert (lyon_row["running_version"], lyon_row["wanted_version"], lyon_row["last_update"]) == (
        "1.1",
        "1.2",
        "update_rolled_back",
    )


def test_a_bundle_from_the_update_stick_and_the_cli_refusal(
    running_office: RunningOffice,
    tills: list[Till],
    rauc: FakeRauc,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    office = office_of(running_office)
    stick = tmp_path / "media" / "comptoir-update"
    release(running_office, stick, "1.1")
    office_updates.set_ring(office, "stores", "1.1", actor="test")  # no mirror: the stick
    lyon, paris = tills
    push_all(lyon)
    lyon.at(IN_WINDOW)
    assert apply(lyon, tmp_path / "downloads", [tmp_path / "elsewhere"]).reason == "fetch_failed"
    push_all(lyon)
    done = apply(lyon, tmp_path / "downloads", [tmp_path / "elsewhere", stick])
    assert done.state == "installed"
    assert rauc.installs() == [["install", str(stick / "comptoir-1.1.raucb")]]  # read where it lies

    # The command itself, on the other store's till with the real clock: a window that is
    # not now refuses with a message and exit 1, and installs nothing.
    now = dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=-5)))  # near enough
    start = (now + dt.timedelta(hours=3)).strftime("%H:00")
    end = (now + dt.timedelta(hours=4)).strftime("%H:00")
    store_rules.change(office, "paris", {"update_window": f"{start}-{end}"}, actor="test")
    paris.pull()
    push_all(paris)
    capsys.readouterr()
    data = str(paris.shop.data_dir)
    assert main(["update", "apply", "--data-dir", data, "--usb-dir", str(stick)]) == 1
    err = capsys.readouterr().err
    assert "1.1 not installed (outside_window)" in err and "Traceback" not in err
    assert len(rauc.installs()) == 1
    assert main(["update", "check", "--data-dir", data]) == 0
    out = capsys.readouterr().out
    assert "running: 1.0 (slot rootfs.0)" in out  # installed into rootfs.1, not rebooted yet
    assert "would not install now" in out
