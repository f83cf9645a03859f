"""The outbox from a real till to a real office on PostgreSQL: each event held once, a
changed re-send, a gap and a broken link raised as alarms, and the push loop backing off
while the office is down and catching up after."""

from __future__ import annotations

import json
from typing import Any

import pytest

from appliance.app.domain.outbox import chain_problems, event_hash
from appliance.app.services import outbox, outbox_push, sales
from appliance.cli import main
from appliance.lane import enrolment as lane
from appliance.lane import outbox as wire
from appliance.office.services import audit_log, enrolment, lane_events, lanes, projections
from tests.conftest import Store
from tests.office.conftest import RunningOffice, free_port


def enrol(office: RunningOffice, store: Store, till: str = "T01") -> None:
    issued = enrolment.issue_token(office.office, "lyon", till, issued_by="test")  # type: ignore[arg-type]
    lane.enrol(store.path, office.enrol_url, issued.token, ca_fingerprint=issued.ca_fingerprint)


def sell(store: Store, n: int = 1) -> None:
    cashier = store.actor("cashier")
    for _ in range(n):
        sale = sales.open_sale(store.shop, cashier)
        sales.add_item(store.shop, cashier, sale["id"], sku="APL", quantity=1)
        sales.pay_cash(store.shop, cashier, sale["id"], 500)


def pusher(store: Store, **kw: Any) -> outbox_push.Pusher:
    return outbox_push.Pusher(store.shop, outbox_push.office_sender(store.shop), **kw)


def push_all(store: Store) -> None:
    p = pusher(store)
    while p.run_once():
        pass


def office_events(office: RunningOffice) -> list[dict[str, Any]]:
    return lane_events.events(office.office, "lyon", "T01", limit=100_000)  # type: ignore[arg-type]


def lane_row(office: RunningOffice) -> dict[str, Any]:
    (row,) = lanes.listing(office.office)  # type: ignore[arg-type]
    return row


def raw(store: Store) -> list[dict[str, Any]]:
    return [dict(e) for e in outbox.events(store.shop)]


