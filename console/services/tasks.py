"""Department tasks: created on acceptance, claimed, completed or returned.

A department's staff act only on their own department's tasks (checked here,
not only hidden in the UI).  The case completes when every task is done.
"""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from console.errors import NotFound, PermissionDenied, Refused
from console.i18n import t
from console.rules.task_plan import SPECS, CaseNeeds, case_completed, needs_for, opening_status, opens_when_done, plan
from console.services import door
from console.services.clocks import calendar_for, due_date
from console.services.identity import Actor, require_role
from console.services.role_matrix import CASE_READERS, INTAKE
from console.settings import load_parameters
from console.vocabulary import (
    CLAIMABLE_TASK_STATUSES,
    DEPARTMENT,
    RETURNABLE_TASK_STATUSES,
    TASK_STATUS,
)
from db import audit
from db import cases as cases_db
from db import facts as facts_db
from db import persons as persons_db
from db import tasks as tasks_db
from db.clock import now_iso, stamp_on
from db.connection import transaction
from db.versioning import update_versioned

if TYPE_CHECKING:
    from db.engine import Database


def needs_of(db: Database, case: dict[str, Any]) -> CaseNeeds:
    """What the applicant's stored record says about the HRSS items done as the case needs."""
    person = persons_db.get(db, case["person_id"]) or {}
    return needs_for(persons_db.periods(db, int(case["person_id"])), person.get("bank_card"),
                     person.get("employer_id") is not None, load_parameters())


def create_tasks(db: Database, actor: Actor, case: dict[str, Any], today: date) -> list[int]:
    """Inside the acceptance transaction: one task per basic item, chosen joint item and HRSS item the
    case's data calls for, each with the reason it was added."""
    cal = calendar_for(db)
    ids = []
    for planned in plan(case["joint_items"], needs_of(db, case)):
        spec = planned.spec
        status = opening_status(spec)
        due = due_date(spec.item, today, cal) if status == "open" else None
        ids.append(tasks_db.insert(db, case["id"], spec.department, spec.item, status, due, actor.login, stamp_on(today),
                                   planned.reason_json()))
    return ids


def _load(db: Database, task_id: int) -> dict[str, Any]:
    task = tasks_db.get(db, task_id)
    if task is None:
        raise NotFound("tasks.not_found", id=task_id)
    return task


def _check_department(actor: Actor, task: dict[str, Any]) -> None:
    if not actor.in_department(task["department"]):
        raise PermissionDenied("tasks.other_department", login=actor.login, department=t(DEPARTMENT.key(task['department'])))


def _check_status(task: dict[str, Any], allowed: tuple[str, ...], action: str) -> None:
    if task["status"] not in allowed:
        raise Refused("tasks.wrong_state", id=task["id"], status=t(TASK_STATUS.key(task['status'])), action=t(f"actions.{action}"))


def _version(task: dict[str, Any], expected: int | None) -> int:
    """The version the caller read; None (a CLI command without --version) means the row as it is now.

    Acting on "now" is safe only because every use-case below also refuses what
    would undo a colleague (a claim of a claimed task, finishing a task someone
    else holds without take-over): the version guards the rest.
    """
    return int(task["version"]) if expected is None else int(expected)


def needs_reviewer(item: str) -> bool:
    """Whether only an HRSS reviewer may claim and complete ``item`` (the screens ask before offering it)."""
    spec = SPECS.get(item)
    return spec is not None and spec.reviewer_only


def _check_reviewer(actor: Actor, task: dict[str, Any], key: str = "tasks.reviewer_only") -> None:
    if needs_reviewer(task["item"]) and not actor.has_role("hrss_reviewer"):
        raise PermissionDenied(key, item=t(f"items.{task['item']}"))


def _check_holder(actor: Actor, task: dict[str, Any], take_over: bool) -> str | None:
    """The login holding a claimed task if it is someone else (take-over given); refused without take-over."""
    if task["status"] != "claimed" or task["assignee_id"] is None or int(task["assignee_id"]) == actor.staff_id:
        return None
    if not take_over:
        raise Refused("tasks.held_by_other", id=task["id"], who=task["assignee"] or "?", when=task["updated_at"] or "?")
    return str(task["assignee"] or "?")


