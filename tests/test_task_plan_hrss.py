"""The HRSS items of the county plan 四(三) as tasks the case's data calls for (issue 15, Deliver 5).

Each conditional row of the task plan: the condition that adds it, the reason it
gives, its source, its working-day limit and its materials; then the acceptance
that stores the tasks with their reasons, `case show --json`, and the one form.
"""
from __future__ import annotations

import json

import pytest

from console.rules.materials import required_materials, task_materials
from console.rules.task_plan import SPECS, TASK_PLAN, CaseNeeds, case_needs, plan, tasks_for
from console.rules.time_limits import limit_for
from console.services import intake, notices
from tests.workflow_helpers import PRE_REVIEW, TODAY, open_case, record_prereview, task_ids

COUNTY = ("150222", "固阳县", "固阳")
PROVINCE = ("15", "内蒙古")
AS_NEEDED = ("hrss.arrears", "hrss.transfer", "hrss.bank_account", "hrss.labour_filing")


def _needs(periods=(), card=None, prefixes=(), employer=False) -> CaseNeeds:
    return case_needs(periods, COUNTY, PROVINCE, card, prefixes, employer)


def _items(needs: CaseNeeds, joint=()) -> list[str]:
    return [p.spec.item for p in plan(list(joint), needs)]


def test_a_case_with_nothing_special_holds_the_basic_items_only() -> None:
    planned = plan(["medical"], _needs([("1996-01", "2026-10", "固阳县", False)]))
    assert [p.spec.item for p in planned] == [s.item for s in tasks_for(["medical"])]
    assert not set(AS_NEEDED) & {p.spec.item for p in planned}
    assert {p.reason.code for p in planned} == {"task_plan.why.basic", "task_plan.why.joint"}
    assert "hrss.benefit" in [p.spec.item for p in planned]  # the benefit claim: always, under its stored code


def test_a_period_outside_the_county_adds_the_transfer_and_says_where() -> None:
    inside_province = _needs([("1996-01", "2005-12", "150203", False), ("2006-01", "2026-10", "", False)])
    (task,) = [p for p in plan([], inside_province) if p.spec.item == "hrss.transfer"]
    assert task.reason.code == "task_plan.why.as_needed.transfer_county"
    assert task.reason.params == {"places": "150203"}
    other_province = _needs([("1996-01", "2005-12", "110101", False), ("2006-01", "2026-10", "固阳县", False)])
    (task,) = [p for p in plan([], other_province) if p.spec.item == "hrss.transfer"]
    assert task.reason.code == "task_plan.why.as_needed.transfer_province"
    assert "国办发〔2009〕66号" in task.reason.source and "四（三）" in task.reason.source


def test_an_owed_period_adds_the_arrears_declaration_with_its_months() -> None:
    needs = _needs([("1996-01", "2019-12", "固阳县", False), ("2020-01", "2020-06", "固阳县", True)])
    (task,) = [p for p in plan([], needs) if p.spec.item == "hrss.arrears"]
    assert task.reason.code == "task_plan.why.as_needed.arrears"
    assert task.reason.params == {"count": 1, "periods": "2020-01–2020-06"}
    assert "社会保险法" in task.reason.source
    assert "hrss.arrears" not in _items(_needs([("1996-01", "2026-10", "固阳县", False)]))


def test_the_account_task_needs_a_card_at_another_bank_than_the_card_banks() -> None:
    assert "hrss.bank_account" in _items(_needs(card="6228480000000000000", prefixes=("621226",)))
    assert "hrss.bank_account" not in _items(_needs(card="6212260000000000000", prefixes=("621226",)))
    # without the card bank's prefixes the rule cannot tell, and adds nothing
    assert _needs(card="6228480000000000000").card_bank is None
    assert "hrss.bank_account" not in _items(_needs(card="6228480000000000000"))


def test_an_employer_applying_adds_the_labour_filing() -> None:
    assert "hrss.labour_filing" in _items(_needs(employer=True))
    assert "hrss.labour_filing" not in _items(_needs(employer=False))


@pytest.mark.parametrize("item", AS_NEEDED)
def test_each_item_has_its_source_limit_materials_and_order(item: str) -> None:
    spec = SPECS[item]
    assert spec.department == "hrss" and spec.when is not None and spec.joint_item is None
    assert "固阳县" in spec.source and "四（三）" in spec.source
    limit = limit_for(item)
    assert limit.working_days > 0 and limit.source
    materials = task_materials(item)
    assert materials and all(m.source for m in materials)
    assert not {m.code for m in materials} & {m.code for m in required_materials("normal", ("medical", "health"))}
    assert spec.after in (None, "hrss.approval")


def test_the_transfer_limit_is_the_three_fifteen_day_steps_the_rule_sets() -> None:
    assert limit_for("hrss.transfer").working_days == 45
    assert "国办发〔2009〕66号" in limit_for("hrss.transfer").source
    for item in ("hrss.arrears", "hrss.bank_account", "hrss.labour_filing"):
        assert "UNCONFIRMED" in limit_for(item).source


def test_existing_items_keep_their_codes_and_order() -> None:
    assert [s.item for s in TASK_PLAN[:7]] == [
        "hrss.card", "hrss.approval", "hrss.benefit", "hrss.social_management",
        "medical.transfer", "housing_fund.withdrawal", "health.reward",
    ]


# --- at acceptance, in `case show --json` and in the one form -------------------

