"""Contribution periods as sets of months (DOMAIN.md 6.3, 6.5)."""
from __future__ import annotations

import random
from collections.abc import Iterable

from hypothesis import given, settings
from hypothesis import strategies as st

from console.rules.intervals import Period, Span, months_covered_until, summarise
from console.rules.months import Month
from console.settings import load_parameters

COUNTY = ("150222", "固阳县", "固阳")
START = Month.parse("1996-01")  # personal contributions began (the shipped parameter)
FAR = Month.of(2200, 1)  # a start far away, so that every deemed period is usable


def m(text: str) -> Month:
    return Month.parse(text)


def p(a: str, b: str, kind: str = "actual", place: str = "") -> Period:
    return Period(m(a), m(b), kind, place)


def spans(items: Iterable[Span]) -> list[tuple[str, str, int]]:
    return [(str(s.start), str(s.end), s.months) for s in items]


def test_each_month_counted_once() -> None:
    # 2000-01..2000-12 and 2000-07..2001-06 overlap for 6 months: 18 distinct months, not 24
    s = summarise([p("2000-01", "2000-12"), p("2000-07", "2001-06")], COUNTY, START)
    assert s.total_months == 18
    assert spans(s.overlaps) == [("2000-07", "2000-12", 6)]
    assert s.gaps == []


def test_gaps_reported_as_spans() -> None:
    s = summarise(
        [p("2000-01", "2000-12"), p("2001-04", "2001-06"), p("2002-01", "2002-01")],
        COUNTY,
        START,
    )
    assert s.total_months == 16
    assert spans(s.gaps) == [("2001-01", "2001-03", 3), ("2001-07", "2001-12", 6)]
    assert (str(s.first_month), str(s.last_month)) == ("2000-01", "2002-01")


def test_deemed_and_actual_add_up_and_deemed_overlap_counts_once() -> None:
    s = summarise(
        [p("1988-01", "1995-12", "deemed"), p("1995-06", "1995-12"), p("1996-01", "2010-12")],
        COUNTY,
        START,
    )
    # union 1988-01..2010-12 = 23 years = 276 months; actual 1995-06..2010-12 = 187
    assert s.total_months == 276
    assert s.actual_months == 187
    assert s.deemed_months == 89
    assert s.actual_months + s.deemed_months == s.total_months
    assert str(s.first_actual_month) == "1995-06"
    assert spans(s.deemed_spans) == [("1988-01", "1995-05", 89)]


def test_deemed_period_ending_before_personal_contributions_is_fine() -> None:
    s = summarise([p("1985-03", "1995-12", "deemed")], COUNTY, START)
    assert s.findings == []
    assert s.deemed_months == 130


def test_deemed_period_running_into_personal_contributions_rejected() -> None:
    for end in ("1996-01", "1998-06"):  # to the start month itself, and past it
        s = summarise([p("1990-01", end, "deemed"), p("1996-01", "2010-12")], COUNTY, START)
        assert [f.code for f in s.findings] == ["rules.periods.deemed_past_start"]
        assert s.findings[0].severity == "unmet"
        assert s.deemed_months == 0  # not counted
        assert s.total_months == 180


def test_deemed_limit_follows_the_parameter() -> None:
    start = load_parameters().personal_contribution_start
    assert str(start) == "1996-01"
    ok = summarise([Period(Month.of(1990, 1), start.minus(1), "deemed")], COUNTY, start)
    bad = summarise([Period(Month.of(1990, 1), start, "deemed")], COUNTY, start)
    assert ok.findings == [] and len(bad.findings) == 1


def test_reversed_and_unknown_kind_rejected() -> None:
    s = summarise([p("2001-01", "2000-01"), p("2000-01", "2000-12", "paid")], COUNTY, START)
    assert {f.code for f in s.findings} == {"rules.periods.reversed", "rules.periods.bad_kind"}
    assert s.total_months == 0


