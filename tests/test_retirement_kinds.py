"""Other retirement types and extended contribution (issue 15, Deliver 3 and 4).

Each table row has its source and status; the CLI answers as the published
2025 notices do; a kind without a confirmed rule says so (exit 0, a flag).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from typer.testing import CliRunner

from console import i18n
from console.cli import app
from console.cli_support import OPTIONS
from console.rules.contribution_minimum import extended_contribution
from console.rules.eligibility import assess
from console.rules.intervals import Period
from console.rules.months import Month
from console.rules.policy import KIND_AGE_RULES, REPORTED, SPECIAL_WORK_YEARS, UNCONFIRMED
from console.rules.retirement_facts import PersonFacts, compute_facts
from console.rules.retirement_kinds import KindDetails, kind_retirement
from console.settings import load_parameters


@pytest.fixture(autouse=True)
def _fresh_globals(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(i18n, "_current", None)
    monkeypatch.setattr(OPTIONS, "lang", None)
    monkeypatch.setattr(OPTIONS, "db", None)
    monkeypatch.delenv("RETIRE_LANG", raising=False)
    monkeypatch.delenv("RETIRE_PARAMETERS", raising=False)
    yield


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def as_json(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout)


# ------------------------------------------------------------------ the tables


def test_special_work_years_per_kind_of_work_have_sources() -> None:
    assert {k: r.years for k, r in SPECIAL_WORK_YEARS.items()} == {
        "high_altitude": 10, "heavy_manual": 10, "underground": 9, "high_temperature": 9, "other_harmful": 8}
    for row in SPECIAL_WORK_YEARS.values():
        assert row.status == REPORTED and "津人社局发〔2016〕31号" in row.source


def test_every_kind_and_sex_has_one_age_rule_with_source_and_status() -> None:
    keys = [(r.kind, r.sex) for r in KIND_AGE_RULES]
    assert sorted(keys) == sorted((k, s) for k in ("special_work", "illness", "work_injury") for s in "MF")
    for r in KIND_AGE_RULES:
        assert r.source and r.status in (REPORTED, UNCONFIRMED)
        assert (r.band is None) == (r.status == UNCONFIRMED)
    ages = {(r.kind, r.sex): r.original_age_months for r in KIND_AGE_RULES}
    assert ages == {("special_work", "M"): 660, ("special_work", "F"): 540, ("illness", "M"): 600,
                    ("illness", "F"): 540, ("work_injury", "M"): None, ("work_injury", "F"): None}


@pytest.mark.parametrize(("birth", "age", "month"), [
    ("1969-12", "55y0m", "2024-12"),  # before the reform
    ("1970-07", "55y2m", "2025-09"),  # Tianjin's published notice
    ("1970-11", "55y3m", "2026-02"),  # Suzhou's
])
def test_special_work_men_are_delayed_on_the_original_55_schedule(birth: str, age: str, month: str) -> None:
    r = kind_retirement("special_work", "M", Month.parse(birth), KindDetails(special_work_months=120))
    assert (r.age, str(r.month), r.status, r.manual_review) == (age, month, REPORTED, False)


def test_special_years_short_of_the_kind_of_work_is_unmet() -> None:
    r = kind_retirement("special_work", "M", Month.parse("1970-07"), KindDetails(special_work="underground", special_work_months=9 * 12 - 1))
    assert [f.code for f in r.findings if f.severity == "unmet"] == ["rules.kind.special_years_short"]
    ok = kind_retirement("special_work", "M", Month.parse("1970-07"), KindDetails(special_work="underground", special_work_months=9 * 12))
    assert not [f for f in ok.findings if f.severity == "unmet"]


def test_without_the_kind_of_work_the_strictest_applies() -> None:
    r = kind_retirement("special_work", "M", Month.parse("1970-07"), KindDetails(special_work_months=9 * 12))
    assert [f.code for f in r.findings if f.severity == "unmet"] == ["rules.kind.special_years_short"]
    assert r.required_special_months == 120


def test_illness_needs_the_appraisal_and_is_unconfirmed() -> None:
    r = kind_retirement("illness", "F", Month.parse("1980-03"), KindDetails())
    assert (r.age, str(r.month), r.status, r.manual_review) == ("45y0m", "2025-03", UNCONFIRMED, True)
    assert "rules.kind.appraisal_missing" in [f.code for f in r.findings]
    done = kind_retirement("illness", "F", Month.parse("1980-03"), KindDetails(appraisal_ref="包劳鉴〔2025〕12号"))
    assert "rules.kind.appraisal_missing" not in [f.code for f in done.findings]


def test_work_injury_has_no_age_condition() -> None:
    r = kind_retirement("work_injury", "M", Month.parse("1975-03"), KindDetails(determination_ref="工伤认定2024-3"))
    assert r.age_months is None and r.month is None and r.manual_review


# ------------------------------------------------------------------ calc retirement --kind


def test_calc_special_work_tianjin() -> None:
    data = as_json(invoke("calc", "retirement", "--birth", "1970-07", "--group", "male", "--kind", "special_work",
                          "--special-years", "10", "--json"))
    assert (data["kind"], data["statutory_age"], data["statutory_month"], data["chosen_month"]) == ("special_work", "55y2m", "2025-09", "2025-09")
    assert "天津" in data["policy_source"] and data["kind_rule_status"] == "reported"
    assert data["manual_review"] is False


@pytest.mark.parametrize("kind", ["illness", "injury"])
def test_calc_unconfirmed_kind_says_so_and_exits_0(kind: str) -> None:
    result = invoke("--lang", "en", "calc", "retirement", "--birth", "1975-03", "--group", "male", "--kind", kind, "--json")
    data = as_json(result)
    assert data["manual_review"] is True and data["kind_rule_status"] == "unconfirmed"
    assert data["kind"] == ("work_injury" if kind == "injury" else "illness")
    assert any("not confirmed" in line for line in data["explanation"])
    table = invoke("--lang", "en", "calc", "retirement", "--birth", "1975-03", "--group", "male", "--kind", kind)
    assert table.exit_code == 0 and "manual review" in table.stdout


def test_calc_special_work_needs_its_years() -> None:
    result = invoke("calc", "retirement", "--birth", "1970-07", "--group", "male", "--kind", "special_work")
    assert result.exit_code == 2 and "--special-years" in result.stderr


def test_calc_bad_kind_exits_2() -> None:
    result = invoke("calc", "retirement", "--birth", "1970-07", "--group", "male", "--kind", "arduous")
    assert result.exit_code == 2 and "Traceback" not in result.stdout + result.stderr


def test_calc_special_years_short_is_refused() -> None:
    result = invoke("calc", "retirement", "--birth", "1970-07", "--group", "male", "--kind", "special_work",
                    "--special-years", "7", "--work", "underground")
    assert result.exit_code == 1 and "9" in result.stderr


# ------------------------------------------------------------------ extended contribution


def test_extended_contribution_month_and_one_off() -> None:
    e = extended_contribution(Month.parse("2024-07"), 180, 138, True)
    assert e is not None and (e.short_months, str(e.met_month), e.one_off_open) == (42, "2028-01", True)
    assert extended_contribution(Month.parse("2024-07"), 180, 138, False).one_off_open is False  # type: ignore[union-attr]
    assert extended_contribution(Month.parse("2024-07"), 180, 180, True) is None


def test_calc_female50_short_gets_an_extended_month_beyond_36() -> None:
    data = as_json(invoke("calc", "retirement", "--birth", "1974-07", "--group", "female50", "--contribution-months", "138",
                          "--insured-before-2011-07", "--json"))
    assert data["statutory_month"] == "2024-07" and data["latest_month"] == "2027-07"
    assert (data["short_at_statutory_months"], data["extended_contribution_month"], data["one_off_payment_open"]) == (42, "2028-01", True)
    then = as_json(invoke("calc", "retirement", "--birth", "1974-07", "--group", "female50", "--contribution-months", "138",
                          "--retire-at", "2028-01", "--json"))
    assert (then["chosen_month"], then["retire_kind"]) == ("2028-01", "extended_contribution")
    assert then["one_off_payment_open"] is None  # not said whether insured before 2011-07


def test_calc_beyond_36_without_the_shortfall_is_still_refused() -> None:
    assert invoke("calc", "retirement", "--birth", "1974-07", "--group", "female50", "--retire-at", "2028-01").exit_code == 1
    other = invoke("calc", "retirement", "--birth", "1974-07", "--group", "female50", "--contribution-months", "138", "--retire-at", "2028-02")
    assert other.exit_code == 1


# ------------------------------------------------------------------ the facts and the assessment


def _person(sex: str = "F", paid_to: str = "2024-07") -> PersonFacts:
    from datetime import date

    return PersonFacts(sex=sex, id_birth=date(1974, 7, 15), periods=(Period(Month.parse("2013-02"), Month.parse(paid_to), "actual", "150222"),),
                       insured_before_2011_07=False)


def test_facts_carry_the_extended_contribution() -> None:
    facts = compute_facts(_person(), load_parameters())
    d = facts.as_dict()
    assert (d["short_at_statutory_months"], d["extended_contribution_month"], d["one_off_payment_open"]) == (42, "2028-01", False)
    chosen = compute_facts(_person(), load_parameters(), chosen_month=Month.parse("2028-01"))
    assert chosen.choice is not None and chosen.choice.allowed and chosen.choice.kind == "extended_contribution"


def test_facts_and_assessment_of_a_special_work_case() -> None:
    from datetime import date

    person = PersonFacts(sex="M", id_birth=date(1970, 7, 3), periods=(Period(Month.parse("1990-01"), Month.parse("2025-08"), "actual", "150222"),))
    facts = compute_facts(person, load_parameters(), kind="special_work", kind_details=KindDetails("underground", 9 * 12))
    d = facts.as_dict()
    assert (d["kind"], d["statutory_age"], d["statutory_month"], d["kind_rule_status"]) == ("special_work", "55y2m", "2025-09", "reported")
    a = assess(person, facts, "special_work", Month.parse("2025-09"), received=("personal_archive", "id_card_hukou", "ssc_card", "special_work_records"))
    assert a.decision == "manual_review" and "rules.elig.kind_reported" in [f.code for f in a.findings]
    unconfirmed = compute_facts(person, load_parameters(), kind="illness", kind_details=KindDetails())
    b = assess(person, unconfirmed, "illness", Month.parse("2025-09"))
    assert b.decision == "manual_review" and "rules.elig.kind_unconfirmed" in [f.code for f in b.findings]


# ------------------------------------------------------------------ the services carry the kind and its details


def test_open_case_carries_the_special_work_details_into_the_facts(db, staff) -> None:  # type: ignore[no-untyped-def]
    from console.services import case_kinds, intake
    from console.services.prereview import record
    from db import audit
    from tests.workflow_helpers import BASIC_MATERIALS, PRE_REVIEW, TODAY, applicant

    clerk = staff("carol", "clerk", "hrss_reviewer")
    case = intake.open_case(db, clerk, applicant(), "special_work", [], [*BASIC_MATERIALS, "special_work_records"], today=TODAY,
                            details={"special_work": "underground", "special_years": "9.5"})
    assert case["kind_details"] == {"special_work": "underground", "special_work_months": 114}
    result = record(db, clerk, case["case_no"], PRE_REVIEW["archive_records"], PRE_REVIEW["periods"], today=TODAY)
    assert result.facts["kind"] == "special_work" and result.facts["kind_details"]["special_work_months"] == 114
    assert result.facts["special_work_months_required"] == 108
    case_kinds.record_kind_details(db, clerk, case["case_no"], {"special_work": "high_altitude", "special_years": "9.5"})
    again = record(db, clerk, case["case_no"], PRE_REVIEW["archive_records"], PRE_REVIEW["periods"], today=TODAY)
    assert "rules.kind.special_years_short" in [f["code"] for f in again.facts["findings"]]
    assert [r["action"] for r in audit.rows_for_case(db, case["id"])].count("case.kind_details") == 1


@pytest.mark.parametrize("details", [{"special_years": "ten"}, {"special_years": "61"}, {"special_work": "mining"}])
def test_bad_kind_details_are_refused_at_the_door(db, staff, details) -> None:  # type: ignore[no-untyped-def]
    from console.errors import BadInput
    from console.services import intake
    from tests.workflow_helpers import TODAY, applicant

    clerk = staff("carol", "clerk", "hrss_reviewer")
    with pytest.raises(BadInput):
        intake.open_case(db, clerk, applicant(), "special_work", today=TODAY, details=details)


# ------------------------------------------------------------------ the pipeline flags them early


def test_upcoming_names_the_extended_contribution_month(db, staff) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from console.services import upcoming as up
    from tests.test_upcoming import add_person

    clerk = staff("carol", "clerk", "hrss_reviewer")
    # a female50 worker born 1976-01: statutory 2026-08 at 50y7m; 138 county months paid by then, minimum 180
    number = add_person(db, date(1976, 1, 15), 12, periods=[("2015-03", "2026-08", "actual", "150222")])
    rows = up.list_upcoming(db, clerk, months=3, first="2026-07", today=date(2026, 7, 1))
    row = next(r for r in rows if r["id_number"] == number)
    assert (row["statutory_month"], row["short_months"]) == ("2026-08", 42)
    assert row["extended_month"] == "2030-02"
    text = up.reminder_text(db, clerk, number, "en")
    assert "2030-02" in text and "extended contribution" in text
    assert "2030-02" in up.reminder_text(db, clerk, number, "zh")


def test_each_type_names_its_own_paper_with_the_rule_it_serves() -> None:
    from console.rules.materials import required_materials

    own = {kind: [m for m in required_materials(kind) if m.kinds == (kind,)] for kind in ("special_work", "illness", "work_injury")}
    assert {k: [m.code for m in v] for k, v in own.items()} == {
        "special_work": ["special_work_records"], "illness": ["disability_appraisal"], "work_injury": ["work_injury_appraisal"]}
    assert "第一条（二）" in own["special_work"][0].source and "津人社局发" in own["special_work"][0].source
    assert "第一条（三）" in own["illness"][0].source and "工伤保险条例" in own["work_injury"][0].source
