"""Time-limit clocks: due dates in working days, pauses, warnings, provisional years."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.rules.time_limits import (
    DEFAULT_LIMITS,
    PARAMETER_STATUS,
    Clock,
    UnknownItem,
    evaluate,
    limit_for,
    make_clock,
)
from console.rules.workdays import CODE_PROVISIONAL_YEAR, WorkCalendar

D = date.fromisoformat
CAL = WorkCalendar()
FAR = 2035


# -- policy table ---------------------------------------------------------------

EXPECTED_DEFAULTS = {
    "case": 20, "acceptance": 0, "hrss.approval": 10, "hrss.benefit": 10, "hrss.card": 5,
    "hrss.social_management": 5, "medical.transfer": 5, "housing_fund.withdrawal": 5,
    "health.reward": 10, "rating.followup": 15, "due_soon_days": 3,
    "hrss.arrears": 10, "hrss.transfer": 45, "hrss.bank_account": 5, "hrss.labour_filing": 5,
}


def test_default_limits_are_sourced_hall_parameters() -> None:
    assert {k: v[0] for k, v in DEFAULT_LIMITS.items()} == EXPECTED_DEFAULTS
    for item in DEFAULT_LIMITS:
        policy = limit_for(item)
        assert policy.status == PARAMETER_STATUS == "default, adjustable"
        assert policy.source
        assert policy.reason().code == "workdays.limit_policy"


def test_adjusted_limit_and_unknown_item() -> None:
    policy = limit_for("hrss.card", {"hrss.card": 3})
    assert (policy.working_days, policy.status) == (3, "adjusted")
    assert "default 5" in policy.source
    assert policy.reason().code == "workdays.limit_policy_adjusted"
    assert limit_for("hrss.card", {"hrss.card": 5}).status == PARAMETER_STATUS
    with pytest.raises(UnknownItem):
        limit_for("no.such.item")
    with pytest.raises(ValueError):
        limit_for("case", {"case": -1})


def test_make_clock_carries_the_policy() -> None:
    clock = make_clock("hrss.approval", D("2026-03-02"))
    assert (clock.limit_days, clock.item) == (10, "hrss.approval")
    assert clock.source == DEFAULT_LIMITS["hrss.approval"][1]


# -- states over Spring Festival 2026 -----------------------------------------------

# Started Thu 2026-02-12, 10 working days: 02-13, 02-14 (Sat, make-up), then the
# festival 02-15..02-23, then 02-24..02-28 (Sat, make-up), 03-02, 03-03, 03-04.
FESTIVAL = Clock(D("2026-02-12"), 10)
STATES = [
    ("2026-02-12", 10, "ok"),
    ("2026-02-18", 8, "ok"),          # holiday: nothing counts down
    ("2026-02-26", 5, "ok"),
    ("2026-02-27", 4, "ok"),
    ("2026-02-28", 3, "due_soon"),    # make-up Saturday: threshold reached
    ("2026-03-01", 3, "due_soon"),
    ("2026-03-04", 0, "due_soon"),    # due today
    ("2026-03-05", -1, "overdue"),
    ("2026-03-07", -2, "overdue"),
]


@pytest.mark.parametrize(("today", "left", "state"), STATES)
def test_festival_clock(today: str, left: int, state: str) -> None:
    result = evaluate(FESTIVAL, D(today), CAL)
    assert result.due_date == D("2026-03-04")
    assert (result.working_days_left, result.state) == (left, state)
    assert not result.provisional
    assert result.reasons[0].code == "workdays.clock_limit"
    assert result.colour == {"ok": "", "due_soon": "yellow", "overdue": "red"}[state]


def test_national_day_2025_clock() -> None:
    # Started Fri 2025-09-26, 5 days: 09-28 (Sun, make-up), 09-29, 09-30, 10-09, 10-10.
    clock = Clock(D("2025-09-26"), 5)
    assert evaluate(clock, D("2025-09-26"), CAL).due_date == D("2025-10-10")
    assert evaluate(clock, D("2025-10-03"), CAL).working_days_left == 2
    assert evaluate(clock, D("2025-10-11"), CAL).state == "overdue"


def test_overdue_on_the_weekend_right_after_the_due_friday() -> None:
    clock = Clock(D("2026-03-06"), 5)  # due Fri 2026-03-13
    assert evaluate(clock, D("2026-03-13"), CAL).state == "due_soon"
    sat = evaluate(clock, D("2026-03-14"), CAL)
    assert (sat.state, sat.working_days_left) == ("overdue", -1)
    assert evaluate(clock, D("2026-03-16"), CAL).working_days_left == -1
    assert evaluate(clock, D("2026-03-17"), CAL).working_days_left == -2


@pytest.mark.parametrize(("threshold", "today", "state"), [
    (3, "2026-03-09", "ok"),        # 4 left
    (3, "2026-03-10", "due_soon"),  # 3 left
    (0, "2026-03-12", "ok"),        # 1 left
    (0, "2026-03-13", "due_soon"),  # due today
])
def test_due_soon_threshold(threshold: int, today: str, state: str) -> None:
    clock = Clock(D("2026-03-06"), 5)
    assert evaluate(clock, D(today), CAL, due_soon_days=threshold).state == state


def test_acceptance_on_the_spot() -> None:
    clock = make_clock("acceptance", D("2026-03-02"))
    same_day = evaluate(clock, D("2026-03-02"), CAL)
    assert (same_day.due_date, same_day.working_days_left, same_day.state) == (D("2026-03-02"), 0, "due_soon")
    assert evaluate(clock, D("2026-03-03"), CAL).state == "overdue"
    done = make_clock("acceptance", D("2026-03-02"), done_on=D("2026-03-02"))
    assert evaluate(done, D("2026-03-05"), CAL).state == "done"


# -- done -------------------------------------------------------------------------


@pytest.mark.parametrize(("done_on", "state", "left"), [
    ("2026-02-24", "done", 7),
    ("2026-03-04", "done", 0),
    ("2026-03-05", "done_late", -1),
])
def test_done_and_done_late(done_on: str, state: str, left: int) -> None:
    clock = Clock(D("2026-02-12"), 10, done_on=D(done_on))
    result = evaluate(clock, D("2026-04-01"), CAL)
    assert (result.state, result.working_days_left) == (state, left)
    assert result.reasons[-1].code == f"workdays.clock_{state}"
    # Before the completion date the clock is still running.
    assert evaluate(clock, D("2026-02-20"), CAL).state == "ok"


# -- pauses -----------------------------------------------------------------------

# Started Mon 2026-02-09, 10 days; 2 days used (02-10, 02-11) when the correction
# notice goes out on 02-11; materials arrive Thu 02-26.  Paused working days:
# 02-12, 02-13, 02-14 (Sat make-up), 02-24, 02-25, 02-26 = 6.  The remaining 8 run
# 02-27, 02-28, 03-02 .. 03-06, 03-09.
PAUSED = Clock(D("2026-02-09"), 10, pauses=[(D("2026-02-11"), D("2026-02-26"))])


def test_clock_paused_across_the_festival() -> None:
    during = evaluate(PAUSED, D("2026-02-20"), CAL)
    assert (during.state, during.due_date, during.working_days_left) == ("paused", None, 8)
    assert during.paused_days == 3
    assert during.colour == ""
    assert "workdays.clock_paused" in [r.code for r in during.reasons]

    after = evaluate(PAUSED, D("2026-03-06"), CAL)
    assert after.due_date == D("2026-03-09")
    assert (after.state, after.working_days_left, after.paused_days) == ("due_soon", 1, 6)
    # Without the pause it would have been due 02-28: extended by exactly 6 days.
    assert evaluate(Clock(D("2026-02-09"), 10), D("2026-02-10"), CAL).due_date == D("2026-02-28")
    assert CAL.working_days_between(D("2026-02-28"), D("2026-03-09")) == 6


def test_replay_before_the_pause_ignores_it() -> None:
    before = evaluate(PAUSED, D("2026-02-10"), CAL)
    assert (before.state, before.due_date, before.paused_days) == ("ok", D("2026-02-28"), 0)


def test_open_pause_and_resume_in_the_future_are_the_same_today() -> None:
    open_pause = Clock(D("2026-02-09"), 10, pauses=[(D("2026-02-11"), None)])
    later = Clock(D("2026-02-09"), 10, pauses=[(D("2026-02-11"), D("2026-03-20"))])
    assert evaluate(open_pause, D("2026-02-25"), CAL) == evaluate(later, D("2026-02-25"), CAL)


def test_pause_after_the_due_date_does_not_rescue() -> None:
    clock = Clock(D("2026-03-06"), 5, pauses=[(D("2026-03-16"), None)])  # due 03-13
    result = evaluate(clock, D("2026-03-18"), CAL)
    assert (result.state, result.due_date) == ("overdue", D("2026-03-13"))


def test_done_while_paused() -> None:
    clock = Clock(D("2026-02-09"), 10, pauses=[(D("2026-02-11"), None)], done_on=D("2026-02-25"))
    assert evaluate(clock, D("2026-03-30"), CAL).state == "done"


def test_pauses_are_clipped_and_merged() -> None:
    messy = Clock(D("2026-03-02"), 10, pauses=[
        (D("2026-02-20"), D("2026-03-01")),  # entirely before the start
        (D("2026-03-04"), D("2026-03-06")),
        (D("2026-03-05"), D("2026-03-10")),  # overlaps the previous one
    ])
    clean = Clock(D("2026-03-02"), 10, pauses=[(D("2026-03-04"), D("2026-03-10"))])
    today = D("2026-03-20")
    assert evaluate(messy, today, CAL) == evaluate(clean, today, CAL)
    assert evaluate(clean, today, CAL).paused_days == 4


@pytest.mark.parametrize("pauses", [
    [(D("2026-03-05"), D("2026-03-04"))],
    [(D("2026-03-04"), None), (D("2026-03-10"), None)],
])
def test_bad_pauses_refused(pauses: list) -> None:
    with pytest.raises(ValueError):
        evaluate(Clock(D("2026-03-02"), 10, pauses=pauses), D("2026-03-20"), CAL)


def test_negative_limit_refused() -> None:
    with pytest.raises(ValueError):
        evaluate(Clock(D("2026-03-02"), -1), D("2026-03-02"), CAL)


# -- unknown years ----------------------------------------------------------------


def test_clock_into_an_unknown_year_is_provisional() -> None:
    clock = make_clock("case", D(f"{FAR - 1}-12-20"))
    result = evaluate(clock, D(f"{FAR - 1}-12-21"), CAL)
    assert result.provisional
    assert result.due_date is not None and result.due_date.year == FAR
    codes = {(r.code, r.params.get("year")) for r in result.reasons}
    assert (CODE_PROVISIONAL_YEAR, FAR) in codes


def test_clock_from_2026_into_2027() -> None:
    """With today's libraries 2027 has no official schedule: flagged, not raised."""
    clock = make_clock("case", D("2026-12-15"))
    result = evaluate(clock, D("2026-12-16"), CAL)
    assert result.due_date is not None and result.due_date.year == 2027
    assert result.provisional == (not CAL.schedule_known(2027))
    loaded = WorkCalendar({D("2027-01-01"): "holiday"})  # the hall loads the notice
    assert not evaluate(clock, D("2026-12-16"), loaded).provisional


