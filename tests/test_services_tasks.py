"""Department tasks: claim, complete, return; gating by the approval; roles and departments; case completion."""
from __future__ import annotations

import json

import pytest

from console.errors import NotFound, PermissionDenied, Refused, StaleVersion
from console.rules.workdays import WorkCalendar
from console.services import tasks
from db import tasks as tasks_db
from tests.workflow_helpers import (
    TODAY,
    accepted_case,
    audit_actions,
    audit_count,
    case_row,
    record_prereview,
    task_ids,
    task_statuses,
)


@pytest.fixture
def carol(staff):
    """A window clerk who is also an HRSS reviewer."""
    return staff("carol", "clerk", "hrss_reviewer")


@pytest.fixture
def mel(staff):
    return staff("mel", "medical")


@pytest.fixture
def case(db, carol):
    case_no, _ = accepted_case(db, carol, joint=("medical", "housing_fund"))
    return case_no


def _approve(db, actor, case_no) -> None:
    ids = task_ids(db, case_no)
    tasks.claim(db, actor, ids["hrss.approval"])
    tasks.complete(db, actor, ids["hrss.approval"], "approved", today=TODAY)


def test_first_claim_moves_the_case_to_in_progress(db, carol, case) -> None:
    ids = task_ids(db, case)
    v = case_row(db, case)["version"]
    before = audit_count(db)
    task = tasks.claim(db, carol, ids["hrss.card"])
    assert task["status"] == "claimed" and task["assignee"] == "carol" and task["version"] == 2
    c = case_row(db, case)
    assert c["status"] == "in_progress" and c["version"] == v + 1
    assert audit_actions(db)[before:] == ["task.claim"]
    tasks.claim(db, carol, ids["hrss.approval"])
    assert case_row(db, case)["version"] == v + 1  # a second claim leaves the case alone


def test_approval_gates_the_other_tasks(db, carol, mel, case) -> None:
    ids = task_ids(db, case)
    for item in ("hrss.benefit", "hrss.social_management", "medical.transfer", "housing_fund.withdrawal"):
        actor = mel if item.startswith("medical") else carol
        if item.startswith("housing"):
            continue
        with pytest.raises(Refused) as info:
            tasks.claim(db, actor, ids[item])
        assert info.value.key == "tasks.wrong_state"
    before = audit_count(db)
    _approve(db, carol, case)
    assert task_statuses(db, case) == {
        "hrss.card": "open",
        "hrss.approval": "done",
        "hrss.benefit": "open",
        "hrss.social_management": "open",
        "medical.transfer": "open",
        "housing_fund.withdrawal": "open",
    }
    assert audit_actions(db)[before:] == ["task.claim", "task.done"] + ["task.open"] * 4
    rows = {r[0]: r for r in db.execute("SELECT item, due_date, opened_at FROM tasks").fetchall()}
    cal = WorkCalendar()
    assert rows["medical.transfer"][1] == cal.add_working_days(TODAY, 5)[0].isoformat()
    assert rows["hrss.benefit"][1] == cal.add_working_days(TODAY, 10)[0].isoformat()
    assert rows["medical.transfer"][2] is not None


def test_approval_needs_a_confirmed_prereview(db, carol, case) -> None:
    """Confirmed before acceptance; changed after it, the approval waits for a new confirmation."""
    ids = task_ids(db, case)
    record_prereview(db, carol, case, reason="档案补充")
    tasks.claim(db, carol, ids["hrss.approval"])
    before = audit_count(db)
    with pytest.raises(Refused) as info:
        tasks.complete(db, carol, ids["hrss.approval"], "approved", today=TODAY)
    assert info.value.key == "tasks.prereview_not_confirmed"
    assert audit_count(db) == before
    assert task_statuses(db, case)["hrss.approval"] == "claimed"
    assert task_statuses(db, case)["medical.transfer"] == "waiting"


def test_reviewer_only_items_need_a_reviewer(db, carol, staff, case) -> None:
    clerk = staff("clara", "clerk")
    ids = task_ids(db, case)
    # a clerk cannot even claim what they could not complete (it would sit held by someone who cannot finish it)
    with pytest.raises(PermissionDenied) as info:
        tasks.claim(db, clerk, ids["hrss.approval"])
    assert info.value.key == "tasks.reviewer_only_claim"
    assert tasks_db.get(db, ids["hrss.approval"])["status"] == "open"
    tasks.claim(db, carol, ids["hrss.approval"])
    with pytest.raises(PermissionDenied) as info:
        tasks.complete(db, clerk, ids["hrss.approval"], "approved", today=TODAY, take_over=True)
    assert info.value.key == "tasks.reviewer_only"
    tasks.complete(db, carol, ids["hrss.approval"], "approved", today=TODAY)
    with pytest.raises(PermissionDenied):
        tasks.claim(db, clerk, ids["hrss.benefit"])
    # a plain clerk may complete the card and the social-management items
    tasks.claim(db, clerk, ids["hrss.card"])
    assert tasks.complete(db, clerk, ids["hrss.card"], "card", today=TODAY)["status"] == "done"


def test_departments_act_only_on_their_own_tasks(db, carol, mel, staff, case) -> None:
    ids = task_ids(db, case)
    hf = staff("hank", "housing_fund")
    sup = staff("sam", "supervisor")
    before = audit_count(db)
    for actor in (mel, hf, sup):
        with pytest.raises(PermissionDenied) as info:
            tasks.claim(db, actor, ids["hrss.card"])
        assert info.value.key == "tasks.other_department"
    _approve(db, carol, case)
    for actor, item in ((carol, "medical.transfer"), (hf, "medical.transfer"), (mel, "housing_fund.withdrawal")):
        with pytest.raises(PermissionDenied):
            tasks.claim(db, actor, ids[item])
    tasks.claim(db, mel, ids["medical.transfer"])
    with pytest.raises(PermissionDenied):
        tasks.complete(db, hf, ids["medical.transfer"], "x", today=TODAY)
    with pytest.raises(PermissionDenied):
        tasks.return_task(db, carol, ids["medical.transfer"], "x")
    acts = audit_actions(db)[before:]
    assert "task.claim" in acts and acts.count("task.claim") == 2  # the approval and mel's


