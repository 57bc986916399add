"""Contribution periods as sets of months (DOMAIN.md 6.3, 6.5).

Contribution months = deemed + actual, each calendar month counted once.
Periods are given as (from, to) months, both inclusive.  Deemed months that
are also actual months count as actual (the person paid for them).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

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


def _cover(periods: Iterable[Period]) -> set[int]:
    months: set[int] = set()
    for p in periods:
        months.update(p.months())
    return months


def months_covered_until(periods: Sequence[Period], month: Month, actual_only: bool = False) -> int:
    """Distinct months covered up to and including ``month`` (for early-retirement checks)."""
    covered = _cover(p for p in periods if not actual_only or p.kind == "actual")
    return sum(1 for m in covered if m <= month.ordinal)


def spans(months: Iterable[int]) -> list[Span]:
    """Collapse month ordinals into sorted runs of consecutive months."""
    out: list[Span] = []
    start = prev = None
    for m in sorted(set(months)):
        if start is None:
            start = prev = m
        elif m == prev + 1:  # type: ignore[operator]
            prev = m
        else:
            out.append(Span(Month(start), Month(prev)))  # type: ignore[arg-type]
            start = prev = m
    if start is not None:
        out.append(Span(Month(start), Month(prev)))  # type: ignore[arg-type]
    return out


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
    actual = _cover(p for p in usable if p.kind == "actual")
    deemed_recorded = _cover(p for p in usable if p.kind == "deemed")
    deemed = deemed_recorded - actual
    everything = actual | deemed
    county = _cover(p for p in usable if is_in_county(p.place, county_places)) & everything
    county_actual = county & actual
    seen: set[int] = set()
    twice: set[int] = set()
    for p in usable:
        months = set(p.months())
        twice |= seen & months
        seen |= months
    gaps: list[Span] = []
    if everything:
        lo, hi = min(everything), max(everything)
        gaps = spans(set(range(lo, hi + 1)) - everything)
    summary = ContributionSummary(
        total_months=len(everything),
        actual_months=len(actual),
        deemed_months=len(deemed),
        county_months=len(county),
        county_actual_months=len(county_actual),
        first_month=Month(min(everything)) if everything else None,
        last_month=Month(max(everything)) if everything else None,
        first_actual_month=Month(min(actual)) if actual else None,
        deemed_spans=spans(deemed),
        deemed_recorded_spans=spans(deemed_recorded),
        gaps=gaps,
        overlaps=spans(twice),
        findings=findings,
        reason=Reason(
            "rules.periods.summary",
            {"total": len(everything), "actual": len(actual), "deemed": len(deemed), "periods": len(usable)},
        ),
    )
    return summary
