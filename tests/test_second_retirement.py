"""Bug 8 (issue 14): one retirement per person.  A person whose retirement case was completed or
delivered is retired; a second retirement case is refused (exit 1 on the CLI) naming the earlier
case and its status.  A refused or withdrawn case decided nothing and does not block."""
from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from console.errors import Refused
from console.i18n import t
from console.services import intake
from db.connection import open_database
from tests.workflow_helpers import TODAY, applicant, id_number, open_case


@pytest.fixture
def clerk(staff):
    return staff("carol", "clerk", "hrss_reviewer")


def _set_status(db: Any, case_no: str, status: str) -> None:
    """The earlier case's end state (how it got there is the delivery tests' business)."""
    db.execute("UPDATE cases SET status = ? WHERE case_no = ?", [status, case_no])
    db.conn.commit()


@pytest.mark.parametrize("status", ["completed", "delivered"])
def test_a_retired_person_cannot_open_a_second_retirement(db, clerk, status: str) -> None:
    first = open_case(db, clerk)
    _set_status(db, first, status)
    with pytest.raises(Refused) as info:
        intake.open_case(db, clerk, applicant(), "normal", ["medical"], [], today=TODAY)
    assert info.value.key == "intake.already_retired"
    assert first in info.value.text("zh") and t(f"terms.case_status.{status}", "zh") in info.value.text("zh")
    assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 1


@pytest.mark.parametrize("status", ["refused", "withdrawn"])
def test_a_refused_or_withdrawn_case_does_not_block(db, clerk, status: str) -> None:
    first = open_case(db, clerk)
    _set_status(db, first, status)
    case = intake.open_case(db, clerk, applicant(), "normal", ["medical"], [], today=TODAY)
    assert case["status"] == "draft" and case["case_no"] != first


def test_cli_case_new_for_a_delivered_person_exits_1(env: dict[str, str], cli_app: Any) -> None:
    runner = CliRunner()

    def run(login: str, *args: str) -> Any:
        return runner.invoke(cli_app, list(args), env={"RETIRE_LOGIN": login})

    assert run("alice", "init").exit_code == 0
    assert run("alice", "staff", "add", "carol", "--name", "Carol", "--role", "clerk").exit_code == 0
    first = run("carol", "case", "new", "--id", id_number(), "--name", "张三", "--json")
    case_no = json.loads(first.stdout)["case_no"]
    db = open_database(env["RETIRE_DB"])
    try:
        _set_status(db, case_no, "delivered")
    finally:
        db.close()
    again = run("carol", "case", "new", "--id", id_number(), "--name", "张三")
    assert again.exit_code == 1, again.output
    assert case_no in again.output and "already retired" in again.output and "Traceback" not in again.output
