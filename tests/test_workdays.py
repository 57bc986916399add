"""The working-day calendar: official schedules, overrides, unknown years, speed."""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from console.i18n import catalogue
from console.rules.workdays import (
    CODE_PROVISIONAL_YEAR,
    BadOverride,
    WorkCalendar,
    provisional_reason,
)

D = date.fromisoformat
CAL = WorkCalendar()
# A year certainly beyond every installed library's official data.
FAR = 2035


# -- single days over the official 2025/2026 schedules ------------------------

# (day, working?) -- State Council notices for 2025 and 2026.
DAYS = [
    # Spring Festival 2026: off 2026-02-15 (Sun) .. 2026-02-23 (Mon), 9 days;
    # make-up Saturdays 2026-02-14 and 2026-02-28.
    ("2026-02-13", True),
    ("2026-02-14", True),   # Saturday worked
    ("2026-02-15", False),
    ("2026-02-16", False),  # New Year's Eve
    ("2026-02-17", False),
    ("2026-02-20", False),  # bridged Friday
    ("2026-02-21", False),
    ("2026-02-23", False),  # bridged Monday
    ("2026-02-24", True),
    ("2026-02-28", True),   # Saturday worked
    ("2026-03-01", False),
    # National Day + Mid-Autumn 2025: off 10-01..10-08; make-up Sun 09-28, Sat 10-11.
    ("2025-09-27", False),
    ("2025-09-28", True),   # Sunday worked
    ("2025-09-30", True),
    ("2025-10-01", False),
    ("2025-10-06", False),  # Mid-Autumn
    ("2025-10-08", False),
    ("2025-10-09", True),
    ("2025-10-11", True),   # Saturday worked
    ("2025-10-12", False),
    # New Year 2026: off 01-01..01-03, make-up Sunday 01-04.
    ("2026-01-01", False),
    ("2026-01-02", False),
    ("2026-01-04", True),
]


@pytest.mark.parametrize(("day", "working"), DAYS)
def test_official_days(day: str, working: bool) -> None:
    assert CAL.is_working_day(D(day)) is working


def test_libraries_agree_on_2025_2026() -> None:
    assert CAL.library_disagreements(2025) == []
    assert CAL.library_disagreements(2026) == []


def test_known_years_cover_the_official_range_only() -> None:
    for year in (2004, 2024, 2025, 2026):
        assert CAL.schedule_known(year)
    assert not CAL.schedule_known(FAR)
    assert FAR not in CAL.known_years


def test_2027_is_unknown_with_the_installed_libraries() -> None:
    """`holidays` 0.109 lists estimated 2027 festivals but not the notice."""
    try:
        from holidays.countries.china import ChinaStaticHolidays
    except ImportError:  # pragma: no cover
        pytest.skip("holidays layout changed")
    if 2027 in ChinaStaticHolidays.special_public_holidays:
        pytest.skip("the installed holidays already carries the 2027 notice")
    assert not CAL.schedule_known(2027)


# -- add / between ------------------------------------------------------------

# (start, n, expected due date)
ADDS = [
    ("2026-02-12", 1, "2026-02-13"),
    ("2026-02-12", 2, "2026-02-14"),   # make-up Saturday counts
    ("2026-02-12", 3, "2026-02-24"),   # the whole festival skipped
    ("2026-02-13", 5, "2026-02-27"),
    ("2026-02-13", 6, "2026-02-28"),
    ("2026-02-13", 7, "2026-03-02"),
    ("2026-02-16", 1, "2026-02-24"),   # started inside the holiday
    ("2025-09-26", 1, "2025-09-28"),   # Friday -> make-up Sunday
    ("2025-09-26", 4, "2025-10-09"),
    ("2025-09-30", 3, "2025-10-11"),
    ("2025-09-30", 4, "2025-10-13"),
    ("2025-12-31", 1, "2026-01-04"),   # across the year end, onto a Sunday worked
    ("2025-12-31", 0, "2025-12-31"),   # on the spot
    ("2026-02-15", 0, "2026-02-15"),
]


@pytest.mark.parametrize(("start", "n", "due"), ADDS)
def test_add_working_days(start: str, n: int, due: str) -> None:
    assert CAL.add_working_days(D(start), n) == (D(due), False)
    assert CAL.working_days_between(D(start), D(due)) == n


BETWEEN = [
    ("2026-02-13", "2026-02-23", 1),   # only the Saturday 02-14
    ("2026-02-13", "2026-02-13", 0),
    ("2026-02-23", "2026-02-13", -1),
    ("2025-09-30", "2025-10-08", 0),
    ("2025-09-27", "2025-10-12", 6),   # 09-28, 09-29, 09-30, 10-09, 10-10, 10-11
    ("2025-12-30", "2026-01-05", 3),   # 12-31, 01-04, 01-05
]


@pytest.mark.parametrize(("start", "end", "count"), BETWEEN)
def test_working_days_between(start: str, end: str, count: int) -> None:
    assert CAL.working_days_between(D(start), D(end)) == count


def test_negative_n_refused() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(D("2026-01-05"), -1)


# -- overrides ----------------------------------------------------------------


def test_override_turns_a_day_into_a_holiday() -> None:
    cal = WorkCalendar({D("2026-03-02"): "holiday"})  # e.g. a local closure
    assert not cal.is_working_day(D("2026-03-02"))
    assert cal.add_working_days(D("2026-02-27"), 2) == (D("2026-03-03"), False)
    assert CAL.add_working_days(D("2026-02-27"), 2) == (D("2026-03-02"), False)
    fact = cal.explain_day(D("2026-03-02"))
    assert fact.reason.code == "workdays.override_holiday"


