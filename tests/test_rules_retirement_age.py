"""Statutory retirement age (DOMAIN.md 6.1), checked against hand-derived values.

Every expected value below was computed from the table in DOMAIN.md 6.1, not
from the code:  d = birth - first delayed birth month;
delay = 0 if d < 0 else min(d // step + 1, cap); age = original + delay;
retirement month = birth + age.

  men       original 60y, first 1965-01, step 4, cap 36 (final 63y)
  female55  original 55y, first 1970-01, step 4, cap 36 (final 58y)
  female50  original 50y, first 1975-01, step 2, cap 60 (final 55y)
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.rules.months import Month
from console.rules.retirement_age import UnknownGroup, group_for, statutory_retirement


def m(text: str) -> Month:
    return Month.parse(text)


def age(years: int, months: int = 0) -> int:
    return years * 12 + months


# (group, birth, expected delay, expected statutory age in months, expected retirement month)
CASES = [
    # --- the worked examples of DOMAIN.md 6.1 (and the brief) ---
    ("male", "1965-01", 1, age(60, 1), "2025-02"),
    ("male", "1966-06", 5, age(60, 5), "2026-11"),  # 725 months
    ("female50", "1976-01", 7, age(50, 7), "2026-08"),
    ("female55", "1971-04", 4, age(55, 4), "2026-08"),
    ("male", "1976-12", 36, age(63), "2039-12"),
    # --- men: band edges ---
    ("male", "1964-12", 0, age(60), "2024-12"),  # last month before the first delayed one
    ("male", "1965-04", 1, age(60, 1), "2025-05"),  # last month of step 1 (d=3)
    ("male", "1965-05", 2, age(60, 2), "2025-07"),  # first month of step 2 (d=4)
    ("male", "1976-08", 35, age(62, 11), "2039-07"),  # last month before the cap (d=139)
    ("male", "1976-09", 36, age(63), "2039-09"),  # first month at the cap (d=140)
    ("male", "1990-03", 36, age(63), "2053-03"),  # well after the cap
    ("male", "1950-07", 0, age(60), "2010-07"),  # long before the reform
    # --- women, original 55: band edges ---
    ("female55", "1969-12", 0, age(55), "2024-12"),
    ("female55", "1970-01", 1, age(55, 1), "2025-02"),
    ("female55", "1970-04", 1, age(55, 1), "2025-05"),
    ("female55", "1970-05", 2, age(55, 2), "2025-07"),
    ("female55", "1981-08", 35, age(57, 11), "2039-07"),
    ("female55", "1981-09", 36, age(58), "2039-09"),
    ("female55", "1995-02", 36, age(58), "2053-02"),
    # --- women, original 50: band edges (step 2, cap 60) ---
    ("female50", "1974-12", 0, age(50), "2024-12"),
    ("female50", "1975-01", 1, age(50, 1), "2025-02"),
    ("female50", "1975-02", 1, age(50, 1), "2025-03"),  # last month of step 1 (d=1)
    ("female50", "1975-03", 2, age(50, 2), "2025-05"),  # first month of step 2 (d=2)
    ("female50", "1984-10", 59, age(54, 11), "2039-09"),  # last month before the cap (d=117)
    ("female50", "1984-11", 60, age(55), "2039-11"),  # first month at the cap (d=118)
    ("female50", "2000-06", 60, age(55), "2055-06"),  # well after the cap
]


@pytest.mark.parametrize(("group", "birth", "delay", "age_months", "retire"), CASES)
def test_statutory_age_table(group: str, birth: str, delay: int, age_months: int, retire: str) -> None:
    s = statutory_retirement(m(birth), group)
    assert s.delay_months == delay
    assert s.statutory_age_months == age_months
    assert str(s.statutory_month) == retire
    assert s.original_age_months == {"male": 720, "female55": 660, "female50": 600}[group]
    assert s.original_month == m(birth) + s.original_age_months


def test_examples_in_years_and_months_form() -> None:
    assert statutory_retirement(m("1965-01"), "male").statutory_age == "60y1m"
    assert statutory_retirement(m("1966-06"), "male").statutory_age == "60y5m"
    assert statutory_retirement(m("1976-01"), "female50").statutory_age == "50y7m"
    assert statutory_retirement(m("1971-04"), "female55").statutory_age == "55y4m"
    assert statutory_retirement(m("1976-12"), "male").statutory_age == "63y0m"


def test_no_man_reaches_his_age_in_2025_01() -> None:
    """A calendar month with no new retirees is a fact of the schedule, not an error."""
    months = {str(statutory_retirement(Month(b), "male").statutory_month) for b in range(m("1963-01").ordinal, m("1967-01").ordinal)}
    assert "2025-01" not in months
    assert {"2024-12", "2025-02"} <= months


def test_only_year_and_month_of_birth_matter() -> None:
    first = statutory_retirement(Month.parse("1966-06-01"), "male")
    last = statutory_retirement(Month.parse("1966-06-30"), "male")
    assert first.statutory_month == last.statutory_month == m("2026-11")


def test_unknown_group_refused() -> None:
    with pytest.raises(UnknownGroup):
        statutory_retirement(m("1966-06"), "female60")


@pytest.mark.parametrize(
    ("sex", "category", "explicit", "flex_param", "expected"),
    [
        ("M", "worker", None, "female50", "male"),
        ("M", "cadre", None, "female50", "male"),
        ("F", "worker", None, "female50", "female50"),
        ("F", "cadre", None, "female50", "female55"),
        ("F", "flexible", None, "female50", "female50"),
        ("F", "flexible", None, "female55", "female55"),  # the configurable rule
        ("F", "worker", "female55", "female50", "female55"),  # explicit choice on the case wins
    ],
)
def test_group_for(sex: str, category: str, explicit: str | None, flex_param: str, expected: str) -> None:
    assert group_for(sex, category, explicit, flex_param) == expected


# ---------------------------------------------------------------- properties

BANDS = {
    # group: (original months, first delayed birth ordinal, step, cap)
    "male": (720, Month.of(1965, 1).ordinal, 4, 36),
    "female55": (660, Month.of(1970, 1).ordinal, 4, 36),
    "female50": (600, Month.of(1975, 1).ordinal, 2, 60),
}
births = st.integers(min_value=Month.of(1940, 1).ordinal, max_value=Month.of(2010, 12).ordinal).map(Month)
groups = st.sampled_from(sorted(BANDS))


@given(groups, births, births)
def test_later_birth_never_retires_earlier(group: str, a: Month, b: Month) -> None:
    early, late = min(a, b), max(a, b)
    assert statutory_retirement(early, group).statutory_month <= statutory_retirement(late, group).statutory_month


@given(groups, births)
def test_delay_is_bounded_and_month_is_birth_plus_age(group: str, birth: Month) -> None:
    original, first, step, cap = BANDS[group]
    s = statutory_retirement(birth, group)
    assert 0 <= s.delay_months <= cap
    assert s.statutory_age_months == original + s.delay_months
    assert s.statutory_month == birth + s.statutory_age_months
    d = birth.ordinal - first
    assert s.delay_months == (0 if d < 0 else min(d // step + 1, cap))
