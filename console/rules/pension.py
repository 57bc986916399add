"""Pension estimate (DOMAIN.md 6.7, 国发〔2005〕38号).

basic = C x (1 + I) / 2 x N x 1%; account = balance / divisor months;
transitional = C x I x N_deemed x coefficient (a provincial parameter).
Money is Decimal, rounded half-up to 0.01 yuan at the end of each part.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from console.rules.explain import Reason
from console.rules.months import format_age
from console.rules.policy import DIVISOR_MONTHS, DIVISOR_SOURCE, GUOFA_2005

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000")  # a billion yuan: far beyond any base or account balance
MAX_INDEX = Decimal("10")  # the index is capped at 3 by law; 10 leaves room for typos to be caught elsewhere
MAX_MONTHS = 1200  # a hundred years of contributions
TENTH = Decimal("0.1")


def money(value: Decimal) -> Decimal:
    """Round to the cent, half-up (how benefit amounts are stated)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Divisor:
    months: Decimal
    reason: Reason


def divisor_months(age_months: int) -> Divisor:
    """Divisor months for an age in months, interpolated between whole years
    and rounded to 0.1 (60y1m -> 138.4).  Outside 40..70 the table's end
    value applies, and the reason says so."""
    years, rest = divmod(age_months, 12)
    lo_age, hi_age = min(DIVISOR_MONTHS), max(DIVISOR_MONTHS)
    if years < lo_age or years > hi_age or (years == hi_age and rest):
        edge = lo_age if years < lo_age else hi_age
        return Divisor(
            Decimal(DIVISOR_MONTHS[edge]).quantize(TENTH),
            Reason("rules.divisor.clamped", {"age": format_age(age_months), "edge": edge}, DIVISOR_SOURCE),
        )
    low = Decimal(DIVISOR_MONTHS[years])
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


def _deemed_years(months: int, rounding: str) -> Decimal:
    years = Decimal(months) / Decimal(12)
    if rounding == "floor":
        return years.to_integral_value(rounding=ROUND_FLOOR)
    return years


def estimate_pension(
    base: Decimal,
    index: Decimal,
    contribution_months: int,
    balance: Decimal,
    age_months: int,
    transition_months: int = 0,
    transitional_coefficient: Decimal = Decimal("0"),
    transitional_rounding: str = "exact",
    coefficient_unconfirmed: bool = True,
) -> PensionEstimate:
    """The monthly pension: basic + personal account + transitional.

    ``transition_months`` are the deemed months before personal accounts; the
    province's coefficient and rounding of those years are parameters.
    """
    if base < 0 or index < 0 or balance < 0 or contribution_months < 0 or transition_months < 0:
        raise ValueError("amounts, index and months must not be negative")
    if max(base, balance) > MAX_AMOUNT or index > MAX_INDEX or max(contribution_months, transition_months) > MAX_MONTHS:
        raise ValueError("amount, index or months beyond any real pension")
    years = Decimal(contribution_months) / Decimal(12)
    basic = money(base * (Decimal(1) + index) / Decimal(2) * years / Decimal(100))
    divisor = divisor_months(age_months)
    account = money(balance / divisor.months)
    reasons = [
        Reason("rules.pension.basic", {"base": base, "index": index, "years": years.quantize(Decimal("0.01")), "basic": basic}, GUOFA_2005),
        Reason("rules.pension.account", {"balance": balance, "divisor": divisor.months, "account": account}, GUOFA_2005),
        divisor.reason,
    ]
    unconfirmed: list[str] = []
    transitional = Decimal("0.00")
    if transition_months:
        t_years = _deemed_years(transition_months, transitional_rounding)
        transitional = money(base * index * t_years * transitional_coefficient)
        reasons.append(
            Reason(
                "rules.pension.transitional",
                {"base": base, "index": index, "years": t_years.quantize(Decimal("0.01")), "coefficient": transitional_coefficient, "value": transitional},
                "transitional_coefficient",
            )
        )
        if coefficient_unconfirmed:
            unconfirmed += ["transitional_coefficient", "transitional_years_rounding"]
    total = basic + account + transitional
    return PensionEstimate(basic, account, transitional, total, divisor.months, reasons, unconfirmed)