OUTSIDE = {**PRE_REVIEW, "periods": [
    {"from": "1985-01", "to": "1995-12", "kind": "deemed", "place": "固阳县"},
    {"from": "1996-01", "to": "2005-12", "kind": "actual", "place": "110101"},
    {"from": "2006-01", "to": "2026-10", "kind": "actual", "place": "固阳县"},
]}
OWED = {**PRE_REVIEW, "periods": [
    {"from": "1985-01", "to": "1995-12", "kind": "deemed", "place": "固阳县"},
    {"from": "1996-01", "to": "2019-12", "kind": "actual", "place": "固阳县"},
    {"from": "2020-01", "to": "2020-06", "kind": "actual", "place": "固阳县", "arrears": True},
    {"from": "2020-07", "to": "2026-10", "kind": "actual", "place": "固阳县"},
]}


def _accepted(db, clerk, payload) -> str:
    case_no = open_case(db, clerk, joint=("medical",))
    record_prereview(db, clerk, case_no, payload)
    from console.services import prereview

    prereview.confirm(db, clerk, case_no)  # acceptance waits for the reviewer's confirmation (issue 14 bug 12)
    intake.accept_case(db, clerk, case_no, today=TODAY)
    return case_no


def _stored_reasons(db, case_no) -> dict[str, dict]:
    rows = db.execute("SELECT t.item, t.reason FROM tasks t JOIN cases c ON c.id = t.case_id WHERE c.case_no = ?", [case_no]).fetchall()
    return {item: json.loads(reason) for item, reason in rows}


def test_a_case_with_a_period_outside_the_county_gets_a_transfer_task(db, staff) -> None:
    carol = staff("carol", "clerk", "hrss_reviewer")
    case_no = _accepted(db, carol, OUTSIDE)
    assert "hrss.transfer" in task_ids(db, case_no) and "hrss.arrears" not in task_ids(db, case_no)
    reason = _stored_reasons(db, case_no)["hrss.transfer"]
    assert reason["code"] == "task_plan.why.as_needed.transfer_province" and reason["params"] == {"places": "110101"}


def test_a_case_with_an_owed_period_gets_an_arrears_task(db, staff) -> None:
    carol = staff("carol", "clerk", "hrss_reviewer")
    case_no = _accepted(db, carol, OWED)
    assert "hrss.arrears" in task_ids(db, case_no) and "hrss.transfer" not in task_ids(db, case_no)
    assert _stored_reasons(db, case_no)["hrss.arrears"]["params"]["periods"] == "2020-01–2020-06"
    assert _stored_reasons(db, case_no)["hrss.card"]["code"] == "task_plan.why.basic"


def _form_cells(db, carol, case_no: str, lang: str) -> str:
    """The one form's table cells as issued (the printed text wraps them inside columns)."""
    notices.issue_document(db, carol, case_no, "joint_form", today=TODAY)
    (data,) = db.execute("SELECT n.data FROM notices n JOIN cases c ON c.id = n.case_id"
                         " WHERE c.case_no = ? AND n.kind = 'joint_form'", [case_no]).fetchone()
    return json.dumps(json.loads(data)["document"][lang], ensure_ascii=False)


def test_the_one_form_lists_the_transfer_with_why_papers_and_limit(db, staff) -> None:
    carol = staff("carol", "clerk", "hrss_reviewer")
    case_no = _accepted(db, carol, OUTSIDE)
    cells = _form_cells(db, carol, case_no, "zh")
    assert "养老保险关系转移接续" in cells and "110101" in cells and "参保缴费凭证" in cells and "45个工作日" in cells
    assert "社会保险费欠费补缴申报" not in cells


def test_the_one_form_of_an_arrears_case_lists_the_declaration(db, staff) -> None:
    carol = staff("carol", "clerk", "hrss_reviewer")
    case_no = _accepted(db, carol, OWED)
    cells = _form_cells(db, carol, case_no, "en")
    assert "Arrears back-payment declaration" in cells and "2020-01–2020-06" in cells and "10 working days" in cells
    assert "Pension relationship transfer" not in cells


def test_case_show_json_says_why_each_task_was_added(db, db_path, staff, cli_app, monkeypatch) -> None:
    from typer.testing import CliRunner

    carol = staff("carol", "clerk", "hrss_reviewer")
    case_no = _accepted(db, carol, OUTSIDE)
    monkeypatch.setenv("RETIRE_LOGIN", "carol")
    result = CliRunner().invoke(cli_app, ["--db", str(db_path), "case", "show", case_no, "--json"])
    assert result.exit_code == 0, result.output
    reasons = {t["item"]: t["reason"] for t in json.loads(result.stdout)["tasks"]}
    assert reasons["hrss.transfer"]["code"] == "task_plan.why.as_needed.transfer_province"
    assert "国办发〔2009〕66号" in reasons["hrss.transfer"]["source"]
    assert reasons["hrss.benefit"]["code"] == "task_plan.why.basic"
    assert reasons["medical.transfer"]["code"] == "task_plan.why.joint"


def test_the_department_pane_says_beside_the_form_why_the_transfer_is_on_the_case(db, staff) -> None:
    from rich.console import Console

    from console.services import case_queries
    from screens.department import one_form

    carol = staff("carol", "clerk", "hrss_reviewer")
    case_no = _accepted(db, carol, OUTSIDE)
    console = Console(width=60, record=True)
    console.print(one_form(case_queries.show(db, carol, case_no, today=TODAY)))
    text = console.export_text()
    assert "关系转移" in text and "110101" in text and "跨省养老保险关系转移接续" in text
    assert "每件必办" not in text  # the basic items need no reason beside the form
