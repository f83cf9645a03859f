"""Clocking in and out: what may follow what, and how a day adds up."""

from __future__ import annotations

import datetime as dt

import pytest

from appliance.app.domain import timeclock as tc
from appliance.app.domain.errors import Conflict

T0 = dt.datetime(2026, 3, 2, 8, tzinfo=dt.UTC)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (tc.OFF, "clock_out"),
        (tc.OFF, "break_start"),
        (tc.WORKING, "clock_in"),
        (tc.WORKING, "break_end"),
        (tc.ON_BREAK, "break_start"),
        (tc.ON_BREAK, "clock_in"),
    ],
)
def test_out_of_order_actions_are_conflicts(state: str, action: str) -> None:
    with pytest.raises(Conflict):
        tc.check_action(state, action)


def test_a_day_is_work_less_breaks() -> None:
    stretches = [tc.Stretch("work", at(0), at(480)), tc.Stretch("break", at(240), at(270))]
    assert tc.day_totals(stretches, at(1000), at(-60), at(1440)) == (450, 30)


def test_an_open_stretch_runs_until_now_and_is_cut_at_the_day_end() -> None:
    assert tc.day_totals([tc.Stretch("work", at(0), None)], at(90), at(0), at(1440)) == (90, 0)
    assert tc.day_totals([tc.Stretch("work", at(1380), at(1500))], at(2000), at(0), at(1440)) == (60, 0)
