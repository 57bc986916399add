"""Flexible retirement (DOMAIN.md 6.2) and minimum contribution (6.3).

Expected values are derived by hand from DOMAIN.md:
  earliest = max(original-age month, statutory - 36); latest = statutory + 36;
  minimum: 180 months up to 2029, +6 a year from 2030, 240 from 2039; the year
  that applies is the EARLIER of the actual retirement year and the statutory year.
"""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.rules.contribution_minimum import minimum_contribution
from console.rules.flexible import ChoiceCheck, check_choice, flexible_window
from console.rules.months import Month
from console.rules.retirement_age import statutory_retirement


def m(text: str) -> Month:
    return Month.parse(text)


def codes(check: ChoiceCheck) -> set[str]:
    return {f.code for f in check.findings}


# ------------------------------------------------------------------ window


@pytest.mark.parametrize(
    ("group", "birth", "earliest", "latest"),
    [
        # man 1966-06: statutory 2026-11 (60y5m); original month 2026-06
        ("male", "1966-06", "2026-06", "2029-11"),
        # man 1976-12 at the cap: statutory 2039-12 (63y); 36 months before = 2036-12 = age 60
        ("male", "1976-12", "2036-12", "2042-12"),
        # woman55 1971-04: statutory 2026-08; original 2026-04
        ("female55", "1971-04", "2026-04", "2029-08"),
        # woman50 1976-01: statutory 2026-08; original 2026-01
        ("female50", "1976-01", "2026-01", "2029-08"),
        # woman50 born 1980-12: delay 36 -> statutory 2033-12; minus 36 = 2030-12 = age 50 exactly
        ("female50", "1980-12", "2030-12", "2036-12"),
        # woman50 born 1981-01: delay 37 -> statutory 2034-02; minus 36 = 2031-02 > original 2031-01
        ("female50", "1981-01", "2031-02", "2037-02"),
        # woman50 at the cap, born 1990-05: statutory 2045-05 (55y); earliest 2042-05 (52y)
        ("female50", "1990-05", "2042-05", "2048-05"),
    ],
)
def test_window(group: str, birth: str, earliest: str, latest: str) -> None:
    w = flexible_window(statutory_retirement(m(birth), group))
    assert (str(w.earliest), str(w.latest)) == (earliest, latest)


def test_female50_born_1981_cannot_go_down_to_50() -> None:
    before = statutory_retirement(m("1980-12"), "female50")
    after = statutory_retirement(m("1981-01"), "female50")
    assert flexible_window(before).earliest == before.original_month  # can still retire at 50
    assert flexible_window(after).earliest > after.original_month  # can no longer
    assert flexible_window(after).earliest == after.statutory_month.minus(36)
    chosen = after.original_month  # 50 exactly: 2031-01
    check = check_choice(after, chosen)
    assert not check.allowed
    assert "rules.flex.too_early" in codes(check)


# ------------------------------------------------------------------ check_choice

MAN = statutory_retirement(m("1966-06"), "male")  # statutory 2026-11, window 2026-06 .. 2029-11


@pytest.mark.parametrize(
    ("chosen", "kind", "allowed"),
    [
        ("2026-11", "statutory", True),
        ("2026-06", "early", True),  # the earliest month itself
        ("2026-08", "early", True),
        ("2029-11", "deferred", True),  # the latest month itself
        ("2028-01", "deferred", True),
        ("2029-12", "deferred", False),  # one past the latest
        ("2026-05", "early", False),  # one below the original age
    ],
)
def test_check_choice_window(chosen: str, kind: str, allowed: bool) -> None:
    check = check_choice(MAN, m(chosen))
    assert check.kind == kind
    assert check.allowed is allowed


def test_below_original_age_refused_with_its_own_reason() -> None:
    check = check_choice(MAN, m("2025-01"))
    assert not check.allowed
    assert "rules.flex.below_original" in codes(check)


def test_too_late_refused() -> None:
    check = check_choice(MAN, m("2030-01"))
    assert not check.allowed
    assert codes(check) == {"rules.flex.too_late"}


