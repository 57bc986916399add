"""Intake use-cases: open, accept, ask for correction, resume, refuse; refusals; audit; the working-day clock."""
from __future__ import annotations

import json
from datetime import date

import pytest

from console.errors import BadInput, NotFound, PermissionDenied, Refused, StaleVersion
from console.rules.eligibility import assess
from console.rules.months import Month
from console.rules.retirement_facts import compute_facts
from console.rules.workdays import WorkCalendar
from console.services import intake, prereview
from console.services.identity import resolve_actor
from console.services.person_facts import person_facts
from console.settings import load_parameters
from db import notices as notices_db
from db import persons as persons_db
from tests.workflow_helpers import (
    BASIC_MATERIALS,
    TODAY,
    accepted_case,
    applicant,
    audit_actions,
    audit_count,
    case_row,
    open_case,
    ready_case,
    record_prereview,
    task_statuses,
)

D = date.fromisoformat


@pytest.fixture
def clerk(staff):
    return staff("carol", "clerk", "hrss_reviewer")


# -- open ---------------------------------------------------------------------------


def test_open_case_creates_a_draft_with_checklist_due_date_and_audit(db, clerk) -> None:
    before = audit_count(db)
    case = intake.open_case(db, clerk, applicant(), "normal", ["medical"], ["id_card_hukou"], today=TODAY)
    assert case["case_no"] == "GY-2026-000001"
    assert case["status"] == "draft"
    assert case["version"] == 1
    assert case["joint_items"] == ["medical"]
    assert case["received_at"].startswith("2026-11-02T")
    cal = WorkCalendar()
    assert case["due_date"] == cal.add_working_days(TODAY, 20)[0].isoformat() == "2026-11-30"
    from db import cases as cases_db

    mats = {m["code"]: bool(m["received"]) for m in cases_db.materials(db, case["id"])}
    assert mats == {"id_card_hukou": True, "personal_archive": False, "ssc_card": False}
    assert audit_actions(db)[before:] == ["person.register", "case.open"]
    person = persons_db.get(db, case["person_id"])
    assert person is not None and person["name_initials"] == "zs" and person["sex"] == "M"


def test_case_numbers_are_sequential(db, clerk) -> None:
    a = open_case(db, clerk, seq=11)
    b = open_case(db, clerk, seq=13, name="李四")
    assert (a, b) == ("GY-2026-000001", "GY-2026-000002")


@pytest.mark.parametrize(
    "kw, key",
    [
        ({"id_number": "150222196606150119"}, "intake.bad_id"),  # checksum
        ({"id_number": "12345"}, "intake.bad_id"),
        ({"name": "  "}, "intake.no_name"),
        ({"staff_category": "boss"}, "intake.bad_category"),
        ({"female_group": "female50"}, "intake.female_group_for_man"),
        ({"employer_code": "123"}, "intake.bad_credit_code"),
    ],
)
def test_open_case_bad_applicant_is_bad_input_and_writes_nothing(db, clerk, kw, key) -> None:
    a = applicant()
    for k, v in kw.items():
        setattr(a, k, v)
    before = audit_count(db)
    with pytest.raises(BadInput) as info:
        intake.open_case(db, clerk, a, today=TODAY)
    assert info.value.key == key
    assert audit_count(db) == before
    assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM persons").fetchone()[0] == 0


@pytest.mark.parametrize(
    "kind, joint, received, key",
    [
        ("retire_early", [], [], "intake.bad_kind"),
        ("normal", ["pets"], [], "intake.bad_joint_item"),
        ("normal", [], ["passport"], "intake.bad_material"),
    ],
)
def test_open_case_bad_kind_joint_item_material(db, clerk, kind, joint, received, key) -> None:
    before = audit_count(db)
    with pytest.raises(BadInput) as info:
        intake.open_case(db, clerk, applicant(), kind, joint, received, today=TODAY)
    assert info.value.key == key
    assert audit_count(db) == before
    # a failed intake gives its case number back
    assert open_case(db, clerk) == "GY-2026-000001"


def test_open_case_bad_chosen_month(db, clerk) -> None:
    with pytest.raises(BadInput):
        intake.open_case(db, clerk, applicant(), chosen_month="2026-13", today=TODAY)


