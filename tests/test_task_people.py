"""Who a case and its tasks name (issue 14): the queue's 经办人, the completer of a reviewer's task."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from console.services import tasks
from tests.workflow_helpers import TODAY, accepted_case, open_case, task_ids


@pytest.fixture
def cli(db_path: Path, db: Any, cli_app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``retire ...`` on the test's database as a given login, in Chinese; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("RETIRE_DB", str(db_path))
    monkeypatch.setenv("RETIRE_LANG", "zh")

    def run(login: str, *args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(cli_app, list(args), env={"RETIRE_LOGIN": login})
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result.exit_code, result.stdout, result.stderr

    return run


def _listed(cli: Any, login: str) -> dict[str, dict[str, Any]]:
    code, out, err = cli(login, "case", "list", "--json")
    assert code == 0, err
    return {row["case_no"]: row for row in json.loads(out)}


def test_assignee_names_who_holds_the_open_tasks_else_the_window_clerk(db, staff, cli) -> None:
    carol = staff("carol", "clerk", "hrss_reviewer")
    clara = staff("clara", "clerk")
    mel = staff("mel", "medical")
    draft = open_case(db, clara, seq=13, name="李四")
    case_no, _ = accepted_case(db, carol, joint=("medical",))
    assert _listed(cli, "carol")[draft]["assignee"] == "clara"  # no task yet: the clerk who registered it
    assert _listed(cli, "carol")[case_no]["assignee"] == "carol"
    ids = task_ids(db, case_no)
    tasks.claim(db, clara, ids["hrss.card"])
    assert _listed(cli, "carol")[case_no]["assignee"] == "clara"  # the claimant of the open task, not the registrar
    tasks.claim(db, carol, ids["hrss.approval"])
    assert _listed(cli, "carol")[case_no]["assignee"] == "carol,clara"
    tasks.complete(db, carol, ids["hrss.approval"], "准予退休", today=TODAY)
    tasks.complete(db, clara, ids["hrss.card"], "已制卡", today=TODAY)
    tasks.claim(db, mel, ids["medical.transfer"])
    assert _listed(cli, "mel")[case_no]["assignee"] == "mel"


def test_a_clerk_cannot_claim_the_approval_and_the_case_names_the_reviewer_who_completed_it(db, staff, cli) -> None:
    carol = staff("carol", "clerk", "hrss_reviewer")
    staff("clara", "clerk")
    case_no, _ = accepted_case(db, carol)
    approval = task_ids(db, case_no)["hrss.approval"]
    code, out, err = cli("clara", "task", "claim", str(approval))
    assert code == 1 and "审核" in err and "Traceback" not in err
    assert cli("carol", "task", "claim", str(approval))[0] == 0
    assert cli("carol", "task", "done", str(approval), "--result", "准予退休")[0] == 0
    code, out, err = cli("clara", "case", "show", case_no, "--json")
    shown = {t["item"]: t for t in json.loads(out)["tasks"]}
    assert shown["hrss.approval"]["completed_by"] == "carol" and shown["hrss.approval"]["assignee"] == "carol"


def test_work_lists_and_the_window_acting_on_a_returned_task(db, staff) -> None:
    from console.errors import PermissionDenied, Refused
    from console.services import case_queries
    from tests.workflow_helpers import audit_actions, open_case, record_prereview

    carol = staff("carol", "clerk", "hrss_reviewer")
    clara = staff("clara", "clerk")
    saved = open_case(db, clara, seq=13, name="李四")
    record_prereview(db, clara, saved)  # a clerk saved the pre-review; not confirmed
    assert [r["case_no"] for r in case_queries.awaiting_confirmation(db, carol)] == [saved]
    assert case_queries.awaiting_confirmation(db, carol)[0]["saved_by"] == "clara"
    with pytest.raises(PermissionDenied):
        case_queries.awaiting_confirmation(db, clara)  # confirming is a reviewer's
    case_no, _ = accepted_case(db, carol)
    ids = task_ids(db, case_no)
    tasks.claim(db, clara, ids["hrss.card"])
    assert [r["id"] for r in tasks.mine(db, clara)] == [ids["hrss.card"]] and tasks.mine(db, carol) == []
    tasks.return_task(db, clara, ids["hrss.card"], "缺一寸照片")
    assert [r["missing"] for r in tasks.returned_to_window(db, carol)] == ["缺一寸照片"]
    with pytest.raises(Refused):
        tasks.applicant_told(db, carol, ids["hrss.card"], "")
    told = tasks.applicant_told(db, carol, ids["hrss.card"], "电话")
    assert told["status"] == "returned"
    opened = tasks.paper_arrived(db, carol, ids["hrss.card"], "一寸照片两张")
    assert opened["status"] == "open" and opened["assignee"] is None and tasks.returned_to_window(db, carol) == []
    with pytest.raises(Refused):
        tasks.paper_arrived(db, carol, ids["hrss.card"], "again")
    assert audit_actions(db, case_no)[-2:] == ["task.applicant_told", "task.paper_arrived"]
