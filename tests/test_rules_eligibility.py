"""Eligibility and the one-time correction notice (DOMAIN.md 3, 4, 6)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pytest

from console.rules.birth_date import ArchiveRecord
from console.rules.eligibility import Assessment, assess
from console.rules.intervals import Period
from console.rules.months import Month
from console.rules.parameters import LocalParameters
from console.rules.retirement_facts import PersonFacts, RetirementFacts, compute_facts
from console.settings import load_parameters

NORMAL_MATERIALS = ("personal_archive", "id_card_hukou", "ssc_card")


def m(text: str) -> Month:
    return Month.parse(text)


def period(a: str, b: str, kind: str = "actual", place: str = "") -> Period:
    return Period(m(a), m(b), kind, place)


@pytest.fixture(scope="module")
def params() -> LocalParameters:
    return load_parameters()


def run(
    person: PersonFacts, params: LocalParameters, kind: str, applied: str,
    received: Iterable[str] = (), joint: Iterable[str] = (), chosen: str | None = None,
) -> tuple[RetirementFacts, Assessment]:
    facts = compute_facts(person, params, chosen_month=m(chosen) if chosen else None)
    return facts, assess(person, facts, kind, m(applied), received, joint)


def unmet_and_missing(a: Assessment) -> set[str]:
    return {f.code for f in a.findings if f.severity in ("unmet", "missing")}


# A man born 1966-06-15: statutory 60y5m -> 2026-11; minimum 180 (2026).
MAN_BIRTH = date(1966, 6, 15)
MAN_ARCHIVE = (
    ArchiveRecord("school_record", date(1975, 9, 1), MAN_BIRTH),
    ArchiveRecord("recruitment_form", date(1984, 12, 1), MAN_BIRTH),
)


def normal_man(**kw: Any) -> PersonFacts:
    data: dict[str, Any] = dict(
        sex="M",
        id_birth=MAN_BIRTH,
        staff_category="worker",
        archive_records=MAN_ARCHIVE,
        # deemed 1985-01..1995-12 (132), actual 1996-01..2026-10 in the county
        periods=(period("1985-01", "1995-12", "deemed"), period("1996-01", "2026-10", place="150222")),
    )
    data.update(kw)
    return PersonFacts(**data)


def test_complete_normal_case_is_accepted(params: LocalParameters) -> None:
    facts, a = run(normal_man(), params, "normal", "2026-10", NORMAL_MATERIALS)
    assert facts.statutory is not None and str(facts.statutory.statutory_month) == "2026-11"
    assert facts.benefit is not None and str(facts.benefit.month) == "2026-12"
    assert facts.contributions.total_months == 132 + 370
    assert a.decision == "accept", [f.code for f in a.findings]
    assert a.eligible and a.complete
    assert a.counted_months == 502
    assert a.required_months == 180


def test_everything_wrong_is_listed_at_once(params: LocalParameters) -> None:
    # man born 1970-01-20: statutory 61y4m -> 2031-05, so 2031's 192 months apply;
    # 120 months paid; applies in 2026-03 with only the ID card.
    born = date(1970, 1, 20)
    person = PersonFacts(
        sex="M",
        id_birth=born,
        archive_records=(ArchiveRecord("school_record", date(1978, 9, 1), born),),
        periods=(period("2000-01", "2009-12"),),
    )
    facts, a = run(person, params, "normal", "2026-03", ("id_card_hukou",))
    assert str(facts.retire_month) == "2031-05"
    assert unmet_and_missing(a) == {
        "rules.elig.age_not_reached",
        "rules.elig.short_contribution",
        "materials.personal_archive",
        "materials.ssc_card",
    }
    short = next(f for f in a.findings if f.code == "rules.elig.short_contribution")
    assert (int(short.params["have"]), int(short.params["need"]), int(short.params["short"])) == (120, 192, 72)
    assert a.decision == "correct"
    assert not a.eligible and not a.complete


def test_applying_two_months_before_the_age_is_too_early(params: LocalParameters) -> None:
    _, before = run(normal_man(), params, "normal", "2026-09", NORMAL_MATERIALS)
    assert "rules.elig.age_not_reached" in {f.code for f in before.unmet}
    assert before.decision == "correct"


def test_short_with_months_outside_the_county_needs_transfer(params: LocalParameters) -> None:
    person = normal_man(
        periods=(period("2007-01", "2016-12", place="150222"), period("2017-01", "2026-10", place="110101")),
    )
    _, a = run(person, params, "normal", "2026-10", NORMAL_MATERIALS)
    codes = {f.code for f in a.findings}
    assert {"rules.elig.short_contribution", "rules.elig.transfer_needed"} <= codes
    assert a.counted_months == 120
    transfer = next(f for f in a.findings if f.code == "rules.elig.transfer_needed")
    assert int(transfer.params["outside"]) == 118
    assert a.decision == "correct"


# A flexible-worker woman of the 50 group born 1976-01-05: statutory 50y7m -> 2026-08; 180 months.
WOMAN_BIRTH = date(1976, 1, 5)


def lost_archive_woman(**kw: Any) -> PersonFacts:
    data: dict[str, Any] = dict(
        sex="F",
        id_birth=WOMAN_BIRTH,
        staff_category="flexible",
        archive_lost=True,
        # 72 deemed months (claimed) + 156 actual months in the county = 228 in all
        periods=(period("1990-01", "1995-12", "deemed"), period("2013-08", "2026-07")),
    )
    data.update(kw)
    return PersonFacts(**data)


LOST_MATERIALS_EMPLOYER = {
    "materials.id_card_hukou",
    "materials.ssc_card",
    "materials.lost_archive_application",
    "materials.personal_commitment",
    "materials.contribution_certificate",
    "materials.employer_loss_statement",
}


def test_lost_archive_counts_actual_county_months_only(params: LocalParameters) -> None:
    all_in = tuple(c.removeprefix("materials.") for c in LOST_MATERIALS_EMPLOYER)
    facts, a = run(lost_archive_woman(), params, "lost_archive", "2026-07", all_in)
    assert facts.group == "female50"
    assert str(facts.retire_month) == "2026-08"
    assert a.counted_months == 156  # not 228: the commitment is to ACTUAL years
    short = next(f for f in a.findings if f.code == "rules.elig.short_contribution")
    assert int(short.params["short"]) == 24
    # enough actual months -> accepted on contributions and materials
    enough = lost_archive_woman(periods=(period("1990-01", "1995-12", "deemed"), period("2011-08", "2026-07")))
    _, b = run(enough, params, "lost_archive", "2026-07", all_in)
    assert b.counted_months == 180
    assert unmet_and_missing(b) == set()
    assert b.needs_review  # the lost archive cannot give the earliest birth record


def test_lost_archive_materials_with_and_without_employer(params: LocalParameters) -> None:
    _, a = run(lost_archive_woman(), params, "lost_archive", "2026-07")
    assert {f.code for f in a.findings if f.severity == "missing"} == LOST_MATERIALS_EMPLOYER
    _, b = run(lost_archive_woman(has_employer=False), params, "lost_archive", "2026-07")
    assert {f.code for f in b.findings if f.severity == "missing"} == LOST_MATERIALS_EMPLOYER - {"materials.employer_loss_statement"}


def test_lost_archive_is_not_asked_for_the_archive(params: LocalParameters) -> None:
    _, a = run(lost_archive_woman(), params, "lost_archive", "2026-07")
    codes = {f.code for f in a.findings}
    assert "materials.personal_archive" not in codes
    assert not any(c.startswith("rules.archive.") for c in codes)


def test_normal_kind_with_lost_archive_is_refused(params: LocalParameters) -> None:
    _, a = run(lost_archive_woman(), params, "normal", "2026-07", NORMAL_MATERIALS)
    assert "rules.elig.archive_lost_use_kind" in {f.code for f in a.unmet}


def test_lost_archive_only_for_flexible_workers(params: LocalParameters) -> None:
    _, a = run(lost_archive_woman(staff_category="worker"), params, "lost_archive", "2026-07")
    assert "rules.elig.lost_archive_flexible_only" in {f.code for f in a.unmet}


def test_health_joint_item_needs_one_child_certificate(params: LocalParameters) -> None:
    _, without = run(normal_man(), params, "normal", "2026-10", NORMAL_MATERIALS, ("health",))
    assert {f.code for f in without.missing} == {"materials.one_child_certificate"}
    assert without.decision == "correct"
    _, with_it = run(normal_man(), params, "normal", "2026-10", NORMAL_MATERIALS + ("one_child_certificate",), ("health",))
    assert with_it.decision == "accept"
    # medical insurance needs nothing extra
    _, medical = run(normal_man(), params, "normal", "2026-10", NORMAL_MATERIALS, ("medical",))
    assert medical.decision == "accept"


def test_deemed_period_without_engagement_evidence_is_missing(params: LocalParameters) -> None:
    person = normal_man(archive_records=(ArchiveRecord("school_record", date(1975, 9, 1), MAN_BIRTH),))
    _, a = run(person, params, "normal", "2026-10", NORMAL_MATERIALS)
    assert "rules.archive.deemed_start_evidence" in {f.code for f in a.missing}
    assert a.decision == "correct"


def test_early_retirement_without_minimum_refused(params: LocalParameters) -> None:
    # chooses 2026-06 (age 60) with only 2014-01..2026-05 paid (149 months) < 180
    person = normal_man(periods=(period("2014-01", "2026-05"),))
    _, a = run(person, params, "normal", "2026-05", NORMAL_MATERIALS, chosen="2026-06")
    assert "rules.flex.early_needs_minimum" in {f.code for f in a.unmet}


def test_unconfirmed_parameters_named_on_the_facts(params: LocalParameters) -> None:
    facts = compute_facts(normal_man(), params)
    assert "personal_contribution_start" in facts.unconfirmed  # the person has a deemed period
    assert "benefit_start_rule" in facts.unconfirmed


def test_other_kinds_go_to_manual_review(params: LocalParameters) -> None:
    _, a = run(normal_man(), params, "special_work", "2026-10", NORMAL_MATERIALS + ("special_work_records",))
    assert a.decision == "manual_review"


@pytest.mark.parametrize(("before_2011", "code"), [(True, "rules.elig.lump_sum_possible"), (False, "rules.elig.extend_contribution")])
def test_short_at_statutory_age_offers_the_ways_to_make_it_up(params: LocalParameters, before_2011: bool, code: str) -> None:
    # 2016-01..2026-10 = 130 months: 50 short of 180
    person = normal_man(periods=(period("2016-01", "2026-10"),), insured_before_2011_07=before_2011)
    _, a = run(person, params, "normal", "2026-10", NORMAL_MATERIALS)
    found = {f.code: f for f in a.findings}
    assert found["rules.elig.short_contribution"].severity == "unmet"
    assert int(found["rules.elig.short_contribution"].params["short"]) == 50
    assert code in found


# Paid months inside a recorded deemed period are not a break (DOMAIN.md 6.5b b).
def test_actual_months_inside_a_deemed_period_are_not_a_break(params: LocalParameters) -> None:
    person = normal_man(
        periods=(
            period("1985-01", "1995-12", "deemed"),
            period("1993-01", "1993-12"),
            period("1996-01", "2026-10", place="150222"),
        )
    )
    _, a = run(person, params, "normal", "2026-10", NORMAL_MATERIALS)
    codes = {f.code for f in a.findings}
    assert "rules.archive.deemed_break" not in codes
    assert "rules.archive.deemed_start_evidence" not in codes
    assert a.decision == "accept"


def test_a_real_break_between_deemed_periods_is_listed(params: LocalParameters) -> None:
    records = MAN_ARCHIVE + (ArchiveRecord("transfer_letter", date(1991, 12, 1), None),)
    person = normal_man(
        archive_records=records,
        periods=(
            period("1985-01", "1989-12", "deemed"),
            period("1992-01", "1995-12", "deemed"),
            period("1996-01", "2026-10", place="150222"),
        ),
    )
    _, a = run(person, params, "normal", "2026-10", NORMAL_MATERIALS)
    breaks = [f for f in a.findings if f.code == "rules.archive.deemed_break"]
    assert [(str(f.params["from"]), str(f.params["to"])) for f in breaks] == [("1990-01", "1991-12")]
    assert "rules.archive.deemed_start_evidence" not in {f.code for f in a.findings}