def test_second_open_case_for_the_same_person_is_refused(db, clerk) -> None:
    first = open_case(db, clerk)
    before = audit_count(db)
    with pytest.raises(Refused) as info:
        open_case(db, clerk)
    assert info.value.key == "intake.open_case_exists"
    assert info.value.params["case_no"] == first
    assert audit_count(db) == before
    assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 1


def test_a_refused_case_does_not_block_a_new_one(db, clerk) -> None:
    first = open_case(db, clerk)
    intake.refuse_case(db, clerk, first, reason="applicant withdrew", today=TODAY)
    second = open_case(db, clerk)
    assert second != first and case_row(db, second)["status"] == "draft"


def test_open_case_for_an_existing_person_audits_the_changed_person_fields(db, clerk) -> None:
    first = open_case(db, clerk)
    intake.refuse_case(db, clerk, first, reason="withdrew", today=TODAY)
    before = audit_count(db)
    intake.open_case(db, clerk, applicant(name="张叁"), today=TODAY)
    person = persons_db.by_id_number(db, applicant().id_number)
    assert person is not None and person["name"] == "张叁"
    # Changing a known person's fields at a new intake is audited as person.update.
    assert "person.update" in audit_actions(db)[before:]


@pytest.mark.parametrize("roles", [("medical",), ("hrss_reviewer",), ("admin",), ("housing_fund",)])
def test_only_clerks_and_supervisors_open_cases(db, staff, roles) -> None:
    actor = staff("someone", *roles)
    with pytest.raises(PermissionDenied) as info:
        intake.open_case(db, actor, applicant(), today=TODAY)
    assert info.value.key == "identity.role_required"
    assert db.execute("SELECT count(*) FROM audit WHERE action != 'staff.add'").fetchone()[0] == 0


def test_supervisor_may_open_a_case(db, staff) -> None:
    sup = staff("sam", "supervisor")
    assert intake.open_case(db, sup, applicant(), today=TODAY)["status"] == "draft"


def test_unknown_and_disabled_logins_are_refused(db, staff) -> None:
    staff("gone", "clerk", active=False)
    with pytest.raises(PermissionDenied) as info:
        resolve_actor(db, "nobody")
    assert info.value.key == "identity.unknown_login" and info.value.params["login"] == "nobody"
    with pytest.raises(PermissionDenied) as info:
        resolve_actor(db, "gone")
    assert info.value.key == "identity.disabled_login"


def test_register_applicant_upserts_and_audits(db, clerk) -> None:
    pid = intake.register_applicant(db, clerk, applicant())
    assert intake.register_applicant(db, clerk, applicant(name="张叁")) == pid
    assert persons_db.get(db, pid)["name"] == "张叁"
    assert audit_actions(db)[-2:] == ["person.register", "person.update"]


# -- accept -------------------------------------------------------------------------