def rehashed(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = {**event, **changes}
    changed["hash"] = event_hash(changed["prev_hash"], changed["seq"], changed["at"], changed["kind"], changed["body"])
    return changed


def test_a_till_sends_its_history_and_the_office_holds_each_event_once(
    running_office: RunningOffice, store: Store
) -> None:
    sell(store, 3)  # before enrolment: written all the same, and sent once enrolled
    enrol(running_office, store)
    assert outbox_push.enrolled(store.shop)
    push_all(store)
    held = office_events(running_office)
    mine = raw(store)
    assert [e["seq"] for e in held] == [e["seq"] for e in mine] and len(held) > 3
    assert [(e["hash"], e["body"]) for e in held] == [(e["hash"], e["body"]) for e in mine]
    assert chain_problems(held) == []  # the office makes every link again
    assert [e["kind"] for e in held].count("sale_completed") == 3
    state = outbox.backlog(store.shop)
    assert state["backlog"] == 0 and state["acked_seq"] == len(mine) and state["last_contact"] is not None
    row = lane_row(running_office)
    assert (row["acked_seq"], row["till_last_seq"], row["backlog"], row["open_alarms"]) == (len(mine),) * 2 + (0, 0)
    # A retry of everything (the acknowledgement was lost): nothing stored twice, no alarm.
    answer = wire.send(store.path, mine, len(mine))
    assert answer == {"acked_seq": len(mine), "stored": 0, "duplicates": len(mine), "refused": 0, "alarms": []}
    assert len(office_events(running_office)) == len(mine)


def test_a_changed_resend_is_an_alarm_and_the_held_event_stays(running_office: RunningOffice, store: Store) -> None:
    sell(store)
    enrol(running_office, store)
    push_all(store)
    mine = raw(store)
    sale = next(e for e in mine if e["kind"] == "sale_completed")
    forged = rehashed(sale, body={**sale["body"], "total": 1})  # a sale made smaller, its hash made again
    answer = wire.send(store.path, [forged], len(mine))
    assert answer["alarms"] == [{"kind": "conflicting_resend", "seq": sale["seq"]}] and answer["stored"] == 0
    held = next(e for e in office_events(running_office) if e["seq"] == sale["seq"])
    assert held["body"] == sale["body"]  # never overwritten
    # The same forgery again raises nothing new; a hash that is not its content's is refused.
    assert wire.send(store.path, [forged], len(mine))["alarms"] == []
    unhashed = {**sale, "body": {**sale["body"], "total": 2}}
    answer = wire.send(store.path, [unhashed], len(mine))
    assert answer["refused"] == 1 and answer["alarms"] == [{"kind": "bad_hash", "seq": sale["seq"]}]
    (alarm, bad) = lane_events.alarms(running_office.office)  # type: ignore[arg-type]
    assert alarm["details"]["body"]["total"] == 1 and alarm["details"]["held_hash"] == sale["hash"]
    assert bad["kind"] == "bad_hash"
    entries = audit_log.entries(running_office.office)  # type: ignore[arg-type]
    assert [e["action"] for e in entries][-2:] == ["lane_alarm_conflicting_resend", "lane_alarm_bad_hash"]
    assert audit_log.verify(running_office.office)[1] == []  # type: ignore[arg-type]
    assert lane_row(running_office)["open_alarms"] == 2


def test_a_gap_is_an_alarm_until_the_missing_events_come(running_office: RunningOffice, store: Store) -> None:
    sell(store, 2)
    enrol(running_office, store)
    mine = raw(store)
    assert len(mine) >= 8
    answer = wire.send(store.path, mine[:3], len(mine))
    assert answer["acked_seq"] == 3
    answer = wire.send(store.path, mine[5:8], len(mine))  # 4 and 5 lost on the way
    assert answer["acked_seq"] == 3 and answer["alarms"] == [{"kind": "gap", "seq": 4}]
    (alarm,) = lane_events.alarms(running_office.office)  # type: ignore[arg-type]
    assert alarm["details"] == {"missing_from": 4, "missing_to": 5}
    assert lane_row(running_office)["backlog"] == len(mine) - 3
    answer = wire.send(store.path, mine[3:5], len(mine))
    assert answer["acked_seq"] == 8 and answer["alarms"] == []
    assert lane_events.alarms(running_office.office) == []  # type: ignore[arg-type]
    (closed,) = lane_events.alarms(running_office.office, open_only=False)  # type: ignore[arg-type]
    assert closed["resolved_at"] is not None
    actions = [e["action"] for e in audit_log.entries(running_office.office)]  # type: ignore[arg-type]
    assert actions[-2:] == ["lane_alarm_gap", "lane_gap_filled"]


def test_an_event_that_does_not_link_to_the_one_before_is_an_alarm(running_office: RunningOffice, store: Store) -> None:
    enrol(running_office, store)
    mine = raw(store)
    wire.send(store.path, mine[:3], 3)
    # Event 4 as a till would write it had event 3 been cut out and written again otherwise.
    unlinked = rehashed(mine[3], prev_hash="ab" * 32)
    answer = wire.send(store.path, [unlinked], 4)
    assert answer["acked_seq"] == 4 and answer["alarms"] == [{"kind": "broken_chain", "seq": 4}]


def test_a_batch_that_is_not_one_is_refused_with_a_reason(running_office: RunningOffice, store: Store) -> None:
    enrol(running_office, store)
    with pytest.raises(wire.OfficeUnreachable, match="422"):
        wire.send(store.path, [{"seq": "one"}], 1)
    found = lane.link(store.path)
    with lane.client(found) as http:
        answer = http.post("/v1/events", content=b"not json", headers={"content-type": "application/json"})
    assert answer.status_code == 400


def test_the_push_loop_backs_off_while_the_office_is_down_and_catches_up_after(
    running_office: RunningOffice, store: Store
) -> None:
    enrol(running_office, store)
    link_file = store.path / lane.OFFICE_DIR / lane.LINK_FILE
    info = json.loads(link_file.read_text())
    link_file.write_text(json.dumps({**info, "lane_url": f"https://127.0.0.1:{free_port()}"}))  # nobody there
    waits: list[float] = []

    def rounds(n: int) -> Any:
        def wait(seconds: float) -> bool:
            waits.append(seconds)
            if len(waits) == 2:
                sell(store)  # a sale while the office is down goes through as ever
            return len(waits) > n

        return wait

    loop = pusher(store, first=1.0, longest=8.0, interval=3.0, rng=lambda: 1.0)
    loop.run(rounds(5))
    assert waits[1:] == [1.0, 2.0, 4.0, 8.0, 8.0]  # doubling up to the longest
    state = outbox.backlog(store.shop)
    assert state["acked_seq"] == 0 and state["backlog"] > 0 and "did not answer" in str(state["last_error"])
    assert office_events(running_office) == []
    link_file.write_text(json.dumps(info))  # the office is back
    waits.clear()
    loop.run(rounds(3))
    assert waits[1] == 0.0 or waits[1] == 3.0  # no backoff once it answers
    state = outbox.backlog(store.shop)
    assert state["backlog"] == 0 and state["last_error"] is None
    assert len(office_events(running_office)) == state["last_seq"]


def test_the_loop_sends_large_backlogs_batch_after_batch(running_office: RunningOffice, store: Store) -> None:
    enrol(running_office, store)
    for i in range(outbox.BATCH + 20):
        outbox.emit(store.shop, "test_event", {"i": i})
    p = pusher(store)
    assert p.run_once() is True  # more waits: the next batch at once
    while p.run_once():
        pass
    assert outbox.backlog(store.shop)["backlog"] == 0


def test_a_till_not_enrolled_runs_no_push_loop(store: Store) -> None:
    assert outbox_push.start(store.shop) is None


def test_alarms_command_lists_open_alarms(
    running_office: RunningOffice, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    enrol(running_office, store)
    mine = raw(store)
    wire.send(store.path, [mine[0], mine[2]], 3)
    where = ["--database", running_office.dsn, "--data-dir", str(running_office.data_dir)]
    assert main(["office", "alarms", *where]) == 1
    assert "lyon/T01 gap at seq 2: OPEN" in capsys.readouterr().out
    assert main(["office", "lanes", *where]) == 0
    assert capsys.readouterr().out.splitlines()[1].split()[-3:] == ["1", "2", "1"]  # the till said 3; 1 held


def test_a_till_behind_what_the_office_holds_is_an_alarm(running_office: RunningOffice, store: Store) -> None:
    enrol(running_office, store)
    mine = raw(store)
    wire.send(store.path, mine[:4], 4)
    # The till's store restored from a backup taken at event 2: it says it has written 2.
    answer = wire.send(store.path, [], 2)
    assert answer["alarms"] == [{"kind": "till_behind", "seq": 4}]
    assert wire.send(store.path, [], 2)["alarms"] == []  # raised once while open
    # It was a batch held in the network, not a restore: the lane's next events, linked to
    # those held, close it.
    answer = wire.send(store.path, mine[4:6], 6)
    assert answer["acked_seq"] == 6 and answer["alarms"] == []
    assert lane_events.alarms(running_office.office) == []  # type: ignore[arg-type]
    actions = [e["action"] for e in audit_log.entries(running_office.office)]  # type: ignore[arg-type]
    assert actions[-2:] == ["lane_alarm_till_behind", "lane_caught_up"]


def test_a_restored_till_stays_behind_while_its_events_do_not_link(running_office: RunningOffice, store: Store) -> None:
    enrol(running_office, store)
    mine = raw(store)
    wire.send(store.path, mine[:4], 4)
    assert wire.send(store.path, [], 2)["alarms"] == [{"kind": "till_behind", "seq": 4}]
    # Restored at event 2, the till wrote 3, 4 and 5 anew: 5 links to its own 4, not the office's.
    fifth = rehashed(mine[4], prev_hash="ab" * 32)
    answer = wire.send(store.path, [fifth], 5)
    assert answer["alarms"] == [{"kind": "broken_chain", "seq": 5}]
    open_kinds = [a["kind"] for a in lane_events.alarms(running_office.office)]  # type: ignore[arg-type]
    assert open_kinds == ["till_behind", "broken_chain"]


def test_the_loop_backs_off_when_the_office_takes_none_of_a_batch(running_office: RunningOffice, store: Store) -> None:
    enrol(running_office, store)
    # Someone with the store's key rewrote event 1 at the till, past the trigger that refuses it.
    with store.shop.db.transaction() as tx:
        tx.execute("DROP TRIGGER outbox_no_update")
        tx.execute("UPDATE outbox SET body = '{\"forged\":true}' WHERE seq = 1")
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return len(waits) > 3

    pusher(store, first=1.0, longest=8.0, rng=lambda: 1.0).run(wait)
    assert waits[1:] == [1.0, 2.0, 4.0]  # not the same batch every 3 s
    state = outbox.backlog(store.shop)
    assert "see its alarms" in str(state["last_error"]) and state["acked_seq"] == 0
    alarms = lane_events.alarms(running_office.office)  # type: ignore[arg-type]
    assert [(a["kind"], a["seq"]) for a in alarms] == [("bad_hash", 1), ("gap", 1)]  # 2 on are held, 1 is not


def test_a_projection_sees_each_new_event_once_in_the_ingest_transaction(
    running_office: RunningOffice, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str, int]] = []

    def count_sales(conn: Any, lane: projections.Lane, event: dict[str, Any]) -> list[projections.Found]:
        seen.append((lane.store, lane.till, int(event["seq"])))
        if len(seen) == 2:
            return [projections.Found("second_sale", int(event["seq"]), {"total": event["body"]["total"]})]
        return []

    registered = projections.Registered(frozenset({"sale_completed"}), count_sales)
    monkeypatch.setattr(projections, "PROJECTIONS", (registered,))
    sell(store, 2)
    enrol(running_office, store)
    mine = raw(store)
    sales_seqs = [e["seq"] for e in mine if e["kind"] == "sale_completed"]
    answer = wire.send(store.path, mine, len(mine))
    assert seen == [("lyon", "T01", s) for s in sales_seqs]
    assert answer["alarms"] == [{"kind": "second_sale", "seq": sales_seqs[1]}]
    wire.send(store.path, mine, len(mine))  # a retry: held already, projected no more
    assert len(seen) == 2

    # A projection that fails takes its batch with it: the events are not held, and come again.
    sell(store)
    more = raw(store)[len(mine) :]

    def broken(conn: Any, lane: projections.Lane, event: dict[str, Any]) -> list[projections.Found]:
        raise RuntimeError("the projection's table is gone")

    monkeypatch.setattr(projections, "PROJECTIONS", (projections.Registered(frozenset({"sale_completed"}), broken),))
    with pytest.raises(wire.OfficeUnreachable, match="HTTP 500"):
        wire.send(store.path, more, len(mine) + len(more))
    assert len(office_events(running_office)) == len(mine)
    monkeypatch.setattr(projections, "PROJECTIONS", (registered,))
    assert wire.send(store.path, more, len(mine) + len(more))["stored"] == len(more)
    assert len(seen) == 3
