"""Statutory retirement age under the 2025 reform (DOMAIN.md 6.1).

Only the birth year and month matter.  With d = birth month - first delayed
birth month of the group: delay = 0 if d < 0 else min(d // step + 1, cap).
"""
from __future__ import annotations

from dataclasses import dataclass

from console.rules.explain import Reason
from console.rules.months import Month, format_age
from console.rules.policy import AGE_BANDS, AgeBand


class UnknownGroup(ValueError):
    """A group name outside male / female55 / female50."""


@dataclass(frozen=True)
class StatutoryRetirement:
    """The statutory retirement facts of one person, with the band that decided them."""

    group: str
    birth: Month
    original_age_months: int
    delay_months: int
    statutory_age_months: int
    statutory_month: Month
    original_month: Month
    reason: Reason

    @property
    def statutory_age(self) -> str:
        return format_age(self.statutory_age_months)


def band_for(group: str) -> AgeBand:
    try:
        return AGE_BANDS[group]
    except KeyError:
        raise UnknownGroup(group) from None


def delay_months(birth: Month, band: AgeBand) -> int:
    """Months of delay for a birth month within one group's band."""
    d = birth.months_since(band.first_delayed_birth)
    if d < 0:
        return 0
    return min(d // band.step_months + 1, band.cap_months)


def statutory_retirement(birth: Month, group: str) -> StatutoryRetirement:
    """The statutory age and month for a birth month and group, explained."""
    band = band_for(group)
    delay = delay_months(birth, band)
    age = band.original_age_months + delay
    if delay == 0:
        code = "rules.age.before_reform"
    elif delay == band.cap_months:
        code = "rules.age.at_cap"
    else:
        code = "rules.age.delayed"
    reason = Reason(
        code,
        {
            "group": group,
            "birth": birth,
            "first": band.first_delayed_birth,
            "step": band.step_months,
            "delay": delay,
            "cap": band.cap_months,
            "original": format_age(band.original_age_months),
            "age": format_age(age),
        },
        band.source,
    )
    return StatutoryRetirement(
        group=group,
        birth=birth,
        original_age_months=band.original_age_months,
        delay_months=delay,
        statutory_age_months=age,
        statutory_month=birth + age,
        original_month=birth + band.original_age_months,
        reason=reason,
    )


def group_for(sex: str, staff_category: str | None, female_group: str | None, flexible_female_group: str) -> str:
    """Which reform group a person belongs to (DOMAIN.md 6.1, last paragraph).

    Men are one group.  A woman's group follows her ORIGINAL statutory age: an
    explicit choice on the case wins; else cadre posts 55, workers 50, and
    flexible workers by the local parameter.
    """
    if sex == "M":
        return "male"
    if female_group in ("female50", "female55"):
        return female_group
    if staff_category == "cadre":
        return "female55"
    if staff_category == "flexible":
        return flexible_female_group
    return "female50"