def test_too_early_but_above_original_age() -> None:
    # woman50 at the cap: original 2040-05 (born 1990-05), earliest 2042-05
    s = statutory_retirement(m("1990-05"), "female50")
    check = check_choice(s, m("2041-01"))
    assert not check.allowed
    assert codes(check) == {"rules.flex.too_early"}


def test_early_retirement_needs_the_minimum_by_then() -> None:
    # early in 2026 -> 180 months needed
    short = check_choice(MAN, m("2026-08"), contribution_months_by_chosen=179)
    assert not short.allowed
    assert "rules.flex.early_needs_minimum" in codes(short)
    assert short.min_contribution_months == 180
    enough = check_choice(MAN, m("2026-08"), contribution_months_by_chosen=180)
    assert enough.allowed


def test_statutory_retirement_short_of_minimum_is_not_a_flexible_refusal() -> None:
    """Short at statutory age: the person keeps contributing; that is not an early-retirement refusal."""
    check = check_choice(MAN, MAN.statutory_month, contribution_months_by_chosen=10)
    assert "rules.flex.early_needs_minimum" not in codes(check)


def test_notice_lead_times_are_warnings() -> None:
    early = check_choice(MAN, m("2026-08"), contribution_months_by_chosen=300, decided_on=m("2026-07"))
    assert early.allowed
    assert {f.severity for f in early.findings if f.code == "rules.flex.early_notice"} == {"warning"}
    in_time = check_choice(MAN, m("2026-08"), contribution_months_by_chosen=300, decided_on=m("2026-05"))
    assert "rules.flex.early_notice" not in codes(in_time)


# ------------------------------------------------------------------ window properties

births = st.integers(min_value=Month.of(1945, 1).ordinal, max_value=Month.of(2005, 12).ordinal).map(Month)
groups = st.sampled_from(["male", "female55", "female50"])


@given(groups, births)
def test_window_properties(group: str, birth: Month) -> None:
    s = statutory_retirement(birth, group)
    w = flexible_window(s)
    assert w.earliest >= s.original_month
    assert w.earliest >= s.statutory_month.minus(36)
    assert w.earliest in (s.original_month, s.statutory_month.minus(36))
    assert w.latest == s.statutory_month + 36
    assert w.earliest <= s.statutory_month <= w.latest
    if group in ("male", "female55"):
        assert w.earliest == s.original_month  # DOMAIN 6.2: always the original age
    assert check_choice(s, w.earliest).allowed and check_choice(s, w.latest).allowed
    assert not check_choice(s, w.earliest.minus(1)).allowed
    assert not check_choice(s, w.latest + 1).allowed


# ------------------------------------------------------------------ minimum contribution


@pytest.mark.parametrize(
    ("year", "months"),
    [
        (2024, 180), (2025, 180), (2029, 180),
        (2030, 186), (2031, 192), (2034, 210), (2038, 234),
        (2039, 240), (2045, 240), (2060, 240),
    ],
)
def test_minimum_by_year(year: int, months: int) -> None:
    assert minimum_contribution(Month.of(year, 6)).months == months
    assert minimum_contribution(Month.of(year, 6)).year == year


def test_deferring_keeps_the_statutory_year() -> None:
    # man born 1970-01: delay 16 -> 61y4m -> statutory 2031-05; defers 3 years to 2034-05
    s = statutory_retirement(m("1970-01"), "male")
    assert str(s.statutory_month) == "2031-05"
    deferred = minimum_contribution(s.statutory_month, m("2034-05"))
    assert (deferred.year, deferred.months) == (2031, 192)  # not 2034's 210
    check = check_choice(s, m("2034-05"))
    assert check.kind == "deferred" and check.min_contribution_months == 192


def test_early_retirement_uses_the_actual_year() -> None:
    # same man retiring early at 60 in 2030-01: 2030's 186, not 2031's 192
    s = statutory_retirement(m("1970-01"), "male")
    early = minimum_contribution(s.statutory_month, m("2030-01"))
    assert (early.year, early.months) == (2030, 186)
    check = check_choice(s, m("2030-01"), contribution_months_by_chosen=186)
    assert check.allowed and check.min_contribution_months == 186
    assert not check_choice(s, m("2030-01"), contribution_months_by_chosen=185).allowed
