"""The store's update window (the store rule update_window)."""

from __future__ import annotations

import datetime as dt

import pytest

from appliance.app.domain import update_window
from appliance.app.domain.errors import Invalid


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, 6, hour, minute)


def test_a_window_holds_its_start_not_its_end() -> None:
    assert update_window.within("02:00-05:00", at(2))
    assert update_window.within("02:00-05:00", at(4, 59))
    assert not update_window.within("02:00-05:00", at(5))
    assert not update_window.within("02:00-05:00", at(1, 59))


def test_a_window_may_run_past_midnight() -> None:
    assert update_window.within("22:30-01:00", at(23))
    assert update_window.within("22:30-01:00", at(0, 30))
    assert not update_window.within("22:30-01:00", at(1))
    assert not update_window.within("22:30-01:00", at(12))


@pytest.mark.parametrize("bad", ["2:00-5:00", "02:00-24:00", "02:00", "05:00-05:00", "", 300, None])
def test_a_window_that_is_not_one_is_refused(bad: object) -> None:
    with pytest.raises(Invalid) as caught:
        update_window.parse(bad)
    assert caught.value.code == "invalid_window"
