"""The audit log on a real store: numbers never given twice, links only the till can make,
an anchor outside the store that only moves along the chain, and stores from before keyed
links carried over with their old entries still checked."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from appliance.app.services import audit_log
from appliance.app.services.opening import open_shop
from appliance.app.services.setup import NewStore, init_store
from appliance.app.services.shop import Shop
from appliance.config import load
from appliance.security.audit import GENESIS, entry_hash
from appliance.security.keys import KeyError_, KeyFile, SystemdCredential, new_key, provider_for


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[Shop]:
    made, _ = init_store(tmp_path / "data", NewStore())
    yield made
    made.close()


def key_file(data_dir: Path) -> Path:
    """Where the audit key's file is (or would be) for this store, as the key provider says."""
    provider = provider_for("audit", data_dir)
    assert isinstance(provider, KeyFile)
    return provider.path


def note(shop: Shop, what: str) -> None:
    audit_log.record(shop, actor="cli", action="note", object=what)


def ids(shop: Shop) -> list[int]:
    return [int(e["id"]) for e in audit_log.entries(shop)]


def named(shop: Shop) -> list[int]:
    return sorted({i for p in audit_log.verify(shop)[1] for i in p.entry_ids()})


def test_the_key_is_made_with_the_store_apart_from_it_and_every_link_is_keyed(shop: Shop) -> None:
    path = key_file(shop.data_dir)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_text().strip() == shop.audit_key.hex()
    assert shop.audit_key != provider_for("store", shop.data_dir).load()
    count, problems = audit_log.verify(shop)
    assert count >= 2 and problems == []
    first = audit_log.entries(shop)[0]
    assert first["prev_hash"] == GENESIS and first["hash"] != entry_hash(GENESIS, first)


def test_the_anchor_is_the_head_written_whole(shop: Shop) -> None:
    note(shop, "a")
    last = audit_log.entries(shop)[-1]
    head = shop.data_dir / "audit.head"
    assert head.read_text() == f"keyed {last['id']} {last['hash']}\n"
    assert head.stat().st_mode & 0o777 == 0o600
    assert not (shop.data_dir / "audit.head.tmp").exists()


def test_a_number_is_never_given_twice_so_a_removed_last_entry_stays_missing(shop: Shop) -> None:
    note(shop, "a")
    last = ids(shop)[-1]
    with shop.db.transaction() as tx:
        tx.execute("DELETE FROM audit_log WHERE id = ?", (last,))
    note(shop, "b")
    note(shop, "c")
    assert ids(shop)[-2:] == [last + 1, last + 2]
    assert named(shop) == [last]


def test_a_cut_tail_with_the_numbering_wound_back_is_still_found_by_the_anchor(shop: Shop) -> None:
    note(shop, "a")
    last = ids(shop)[-1]
    anchored = (shop.data_dir / "audit.head").read_text()
    with shop.db.transaction() as tx:
        tx.execute("DELETE FROM audit_log WHERE id = ?", (last,))
        tx.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_log'", (last - 1,))
    note(shop, "b")
    note(shop, "c")  # numbers last and last + 1 again, linked honestly by the till
    assert ids(shop)[-2:] == [last, last + 1]
    # The anchor did not follow the till onto the shortened chain: it still names the cut entry.
    assert (shop.data_dir / "audit.head").read_text() == anchored
    problems = audit_log.verify(shop)[1]
    assert [p.entry_id for p in problems] == [last]
    assert "anchor" in problems[0].reason


def test_an_anchor_that_lags_catches_up(shop: Shop) -> None:
    head = shop.data_dir / "audit.head"
    behind = head.read_text()
    note(shop, "a")
    head.write_text(behind)  # as if the process died between a commit and its anchor
    note(shop, "b")
    assert head.read_text().split()[1] == str(ids(shop)[-1])
    assert audit_log.verify(shop)[1] == []


def test_a_lost_audit_key_stops_the_start_with_a_clear_error(shop: Shop) -> None:
    key_file(shop.data_dir).unlink()
    shop.close()
    with pytest.raises(KeyError_, match=r"audit key .* is missing"):
        open_shop(load(shop.data_dir))
    assert not key_file(shop.data_dir).exists()  # never replaced by a new one


def test_the_key_comes_from_a_systemd_credential_when_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = tmp_path / "creds"
    credentials.mkdir()
    key = new_key()
    (credentials / "comptoir-audit-key").write_text(key.hex())
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    made, _ = init_store(tmp_path / "data", NewStore())
    try:
        assert made.audit_key == key
        assert isinstance(provider_for("audit", made.data_dir), SystemdCredential)
        assert not list(tmp_path.rglob("audit.key"))  # no key file anywhere
        assert audit_log.verify(made)[1] == []
    finally:
        made.close()


