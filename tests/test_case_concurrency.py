"""Two processes saving the same case at the same moment: exactly one wins, nothing is lost.

Each child (multiprocessing, spawn: a fresh interpreter, like a second clerk's
SSH session) opens the database itself, reads the row's version, waits on a
barrier so both save together, then calls the service with
expected_version=that version.  The loser must get StaleVersion or a state
refusal, and the audit log must show exactly one action.
"""
from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Any

import pytest

from console.services import tasks
from console.services.identity import resolve_actor
from tests.workflow_helpers import (
    TODAY,
    accepted_case,
    audit_actions,
    case_row,
    ready_case,
    task_ids,
    task_statuses,
    worker,
)

LOSER_ERRORS = {"StaleVersion", "Refused"}


def race(db_path: Path, jobs: list[tuple[str, str, Any, dict[str, Any]]]) -> list[tuple[str, str, str, str]]:
    """Run ``jobs`` (login, op, target, extra) in spawned processes released together; their outcomes."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(jobs))
    out = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(str(db_path), login, op, target, barrier, out, extra))
             for login, op, target, extra in jobs]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    return results


@pytest.fixture
def carol(staff):
    return staff("carol", "clerk", "hrss_reviewer")


def test_accept_and_refuse_at_the_same_time(db, db_path, carol, staff) -> None:
    staff("dora", "clerk")
    case_no = ready_case(db, carol)
    results = race(db_path, [
        ("carol", "case.accept", case_no, {"today": TODAY}),
        ("dora", "case.refuse", case_no, {"today": TODAY, "reason": "申请人撤回"}),
    ])
    outcomes = sorted(r[2] for r in results)
    assert outcomes.count("ok") == 1, results
    loser = next(r for r in results if r[2] != "ok")
    assert loser[2] in LOSER_ERRORS, results
    winner = next(r for r in results if r[2] == "ok")
    case = case_row(db, case_no)
    decisions = [a for a in audit_actions(db, case_no) if a in ("case.accept", "case.refuse")]
    assert len(decisions) == 1
    if winner[1] == "case.accept":
        assert case["status"] == "accepted" and decisions == ["case.accept"]
        assert db.execute("SELECT count(*) FROM tasks").fetchone()[0] == 5
        assert [r[0] for r in db.execute("SELECT kind FROM notices").fetchall()] == ["acceptance"]
    else:
        assert case["status"] == "refused" and decisions == ["case.refuse"]
        assert db.execute("SELECT count(*) FROM tasks").fetchone()[0] == 0
        assert [r[0] for r in db.execute("SELECT kind FROM notices").fetchall()] == ["refusal"]
    assert case["version"] == 2  # one save on top of the version both read


def test_two_claims_of_the_same_task(db, db_path, carol, staff) -> None:
    staff("clara", "clerk")
    case_no, _ = accepted_case(db, carol)
    card = task_ids(db, case_no)["hrss.card"]
    results = race(db_path, [
        ("carol", "task.claim", card, {}),
        ("clara", "task.claim", card, {}),
    ])
    assert [r[2] for r in results].count("ok") == 1, results
    loser = next(r for r in results if r[2] != "ok")
    assert loser[2] in LOSER_ERRORS
    winner = next(r for r in results if r[2] == "ok")[0]
    row = db.execute("SELECT status, version, assignee_id FROM tasks WHERE id = ?", [card]).fetchone()
    assignee = db.execute("SELECT login FROM staff WHERE id = ?", [row[2]]).fetchone()[0]
    assert (row[0], row[1], assignee) == ("claimed", 2, winner)
    claims = db.execute("SELECT actor FROM audit WHERE action = 'task.claim'").fetchall()
    assert [c[0] for c in claims] == [winner]
    assert case_row(db, case_no)["status"] == "in_progress"


def test_claim_and_return_of_the_same_task(db, db_path, carol, staff) -> None:
    staff("clara", "clerk")
    case_no, _ = accepted_case(db, carol)
    card = task_ids(db, case_no)["hrss.card"]
    results = race(db_path, [
        ("carol", "task.claim", card, {}),
        ("clara", "task.return", card, {"missing": "社保卡原件"}),
    ])
    assert [r[2] for r in results].count("ok") >= 1, results
    acts = [a for a in audit_actions(db, case_no) if a in ("task.claim", "task.return")]
    ok = [r[1] for r in results if r[2] == "ok"]
    # whichever ran first, the audit holds exactly the saves that succeeded, in a consistent final state
    assert sorted(acts) == sorted(ok)
    for r in results:
        assert r[2] == "ok" or r[2] in LOSER_ERRORS, results
    status = task_statuses(db, case_no)["hrss.card"]
    version = db.execute("SELECT version FROM tasks WHERE id = ?", [card]).fetchone()[0]
    assert version == 1 + len(ok)
    assert status == ("claimed" if ok == ["task.claim"] else "returned")


def test_different_tasks_claimed_together_move_the_case_once(db, db_path, carol, staff) -> None:
    staff("clara", "clerk")
    case_no, _ = accepted_case(db, carol)
    ids = task_ids(db, case_no)
    v = case_row(db, case_no)["version"]
    results = race(db_path, [
        ("carol", "task.claim", ids["hrss.approval"], {}),
        ("clara", "task.claim", ids["hrss.card"], {}),
    ])
    assert [r[2] for r in results] == ["ok", "ok"], results
    case = case_row(db, case_no)
    assert case["status"] == "in_progress" and case["version"] == v + 1
    assert audit_actions(db, case_no).count("task.claim") == 2


def test_last_two_tasks_done_together_complete_the_case_once(db, db_path, carol, staff) -> None:
    staff("mel", "medical")
    case_no, _ = accepted_case(db, carol, joint=("medical",))
    ids = task_ids(db, case_no)
    for item in ("hrss.card", "hrss.approval", "hrss.benefit"):
        tasks.claim(db, carol, ids[item])
        tasks.complete(db, carol, ids[item], "ok", today=TODAY)
    mel = resolve_actor(db, "mel")
    tasks.claim(db, carol, ids["hrss.social_management"])
    tasks.claim(db, mel, ids["medical.transfer"])
    results = race(db_path, [
        ("carol", "task.done", ids["hrss.social_management"], {"result": "纳入社会化管理", "today": TODAY}),
        ("mel", "task.done", ids["medical.transfer"], {"result": "医保转退休", "today": TODAY}),
    ])
    assert [r[2] for r in results] == ["ok", "ok"], results
    assert set(task_statuses(db, case_no).values()) == {"done"}
    assert case_row(db, case_no)["status"] == "completed"
    assert audit_actions(db, case_no).count("case.complete") == 1


def test_two_windows_open_a_case_for_the_same_person(db, db_path, carol, staff) -> None:
    staff("dora", "clerk")
    results = race(db_path, [
        ("carol", "case.open", 11, {"today": TODAY}),
        ("dora", "case.open", 11, {"today": TODAY}),
    ])
    assert sorted(r[2] for r in results) == ["Refused", "ok"], results
    assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM persons").fetchone()[0] == 1
    assert audit_actions(db).count("case.open") == 1
    assert audit_actions(db).count("person.register") == 1
    assert db.execute("SELECT last FROM case_counters").fetchone()[0] == 1  # the loser's number was given back
