import json

from appliance.security.audit import GENESIS, Anchor, entry_hash, entry_mac, verify_chain

KEY = bytes(range(32))


def entry(i: int) -> dict[str, object]:
    return {
        "id": i,
        "at": f"2026-01-01T00:00:{i:02d}Z",
        "actor": "a",
        "action": "login",
        "outcome": "success",
        "origin": "127.0.0.1",
        "object": "user:a",
        "details": json.dumps({}),
    }


def chain(n: int, keyed_from: int = 1) -> list[dict[str, object]]:
    """n entries as the till writes them: plain links before keyed_from, keyed ones after."""
    out: list[dict[str, object]] = []
    prev = GENESIS
    for i in range(1, n + 1):
        e = entry(i)
        e["prev_hash"] = prev
        e["hash"] = prev = entry_hash(prev, e) if i < keyed_from else entry_mac(KEY, prev, e)
        out.append(e)
    return out


def head(entries: list[dict[str, object]]) -> Anchor:
    return Anchor(int(str(entries[-1]["id"])), str(entries[-1]["hash"]))


def named(problems: list[object]) -> list[int | None]:
    return [getattr(p, "entry_id", None) for p in problems]


def recompute_plain(entries: list[dict[str, object]], start: int, end: int | None = None) -> None:
    """What an attacker without the key can do: relink entries start to end (or the last) with
    plain SHA-256."""
    prev = str(entries[start - 2]["hash"]) if start > 1 else GENESIS
    for e in entries[start - 1 : end]:
        e["prev_hash"] = prev
        e["hash"] = prev = entry_hash(prev, e)


def test_an_untouched_chain_verifies() -> None:
    entries = chain(5)
    assert verify_chain(entries, KEY, anchor=head(entries)) == []
    assert verify_chain([], KEY) == []


def test_every_edited_entry_is_named_not_only_the_first() -> None:
    entries = chain(6)
    entries[1]["actor"] = "mallory"
    entries[4]["outcome"] = "failure"
    problems = verify_chain(entries, KEY, anchor=head(entries))
    assert named(problems) == [2, 5]
    assert all("changed" in p.reason for p in problems)


def test_a_chain_recomputed_without_the_key_is_found_and_each_rewritten_entry_named() -> None:
    entries = chain(5)
    entries[2]["actor"] = "mallory"
    recompute_plain(entries, 3)
    problems = verify_chain(entries, KEY, anchor=head(entries))  # the anchor rewritten too
    assert named(problems) == [3, 4, 5]
    assert all("without the audit key" in p.reason for p in problems)


def test_a_link_of_any_text_is_named_not_a_crash() -> None:
    entries = chain(3)
    entries[1]["hash"] = "é" * 64
    assert 2 in named(verify_chain(entries, KEY, anchor=Anchor(2, "é" * 64)))


def test_a_chain_relinked_under_another_key_is_found() -> None:
    entries = chain(4)
    entries[0]["actor"] = "mallory"
    prev = GENESIS
    for e in entries:
        e["prev_hash"] = prev
        e["hash"] = prev = entry_mac(b"\x01" * 32, prev, e)
    assert named(verify_chain(entries, KEY, anchor=head(entries))) == [1, 2, 3, 4]


def test_a_removed_entry_is_a_gap_in_the_numbers() -> None:
    entries = chain(5)
    del entries[1]
    problems = verify_chain(entries, KEY, anchor=head(entries))
    assert named(problems) == [2]
    assert "missing" in problems[0].reason


def test_an_entry_put_in_is_named() -> None:
    entries = chain(4)
    forged = entry(5)
    forged["prev_hash"] = entries[-1]["hash"]
    forged["hash"] = entry_hash(str(forged["prev_hash"]), forged)
    problems = verify_chain([*entries, forged], KEY, anchor=head(entries))
    assert named(problems) == [5]


def test_entries_cut_off_the_end_are_found_by_the_anchor() -> None:
    entries = chain(5)
    problems = verify_chain(entries[:3], KEY, anchor=head(entries))
    assert len(problems) == 1 and list(problems[0].entry_ids()) == [4, 5]
    assert "cut off the end" in problems[0].reason


def test_an_anchored_entry_rewritten_is_named() -> None:
    entries = chain(3)
    problems = verify_chain(entries, KEY, anchor=Anchor(2, "f" * 64))
    assert named(problems) == [2] and "anchor" in problems[0].reason


def test_a_missing_or_old_format_anchor_is_reported() -> None:
    entries = chain(3)
    assert "missing" in verify_chain(entries, KEY)[0].reason
    old = Anchor(3, str(entries[-1]["hash"]), keyed=False)
    assert "old plain format" in verify_chain(entries, KEY, anchor=old)[0].reason


def test_anchor_lines_parse_back() -> None:
    anchor = Anchor(12, "ab" * 32)
    assert Anchor.parse(anchor.line()) == anchor
    assert Anchor.parse(f"7 {'cd' * 32}\n") == Anchor(7, "cd" * 32, keyed=False)
    assert Anchor.parse("garbage") is None


def test_entries_from_before_keyed_links_still_verify() -> None:
    entries = chain(6, keyed_from=4)
    assert verify_chain(entries, KEY, keyed_from=4, anchor=head(entries)) == []
    entries[1]["actor"] = "mallory"
    assert named(verify_chain(entries, KEY, keyed_from=4, anchor=head(entries))) == [2]


def test_old_entries_rewritten_with_their_plain_chain_break_at_the_first_keyed_one() -> None:
    entries = chain(6, keyed_from=4)
    entries[0]["actor"] = "mallory"
    recompute_plain(entries, 1, 3)  # the keyed entries 4 to 6 cannot be relinked without the key
    problems = verify_chain(entries, KEY, keyed_from=4, anchor=head(entries))
    assert named(problems) == [4] and "does not follow entry 3" in problems[0].reason


def test_moving_the_switch_point_up_is_found() -> None:
    # Passing rewritten keyed entries off as plain ones: the anchor names a keyed entry.
    entries = chain(5, keyed_from=2)
    anchor = head(entries)
    entries[2]["actor"] = "mallory"
    recompute_plain(entries, 3)
    assert verify_chain(entries, KEY, keyed_from=6, anchor=anchor) != []
    # Moving it only part of the way leaves a keyed entry that does not follow the one before.
    entries = chain(5, keyed_from=2)
    entries[1]["actor"] = "mallory"
    recompute_plain(entries, 2, 2)
    assert named(verify_chain(entries, KEY, keyed_from=3, anchor=anchor)) == [3]