def claim(db: Database, actor: Actor, task_id: int, expected_version: int | None = None) -> dict[str, Any]:
    """Take an open (or returned) task of one's own department.

    A task someone else has claimed is refused naming them (never re-assigned:
    a colleague's claim is not undone by a command acting on an old list); a
    task the actor could not complete (the approval: reviewers only) is
    refused too, so it is not held by someone who cannot finish it.
    """
    with transaction(db):
        task = _load(db, task_id)
        _check_department(actor, task)
        if task["status"] == "claimed":
            if task["assignee_id"] is not None and int(task["assignee_id"]) == actor.staff_id:
                raise Refused("tasks.already_yours", id=task_id)
            raise Refused("tasks.held_by_other", id=task_id, who=task["assignee"] or "?", when=task["updated_at"] or "?")
        _check_status(task, CLAIMABLE_TASK_STATUSES, "claim")
        _check_reviewer(actor, task, "tasks.reviewer_only_claim")
        update_versioned(db, "tasks", task_id, _version(task, expected_version), {"status": "claimed", "assignee_id": actor.staff_id}, actor.login)
        case = cases_db.get(db, task["case_id"])
        assert case is not None
        if case["status"] == "accepted":
            update_versioned(db, "cases", case["id"], case["version"], {"status": "in_progress"}, actor.login)
        audit.append(db, actor.audit_name, "task.claim", case_id=task["case_id"], task_id=task_id, entity="task", entity_id=task["item"])
    return _load(db, task_id)


def _open_followers(db: Database, actor: Actor, case_id: int, done_item: str, today: date) -> list[int]:
    cal = calendar_for(db)
    opened = []
    for other in tasks_db.for_case(db, case_id):
        if other["status"] == "waiting" and opens_when_done(other["item"], done_item):
            update_versioned(
                db, "tasks", other["id"], other["version"],
                {"status": "open", "opened_at": stamp_on(today), "due_date": due_date(other["item"], today, cal)}, actor.login,
            )
            audit.append(db, actor.audit_name, "task.open", case_id=case_id, task_id=other["id"], entity="task", entity_id=other["item"])
            opened.append(int(other["id"]))
    return opened


def _take_over(db: Database, actor: Actor, task: dict[str, Any], previous: str | None, action: str) -> None:
    if previous is not None:
        audit.append(db, actor.audit_name, "task.take_over", case_id=task["case_id"], task_id=task["id"], entity="task", entity_id=task["item"],
                     detail={"from": previous, "to": actor.login, "for": action})


def complete(
    db: Database, actor: Actor, task_id: int, result: str, expected_version: int | None = None, today: date | None = None,
    take_over: bool = False,
) -> dict[str, Any]:
    """Finish a claimed task with its result; opens the tasks it gated; completes the case when all are done.

    A task claimed by someone else needs ``take_over`` (audited as
    task.take_over, naming the claimant); the task records who completed it.
    """
    today = today or date.today()
    if not (result or "").strip():
        raise Refused("tasks.result_required")
    result = door.required_text(result, "result")
    with transaction(db):
        task = _load(db, task_id)
        _check_department(actor, task)
        _check_status(task, ("claimed",), "done")
        _check_reviewer(actor, task)
        previous = _check_holder(actor, task, take_over)
        spec = SPECS.get(task["item"])
        if spec is not None and spec.needs_confirmed_prereview:
            facts = facts_db.get(db, task["case_id"])
            if facts is None or not facts["confirmed_at"]:
                raise Refused("tasks.prereview_not_confirmed", case_no=task["case_no"])
        update_versioned(
            db, "tasks", task_id, _version(task, expected_version),
            {"status": "done", "result": result, "done_at": now_iso(), "missing": None, "assignee_id": actor.staff_id, "completed_by": actor.login},
            actor.login,
        )
        _take_over(db, actor, task, previous, "done")
        audit.append(db, actor.audit_name, "task.done", case_id=task["case_id"], task_id=task_id, entity="task", entity_id=task["item"],
                detail={"result": result})
        _open_followers(db, actor, task["case_id"], task["item"], today)
        if case_completed(x["status"] for x in tasks_db.for_case(db, task["case_id"])):
            case = cases_db.get(db, task["case_id"])
            assert case is not None
            update_versioned(db, "cases", case["id"], case["version"], {"status": "completed", "completed_at": now_iso()}, actor.login)
            audit.append(db, actor.audit_name, "case.complete", case_id=case["id"], entity="case", entity_id=case["case_no"])
    return _load(db, task_id)


