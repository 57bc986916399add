"""Acceptance on a written promise (issue 16, Deliver 1): accept, the numbered letter, the paper, the deadline, key items."""
from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
import sqlite_utils
from docx import Document

from console.errors import PermissionDenied, Refused
from console.rules.materials import promise_rule
from console.rules.workdays import WorkCalendar
from console.services import intake, notices, prereview, promises, tasks
from console.services.identity import Actor
from db import cases as cases_db
from tests.workflow_helpers import BASIC_MATERIALS, TODAY, applicant, record_prereview

DEADLINE = WorkCalendar().add_working_days(TODAY, 20)[0]


@pytest.fixture(autouse=True)
def _zh(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETIRE_LANG", "zh")
    monkeypatch.delenv("RETIRE_TEMPLATES", raising=False)
    from console import i18n

    monkeypatch.setattr(i18n, "_current", None)


@pytest.fixture
def clerk(staff: Any) -> Actor:
    return staff("clerk", "clerk", "hrss_reviewer")


@pytest.fixture
def boss(staff: Any) -> Actor:
    return staff("boss", "supervisor")


def health_case(db: sqlite_utils.Database, clerk: Actor, received: tuple[str, ...] = BASIC_MATERIALS, seq: int = 11) -> str:
    """A draft case asking for the health commission's reward, brought without the only-child certificate."""
    case = intake.open_case(db, clerk, applicant(seq), "normal", ["health", "medical"], list(received), today=TODAY)
    record_prereview(db, clerk, case["case_no"])
    prereview.confirm(db, clerk, case["case_no"])  # acceptance (on a promise too) needs the reviewer's confirmation
    return str(case["case_no"])


def _audit(db: sqlite_utils.Database, action: str) -> list[dict[str, Any]]:
    return [dict(r) for r in db.query("SELECT * FROM audit WHERE action = ?", [action])]


def _health_task(db: sqlite_utils.Database, case_no: str) -> dict[str, Any]:
    case = cases_db.load(db, case_no)
    return next(dict(r) for r in db.query("SELECT * FROM tasks WHERE case_id = ? AND item = 'health.reward'", [case["id"]]))


def test_the_table_never_lets_a_key_item_be_promised() -> None:
    assert promise_rule("normal", "one_child_certificate") is not None
    for key in ("personal_archive", "id_card_hukou", "disability_appraisal", "work_injury_appraisal"):
        for kind in ("normal", "illness", "work_injury", "special_work"):
            assert promise_rule(kind, key) is None


def test_plain_acceptance_refuses_and_the_promise_is_offered(db: sqlite_utils.Database, clerk: Actor) -> None:
    case_no = health_case(db, clerk)
    with pytest.raises(Refused):
        intake.accept_case(db, clerk, case_no, today=TODAY)
    assert promises.offer(db, cases_db.load(db, case_no), TODAY) == ["one_child_certificate"]


def test_accept_on_promise_issues_a_numbered_letter_that_prints(db: sqlite_utils.Database, clerk: Actor) -> None:
    case_no = health_case(db, clerk)
    out = promises.accept_on_promise(db, clerk, case_no, ["one_child_certificate"], today=TODAY)
    assert out.decision.status == "accepted" and out.decision.notice_number
    assert out.letter_number == "固人社承〔2026〕1号"
    case = cases_db.load(db, case_no)
    assert case["status"] == "accepted"
    [promise] = promises.list_promises(db, clerk, case_no=case_no, today=TODAY)
    assert (promise["status"], promise["deadline"], promise["on_expiry"]) == ("open", DEADLINE.isoformat(), "hold")
    assert promise["clock"]["days_left"] == 20 and promise["clock"]["colour"] == ""
    text = notices.render_text(db, clerk, case_no, "promise")
    assert "容缺受理承诺书" in text and out.letter_number in text and "独生子女" in text
    assert f"{DEADLINE.year}年{DEADLINE.month}月{DEADLINE.day}日" in text and out.decision.notice_number in text
    english = notices.render_text(db, clerk, case_no, "promise", lang="en")
    assert "Promise Letter" in english and "One-child" in english and "国发〔2024〕3号" in english
    doc = Document(io.BytesIO(notices.docx_bytes(db, clerk, case_no, "promise")))
    body = "\n".join(p.text for p in doc.paragraphs) + "\n".join(c.text for tb in doc.tables for row in tb.rows for c in row.cells)
    assert out.letter_number in body and "承诺人" in body
    assert notices.docx_bytes(db, clerk, case_no, "promise") == notices.docx_bytes(db, clerk, case_no, "promise")
    [row] = _audit(db, "promise.accept")
    assert json.loads(row["detail"])["promised"] == ["one_child_certificate"]


def test_paper_arrives_and_the_promise_closes(db: sqlite_utils.Database, clerk: Actor) -> None:
    case_no = health_case(db, clerk)
    promises.accept_on_promise(db, clerk, case_no, ["one_child_certificate"], today=TODAY)
    promises.paper_arrived(db, clerk, case_no, "one_child_certificate", today=TODAY + timedelta(days=3))
    [promise] = promises.list_promises(db, clerk, case_no=case_no, today=TODAY)
    assert promise["status"] == "fulfilled" and promise["closed_by"] == "clerk"
    got = {m["code"]: m["received"] for m in cases_db.materials(db, cases_db.load(db, case_no)["id"])}
    assert got["one_child_certificate"] == 1
    assert promises.list_promises(db, clerk, today=TODAY) == []
    assert len(_audit(db, "promise.fulfilled")) == 1
    with pytest.raises(Refused):
        promises.paper_arrived(db, clerk, case_no, "one_child_certificate", today=TODAY)


def test_deadline_passes_health_task_held_and_listed(db: sqlite_utils.Database, clerk: Actor, boss: Actor) -> None:
    case_no = health_case(db, clerk)
    promises.accept_on_promise(db, clerk, case_no, ["one_child_certificate"], today=TODAY)
    soon = WorkCalendar().add_working_days(TODAY, 18)[0]
    [row] = promises.list_promises(db, boss, today=soon)
    assert row["clock"]["colour"] == "yellow"
    late = DEADLINE + timedelta(days=1)
    assert promises.list_promises(db, boss, expired=True, today=DEADLINE) == []
    [expired] = promises.list_promises(db, boss, expired=True, today=late)
    assert expired["case_no"] == case_no and expired["clock"]["colour"] == "red" and expired["expired"]
    with pytest.raises(PermissionDenied):
        promises.enforce(db, clerk, today=late)
    before = _health_task(db, case_no)["status"]
    [done] = promises.enforce(db, boss, today=late)
    assert done["action"] == "hold"
    assert _health_task(db, case_no)["status"] == "held"
    others = [r["status"] for r in db.query("SELECT status FROM tasks WHERE item != 'health.reward'")]
    assert "held" not in others
    assert promises.enforce(db, boss, today=late) == []  # applied once
    [row] = _audit(db, "promise.enforce")
    assert json.loads(row["detail"])["action"] == "hold" and row["actor"].endswith("boss")
    # the approval goes on meanwhile; the held task does not open when it is done
    approval = next(t for t in tasks.list_for(db, clerk, "hrss") if t["item"] == "hrss.approval")
    tasks.claim(db, clerk, approval["id"])
    tasks.complete(db, clerk, approval["id"], "approved", today=late)
    assert _health_task(db, case_no)["status"] == "held"
    # the paper comes late: the health task runs again, now open since the approval is done
    promises.paper_arrived(db, clerk, case_no, "one_child_certificate", today=late)
    task = _health_task(db, case_no)
    assert before == "waiting" and task["status"] == "open" and task["due_date"]


def test_a_key_item_can_never_be_promised(db: sqlite_utils.Database, clerk: Actor) -> None:
    case_no = health_case(db, clerk, received=("id_card_hukou", "ssc_card"))
    with pytest.raises(Refused) as err:
        promises.accept_on_promise(db, clerk, case_no, ["personal_archive"], today=TODAY)
    assert err.value.key == "promises.key_item"
    with pytest.raises(Refused) as err:  # the certificate alone is not enough: the archive is missing too
        promises.accept_on_promise(db, clerk, case_no, ["one_child_certificate"], today=TODAY)
    assert err.value.key == "promises.not_only_promised"
    assert promises.offer(db, cases_db.load(db, case_no), TODAY) == []
    assert cases_db.load(db, case_no)["status"] == "draft"
    assert list(db.query("SELECT * FROM promises")) == []


def test_cli_accept_on_promise_print_and_refuse(env: dict[str, str], cli_app: Any, tmp_path: Any) -> None:
    """The CLI on the real date: accept with --promise, print the letter, list, paper; a key item exits 1."""
    from tests.test_cli_workflow import Shell
    from tests.workflow_helpers import id_number, write_payload

    sh = Shell(cli_app)
    sh.run("alice", "init")
    sh.run("alice", "staff", "add", "carol", "--name", "Carol", "--role", "clerk", "--role", "hrss_reviewer")
    payload = write_payload(tmp_path / "prereview.json")
    cases = []
    for seq, received in ((11, BASIC_MATERIALS), (13, ("id_card_hukou", "ssc_card"))):
        args = [a for code in received for a in ("--received", code)]
        new = sh.json("carol", "case", "new", "--id", id_number(seq), "--name", "张三", "--joint", "health", *args)
        sh.json("carol", "prereview", new["case_no"], "--file", str(payload))
        sh.json("carol", "prereview", new["case_no"], "--confirm")
        cases.append(new["case_no"])
    good, short = cases
    sh.run("carol", "case", "accept", good, code=1)
    refused = sh.run("carol", "case", "accept", short, "--promise", "personal_archive", code=1)
    assert "key item" in refused.stderr
    sh.run("carol", "case", "accept", good, "--promise", "no_such_paper", code=2)
    out = sh.json("carol", "case", "accept", good, "--promise", "one_child_certificate")
    assert out["status"] == "accepted" and out["promise_letter"].startswith("固人社承〔")
    letter = sh.run("carol", "notice", good, "--kind", "promise").stdout
    assert out["promise_letter"] in letter and "One-child" in letter
    docx = tmp_path / "letter.docx"
    sh.run("carol", "notice", good, "--kind", "promise", "--format", "docx", "--out", str(docx))
    assert docx.read_bytes()[:2] == b"PK"
    [listed] = sh.json("carol", "case", "promises")
    assert listed["case_no"] == good and listed["status"] == "open" and listed["clock"]["days_left"] == 20
    assert sh.json("carol", "case", "promises", "--expired") == []
    shown = sh.json("carol", "case", "show", good)
    assert [(p["material"], p["status"], p["clock"]["working_days_left"]) for p in shown["promises"]] == [
        ("one_child_certificate", "open", 20)]
    assert "One-child" in sh.run("carol", "case", "show", good).stdout
    sh.run("carol", "case", "promises", "--enforce", code=1)  # a clerk may not apply the rule
    assert sh.json("alice", "case", "promises", "--enforce") == []
    sh.json("carol", "case", "paper", good, "--material", "one_child_certificate")
    assert sh.json("carol", "case", "promises") == []
    shown = sh.run("carol", "case", "promises", "--case", good).stdout
    assert "paper received" in shown


def test_a_withdraw_rule_withdraws_the_acceptance(db: sqlite_utils.Database, clerk: Actor, boss: Actor,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A hall whose table says 'withdraw' for a paper: past the deadline the case is withdrawn and its tasks held."""
    from console.rules import materials

    rule = materials.PromiseRule("ssc_card", materials.CASE_KINDS, 5, materials.WITHDRAW, "hall rule")
    monkeypatch.setattr(materials, "PROMISE_RULES", (*materials.PROMISE_RULES, rule))
    case_no = health_case(db, clerk, received=("id_card_hukou", "personal_archive"))
    out = promises.accept_on_promise(db, clerk, case_no, ["ssc_card", "one_child_certificate"], today=TODAY)
    assert sorted(out.promised) == ["one_child_certificate", "ssc_card"]
    late = WorkCalendar().add_working_days(TODAY, 6)[0]
    [done] = promises.enforce(db, boss, today=late)  # the certificate's 20 days are not up yet
    assert done["action"] == "withdraw" and done["material"] == "ssc_card"
    assert cases_db.load(db, case_no)["status"] == "withdrawn"
    assert {r["status"] for r in db.query("SELECT status FROM tasks")} <= {"held", "done"}
    with pytest.raises(Refused):
        promises.paper_arrived(db, clerk, case_no, "ssc_card", today=late)
    assert promises.list_promises(db, boss, today=late) == []  # the certificate's promise went with the case
    with pytest.raises(Refused):
        promises.paper_arrived(db, clerk, case_no, "one_child_certificate", today=late)
    assert promises.enforce(db, boss, today=late + timedelta(days=60)) == []