def test_clock_within_known_years_is_not_provisional() -> None:
    assert not evaluate(make_clock("case", D("2026-03-02")), D("2026-03-03"), CAL).provisional


# -- properties -------------------------------------------------------------------

starts = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 10, 31))


@settings(max_examples=200, deadline=None)
@given(start=starts, limit=st.integers(0, 30), gap=st.integers(0, 40), length=st.integers(0, 40))
def test_pause_extends_due_by_paused_working_days(start: date, limit: int, gap: int, length: int) -> None:
    p_from = start + timedelta(days=gap)
    p_to = p_from + timedelta(days=length)
    clock = Clock(start, limit, pauses=[(p_from, p_to)])
    result = evaluate(clock, p_to + timedelta(days=1), CAL)
    plain_due, _ = CAL.add_working_days(start, limit)
    if CAL.working_days_between(start, p_from) < limit:
        paused = CAL.working_days_between(p_from, p_to)
        assert result.due_date == CAL.add_working_days(start, limit + paused)[0]
        assert result.paused_days == paused
    else:
        assert result.due_date == plain_due


@settings(max_examples=100, deadline=None)
@given(start=starts, limit=st.integers(0, 25))
def test_days_left_never_rise_and_states_progress(start: date, limit: int) -> None:
    clock = Clock(start, limit)
    order = {"ok": 0, "due_soon": 1, "overdue": 2}
    prev_left, prev_rank = None, -1
    for i in range(60):
        result = evaluate(clock, start + timedelta(days=i), CAL)
        assert order[result.state] >= prev_rank
        if prev_left is not None:
            assert result.working_days_left <= prev_left
        prev_left, prev_rank = result.working_days_left, order[result.state]
        assert (result.working_days_left < 0) == (result.state == "overdue")
