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


# --- other retirement types (DOMAIN.md 6.8) -----------------------------------
# Status words: "reported" = a published public source applies the rule (not yet
# confirmed by the Inner Mongolia bureau); "unconfirmed" = no source found, the
# reviewer decides and the facts say so.

REPORTED = "reported"
UNCONFIRMED = "unconfirmed"
GUOFA_1978_SPECIAL = GUOFA_1978 + "第一条（二）（特殊工种：男55周岁、女45周岁）"
GUOFA_1978_ILLNESS = GUOFA_1978 + "第一条（三）（因病完全丧失劳动能力：男50周岁、女45周岁）"
GUOFA_1978_INJURY = GUOFA_1978 + "第一条（四）（因工致残完全丧失劳动能力：无年龄条件）；工伤保险条例第三十五条"
TIANJIN_2016_31 = (
    "津人社局发〔2016〕31号（天津市特殊工种提前退休资格审核管理暂行办法，重述国家条件："
    "高空、特别繁重体力劳动累计满10年，井下、高温累计满9年，其他有害身体健康工作累计满8年）"
)
SPECIAL_WORK_2025_NOTICES = (
    "2025年公开的特殊工种退休待遇核定：天津（1970-07出生，2025-09按55岁2个月退休）、苏州（1970-11出生，55岁3个月），"
    "即按原55周岁人员的延迟办法（每4个月延迟1个月，最多36个月）；内蒙古未经确认"
)


@dataclass(frozen=True)
class SpecialWorkYears:
    """Years in one kind of special (arduous) work that qualify for special-work retirement."""

    work: str
    years: int
    source: str
    status: str


SPECIAL_WORK_YEARS: dict[str, SpecialWorkYears] = {
    "high_altitude": SpecialWorkYears("high_altitude", 10, TIANJIN_2016_31, REPORTED),
    "heavy_manual": SpecialWorkYears("heavy_manual", 10, TIANJIN_2016_31, REPORTED),
    "underground": SpecialWorkYears("underground", 9, TIANJIN_2016_31, REPORTED),
    "high_temperature": SpecialWorkYears("high_temperature", 9, TIANJIN_2016_31, REPORTED),
    "other_harmful": SpecialWorkYears("other_harmful", 8, TIANJIN_2016_31, REPORTED),
}
"""Several kinds add up, judged by the strictest kind worked (same source)."""


@dataclass(frozen=True)
class KindAgeRule:
    """The age of one retirement type for one sex under the 2025 law, with its source and status.

    ``original_age_months`` None: the type has no age condition.  ``band`` None:
    no published post-2025 treatment, so the original age is shown and the
    case goes to the reviewer.
    """

    kind: str
    sex: str
    original_age_months: int | None
    band: AgeBand | None
    status: str
    source: str
    effective: date = date(2025, 1, 1)


KIND_AGE_RULES: tuple[KindAgeRule, ...] = (
    KindAgeRule("special_work", "M", 55 * 12,
                AgeBand("special_work_male", 55 * 12, Month.of(1970, 1), 4, 36, date(2025, 1, 1), SPECIAL_WORK_2025_NOTICES),
                REPORTED, SPECIAL_WORK_2025_NOTICES),
    KindAgeRule("special_work", "F", 45 * 12, None, UNCONFIRMED, GUOFA_1978_SPECIAL),
    KindAgeRule("illness", "M", 50 * 12, None, UNCONFIRMED, GUOFA_1978_ILLNESS),
    KindAgeRule("illness", "F", 45 * 12, None, UNCONFIRMED, GUOFA_1978_ILLNESS),
    KindAgeRule("work_injury", "M", None, None, UNCONFIRMED, GUOFA_1978_INJURY),
    KindAgeRule("work_injury", "F", None, None, UNCONFIRMED, GUOFA_1978_INJURY),
)

LUMP_SUM_CUTOFF = date(2011, 7, 1)
EXTENDED_CONTRIBUTION_SOURCE = NPC_2024 + "所附办法第二条（延长缴费或一次性缴费至最低缴费年限）"
LUMP_SUM_SOURCE = "人社部令第13号（实施《社会保险法》若干规定）第二条（2011-07-01前参保、延长缴费5年后仍不足的，可一次性缴费）"