def return_task(
    db: Database, actor: Actor, task_id: int, missing: str, expected_version: int | None = None, take_over: bool = False,
) -> dict[str, Any]:
    """Send a task back naming what is missing (the window collects it; then it is claimed again).

    Returning a task someone else has claimed undoes their claim: it needs
    ``take_over`` (audited), like completing it.
    """
    if not (missing or "").strip():
        raise Refused("tasks.missing_required")
    missing = door.required_text(missing, "missing")
    with transaction(db):
        task = _load(db, task_id)
        _check_department(actor, task)
        _check_status(task, RETURNABLE_TASK_STATUSES, "return")
        previous = _check_holder(actor, task, take_over)
        update_versioned(db, "tasks", task_id, _version(task, expected_version), {"status": "returned", "missing": missing, "assignee_id": None}, actor.login)
        _take_over(db, actor, task, previous, "return")
        audit.append(db, actor.audit_name, "task.return", case_id=task["case_id"], task_id=task_id, entity="task", entity_id=task["item"],
                detail={"missing": missing})
    return _load(db, task_id)


def list_for(db: Database, actor: Actor, department: str | None = None, statuses: tuple[str, ...] = (), limit: int = 200) -> list[dict[str, Any]]:
    """Tasks of a department (default: the actor's own, if exactly one)."""
    require_role(actor, *CASE_READERS)  # every role but the auditor (docs/roles.md)
    if department is None and len(actor.departments) == 1:
        department = next(iter(actor.departments))
    return tasks_db.list_tasks(db, department, statuses, limit=limit)


def mine(db: Database, actor: Actor, limit: int = 200) -> list[dict[str, Any]]:
    """我的待办: the tasks the actor has claimed and not yet finished, the most urgent first."""
    require_role(actor, *CASE_READERS)
    return tasks_db.list_tasks(db, statuses=("claimed",), assignee_id=actor.staff_id, limit=limit)


def returned_to_window(db: Database, actor: Actor, limit: int = 200) -> list[dict[str, Any]]:
    """退回窗口的事项: tasks a department sent back naming missing papers, for the window to collect."""
    require_role(actor, *CASE_READERS)
    return tasks_db.list_tasks(db, statuses=("returned",), limit=limit)


def _returned_task(db: Database, actor: Actor, task_id: int, expected: int | None) -> tuple[dict[str, Any], int]:
    """A returned task the window may act on (intake roles), with the version the caller read."""
    require_role(actor, *INTAKE)
    task = _load(db, task_id)
    if task["status"] != "returned":
        raise Refused("tasks.not_returned", id=task_id, status=t(TASK_STATUS.key(task['status'])))
    return task, _version(task, expected)


def paper_arrived(
    db: Database, actor: Actor, task_id: int, paper: str, expected_version: int | None = None,
) -> dict[str, Any]:
    """The window received what a department asked for: the task opens again for its department.

    What was missing and what arrived are kept in the audit trail (task.paper_arrived).
    """
    paper = door.required_text(paper, "paper") if (paper or "").strip() else ""
    if not paper:
        raise Refused("tasks.paper_required")
    with transaction(db):
        task, version = _returned_task(db, actor, task_id, expected_version)
        update_versioned(db, "tasks", task_id, version, {"status": "open", "missing": None}, actor.login)
        audit.append(db, actor.audit_name, "task.paper_arrived", case_id=task["case_id"], task_id=task_id, entity="task",
                     entity_id=task["item"], detail={"missing": task["missing"], "arrived": paper})
    return _load(db, task_id)


def applicant_told(
    db: Database, actor: Actor, task_id: int, how: str, expected_version: int | None = None,
) -> dict[str, Any]:
    """The window told the applicant what a department still needs (how: phone, in person, ...); audited.

    The task stays returned until the paper arrives.  No notice is issued:
    the notices service has no reminder for a returned task yet.
    """
    how = door.required_text(how, "how") if (how or "").strip() else ""
    if not how:
        raise Refused("tasks.told_how_required")
    with transaction(db):
        task, version = _returned_task(db, actor, task_id, expected_version)
        update_versioned(db, "tasks", task_id, version, {}, actor.login)
        audit.append(db, actor.audit_name, "task.applicant_told", case_id=task["case_id"], task_id=task_id, entity="task",
                     entity_id=task["item"], detail={"missing": task["missing"], "how": how})
    return _load(db, task_id)