def make_it_old(shop: Shop) -> None:
    """The store as a build from before keyed links left it: plain SHA-256 links, numbers
    by max(id) + 1, a plain head file, no audit key."""
    with shop.db.transaction() as tx:
        prev = GENESIS
        for e in audit_log.entries(shop):
            link = entry_hash(prev, e)
            tx.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", (prev, link, e["id"]))
            prev = link
        tx.execute("DROP TABLE audit_chain")
        tx.execute("DELETE FROM schema_version WHERE version = 17")
    (shop.data_dir / "audit.head").write_text(f"{ids(shop)[-1]} {prev}\n")
    key_file(shop.data_dir).unlink()
    shop.close()


def test_a_store_from_before_keyed_links_switches_and_keeps_its_old_entries_checked(shop: Shop) -> None:
    old = audit_log.entries(shop)
    make_it_old(shop)
    again = open_shop(load(shop.data_dir))
    try:
        entries = audit_log.entries(again)
        switch = entries[len(old)]
        assert switch["action"] == "audit_chain_keyed" and switch["id"] == len(old) + 1
        assert switch["prev_hash"] == entries[len(old) - 1]["hash"]  # the last plain link, sealed
        assert key_file(again.data_dir).exists()
        assert (again.data_dir / "audit.head").read_text().startswith(f"keyed {switch['id']} ")
        note(again, "a")
        assert audit_log.verify(again)[1] == []
        # An old entry edited and the plain chain recomputed up to the switch: found there.
        with again.db.transaction() as tx:
            tx.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 1")
            prev = GENESIS
            for e in audit_log.entries(again)[: len(old)]:
                link = entry_hash(prev, e)
                tx.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", (prev, link, e["id"]))
                prev = link
        assert named(again) == [switch["id"]]
    finally:
        again.close()


def test_reopening_a_switched_store_writes_no_second_switch(shop: Shop) -> None:
    make_it_old(shop)
    open_shop(load(shop.data_dir)).close()
    again = open_shop(load(shop.data_dir))
    try:
        assert [e["action"] for e in audit_log.entries(again)].count("audit_chain_keyed") == 1
    finally:
        again.close()


def test_writing_an_entry_is_one_read_and_one_insert_and_its_outbox_event_the_same(shop: Shop) -> None:
    statements: list[str] = []
    with shop.db.transaction() as tx:
        tx.set_trace_callback(statements.append)
        note(shop, "a")
        inside = list(statements)
        tx.set_trace_callback(None)
    # The entry (its predecessor's link read, the entry written), then its event for the
    # office (the last event read, this one written: services/outbox.py).
    assert [" ".join(s.split()[:4]) for s in inside] == [
        "SELECT (SELECT seq FROM",
        "INSERT INTO audit_log(id, at,",
        "SELECT seq, hash FROM",
        "INSERT INTO outbox (seq,",
    ]


def test_the_anchor_reaches_the_disk_before_it_counts(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    """After the store's log is synced: synced as a file, renamed over the old one, and the
    rename synced in its folder."""
    steps: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith("-wal"):
            steps.append("fsync the store's log")
        else:
            steps.append("fsync folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync file")
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        steps.append(f"rename {Path(src).name} {Path(dst).name}")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    note(shop, "a")
    assert steps == ["fsync the store's log", "fsync file", "rename audit.head.tmp audit.head", "fsync folder"]


def test_writers_in_several_threads_leave_the_anchor_on_the_last_entry(shop: Shop) -> None:
    def write(n: int) -> None:
        for i in range(15):
            note(shop, f"{n}.{i}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (shop.data_dir / "audit.head").read_text().split()[1] == str(ids(shop)[-1])
    assert audit_log.verify(shop)[1] == []


def test_a_removed_switch_point_holds_every_link_to_the_key(shop: Shop) -> None:
    make_it_old(shop)
    again = open_shop(load(shop.data_dir))
    try:
        switch = next(e["id"] for e in audit_log.entries(again) if e["action"] == "audit_chain_keyed")
        with again.db.transaction() as tx:
            tx.execute("DELETE FROM audit_chain")
        assert named(again) == list(range(1, switch))  # the old plain links no longer pass
    finally:
        again.close()


def test_removing_the_keyed_entries_with_the_key_makes_no_new_key(shop: Shop) -> None:
    with shop.db.transaction() as tx:
        tx.execute("DELETE FROM audit_log")
    key_file(shop.data_dir).unlink()
    shop.close()
    with pytest.raises(KeyError_, match="is missing"):
        open_shop(load(shop.data_dir))