def test_county_months_exclude_places_outside() -> None:
    s = summarise(
        [
            p("2000-01", "2004-12", place="150222"),  # 60, in the county
            p("2005-01", "2009-12", place="110101"),  # 60, Beijing Dongcheng
            p("2010-01", "2010-12"),  # 12, no place: the county's own record
            p("2011-01", "2011-06", place="固阳县"),  # 6
        ],
        COUNTY,
        START,
    )
    assert s.total_months == 138
    assert s.county_months == 78
    assert s.county_actual_months == 78


def test_empty_place_counts_as_county() -> None:
    s = summarise([p("2000-01", "2014-12", place="  ")], COUNTY, START)
    assert s.county_months == 180


def test_months_covered_until() -> None:
    periods = [p("1990-01", "1995-12", "deemed"), p("2000-01", "2000-12")]
    assert months_covered_until(periods, m("2000-06")) == 72 + 6
    assert months_covered_until(periods, m("2000-06"), actual_only=True) == 6


# ------------------------------------------------------------------ properties

BASE = Month.of(1980, 1).ordinal


@st.composite
def periods(draw: st.DrawFn) -> list[Period]:
    n = draw(st.integers(0, 6))
    out: list[Period] = []
    for _ in range(n):
        a = draw(st.integers(0, 400))
        length = draw(st.integers(0, 120))
        kind = draw(st.sampled_from(["actual", "deemed"]))
        place = draw(st.sampled_from(["", "150222", "110101"]))
        out.append(Period(Month(BASE + a), Month(BASE + a + length), kind, place))
    return out


@settings(max_examples=60, deadline=None)
@given(periods(), st.randoms(use_true_random=False))
def test_merge_is_order_independent_and_counts_the_union(ps: list[Period], rnd: random.Random) -> None:
    s = summarise(ps, COUNTY, FAR)
    shuffled = list(ps)
    rnd.shuffle(shuffled)
    t = summarise(shuffled, COUNTY, FAR)
    union = set()
    actual = set()
    county = set()
    for x in ps:
        months = set(range(x.start.ordinal, x.end.ordinal + 1))
        union |= months
        if x.kind == "actual":
            actual |= months
        if x.place in ("", "150222"):
            county |= months
    assert s.total_months == len(union)
    assert s.actual_months == len(actual)
    assert s.actual_months + s.deemed_months == s.total_months
    assert s.county_months == len(county)
    for field in ("total_months", "actual_months", "deemed_months", "county_months", "first_month", "last_month"):
        assert getattr(s, field) == getattr(t, field)
    assert spans(s.gaps) == spans(t.gaps)
    assert spans(s.overlaps) == spans(t.overlaps)
    # gaps + union fill the whole range exactly
    if union:
        assert sum(g.months for g in s.gaps) + len(union) == max(union) - min(union) + 1


_month_runs = st.lists(
    st.tuples(st.integers(0, 120), st.integers(0, 40), st.sampled_from(["actual", "deemed"]), st.sampled_from(["", "110101"])),
    min_size=0,
    max_size=8,
)


@given(_month_runs)
def test_interval_arithmetic_matches_a_month_by_month_count(raw: list[tuple[int, int, str, str]]) -> None:
    """Gaps, overlaps and county months agree with a brute-force set of months."""
    base = Month.of(1980, 1)
    periods = [Period(base + a, base + a + n, kind, place) for a, n, kind, place in raw]
    s = summarise(periods, ("150222",), Month.of(2100, 1))
    seen: dict[int, int] = {}
    for p in periods:
        for m in p.months():
            seen[m] = seen.get(m, 0) + 1
    covered = set(seen)
    actual = {m for p in periods if p.kind == "actual" for m in p.months()}
    county = {m for p in periods if p.place == "" for m in p.months()}
    assert s.total_months == len(covered)
    assert s.actual_months == len(actual)
    assert s.county_months == len(county)
    assert sum(x.months for x in s.overlaps) == sum(1 for c in seen.values() if c >= 2)
    expected_gaps = (set(range(min(covered), max(covered) + 1)) - covered) if covered else set()
    assert sum(x.months for x in s.gaps) == len(expected_gaps)
