import json

from appliance.security.audit import GENESIS, entry_hash, verify_chain


def chain(n: int) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    prev = GENESIS
    for i in range(1, n + 1):
        entry: dict[str, object] = {
            "id": i,
            "at": f"2026-01-01T00:00:0{i}Z",
            "actor": "a",
            "action": "login",
            "outcome": "success",
            "origin": "127.0.0.1",
            "object": "user:a",
            "details": json.dumps({}),
        }
        entry["prev_hash"] = prev
        entry["hash"] = prev = entry_hash(prev, entry)
        out.append(entry)
    return out


def test_an_untouched_chain_verifies() -> None:
    entries = chain(5)
    assert verify_chain(entries, (5, str(entries[-1]["hash"]))) == []


def test_an_edited_entry_is_named() -> None:
    entries = chain(5)
    entries[2]["actor"] = "mallory"
    problems = verify_chain(entries)
    assert [p.entry_id for p in problems] == [3]
    assert "changed" in problems[0].reason


def test_a_removed_entry_is_named() -> None:
    entries = chain(5)
    del entries[1]
    problems = verify_chain(entries)
    assert [p.entry_id for p in problems] == [2]
    assert "missing" in problems[0].reason


def test_a_rehashed_forgery_still_breaks_at_the_next_entry() -> None:
    entries = chain(4)
    entries[1]["outcome"] = "failure"
    entries[1]["hash"] = entry_hash(str(entries[1]["prev_hash"]), entries[1])
    assert [p.entry_id for p in verify_chain(entries)] == [3]


def test_entries_cut_off_the_end_are_found_by_the_head() -> None:
    entries = chain(5)
    head = (5, str(entries[-1]["hash"]))
    problems = verify_chain(entries[:3], head)
    assert [p.entry_id for p in problems] == [4]
