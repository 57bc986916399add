"""Changes after registration (issue 14, actions 1 and 2): the applicant's contact details, joint items,
a returned parcel re-addressed, and a withdrawal; by the services and by the CLI."""
from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from console.errors import BadInput, PermissionDenied, Refused, StaleVersion
from console.services import case_edits, delivery, tasks
from tests.workflow_helpers import (
    TODAY,
    accepted_case,
    audit_actions,
    audit_count,
    case_row,
    id_number,
    open_case,
    task_ids,
    task_statuses,
)


@pytest.fixture
def carol(staff):
    return staff("carol", "clerk", "hrss_reviewer")


def _audit_detail(db, action: str) -> dict[str, Any]:
    row = db.execute("SELECT detail FROM audit WHERE action = ? ORDER BY id DESC LIMIT 1", [action]).fetchone()
    return json.loads(row[0])


def _person(db, seq: int = 11) -> dict[str, Any]:
    return dict(next(db["persons"].rows_where("id_number = ?", [id_number(seq)])))


# -- person ---------------------------------------------------------------------------------------

def test_edit_person_changes_phone_and_bank_card_with_before_and_after(db, carol) -> None:
    open_case(db, carol)
    before = _person(db)
    out = case_edits.edit_person(db, carol, id_number(), {"phone": "13900000001", "bank_card": "6222 0200 0000 0000 125",
                                                          "address": before["address"]}, before["version"])
    assert out["changed"] == ["bank_card", "phone"] and out["version"] == before["version"] + 1
    after = _person(db)
    assert after["phone"] == "13900000001" and after["bank_card"] == "6222020000000000125"
    detail = _audit_detail(db, "person.edit")
    assert detail["before"] == {"phone": "13800000000", "bank_card": None}
    assert detail["after"]["phone"] == "13900000001"
    assert detail["after"]["bank_card"].endswith("0125") and "622202" not in detail["after"]["bank_card"]


def test_edit_person_uses_the_intake_validators_and_refuses_a_stale_version(db, carol) -> None:
    open_case(db, carol)
    person = _person(db)
    count = audit_count(db)
    with pytest.raises(BadInput) as info:
        case_edits.edit_person(db, carol, id_number(), {"phone": "abc"})
    assert info.value.key == "door.bad_phone"
    with pytest.raises(BadInput) as info:
        case_edits.edit_person(db, carol, id_number(), {"bank_card": "12345"})
    assert info.value.key == "door.bad_bank_card"
    case_edits.edit_person(db, carol, id_number(), {"phone": "13900000001"}, person["version"])
    with pytest.raises(StaleVersion) as stale:
        case_edits.edit_person(db, carol, id_number(), {"phone": "13900000002"}, person["version"])
    assert stale.value.params["who"] == "carol"
    assert _person(db)["phone"] == "13900000001" and audit_count(db) == count + 1


def test_only_the_window_edits(db, carol, staff) -> None:
    open_case(db, carol)
    medic = staff("mel", "medical")
    with pytest.raises(PermissionDenied):
        case_edits.edit_person(db, medic, id_number(), {"phone": "13900000001"})


# -- joint items ----------------------------------------------------------------------------------

def test_draft_case_joint_items_change_the_checklist(db, carol) -> None:
    case_no = open_case(db, carol, joint=("medical",))
    out = case_edits.edit_case(db, carol, case_no, add=["housing_fund"], remove=["medical"])
    assert out["joint_items"] == ["housing_fund"] and out["tasks_added"] == []
    assert case_row(db, case_no)["joint_items"] == ["housing_fund"]
    assert _audit_detail(db, "case.edit")["before"] == {"joint_items": ["medical"]}


def test_after_acceptance_adding_a_joint_item_creates_its_task_and_removing_one_needs_it_unstarted(db, carol, staff) -> None:
    case_no, _ = accepted_case(db, carol, joint=("medical",))
    out = case_edits.edit_case(db, carol, case_no, add=["health"], today=TODAY)
    assert task_statuses(db, case_no)["health.reward"] == "waiting"  # it waits for the approval like the others
    assert out["tasks_added"] == [task_ids(db, case_no)["health.reward"]]
    # the approval is done: the joint tasks open; a claimed one can no longer be dropped
    ids = task_ids(db, case_no)
    tasks.claim(db, carol, ids["hrss.approval"])
    tasks.complete(db, carol, ids["hrss.approval"], "审批通过", today=TODAY)
    mel = staff("mel", "medical")
    tasks.claim(db, mel, ids["medical.transfer"])
    count = audit_count(db)
    with pytest.raises(Refused) as info:
        case_edits.edit_case(db, carol, case_no, remove=["medical"])
    assert info.value.key == "case_edits.task_started"
    assert audit_count(db) == count and "medical" in case_row(db, case_no)["joint_items"]
    case_edits.edit_case(db, carol, case_no, remove=["health"])
    assert "health.reward" not in task_statuses(db, case_no)
    added = case_edits.edit_case(db, carol, case_no, add=["housing_fund"], today=TODAY)
    assert task_statuses(db, case_no)["housing_fund.withdrawal"] == "open"  # the approval is done
    assert added["tasks_added"]


# -- withdrawal -----------------------------------------------------------------------------------

