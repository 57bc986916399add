"""Minimum contribution months and the year that applies (DOMAIN.md 6.3)."""
from __future__ import annotations

from dataclasses import dataclass

from console.rules.explain import Reason
from console.rules.months import Month
from console.rules.policy import EXTENDED_CONTRIBUTION_SOURCE, LUMP_SUM_CUTOFF, LUMP_SUM_SOURCE, MIN_CONTRIBUTION


@dataclass(frozen=True)
class MinimumContribution:
    months: int
    year: int
    reason: Reason


def minimum_contribution(statutory_month: Month, retire_month: Month | None = None) -> MinimumContribution:
    """The minimum months for a person: the EARLIER of the actual retirement
    year and the year the statutory age is reached decides (so deferring does
    not raise the bar, and retiring early uses the earlier year)."""
    year = statutory_month.year if retire_month is None else min(statutory_month.year, retire_month.year)
    months = MIN_CONTRIBUTION.months_for_year(year)
    reason = Reason(
        "rules.min_contribution",
        {"year": year, "months": months, "statutory_year": statutory_month.year},
        MIN_CONTRIBUTION.source,
    )
    return MinimumContribution(months, year, reason)


@dataclass(frozen=True)
class ExtendedContribution:
    """Short of the minimum at the statutory month: how long to keep paying (延长缴费), and whether one lump may do.

    ``met_month`` assumes one paid month after another from the month after
    the statutory month; retiring then is an extended-contribution retirement,
    not a flexible deferral, so the +36 limit does not bind it.
    ``one_off_open`` is None when nobody said whether the person was insured
    before 2011-07-01.
    """

    short_months: int
    met_month: Month
    one_off_open: bool | None
    reason: Reason


def extended_contribution(statutory_month: Month, need: int, counted: int, insured_before_2011_07: bool | None) -> ExtendedContribution | None:
    """The extended-contribution facts when ``counted`` months by the statutory month fall short of ``need``; else None."""
    short = need - counted
    if short <= 0:
        return None
    met = statutory_month + short
    one_off = "unknown" if insured_before_2011_07 is None else ("open" if insured_before_2011_07 else "closed")
    reason = Reason(
        f"rules.extend.one_off_{one_off}",
        {"short": short, "need": need, "have": counted, "statutory": statutory_month, "met": met, "cutoff": LUMP_SUM_CUTOFF.isoformat()},
        EXTENDED_CONTRIBUTION_SOURCE + ("" if one_off == "closed" else "；" + LUMP_SUM_SOURCE),
    )
    return ExtendedContribution(short, met, insured_before_2011_07, reason)
