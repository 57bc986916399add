"""Benefit start (DOMAIN.md 6.6) and pension determination (6.7).

Expected values are computed by hand from DOMAIN.md:
  basic = C x (1 + I) / 2 x N x 1%; account = balance / divisor months;
  divisor by whole age from the table, interpolated for months and rounded
  to 0.1; money half-up to 0.01.
"""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from console.rules.benefit_start import benefit_start
from console.rules.months import Month
from console.rules.pension import divisor_months, estimate_pension, money
from console.settings import load_parameters


def m(text: str) -> Month:
    return Month.parse(text)


D = Decimal

# ------------------------------------------------------------------ benefit start


def test_normal_start_is_the_month_after() -> None:
    b = benefit_start(m("2026-11"))
    assert (str(b.month), b.arrears_months) == ("2026-12", 0)
    assert str(benefit_start(m("2026-12")).month) == "2027-01"  # across the year end


def test_approval_in_time_is_normal() -> None:
    b = benefit_start(m("2026-11"), approval_month=m("2026-11"), delay_cause="applicant")
    assert (str(b.month), b.arrears_months) == ("2026-12", 0)


def test_applicant_late_starts_after_approval_without_back_pay() -> None:
    b = benefit_start(m("2026-03"), approval_month=m("2026-07"), delay_cause="applicant")
    assert str(b.month) == "2026-08"
    assert b.arrears_months == 0


def test_office_delay_starts_after_retirement_with_arrears() -> None:
    # retired 2026-03, approved 2026-07 because of the office: paid from 2026-04;
    # 2026-04, 05, 06, 07 are owed as arrears (the first regular month is 2026-08).
    b = benefit_start(m("2026-03"), approval_month=m("2026-07"), delay_cause="office")
    assert str(b.month) == "2026-04"
    assert b.arrears_months == 4


def test_unknown_delay_cause_refused() -> None:
    with pytest.raises(ValueError):
        benefit_start(m("2026-03"), m("2026-05"), delay_cause="weather")


def test_benefit_rule_is_a_flagged_parameter() -> None:
    p = load_parameters().get("benefit_start_rule")
    assert p.value == "late_no_backpay"
    assert p.unconfirmed


# ------------------------------------------------------------------ divisor months

WHOLE = {
    40: 233, 41: 230, 42: 226, 43: 223, 44: 220, 45: 216, 46: 212, 47: 207, 48: 204, 49: 199,
    50: 195, 51: 190, 52: 185, 53: 180, 54: 175, 55: 170, 56: 164, 57: 158, 58: 152, 59: 145,
    60: 139, 61: 132, 62: 125, 63: 117, 64: 109, 65: 101, 66: 93, 67: 84, 68: 75, 69: 65, 70: 56,
}  # copied from DOMAIN.md 6.7


@pytest.mark.parametrize(("years", "months"), sorted(WHOLE.items()))
def test_divisor_whole_ages(years: int, months: int) -> None:
    assert divisor_months(years * 12).months == D(months)


@pytest.mark.parametrize(
    ("age_months", "expected"),
    [
        (60 * 12 + 1, "138.4"),  # confirmed locally
        (50 * 12 + 1, "194.6"),  # confirmed locally
        (60 * 12 + 5, "136.1"),  # 139 - 7*5/12 = 136.083
        (60 * 12 + 6, "135.5"),  # 139 - 3.5
        (55 * 12 + 4, "168.0"),  # 170 - 6*4/12 = 168
        (50 * 12 + 7, "192.1"),  # 195 - 5*7/12 = 192.083
        (62 * 12 + 11, "117.7"),  # 125 - 8*11/12 = 117.667
        (57 * 12 + 11, "152.5"),  # 158 - 6*11/12 = 152.5
    ],
)
def test_divisor_interpolated(age_months: int, expected: str) -> None:
    assert divisor_months(age_months).months == D(expected)


def test_divisor_63_is_117() -> None:
    assert divisor_months(63 * 12).months == D("117")


# ------------------------------------------------------------------ pension


def test_basic_and_account_plain_case() -> None:
    # C=8000, I=0.6, N=15 years: 8000 * 1.6 / 2 * 15 * 1% = 960.00
    # balance 139000 at 60y: 139000 / 139 = 1000.00
    est = estimate_pension(D("8000"), D("0.6"), 180, D("139000"), 60 * 12)
    assert est.basic == D("960.00")
    assert est.account == D("1000.00")
    assert est.transitional == D("0.00")
    assert est.total == D("1960.00")
    assert str(est.basic) == "960.00"  # two decimals even when whole


def test_basic_rounds_half_up_at_half_a_cent() -> None:
    # C=1001, I=0, N=1 year: 1001 * 1 / 2 * 1 * 1% = 5.005 -> 5.01 (half-even would give 5.00)
    est = estimate_pension(D("1001"), D("0"), 12, D("0"), 60 * 12)
    assert est.basic == D("5.01")
    # C=101: 0.505 -> 0.51
    assert estimate_pension(D("101"), D("0"), 12, D("0"), 60 * 12).basic == D("0.51")


def test_account_rounds_half_up_at_half_a_cent() -> None:
    # 13900.695 / 139 = 100.005 exactly -> 100.01
    est = estimate_pension(D("0"), D("0"), 0, D("13900.695"), 60 * 12)
    assert est.account == D("100.01")


def test_account_uses_interpolated_divisor() -> None:
    # 60y1m: divisor 138.4; 138400 / 138.4 = 1000.00
    est = estimate_pension(D("0"), D("0"), 0, D("138400"), 60 * 12 + 1)
    assert est.divisor_months == D("138.4")
    assert est.account == D("1000.00")


def test_basic_counts_months_as_fractional_years() -> None:
    # N = 185 months = 15.41666 years; C=6000, I=1: 6000 * 2 / 2 * 15.41666 / 100 = 925.00
    est = estimate_pension(D("6000"), D("1"), 185, D("0"), 60 * 12)
    assert est.basic == D("925.00")


def test_transitional_uses_the_formulas_coefficient() -> None:
    # C=8000, I=1, 10 deemed years, coefficient 0.012: 8000 * 1 * 10 * 0.012 = 960.00
    im = load_parameters().pension_formula("neimenggu")
    est = estimate_pension(D("8000"), D("1"), 240, D("0"), 60 * 12, 120, im)
    assert est.transitional == D("960.00")
    # another coefficient gives another amount: it is really read
    other = estimate_pension(D("8000"), D("1"), 240, D("0"), 60 * 12, 120, replace(im, transitional_coefficient=D("0.013")))
    assert other.transitional == D("1040.00")
    assert est.total == est.basic + est.account + est.transitional


def test_no_transitional_months_no_unconfirmed_flag() -> None:
    est = estimate_pension(D("8000"), D("1"), 240, D("0"), 60 * 12)
    assert est.unconfirmed == []


def test_an_unconfirmed_formula_row_is_flagged() -> None:
    im = replace(load_parameters().pension_formula("neimenggu"), status="unconfirmed")
    est = estimate_pension(D("8000"), D("1"), 240, D("0"), 60 * 12, 120, im)
    assert est.unconfirmed == ["pension_formula_neimenggu"]


def test_negative_amounts_refused() -> None:
    with pytest.raises(ValueError):
        estimate_pension(D("-1"), D("1"), 12, D("0"), 720)


def test_money_half_up() -> None:
    assert money(D("2.345")) == D("2.35")
    assert money(D("2.344")) == D("2.34")
    assert str(money(D("2400"))) == "2400.00"