def test_wrong_state_refusals(db, carol, case) -> None:
    ids = task_ids(db, case)
    tasks.claim(db, carol, ids["hrss.card"])
    with pytest.raises(Refused) as info:
        tasks.claim(db, carol, ids["hrss.card"])  # already claimed
    assert info.value.key == "tasks.already_yours"
    with pytest.raises(Refused):
        tasks.complete(db, carol, ids["hrss.approval"], "approved", today=TODAY)  # not claimed
    tasks.complete(db, carol, ids["hrss.card"], "card issued", today=TODAY)
    before = audit_count(db)
    for call in (
        lambda: tasks.claim(db, carol, ids["hrss.card"]),
        lambda: tasks.complete(db, carol, ids["hrss.card"], "again", today=TODAY),
        lambda: tasks.return_task(db, carol, ids["hrss.card"], "x"),
        lambda: tasks.return_task(db, carol, ids["hrss.benefit"], "x"),  # waiting
    ):
        with pytest.raises(Refused) as info:
            call()
        assert info.value.key == "tasks.wrong_state"
    assert audit_count(db) == before


def test_result_and_missing_are_required(db, carol, case) -> None:
    ids = task_ids(db, case)
    tasks.claim(db, carol, ids["hrss.card"])
    with pytest.raises(Refused) as info:
        tasks.complete(db, carol, ids["hrss.card"], "  ", today=TODAY)
    assert info.value.key == "tasks.result_required"
    with pytest.raises(Refused) as info:
        tasks.return_task(db, carol, ids["hrss.card"], "")
    assert info.value.key == "tasks.missing_required"


def test_unknown_task(db, carol) -> None:
    with pytest.raises(NotFound):
        tasks.claim(db, carol, 999)


def test_return_then_claim_again(db, carol, staff, case) -> None:
    ids = task_ids(db, case)
    tasks.claim(db, carol, ids["hrss.card"])
    before = audit_count(db)
    task = tasks.return_task(db, carol, ids["hrss.card"], "银行卡复印件不清")
    assert task["status"] == "returned" and task["missing"] == "银行卡复印件不清" and task["assignee"] is None
    assert audit_actions(db)[before:] == ["task.return"]
    detail = json.loads(db.execute("SELECT detail FROM audit ORDER BY id DESC LIMIT 1").fetchone()[0])
    assert detail == {"missing": "银行卡复印件不清"}
    other = staff("clara", "clerk")
    assert tasks.claim(db, other, ids["hrss.card"])["assignee"] == "clara"
    done = tasks.complete(db, other, ids["hrss.card"], "card issued", today=TODAY)
    assert done["status"] == "done" and done["missing"] is None and done["result"] == "card issued"
    # an open task can be returned too
    assert tasks.return_task(db, carol, ids["hrss.approval"], "档案缺招工表")["status"] == "returned"


def test_stale_task_version(db, carol, staff, case) -> None:
    ids = task_ids(db, case)
    old = tasks_db.get(db, ids["hrss.card"])["version"]
    clara = staff("clara", "clerk")
    tasks.claim(db, clara, ids["hrss.card"])
    tasks.return_task(db, clara, ids["hrss.card"], "x")  # back to a claimable state, version moved on
    before = audit_count(db)
    with pytest.raises(StaleVersion) as info:
        tasks.claim(db, carol, ids["hrss.card"], expected_version=old)
    assert info.value.params["who"] == "clara" and info.value.params["when"]
    assert audit_count(db) == before
    assert task_statuses(db, case)["hrss.card"] == "returned"


def test_last_task_done_completes_the_case(db, carol, mel, staff, case) -> None:
    hf = staff("hank", "housing_fund")
    ids = task_ids(db, case)
    _approve(db, carol, case)
    for item in ("hrss.card", "hrss.benefit", "hrss.social_management"):
        tasks.claim(db, carol, ids[item])
        tasks.complete(db, carol, ids[item], "ok", today=TODAY)
    tasks.claim(db, hf, ids["housing_fund.withdrawal"])
    tasks.complete(db, hf, ids["housing_fund.withdrawal"], "paid", today=TODAY)
    assert case_row(db, case)["status"] == "in_progress"
    tasks.claim(db, mel, ids["medical.transfer"])
    before = audit_count(db)
    tasks.complete(db, mel, ids["medical.transfer"], "transferred", today=TODAY)
    c = case_row(db, case)
    assert c["status"] == "completed" and c["completed_at"]
    assert set(task_statuses(db, case).values()) == {"done"}
    assert audit_actions(db)[before:] == ["task.done", "case.complete"]
    assert audit_actions(db, case).count("case.complete") == 1


def test_list_for_defaults_to_own_department(db, carol, mel, case) -> None:
    hrss = tasks.list_for(db, carol)
    assert {r["department"] for r in hrss} == {"hrss"}
    assert len(hrss) == 4
    assert tasks.list_for(db, mel) == [r for r in tasks.list_for(db, mel, "medical")]
    assert [r["item"] for r in tasks.list_for(db, carol, statuses=("open",))] == ["hrss.card", "hrss.approval"]
    assert len(tasks.list_for(db, mel, "medical", ("waiting",))) == 1
