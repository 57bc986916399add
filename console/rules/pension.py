"""Pension estimate (DOMAIN.md 6.7, 国发〔2005〕38号), by the province's formula row.

basic = C x (1 + I) / 2 x N x 1%; account = balance / divisor months;
transitional = (a base) x (an index) x deemed years x coefficient.  What a
province varies (how N is rounded, which base and index the transitional
part uses, its coefficient, which months it counts) is a ``PensionFormula``
row of the parameters file, with its status and source, so a hall in another
province edits a file, not code.  Money is Decimal, rounded half-up to 0.01
yuan at the end of each part.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from console.rules.explain import Reason
from console.rules.months import Month, format_age
from console.rules.policy import DIVISOR_MONTHS, DIVISOR_SOURCE, GUOFA_2005

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000")  # a billion yuan: far beyond any base or account balance
MAX_INDEX = Decimal("10")  # the index is capped at 3 by law; 10 leaves room for typos to be caught elsewhere
MAX_MONTHS = 1200  # a hundred years of contributions
TENTH = Decimal("0.1")

DIVISOR_BY_MONTH_FROM = Month.of(2025, 1)
"""Retirements before this month use the whole-year divisor of the age reached (the official 2024
tables: 195 at 50y1m and at 50y6m, 216 at 45y2m, cases/sichuan/1.json in liubigfatty/pension-calculator);
from it, with the gradual rise of the retirement age, the divisor is interpolated to the month."""
DIVISOR_WHOLE_YEAR_SOURCE = GUOFA_2005 + "附件（个人账户养老金计发月数表）；2025年1月前退休按整岁取值"

FORMULA_RULES: dict[str, tuple[str, ...]] = {
    # how contribution years N are counted: months / 12 exactly, half-up to 0.01, up to 0.1, down to 0.01, whole years
    "basic_years": ("exact", "hundredth", "tenth_up", "hundredth_down", "whole_years"),
    # the transitional base: C, or the mean of C and the indexed wage C x I ((C + C x I) / 2, Sichuan)
    "transitional_base": ("base", "mean_base_indexed"),
    # the transitional index: the person's I, 1, max(I, 1), or a separate transitional index (Jiangsu)
    "transitional_index": ("person", "one", "at_least_one", "separate"),
    "transitional_years": ("exact", "hundredth", "tenth_up", "hundredth_down", "whole_years"),
    # the months counted: deemed months only, or every month before personal accounts began (deemed or paid)
    "transitional_months": ("deemed", "before_accounts"),
}
"""The choices a formula row may make, by rule (the row's value names one per rule)."""

_YEAR_ROUNDING: dict[str, tuple[Decimal, str]] = {
    "hundredth": (CENT, ROUND_HALF_UP),
    "tenth_up": (TENTH, ROUND_CEILING),
    "hundredth_down": (CENT, ROUND_DOWN),
    "whole_years": (Decimal(1), ROUND_FLOOR),
}


def money(value: Decimal) -> Decimal:
    """Round to the cent, half-up (how benefit amounts are stated)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def years_of(months: int, rule: str) -> Decimal:
    """Months as years, rounded the way the province's notices state them (``exact``: not at all)."""
    years = Decimal(months) / Decimal(12)
    if rule == "exact":
        return years
    step, rounding = _YEAR_ROUNDING[rule]
    return years.quantize(step, rounding=rounding)


@dataclass(frozen=True)
class PensionFormula:
    """One province's pension formula (a ``pension_formula_<code>`` row of the parameters file)."""

    code: str
    name: str
    basic_years: str
    transitional_base: str
    transitional_index: str
    transitional_coefficient: Decimal
    transitional_years: str
    transitional_months: str
    status: str = "unconfirmed"
    source: str = ""
    name_en: str = ""

    @property
    def parameter(self) -> str:
        """The parameter's name, as the explanation and the warnings name it."""
        return f"pension_formula_{self.code}"

    @classmethod
    def from_row(cls, code: str, value: Mapping[str, Any], status: str, source: str) -> PensionFormula:
        """Build and check a row; a missing or unknown rule raises ValueError naming the rule and the value."""
        if not isinstance(value, Mapping):
            raise ValueError(f"pension_formula_{code}: value must be a table")
        rules: dict[str, str] = {}
        for rule, allowed in FORMULA_RULES.items():
            chosen = str(value.get(rule, ""))
            if chosen not in allowed:
                raise ValueError(f"pension_formula_{code}.{rule} = {chosen!r}: one of {', '.join(allowed)}")
            rules[rule] = chosen
        try:
            coefficient = Decimal(str(value.get("transitional_coefficient", "")))
        except InvalidOperation:
            coefficient = Decimal("NaN")
        if not coefficient.is_finite() or not Decimal(0) <= coefficient < Decimal(1):
            raise ValueError(f"pension_formula_{code}.transitional_coefficient = {value.get('transitional_coefficient')!r}: a number from 0 to 1")
        name = str(value.get("name") or code)
        return cls(code=code, name=name, name_en=str(value.get("name_en") or name), transitional_coefficient=coefficient,
                   status=status, source=source, **rules)


NATIONAL_FORMULA = PensionFormula("national", "国发〔2005〕38号", "exact", "base", "person", Decimal(0), "exact", "deemed",
                                  "confirmed", GUOFA_2005, "national (Guofa 2005 No. 38)")
"""The national formula with no transitional coefficient (a province sets it): the default of a bare call."""


@dataclass(frozen=True)
class Divisor:
    months: Decimal
    reason: Reason


def divisor_months(age_months: int, retire_month: Month | None = None) -> Divisor:
    """Divisor months for an age in months at retirement in ``retire_month``.

    Before 2025-01 the whole-year value of the age reached applies (50y6m -> 195);
    from then, and when no month is given (the current law), it is interpolated
    between whole years and rounded to 0.1 (60y1m -> 138.4).  Outside 40..70
    the table's end value applies, and the reason says so.
    """
    years, rest = divmod(age_months, 12)
    lo_age, hi_age = min(DIVISOR_MONTHS), max(DIVISOR_MONTHS)
    if years < lo_age or years > hi_age or (years == hi_age and rest):
        edge = lo_age if years < lo_age else hi_age
        return Divisor(
            Decimal(DIVISOR_MONTHS[edge]).quantize(TENTH),
            Reason("rules.divisor.clamped", {"age": format_age(age_months), "edge": edge}, DIVISOR_SOURCE),
        )
    low = Decimal(DIVISOR_MONTHS[years])
    if retire_month is not None and retire_month < DIVISOR_BY_MONTH_FROM:
        params = {"age": format_age(age_months), "month": str(retire_month), "from": str(DIVISOR_BY_MONTH_FROM), "value": low}
        return Divisor(low, Reason("rules.divisor.whole_year_before", params, DIVISOR_WHOLE_YEAR_SOURCE))
    high = Decimal(DIVISOR_MONTHS[min(years + 1, hi_age)])
    value = (low + (high - low) * Decimal(rest) / Decimal(12)).quantize(TENTH, rounding=ROUND_HALF_UP)
    code = "rules.divisor.whole" if rest == 0 else "rules.divisor.interpolated"
    return Divisor(value, Reason(code, {"age": format_age(age_months), "low": low, "high": high, "value": value}, DIVISOR_SOURCE))


@dataclass(frozen=True)
class PensionEstimate:
    basic: Decimal
    account: Decimal
    transitional: Decimal
    total: Decimal
    divisor_months: Decimal
    reasons: list[Reason] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    formula: PensionFormula = NATIONAL_FORMULA


def transitional_index(formula: PensionFormula, index: Decimal, separate: Decimal | None) -> Decimal:
    """The index the transitional part multiplies by, by the row's rule (a separate one must be given)."""
    rule = formula.transitional_index
    if rule == "separate":
        if separate is None:
            raise ValueError("this formula needs the separate transitional index")
        return separate
    if rule == "one":
        return Decimal(1)
    return max(index, Decimal(1)) if rule == "at_least_one" else index


def _transitional(base: Decimal, index: Decimal, months: int, formula: PensionFormula) -> tuple[Decimal, Reason]:
    years = years_of(months, formula.transitional_years)
    shown = {"base": base, "index": index, "years": years.quantize(CENT), "coefficient": formula.transitional_coefficient}
    if formula.transitional_base == "mean_base_indexed":
        value = money((base + base * index) / Decimal(2) * years * formula.transitional_coefficient)
        return value, Reason("rules.pension.transitional_mean", {**shown, "value": value}, formula.source)
    value = money(base * index * years * formula.transitional_coefficient)
    return value, Reason("rules.pension.transitional", {**shown, "value": value}, formula.source)


def _check(base: Decimal, index: Decimal, months: int, balance: Decimal, transition_months: int) -> None:
    if base < 0 or index < 0 or balance < 0 or months < 0 or transition_months < 0:
        raise ValueError("amounts, index and months must not be negative")
    if max(base, balance) > MAX_AMOUNT or index > MAX_INDEX or max(months, transition_months) > MAX_MONTHS:
        raise ValueError("amount, index or months beyond any real pension")


def estimate_pension(
    base: Decimal,
    index: Decimal,
    contribution_months: int,
    balance: Decimal,
    age_months: int,
    transition_months: int = 0,
    formula: PensionFormula = NATIONAL_FORMULA,
    retire_month: Month | None = None,
    separate_index: Decimal | None = None,
) -> PensionEstimate:
    """The monthly pension: basic + personal account + transitional, by ``formula``.

    ``transition_months`` are the months the row's transitional part counts
    (deemed months, or every month before personal accounts); ``retire_month``
    decides the divisor rule (whole years before 2025-01).  The first reason
    names the formula row and its source; an unconfirmed row is flagged.
    """
    _check(base, index, contribution_months, balance, transition_months)
    years = years_of(contribution_months, formula.basic_years)
    basic = money(base * (Decimal(1) + index) / Decimal(2) * years / Decimal(100))
    divisor = divisor_months(age_months, retire_month)
    account = money(balance / divisor.months)
    reasons = [
        Reason("rules.pension.formula", {"formula": formula.parameter, "name": formula.name, "name_en": formula.name_en,
                                         "status": formula.status}, formula.source),
        Reason("rules.pension.basic", {"base": base, "index": index, "years": years.quantize(CENT), "basic": basic}, GUOFA_2005),
        Reason("rules.pension.account", {"balance": balance, "divisor": divisor.months, "account": account}, GUOFA_2005),
        divisor.reason,
    ]
    transitional = Decimal("0.00")
    if transition_months:
        t_index = transitional_index(formula, index, separate_index)
        if t_index < 0 or t_index > MAX_INDEX:
            raise ValueError("transitional index beyond any real pension")
        transitional, why = _transitional(base, t_index, transition_months, formula)
        reasons.append(why)
    unconfirmed = [formula.parameter] if formula.status == "unconfirmed" else []
    total = basic + account + transitional
    return PensionEstimate(basic, account, transitional, total, divisor.months, reasons, unconfirmed, formula)