def test_accept_issues_notice_creates_tasks_and_audits(db, clerk) -> None:
    case_no = ready_case(db, clerk, joint=("medical", "housing_fund"))
    before = audit_count(db)
    decision = intake.accept_case(db, clerk, case_no, today=TODAY)
    assert decision.status == "accepted"
    assert decision.notice_number == "固人社受〔2026〕1号"
    assert decision.assessment.decision == "accept"
    assert len(decision.tasks) == 6
    case = case_row(db, case_no)
    assert case["status"] == "accepted"
    assert case["acceptance_notice_no"] == "固人社受〔2026〕1号"
    assert case["accepted_at"] and case["policy_version"]
    assert case["version"] == decision.version == 2
    assert task_statuses(db, case_no) == {
        "hrss.card": "open",
        "hrss.approval": "open",
        "hrss.benefit": "waiting",
        "hrss.social_management": "waiting",
        "medical.transfer": "waiting",
        "housing_fund.withdrawal": "waiting",
    }
    # open tasks carry a due date from their own limit, waiting ones none yet
    rows = {r[0]: r[1] for r in db.execute("SELECT item, due_date FROM tasks").fetchall()}
    cal = WorkCalendar()
    assert rows["hrss.card"] == cal.add_working_days(TODAY, 5)[0].isoformat()
    assert rows["hrss.approval"] == cal.add_working_days(TODAY, 10)[0].isoformat()
    assert rows["hrss.benefit"] is None and rows["medical.transfer"] is None
    assert audit_actions(db)[before:] == ["case.accept"]
    detail = json.loads(db.execute("SELECT detail FROM audit ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert detail["notice"] == decision.notice_number and detail["tasks"] == decision.tasks
    notices = notices_db.for_case(db, case["id"])
    assert [(n["kind"], n["number"]) for n in notices] == [("acceptance", "固人社受〔2026〕1号")]
    assert notices[0]["data"]["findings"] == []


def test_acceptance_notice_numbers_count_up(db, clerk) -> None:
    _, first = accepted_case(db, clerk, seq=11)
    _, second = accepted_case(db, clerk, seq=13, name="李四")
    assert (first.notice_number, second.notice_number) == ("固人社受〔2026〕1号", "固人社受〔2026〕2号")


def test_no_joint_items_means_only_basic_tasks(db, clerk) -> None:
    case_no, _ = accepted_case(db, clerk, joint=())
    assert set(task_statuses(db, case_no)) == {"hrss.card", "hrss.approval", "hrss.benefit", "hrss.social_management"}


def test_health_joint_item_needs_the_one_child_certificate(db, clerk) -> None:
    case_no = ready_case(db, clerk, joint=("health",))
    with pytest.raises(Refused) as info:
        intake.accept_case(db, clerk, case_no, today=TODAY)
    assert info.value.key == "intake.cannot_accept"
    assert info.value.params["count"] == 1


def test_accept_twice_is_a_state_refusal(db, clerk) -> None:
    case_no, _ = accepted_case(db, clerk)
    before = audit_count(db)
    with pytest.raises(Refused) as info:
        intake.accept_case(db, clerk, case_no, today=TODAY)
    assert info.value.key == "intake.wrong_state"
    assert audit_count(db) == before


def test_refused_accept_writes_nothing(db, clerk) -> None:
    case_no = open_case(db, clerk, received=["id_card_hukou"])
    record_prereview(db, clerk, case_no)
    before = audit_count(db)
    version = case_row(db, case_no)["version"]
    with pytest.raises(Refused) as info:
        intake.accept_case(db, clerk, case_no, today=TODAY)
    assert info.value.key == "intake.cannot_accept"
    assert info.value.params["count"] == 2  # personal_archive, ssc_card
    assert audit_count(db) == before
    assert case_row(db, case_no)["version"] == version
    assert db.execute("SELECT count(*) FROM notices").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM tasks").fetchone()[0] == 0


def test_medical_staff_cannot_accept(db, clerk, staff) -> None:
    case_no = ready_case(db, clerk)
    mel = staff("mel", "medical")
    before = audit_count(db)
    with pytest.raises(PermissionDenied):
        intake.accept_case(db, mel, case_no, today=TODAY)
    assert audit_count(db) == before
    assert case_row(db, case_no)["status"] == "draft"


def test_stale_version_accept_names_who_and_when_and_wastes_no_number(db, clerk, staff) -> None:
    case_no = open_case(db, clerk, received=["id_card_hukou"])
    record_prereview(db, clerk, case_no)
    old = case_row(db, case_no)["version"]
    dora = staff("dora", "clerk")
    intake.request_correction(db, dora, case_no, today=TODAY)
    intake.resume_case(db, dora, case_no, ["personal_archive", "ssc_card"], today=D("2026-11-03"))
    prereview.confirm(db, clerk, case_no)  # the facts' version, not the case's
    now = case_row(db, case_no)
    before = audit_count(db)
    with pytest.raises(StaleVersion) as info:
        intake.accept_case(db, clerk, case_no, expected_version=old, today=D("2026-11-03"))
    assert info.value.params["who"] == "dora"
    assert info.value.params["when"] == now["updated_at"]
    assert info.value.params["found"] == now["version"]
    assert "dora" in info.value.text("en")
    assert audit_count(db) == before
    assert case_row(db, case_no)["status"] == "draft"
    assert db.execute("SELECT count(*) FROM tasks").fetchone()[0] == 0
    # the acceptance notice number taken inside the failed transaction is given back
    assert intake.accept_case(db, clerk, case_no, expected_version=now["version"], today=D("2026-11-03")).notice_number == "固人社受〔2026〕1号"


def test_unknown_case_number(db, clerk) -> None:
    with pytest.raises(NotFound):
        intake.accept_case(db, clerk, "GY-2026-000999", today=TODAY)
    with pytest.raises(BadInput):
        intake.accept_case(db, clerk, "not-a-case", today=TODAY)


def test_special_work_needs_manual_review(db, clerk) -> None:
    case_no = open_case(db, clerk, kind="special_work", received=[*BASIC_MATERIALS, "special_work_records"])
    record_prereview(db, clerk, case_no)
    with pytest.raises(Refused) as info:
        intake.accept_case(db, clerk, case_no, today=TODAY)
    assert info.value.key == "intake.cannot_accept"


# -- correction (one-time notice) --------------------------------------------------------


def _expected_findings(db, case_no: str, today: date) -> list[str]:
    """What console.rules.eligibility.assess says, independently of the service."""
    from db import cases as cases_db

    case = case_row(db, case_no)
    person = persons_db.get(db, case["person_id"])
    pf = person_facts(db, person)
    facts = compute_facts(pf, load_parameters(), decided_on=Month.from_date(today))
    received = [m["code"] for m in cases_db.materials(db, case["id"]) if m["received"]]
    result = assess(pf, facts, case["kind"], Month.from_date(today), received, case["joint_items"])
    return [f.code for f in result.findings if f.severity in ("unmet", "missing")]


def test_correction_notice_lists_everything_at_once_and_pauses_the_clock(db, clerk) -> None:
    today = D("2026-02-10")  # too early for a man born 1966-06; too few years; papers missing
    case_no = open_case(db, clerk, joint=("health",), received=["id_card_hukou"], today=today)
    short = {"archive_records": [{"doc_kind": "school_record", "doc_date": "1980-09-01", "birth_date_recorded": "1966-06-15"}],
             "periods": [{"from": "2016-01", "to": "2025-12", "kind": "actual"}]}
    record_prereview(db, clerk, case_no, short, today=today)
    expected = _expected_findings(db, case_no, today)
    assert {"rules.elig.age_not_reached", "rules.elig.short_contribution", "materials.personal_archive",
            "materials.ssc_card", "materials.one_child_certificate"} <= set(expected)
    before = audit_count(db)
    decision = intake.request_correction(db, clerk, case_no, today=today)
    assert decision.status == "awaiting_correction"
    assert decision.notice_number == "固人社补〔2026〕1号"
    case = case_row(db, case_no)
    assert case["status"] == "awaiting_correction"
    assert case["due_date"] is None
    assert case["paused_since"] == "2026-02-10"
    assert json.loads(case["pauses"]) == [["2026-02-10", None]]
    notice = notices_db.for_case(db, case["id"])[0]
    assert notice["kind"] == "correction" and notice["number"] == decision.notice_number
    assert [f["code"] for f in notice["data"]["findings"]] == expected
    for item in notice["data"]["findings"]:
        assert item["zh"] and item["en"] and item["severity"] in ("unmet", "missing")
    assert audit_actions(db)[before:] == ["case.correction_requested"]
    detail = json.loads(db.execute("SELECT detail FROM audit ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert detail == {"notice": decision.notice_number, "items": expected}


def test_correction_needs_something_missing(db, clerk) -> None:
    case_no = ready_case(db, clerk)
    before = audit_count(db)
    with pytest.raises(Refused) as info:
        intake.request_correction(db, clerk, case_no, today=TODAY)
    assert info.value.key == "intake.nothing_missing"
    assert audit_count(db) == before
    assert db.execute("SELECT count(*) FROM notices").fetchone()[0] == 0


def test_correction_wrong_state_and_role(db, clerk, staff) -> None:
    case_no = open_case(db, clerk, received=["id_card_hukou"])
    with pytest.raises(PermissionDenied):
        intake.request_correction(db, staff("mel", "medical"), case_no, today=TODAY)
    intake.request_correction(db, clerk, case_no, today=TODAY)
    with pytest.raises(Refused) as info:
        intake.request_correction(db, clerk, case_no, today=TODAY)
    assert info.value.key == "intake.wrong_state"
    with pytest.raises(Refused) as info:
        intake.accept_case(db, clerk, case_no, today=TODAY)
    assert info.value.key == "intake.wrong_state"


# -- resume ---------------------------------------------------------------------------------


def test_resume_ticks_materials_and_restarts_the_clock(db, clerk) -> None:
    start, pause, back = D("2026-02-10"), D("2026-02-12"), D("2026-02-25")
    case_no = open_case(db, clerk, received=["id_card_hukou"], today=start)
    intake.request_correction(db, clerk, case_no, today=pause)
    before = audit_count(db)
    decision = intake.resume_case(db, clerk, case_no, ["personal_archive", "ssc_card"], today=back)
    assert decision.status == "draft"
    case = case_row(db, case_no)
    assert case["status"] == "draft"
    assert case["paused_since"] is None
    assert json.loads(case["pauses"]) == [["2026-02-12", "2026-02-25"]]
    from db import cases as cases_db

    assert all(m["received"] for m in cases_db.materials(db, case["id"]))
    cal = WorkCalendar()
    paused = cal.working_days_between(pause, back)
    assert paused == 4  # 02-13, Sat 02-14 (make-up), 02-24, 02-25; 02-15..02-23 are the holiday
    plain = cal.add_working_days(start, 20)[0]
    assert case["due_date"] == cal.add_working_days(plain, paused)[0].isoformat() == "2026-03-20"
    assert audit_actions(db)[before:] == ["case.resume"]


def test_resume_after_a_correction_on_the_day_of_receipt_keeps_a_due_date(db, clerk) -> None:
    """The usual window flow: papers missing at intake, notice the same day, papers back 3 days later."""
    case_no = open_case(db, clerk, received=["id_card_hukou"], today=TODAY)  # Mon 2026-11-02
    intake.request_correction(db, clerk, case_no, today=TODAY)
    intake.resume_case(db, clerk, case_no, ["personal_archive", "ssc_card"], today=D("2026-11-05"))
    case = case_row(db, case_no)
    cal = WorkCalendar()
    expected = cal.add_working_days(cal.add_working_days(TODAY, 20)[0], 3)[0].isoformat()
    assert expected == "2026-12-03"
    # A correction on the day of receipt, resumed later, still leaves the case a due date.
    assert case["due_date"] == expected


def test_resume_with_still_missing_material_reports_it(db, clerk) -> None:
    case_no = open_case(db, clerk, received=["id_card_hukou"], today=D("2026-11-02"))
    record_prereview(db, clerk, case_no, today=D("2026-11-03"))
    intake.request_correction(db, clerk, case_no, today=D("2026-11-03"))
    decision = intake.resume_case(db, clerk, case_no, ["personal_archive"], today=D("2026-11-04"))
    assert decision.assessment.decision == "correct"
    assert [f.code for f in decision.assessment.missing] == ["materials.ssc_card"]
    # a second round: another notice, another pause
    d2 = intake.request_correction(db, clerk, case_no, today=D("2026-11-05"))
    assert d2.notice_number == "固人社补〔2026〕2号"
    assert json.loads(case_row(db, case_no)["pauses"]) == [["2026-11-03", "2026-11-04"], ["2026-11-05", None]]
    intake.resume_case(db, clerk, case_no, ["ssc_card"], today=D("2026-11-09"))
    prereview.confirm(db, clerk, case_no)
    assert intake.accept_case(db, clerk, case_no, today=D("2026-11-09")).status == "accepted"


def test_resume_refusals(db, clerk, staff) -> None:
    mel = staff("mel", "medical")
    case_no = open_case(db, clerk, received=["id_card_hukou"])
    with pytest.raises(Refused) as info:
        intake.resume_case(db, clerk, case_no, ["ssc_card"], today=TODAY)
    assert info.value.key == "intake.wrong_state"  # resume a draft
    intake.request_correction(db, clerk, case_no, today=TODAY)
    before = audit_count(db)
    with pytest.raises(BadInput) as bad:
        intake.resume_case(db, clerk, case_no, ["passport"], today=TODAY)
    assert bad.value.key == "intake.bad_material"
    with pytest.raises(PermissionDenied):
        intake.resume_case(db, mel, case_no, ["ssc_card"], today=TODAY)
    old = case_row(db, case_no)["version"] - 1
    with pytest.raises(StaleVersion):
        intake.resume_case(db, clerk, case_no, ["ssc_card"], expected_version=old, today=TODAY)
    assert audit_count(db) == before
    assert case_row(db, case_no)["status"] == "awaiting_correction"


# -- refuse (不予受理) -----------------------------------------------------------------


def test_refuse_with_unmet_condition_needs_no_reason(db, clerk) -> None:
    today = D("2026-02-10")  # age not reached
    case_no = ready_case(db, clerk, today=today)
    before = audit_count(db)
    decision = intake.refuse_case(db, clerk, case_no, today=today)
    assert decision.status == "refused"
    assert decision.notice_number == "固人社不受〔2026〕1号"
    case = case_row(db, case_no)
    assert case["status"] == "refused" and case["completed_at"]
    assert audit_actions(db)[before:] == ["case.refuse"]
    notice = notices_db.for_case(db, case["id"])[-1]
    assert notice["kind"] == "refusal"
    assert [f["code"] for f in notice["data"]["findings"]] == ["rules.elig.age_not_reached"]


def test_refuse_without_unmet_condition_needs_a_reason(db, clerk) -> None:
    case_no = ready_case(db, clerk)
    before = audit_count(db)
    with pytest.raises(Refused) as info:
        intake.refuse_case(db, clerk, case_no, today=TODAY)
    assert info.value.key == "intake.reject_needs_reason"
    assert audit_count(db) == before
    decision = intake.refuse_case(db, clerk, case_no, reason="申请人撤回", today=TODAY)
    assert decision.status == "refused"
    detail = json.loads(db.execute("SELECT detail FROM audit ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert detail["reason"] == "申请人撤回"


def test_refuse_from_awaiting_correction_and_not_after_acceptance(db, clerk, staff) -> None:
    case_no = open_case(db, clerk, received=["id_card_hukou"])
    intake.request_correction(db, clerk, case_no, today=TODAY)
    with pytest.raises(PermissionDenied):
        intake.refuse_case(db, staff("mel", "medical"), case_no, reason="x", today=TODAY)
    decision = intake.refuse_case(db, clerk, case_no, reason="no papers", today=TODAY)
    assert decision.status == "refused"
    assert case_row(db, case_no)["paused_since"] is None
    with pytest.raises(Refused) as info:
        intake.refuse_case(db, clerk, case_no, reason="again", today=TODAY)
    assert info.value.key == "intake.wrong_state"
    accepted, _ = accepted_case(db, clerk, seq=13, name="李四")
    with pytest.raises(Refused):
        intake.refuse_case(db, clerk, accepted, reason="late", today=TODAY)


# -- the working-day clock over Spring Festival 2026 ------------------------------------------


def test_spring_festival_calendar_facts() -> None:
    cal = WorkCalendar()
    assert cal.is_working_day(D("2026-02-14")) and D("2026-02-14").weekday() == 5
    assert cal.is_working_day(D("2026-02-28")) and D("2026-02-28").weekday() == 5
    for day in range(15, 24):
        assert not cal.is_working_day(date(2026, 2, day))
    assert cal.is_working_day(D("2026-02-24"))


def test_case_received_before_spring_festival_is_due_after_it(db, clerk) -> None:
    case = intake.open_case(db, clerk, applicant(), today=D("2026-02-10"))
    # 20 working days from Tue 02-10: 02-11..02-14 (4, incl. make-up Sat), 02-24..02-28 (5, incl. make-up Sat),
    # 03-02..03-06 (5), 03-09..03-13 (5), 03-16 (1)
    assert case["due_date"] == "2026-03-16"
    assert case["due_date"] == WorkCalendar().add_working_days(D("2026-02-10"), 20)[0].isoformat()


def test_no_empty_correction_notice_for_a_complete_manual_review_case(db, clerk) -> None:
    case_no = open_case(db, clerk, kind="special_work", received=[*BASIC_MATERIALS, "special_work_records"])
    record_prereview(db, clerk, case_no)
    before = audit_count(db)
    # A manual-review case with nothing to correct gets no (empty) correction notice.
    with pytest.raises(Refused):
        intake.request_correction(db, clerk, case_no, today=TODAY)
    assert audit_count(db) == before
    assert case_row(db, case_no)["status"] == "draft"


def test_accept_is_refused_until_a_reviewer_confirms_the_prereview(db, clerk) -> None:
    """Issue 14 bug 12: acceptance waits for the reviewer's confirmation, not the approval later."""
    case_no = open_case(db, clerk)
    record_prereview(db, clerk, case_no)  # recorded, not confirmed
    before = audit_count(db)
    with pytest.raises(Refused) as info:
        intake.accept_case(db, clerk, case_no, today=TODAY)
    assert info.value.key == "intake.prereview_not_confirmed"
    assert "审核人员确认" in info.value.text("zh") and "reviewer" in info.value.text("en")
    assert audit_count(db) == before
    assert case_row(db, case_no)["status"] == "draft"
    assert db.execute("SELECT count(*) FROM notices").fetchone()[0] == 0
