"""Minimum contribution months and the year that applies (DOMAIN.md 6.3)."""
from __future__ import annotations

from dataclasses import dataclass

from console.rules.explain import Reason
from console.rules.months import Month
from console.rules.policy import MIN_CONTRIBUTION


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