def test_withdraw_holds_the_tasks_and_says_why(db, carol) -> None:
    case_no, _ = accepted_case(db, carol, joint=("medical",))
    with pytest.raises(BadInput):
        case_edits.withdraw_case(db, carol, case_no, " ")
    out = case_edits.withdraw_case(db, carol, case_no, "申请人书面申请撤回")
    assert out["status"] == "withdrawn" and case_row(db, case_no)["status"] == "withdrawn"
    assert set(task_statuses(db, case_no).values()) == {"held"}
    assert audit_actions(db, case_no)[-1] == "case.withdraw"
    assert _audit_detail(db, "case.withdraw")["reason"] == "申请人书面申请撤回"
    with pytest.raises(Refused) as info:
        case_edits.withdraw_case(db, carol, case_no, "再撤一次")
    assert info.value.key == "case_edits.not_open"


def test_withdraw_a_draft(db, carol) -> None:
    case_no = open_case(db, carol)
    case_edits.withdraw_case(db, carol, case_no, "申请人决定暂缓退休", case_row(db, case_no)["version"])
    assert case_row(db, case_no)["status"] == "withdrawn"


# -- a returned parcel re-addressed ---------------------------------------------------------------

@pytest.fixture
def completed(db, carol):
    case_no, _ = accepted_case(db, carol, joint=())
    ids = task_ids(db, case_no)
    for item in ("hrss.card", "hrss.approval", "hrss.benefit", "hrss.social_management"):
        tasks.claim(db, carol, ids[item])
        tasks.complete(db, carol, ids[item], "ok", today=TODAY)
    return case_no


def test_readdress_a_returned_parcel_keeps_both_attempts(db, carol, completed) -> None:
    delivery.send(db, carol, completed, "EMS", "1100000000001")
    with pytest.raises(Refused) as info:
        delivery.readdress(db, carol, completed, "固阳县金山镇8号", "EMS", "1100000000002")
    assert info.value.key == "delivery.not_returned"
    row = delivery.readdress(db, carol, completed, "固阳县金山镇8号", "EMS", "1100000000002", note="查无此人")
    assert row["address"] == "固阳县金山镇8号" and row["waybill"] == "1100000000002"
    rows = list(db["deliveries"].rows_where("case_id = ?", [case_row(db, completed)["id"]], order_by="id"))
    assert [r["waybill"] for r in rows] == ["1100000000001", "1100000000002"]
    assert rows[0]["returned_at"] and rows[0]["note"] == "查无此人"
    assert audit_actions(db, completed)[-3:] == ["delivery.returned", "delivery.send", "delivery.readdress"]
    assert _audit_detail(db, "delivery.readdress")["before"]["address"] == "固阳县金山镇1号"


# -- the CLI --------------------------------------------------------------------------------------

def _cli(cli_app, db_path, *args: str) -> Any:
    result = CliRunner().invoke(cli_app, list(args), env={"RETIRE_DB": str(db_path), "RETIRE_LOGIN": "carol", "RETIRE_LANG": "en"})
    assert "Traceback" not in (result.stdout or "") + (result.stderr or "")
    return result


def test_cli_person_edit_and_case_edit(db, db_path, carol, cli_app, staff) -> None:
    case_no, _ = accepted_case(db, carol, joint=("medical",))
    result = _cli(cli_app, db_path, "person", "edit", id_number(), "--phone", "13900000001", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["changed"] == ["phone"]
    assert _cli(cli_app, db_path, "person", "edit", id_number(), "--phone", "abc").exit_code == 2
    result = _cli(cli_app, db_path, "case", "edit", case_no, "--joint", "+health", "--joint", "-medical", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["joint_items"] == ["health"]
    ids = task_ids(db, case_no)
    tasks.claim(db, carol, ids["hrss.approval"])
    tasks.complete(db, carol, ids["hrss.approval"], "ok", today=TODAY)
    tasks.claim(db, staff("hank", "health"), task_ids(db, case_no)["health.reward"])  # the health task has started
    refused = _cli(cli_app, db_path, "case", "edit", case_no, "--joint", "-health")
    assert refused.exit_code == 1 and "can no longer be removed" in refused.stderr


def test_cli_withdraw_and_readdress(db, db_path, carol, cli_app, completed) -> None:
    other = open_case(db, carol, seq=13)
    assert _cli(cli_app, db_path, "case", "withdraw", other, "--reason", "本人撤回").exit_code == 0
    assert _cli(cli_app, db_path, "case", "withdraw", other, "--reason", "again").exit_code == 1
    delivery.send(db, carol, completed, "EMS", "1100000000001")
    result = _cli(cli_app, db_path, "delivery", "readdress", completed, "--address", "固阳县金山镇8号", "--courier", "EMS",
                  "--waybill", "1100000000002", "--note", "地址不详", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(_cli(cli_app, db_path, "case", "show", completed, "--json").stdout)
    assert [d["waybill"] for d in shown["deliveries"]] == ["1100000000001", "1100000000002"]


def test_an_edit_checks_the_cards_luhn_digit_as_the_window_does(db, carol) -> None:
    """A one-digit slip in a bank card is caught on an edit too (the pension would go to a wrong account)."""
    with pytest.raises(BadInput) as info:
        case_edits.edit_person(db, carol, id_number(), {"bank_card": "6222020000000000123"})
    assert info.value.key == "door.bad_bank_card_luhn"