def test_override_makes_a_workday_and_accepts_iso_text() -> None:
    cal = WorkCalendar({"2026-02-21": "Workday"})
    assert cal.is_working_day(D("2026-02-21"))
    assert cal.explain_day(D("2026-02-21")).reason.code == "workdays.override_workday"


@pytest.mark.parametrize("bad", [{D("2026-01-05"): "closed"}, {"2026-02-30": "holiday"}])
def test_bad_override_refused(bad: dict) -> None:
    with pytest.raises(BadOverride):
        WorkCalendar(bad)


def test_override_rows_load_an_unknown_year() -> None:
    """The hall enters next year's notice before a library release has it."""
    notice = {D(f"{FAR}-01-01"): "holiday", D(f"{FAR}-01-02"): "holiday"}
    cal = WorkCalendar(notice)
    assert cal.schedule_known(FAR)
    due, provisional = cal.add_working_days(D(f"{FAR - 1}-12-31"), 1)
    # Weekdays of FAR apart from the two overridden days still count.
    assert not provisional
    expected = D(f"{FAR}-01-03")
    while expected.weekday() >= 5:
        expected += timedelta(days=1)
    assert due == expected


# -- unknown years ------------------------------------------------------------


def test_run_into_unknown_year_is_provisional_not_an_error() -> None:
    start = D(f"{FAR - 1}-12-20")
    cal = WorkCalendar()
    due, provisional = cal.add_working_days(start, 30)
    assert provisional
    assert due.year == FAR
    assert due.weekday() < 5  # weekends-only assumption
    reasons = cal.provisional_reasons(start, due)
    assert reasons[-1] == provisional_reason(FAR)
    assert reasons[-1].code == CODE_PROVISIONAL_YEAR
    assert reasons[-1].params == {"year": FAR}
    assert cal.is_provisional_span(start, due)


def test_unknown_year_counts_weekdays_only() -> None:
    monday = D(f"{FAR}-01-01")
    while monday.weekday() != 0:
        monday += timedelta(days=1)
    assert CAL.working_days_between(monday, monday + timedelta(days=14)) == 10
    fact = CAL.explain_day(monday)
    assert fact.provisional and fact.reason.code == CODE_PROVISIONAL_YEAR


def test_known_span_is_not_provisional() -> None:
    assert CAL.provisional_reasons(D("2025-01-01"), D("2026-12-31")) == []
    # The days counted are after the start: a start on 12-31 of a known year
    # with an end in an unknown one is provisional, the other way round too.
    assert CAL.is_provisional_span(D(f"{FAR - 1}-12-31"), D(f"{FAR}-01-05"))


# -- properties ---------------------------------------------------------------

days = st.dates(min_value=date(2024, 1, 1), max_value=date(FAR + 1, 12, 31))


@settings(max_examples=300, deadline=None)
@given(start=days, n=st.integers(min_value=0, max_value=400))
def test_add_then_between_is_identity(start: date, n: int) -> None:
    due, provisional = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, due) == n
    assert provisional == CAL.is_provisional_span(start, due)
    if n > 0:
        assert CAL.is_working_day(due)
        # It is the FIRST date reaching n: the day before has n - 1.
        assert CAL.working_days_between(start, due - timedelta(days=1)) == n - 1


@settings(max_examples=300, deadline=None)
@given(a=days, b=days, c=days)
def test_between_is_antisymmetric_and_additive(a: date, b: date, c: date) -> None:
    ab = CAL.working_days_between(a, b)
    assert ab == -CAL.working_days_between(b, a)
    assert ab + CAL.working_days_between(b, c) == CAL.working_days_between(a, c)


@settings(max_examples=200, deadline=None)
@given(start=days, end=days)
def test_between_then_add_lands_on_last_working_day(start: date, end: date) -> None:
    if end < start:
        start, end = end, start
    n = CAL.working_days_between(start, end)
    due, _ = CAL.add_working_days(start, n)
    assert due <= end
    assert CAL.working_days_between(due, end) == 0


@settings(max_examples=100, deadline=None)
@given(day=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)))
def test_bisect_table_matches_both_libraries(day: date) -> None:
    import chinese_calendar
    import holidays

    cn = holidays.China(years=(day.year, day.year + 1))
    assert CAL.is_working_day(day) == cn.is_working_day(day) == chinese_calendar.is_workday(day)


# -- speed and text -----------------------------------------------------------


def test_every_reason_code_has_both_translations() -> None:
    src = Path(__file__).parent.parent / "console" / "rules"
    codes = set()
    for name in ("workdays.py", "time_limits.py"):
        codes |= set(re.findall(r'"(workdays\.[a-z_.]+)"', (src / name).read_text(encoding="utf-8")))
    codes |= {f"workdays.clock_{s}" for s in ("done", "done_late")}
    assert codes
    for lang in ("zh", "en"):
        missing = sorted(c for c in codes if c not in catalogue(lang))
        assert not missing, (lang, missing)


def test_packaged_schedules_match_the_holidays_library() -> None:
    """console/rules/cn_schedule.py is generated from `holidays`; regenerate it when they part."""
    from console.rules.cn_schedule import SCHEDULES
    from console.rules.workdays import _holidays_official_years, _holidays_working_days, _schedule_working_days

    assert SCHEDULES, "no packaged schedule"
    for year in SCHEDULES:
        assert year in _holidays_official_years()
        assert _schedule_working_days(year) == _holidays_working_days(year), (
            f"{year}: run python -m fixtures.make_calendar > console/rules/cn_schedule.py"
        )
