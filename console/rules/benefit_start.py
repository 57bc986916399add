"""When the pension starts being paid (DOMAIN.md 6.6).

Paid from the month AFTER the approved retirement month.  When the person or
the employer applied late, from the month after approval with no back pay;
when the office caused the delay, from the month after the retirement month
with arrears.  The local rule is a parameter (``benefit_start_rule``).
"""
from __future__ import annotations

from dataclasses import dataclass

from console.rules.explain import Reason
from console.rules.months import Month

DELAY_CAUSES = ("none", "applicant", "office")


@dataclass(frozen=True)
class BenefitStart:
    month: Month
    arrears_months: int
    reason: Reason


def benefit_start(
    retirement_month: Month,
    approval_month: Month | None = None,
    delay_cause: str = "none",
    rule: str = "late_no_backpay",
) -> BenefitStart:
    """The first month of pension and the months of arrears owed, explained.

    ``rule`` ``late_no_backpay`` is the common practice; ``always_backpay``
    pays from the month after retirement in every case (some provinces).
    """
    if delay_cause not in DELAY_CAUSES:
        raise ValueError(f"unknown delay cause {delay_cause!r}")
    normal = retirement_month + 1
    late = approval_month is not None and approval_month > retirement_month
    source = f"benefit_start_rule={rule}"
    if not late or delay_cause == "none":
        return BenefitStart(normal, 0, Reason("rules.benefit.normal", {"retire": retirement_month, "start": normal}, source))
    assert approval_month is not None
    if delay_cause == "office" or rule == "always_backpay":
        arrears = (approval_month + 1).months_since(normal)
        return BenefitStart(
            normal, arrears, Reason("rules.benefit.office_delay", {"start": normal, "arrears": arrears}, source)
        )
    start = approval_month + 1
    return BenefitStart(start, 0, Reason("rules.benefit.applicant_late", {"approval": approval_month, "start": start}, source))
