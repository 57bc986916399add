"""Contribution periods as sets of months (DOMAIN.md 6.3, 6.5).

Contribution months = deemed + actual, each calendar month counted once.
Periods are given as (from, to) months, both inclusive.  Deemed months that
are also actual months count as actual (the person paid for them).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from console.rules.explain import Finding, Reason
from console.rules.months import Month

KINDS = ("actual", "deemed")


@dataclass(frozen=True)
class Period:
    """One contribution period as recorded: inclusive months, kind and place."""

    start: Month
    end: Month
    kind: str
    place: str = ""

    def months(self) -> range:
        return range(self.start.ordinal, self.end.ordinal + 1)


@dataclass(frozen=True)
class Span:
    """A run of consecutive months (inclusive)."""

    start: Month
    end: Month

    @property
    def months(self) -> int:
        return self.end.months_since(self.start) + 1

    def as_dict(self) -> dict[str, object]:
        return {"from": str(self.start), "to": str(self.end), "months": self.months}


@dataclass(frozen=True)
class ContributionSummary:
    total_months: int
    actual_months: int
    deemed_months: int
    county_months: int
    county_actual_months: int
    first_month: Month | None
    last_month: Month | None
    first_actual_month: Month | None
    deemed_spans: list[Span]
    deemed_recorded_spans: list[Span]
    gaps: list[Span]
    overlaps: list[Span]
    findings: list[Finding] = field(default_factory=list)
    reason: Reason | None = None


Run = tuple[int, int]
"""Inclusive (first, last) month ordinals; lists of runs are kept sorted and disjoint."""


def merge(runs: Iterable[Run]) -> list[Run]:
    """Union of runs as sorted disjoint runs (adjacent runs join)."""
    out: list[Run] = []
    for a, b in sorted(runs):
        if out and a <= out[-1][1] + 1:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def subtract(runs: list[Run], minus: list[Run]) -> list[Run]:
    """Months of ``runs`` not in ``minus`` (both sorted and disjoint)."""
    out: list[Run] = []
    j = 0
    for a, b in runs:
        while j < len(minus) and minus[j][1] < a:
            j += 1
        k = j
        cur = a
        while k < len(minus) and minus[k][0] <= b:
            ma, mb = minus[k]
            if ma > cur:
                out.append((cur, ma - 1))
            cur = max(cur, mb + 1)
            k += 1
        if cur <= b:
            out.append((cur, b))
    return out


def intersect(x: list[Run], y: list[Run]) -> list[Run]:
    """Months in both (sorted, disjoint inputs)."""
    out: list[Run] = []
    i = j = 0
    while i < len(x) and j < len(y):
        a, b = max(x[i][0], y[j][0]), min(x[i][1], y[j][1])
        if a <= b:
            out.append((a, b))
        if x[i][1] < y[j][1]:
            i += 1
        else:
            j += 1
    return out


def size(runs: Iterable[Run]) -> int:
    return sum(b - a + 1 for a, b in runs)


def _runs(periods: Iterable[Period]) -> list[Run]:
    return merge((p.start.ordinal, p.end.ordinal) for p in periods)


def _covered_twice(periods: Sequence[Period]) -> list[Run]:
    """Months that two or more periods cover (a sweep over start/end events)."""
    events: list[tuple[int, int]] = []
    for p in periods:
        events.append((p.start.ordinal, 1))
        events.append((p.end.ordinal + 1, -1))
    events.sort()
    out: list[Run] = []
    depth = 0
    opened = 0
    for at, step in events:
        before = depth
        depth += step
        if before < 2 <= depth:
            opened = at
        elif before >= 2 > depth and at - 1 >= opened:
            out.append((opened, at - 1))
    return merge(out)


def months_covered_until(periods: Sequence[Period], month: Month, actual_only: bool = False) -> int:
    """Distinct months covered up to and including ``month`` (for early-retirement checks)."""
    runs = _runs(p for p in periods if not actual_only or p.kind == "actual")
    return size(intersect(runs, [(runs[0][0], month.ordinal)])) if runs and runs[0][0] <= month.ordinal else 0


def spans(months: Iterable[int]) -> list[Span]:
    """Collapse month ordinals into sorted runs of consecutive months."""
    return _spans(merge((m, m) for m in months))


def _spans(runs: Iterable[Run]) -> list[Span]:
    return [Span(Month(a), Month(b)) for a, b in runs]


def is_in_county(place: str, county_places: Sequence[str]) -> bool:
    """A period with no place recorded is the county's own record."""
    place = (place or "").strip()
    return not place or any(place.startswith(p) for p in county_places)


def invalid_periods(periods: Sequence[Period], personal_contribution_start: Month) -> list[Finding]:
    """Periods that cannot be used: from after to, unknown kind, or a deemed
    period running into the months when personal contributions existed."""
    findings: list[Finding] = []
    for i, p in enumerate(periods, start=1):
        if p.kind not in KINDS:
            findings.append(Finding("rules.periods.bad_kind", "unmet", {"line": i, "kind": p.kind}))
        if p.end < p.start:
            findings.append(Finding("rules.periods.reversed", "unmet", {"line": i, "start": p.start, "end": p.end}))
        if p.kind == "deemed" and p.end >= personal_contribution_start:
            findings.append(
                Finding(
                    "rules.periods.deemed_past_start",
                    "unmet",
                    {"line": i, "start": p.start, "end": p.end, "limit": personal_contribution_start},
                    "personal_contribution_start",
                )
            )
    return findings


def summarise(periods: Sequence[Period], county_places: Sequence[str], personal_contribution_start: Month) -> ContributionSummary:
    """Merge periods into totals, gaps and overlaps; invalid periods are reported, not counted."""
    findings = invalid_periods(periods, personal_contribution_start)
    bad = {int(f.params["line"]) for f in findings}
    usable = [p for i, p in enumerate(periods, start=1) if i not in bad]
    actual = _runs(p for p in usable if p.kind == "actual")
    deemed_recorded = _runs(p for p in usable if p.kind == "deemed")
    deemed = subtract(deemed_recorded, actual)
    everything = merge(actual + deemed)
    county = intersect(_runs(p for p in usable if is_in_county(p.place, county_places)), everything)
    county_actual = intersect(county, actual)
    gaps: list[Run] = []
    if everything:
        gaps = subtract([(everything[0][0], everything[-1][1])], everything)
    summary = ContributionSummary(
        total_months=size(everything),
        actual_months=size(actual),
        deemed_months=size(deemed),
        county_months=size(county),
        county_actual_months=size(county_actual),
        first_month=Month(everything[0][0]) if everything else None,
        last_month=Month(everything[-1][1]) if everything else None,
        first_actual_month=Month(actual[0][0]) if actual else None,
        deemed_spans=_spans(deemed),
        deemed_recorded_spans=_spans(deemed_recorded),
        gaps=_spans(gaps),
        overlaps=_spans(_covered_twice(usable)),
        findings=findings,
        reason=Reason(
            "rules.periods.summary",
            {"total": size(everything), "actual": size(actual), "deemed": size(deemed), "periods": len(usable)},
        ),
    )
    return summary
