"""Checks of the record a reviewer must see even when every condition is met (issue 14, bug 17).

Two things the other rules compute but never said: contribution periods that
overlap (the months are counted once, so the record itself is probably wrong:
a period typed twice, a transfer recorded at both ends), and a statutory
retirement month long past (an applicant six years late is unusual: the birth
date or the record may be wrong, and when the benefit starts follows the rules
for a late application, not the month of the form).  Both are warnings: they
do not block acceptance, they must be read.

Pure: facts in, findings out.
"""
from __future__ import annotations

from console.rules.explain import Finding
from console.rules.months import Month
from console.rules.retirement_facts import RetirementFacts

_LONG_PAST_MONTHS = 12
"""A statutory month more than this many months before the application month is "long past"."""


def record_checks(facts: RetirementFacts, application_month: Month) -> list[Finding]:
    """Overlapping periods (one finding each, naming the months counted once) and a long-past statutory month."""
    out = [
        Finding("rules.check.overlap", "warning", {"start": span.start, "end": span.end, "months": span.months})
        for span in facts.contributions.overlaps
    ]
    statutory = facts.statutory
    if statutory is not None:
        late = application_month - statutory.statutory_month
        if late > _LONG_PAST_MONTHS:
            out.append(Finding("rules.check.long_past", "warning",
                               {"month": statutory.statutory_month, "years": late // 12, "months": late % 12}))
    return out


def place_name(code: str) -> str | None:
    """The name of a six-digit division code (GB/T 2260, stdnum's table): 150222 -> 内蒙古自治区包头市固阳县; None if unknown."""
    if len(code) != 6 or not code.isdigit():
        return None
    from stdnum import numdb

    info = {k: v for _part, props in numdb.get("cn/loc").info(code) for k, v in props.items()}
    county = info.get("county", "").split(",")[-1].split("]")[-1]
    return "".join((info.get("province", ""), info.get("prefecture", ""), county)) or None
