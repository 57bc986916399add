"""National policy tables as data, each with its effective date and source.

These are law, not local choice: the 2024 NPC decision on raising the
statutory retirement age (in force 2025-01-01), the minimum contribution
schedule of the same decision, and the divisor months of 国发〔2005〕38号.
Local, unconfirmed values live in ``parameters.py`` instead.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from console.rules.months import Month

NPC_2024 = "全国人大常委会关于实施渐进式延迟法定退休年龄的决定（2024-09-13，2025-01-01施行）"
NPC_2024_FLEX = "同上决定第三条；人社部发〔2024〕94号（弹性退休）"
GUOFA_1978 = "国发〔1978〕104号（国务院关于工人退休退职的暂行办法）"
GUOFA_2005 = "国发〔2005〕38号（国务院关于完善企业职工基本养老保险制度的决定）"
LAOSHE_1999 = "劳社部发〔1999〕8号（出生时间以本人档案最先记载为准）"
BAORENSHE_2018 = "包人社办字〔2018〕204号（档案丢失人员办理退休）"
COUNTY_PLAN_2022 = "固阳县退休“一件事一次办”实施方案（2022）"

GROUPS = ("male", "female55", "female50")


@dataclass(frozen=True)
class AgeBand:
    """The reform schedule of one group (DOMAIN.md 6.1)."""

    group: str
    original_age_months: int
    first_delayed_birth: Month
    step_months: int
    cap_months: int
    effective: date
    source: str

    @property
    def final_age_months(self) -> int:
        return self.original_age_months + self.cap_months


AGE_BANDS: dict[str, AgeBand] = {
    "male": AgeBand("male", 60 * 12, Month.of(1965, 1), 4, 36, date(2025, 1, 1), NPC_2024 + "附件1"),
    "female55": AgeBand("female55", 55 * 12, Month.of(1970, 1), 4, 36, date(2025, 1, 1), NPC_2024 + "附件2"),
    "female50": AgeBand("female50", 50 * 12, Month.of(1975, 1), 2, 60, date(2025, 1, 1), NPC_2024 + "附件3"),
}

FLEX_EARLY_MAX_MONTHS = 36
FLEX_LATE_MAX_MONTHS = 36
FLEX_EARLY_NOTICE_MONTHS = 3
FLEX_LATE_AGREEMENT_MONTHS = 1


@dataclass(frozen=True)
class MinimumContributionSchedule:
    """Minimum contribution months by the year that applies (DOMAIN.md 6.3)."""

    base_months: int = 180
    last_base_year: int = 2029
    step_months_per_year: int = 6
    final_months: int = 240
    effective: date = date(2025, 1, 1)
    source: str = NPC_2024 + "第四条（最低缴费年限自2030年起每年提高6个月，至20年）"

    def months_for_year(self, year: int) -> int:
        extra = max(0, year - self.last_base_year) * self.step_months_per_year
        return min(self.final_months, self.base_months + extra)


MIN_CONTRIBUTION = MinimumContributionSchedule()

DIVISOR_MONTHS: dict[int, int] = {
    40: 233, 41: 230, 42: 226, 43: 223, 44: 220, 45: 216, 46: 212, 47: 207, 48: 204, 49: 199,
    50: 195, 51: 190, 52: 185, 53: 180, 54: 175, 55: 170, 56: 164, 57: 158, 58: 152, 59: 145,
    60: 139, 61: 132, 62: 125, 63: 117, 64: 109, 65: 101, 66: 93, 67: 84, 68: 75, 69: 65, 70: 56,
}
DIVISOR_SOURCE = GUOFA_2005 + "附件（个人账户养老金计发月数表）；月龄插值取一位小数（2025年起各地经办口径）"


def in_force_from() -> date:
    """The effective date of the newest table here: the readable part of the policy version.

    The version itself is a hash of the tables (``console.rules.table_digest``),
    so editing a table here changes it without anyone bumping a number.
    """
    return max([band.effective for band in AGE_BANDS.values()] + [MIN_CONTRIBUTION.effective])
