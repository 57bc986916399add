"""Flexible retirement window and validation of a chosen month (DOMAIN.md 6.2).

earliest = max(original-age month, statutory month - 36);
latest = statutory month + 36.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from console.rules.contribution_minimum import minimum_contribution
from console.rules.explain import Finding, Reason
from console.rules.months import Month
from console.rules.policy import (
    FLEX_EARLY_MAX_MONTHS,
    FLEX_EARLY_NOTICE_MONTHS,
    FLEX_LATE_AGREEMENT_MONTHS,
    FLEX_LATE_MAX_MONTHS,
    NPC_2024_FLEX,
)
from console.rules.retirement_age import StatutoryRetirement


@dataclass(frozen=True)
class FlexibleWindow:
    earliest: Month
    latest: Month
    reason: Reason


@dataclass(frozen=True)
class ChoiceCheck:
    """Whether a chosen retirement month is allowed, and every reason it is not."""

    month: Month
    kind: str  # "statutory", "early", "deferred" or "extended_contribution"
    allowed: bool
    min_contribution_months: int
    findings: list[Finding] = field(default_factory=list)


def flexible_window(statutory: StatutoryRetirement) -> FlexibleWindow:
    """The earliest and latest month a person may choose."""
    earliest = max(statutory.original_month, statutory.statutory_month.minus(FLEX_EARLY_MAX_MONTHS))
    latest = statutory.statutory_month + FLEX_LATE_MAX_MONTHS
    floor = "original_age" if earliest == statutory.original_month else "three_years"
    reason = Reason(
        f"rules.flex.window_{floor}",
        {"earliest": earliest, "latest": latest, "statutory": statutory.statutory_month},
        NPC_2024_FLEX,
    )
    return FlexibleWindow(earliest, latest, reason)


def check_choice(
    statutory: StatutoryRetirement,
    chosen: Month,
    contribution_months_by_chosen: int | None = None,
    decided_on: Month | None = None,
    extended_month: Month | None = None,
) -> ChoiceCheck:
    """Validate a chosen month: inside the window (never below the original
    age), minimum contribution met by then for early retirement, and the
    notice / agreement lead times when the decision month is known.

    ``extended_month`` is the month a person short of the minimum at the
    statutory month meets it by continued payment (延长缴费): retiring then is
    allowed even beyond the window, as an extended-contribution retirement."""
    window = flexible_window(statutory)
    minimum = minimum_contribution(statutory.statutory_month, chosen)
    findings: list[Finding] = []
    kind = "statutory"
    if chosen < statutory.statutory_month:
        kind = "early"
    elif chosen > statutory.statutory_month:
        kind = "deferred"
    if chosen < window.earliest:
        code = "rules.flex.below_original" if chosen < statutory.original_month else "rules.flex.too_early"
        findings.append(Finding(code, "unmet", {"chosen": chosen, "earliest": window.earliest}, NPC_2024_FLEX))
    if extended_month is not None and chosen == extended_month and chosen > statutory.statutory_month:
        kind = "extended_contribution"
    elif chosen > window.latest and extended_month is not None:
        findings.append(Finding("rules.flex.too_late_extended", "unmet", {"chosen": chosen, "latest": window.latest, "met": extended_month}, NPC_2024_FLEX))
    elif chosen > window.latest:
        findings.append(Finding("rules.flex.too_late", "unmet", {"chosen": chosen, "latest": window.latest}, NPC_2024_FLEX))
    if kind == "early" and contribution_months_by_chosen is not None and contribution_months_by_chosen < minimum.months:
        findings.append(
            Finding(
                "rules.flex.early_needs_minimum",
                "unmet",
                {"have": contribution_months_by_chosen, "need": minimum.months, "short": minimum.months - contribution_months_by_chosen},
                NPC_2024_FLEX,
            )
        )
    if decided_on is not None:
        if kind == "early" and chosen.months_since(decided_on) < FLEX_EARLY_NOTICE_MONTHS:
            findings.append(Finding("rules.flex.early_notice", "warning", {"months": FLEX_EARLY_NOTICE_MONTHS}, NPC_2024_FLEX))
        if kind == "deferred" and statutory.statutory_month.months_since(decided_on) < FLEX_LATE_AGREEMENT_MONTHS:
            findings.append(Finding("rules.flex.late_agreement", "warning", {"months": FLEX_LATE_AGREEMENT_MONTHS}, NPC_2024_FLEX))
    allowed = not any(f.severity == "unmet" for f in findings)
    return ChoiceCheck(chosen, kind, allowed, minimum.months, findings)
