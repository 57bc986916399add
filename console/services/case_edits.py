"""Changes after registration: the applicant's contact details, the case's joint items, a withdrawal.

Each is one transaction, versioned (the caller names the version it read; a
colleague's save first is a StaleVersion naming who and when) and audited
with the before and after of what changed, so nothing an applicant said at
the window is lost by a later edit.

Joint items (联办事项) change only while their task has not started: adding
one after acceptance creates its task (open if the item it waits for is
done, else waiting); removing one drops its task only while nobody has
claimed it.  A withdrawal (撤回) ends an open case at the applicant's word:
its pending tasks are held, as a promise's withdrawal holds them, and open
promises close; the reason is the line in the case file (the audit row the
timeline of ``case show`` and the case detail show).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from console.errors import BadInput, NotFound, Refused
from console.i18n import t
from console.rules.materials import required_materials
from console.rules.task_plan import SPECS, TaskSpec, tasks_for
from console.services import door
from console.services.clocks import calendar_for, due_date
from console.services.identity import Actor, require_role
from console.services.role_matrix import BY_CODE
from console.vocabulary import CASE_STATUS, DRAFT_STATUSES, HOLDABLE_TASK_STATUSES, JOINT_ITEMS, OPEN_STATUSES, TASK_STATUS
from db import audit
from db import cases as cases_db
from db import persons as persons_db
from db import promises as promises_db
from db import tasks as tasks_db
from db.clock import now_iso, stamp_on
from db.connection import transaction
from db.versioning import update_versioned

if TYPE_CHECKING:
    from db.engine import Database

EDIT_ROLES = BY_CODE["person.edit"].roles
CASE_EDIT_ROLES = BY_CODE["case.edit"].roles
WITHDRAW_ROLES = BY_CODE["case.withdraw"].roles
PERSON_FIELDS = ("phone", "address", "bank_card")
"""What may change on a registered person: the name, ID number and sex come from the ID card."""
NOT_STARTED = ("waiting", "open")
"""A task nobody has claimed, returned or held yet: its joint item may still be dropped."""


def _clean(field: str, value: str | None) -> str | None:
    if field == "phone":
        return door.phone(value)
    if field == "bank_card":
        return door.bank_card(value)
    return door.text(value, "address")


def masked(field: str, value: Any) -> Any:
    """A bank card in the audit trail shows its last four digits only (the trail is read widely)."""
    if field == "bank_card" and value:
        return "*" * (len(str(value)) - 4) + str(value)[-4:]
    return value


def edit_person(
    db: Database, actor: Actor, id_number: str, changes: Mapping[str, str | None], expected_version: int | None = None,
    case_no: str | None = None,
) -> dict[str, Any]:
    """Change phone, address or bank card of a registered person; ``""`` clears a field, a missing key keeps it.

    The audit row belongs to ``case_no`` when given (the case the clerk edits
    from), else to the person's open case, so the case's timeline shows it.
    """
    require_role(actor, *EDIT_ROLES)
    unknown = [k for k in changes if k not in PERSON_FIELDS]
    if unknown:
        raise BadInput("case_edits.bad_field", value=", ".join(unknown), allowed=", ".join(PERSON_FIELDS))
    wanted = {k: _clean(k, v) for k, v in changes.items()}
    number = door.id_number(id_number)
    with transaction(db):
        person = persons_db.by_id_number(db, number)
        if person is None:
            raise NotFound("case_edits.no_person", id_number=number)
        case_id = _case_of(db, int(person["id"]), case_no)
        diff = {k: v for k, v in wanted.items() if (person.get(k) or None) != v}
        version = int(person["version"]) if expected_version is None else int(expected_version)
        if diff:
            version = update_versioned(db, "persons", person["id"], version, diff, actor.login)
            audit.append(db, actor.audit_name, "person.edit", case_id=case_id, entity="person", entity_id=person["id"], detail={
                "id_number": person["id_number"], "name": person["name"],
                "before": {k: masked(k, person.get(k)) for k in diff}, "after": {k: masked(k, v) for k, v in diff.items()}})
        fresh = persons_db.get(db, int(person["id"])) or {}
    return {"person": fresh, "changed": sorted(diff), "version": version}


def _case_of(db: Database, person_id: int, case_no: str | None) -> int | None:
    if case_no is None:
        case = cases_db.open_case_for_person(db, person_id)
        return None if case is None else int(case["id"])
    case = cases_db.load(db, case_no)
    if int(case["person_id"]) != person_id:
        raise BadInput("case_edits.other_person", case_no=case["case_no"])
    return int(case["id"])


def edit_after_registration(
    db: Database, actor: Actor, case_no: str, person_changes: Mapping[str, str | None],
    add: Iterable[str] = (), remove: Iterable[str] = (), person_version: int | None = None, case_version: int | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The case detail's edit form: the person's fields and the joint items in one transaction (both or neither)."""
    require_role(actor, *EDIT_ROLES)
    out: dict[str, Any] = {"changed": [], "joint_items": None}
    with transaction(db):
        case = cases_db.load(db, case_no)
        person = persons_db.get(db, int(case["person_id"])) or {}
        if person_changes:
            out["changed"] = edit_person(db, actor, person["id_number"], person_changes, person_version, case["case_no"])["changed"]
        if add or remove:
            out["joint_items"] = edit_case(db, actor, case["case_no"], add, remove, case_version, today)["joint_items"]
    return out


def _check_joint(items: Iterable[str]) -> list[str]:
    out = sorted(set(items))
    for item in out:
        if item not in JOINT_ITEMS:
            raise BadInput("intake.bad_joint_item", value=item, allowed=", ".join(JOINT_ITEMS))
    return out


def _joint_specs(item: str) -> list[TaskSpec]:
    return [s for s in tasks_for([item]) if s.joint_item == item]


def _drop_tasks(db: Database, case: dict[str, Any], item: str) -> list[int]:
    """The item's tasks, refused in words if one has started (claimed, returned, done, held)."""
    mine = [task for task in tasks_db.for_case(db, case["id"]) if getattr(SPECS.get(task["item"]), "joint_item", None) == item]
    started = [task for task in mine if task["status"] not in NOT_STARTED]
    if started:
        raise Refused("case_edits.task_started", case_no=case["case_no"], item=t(f"joint_items.{item}"),
                      status=t(TASK_STATUS.key(started[0]["status"])))
    for task in mine:
        tasks_db.delete(db, int(task["id"]))
    return [int(task["id"]) for task in mine]


def _add_tasks(db: Database, actor: Actor, case: dict[str, Any], item: str, today: date) -> list[int]:
    """The item's tasks on an accepted case: open if what they wait for is done, else waiting."""
    done = {task["item"] for task in tasks_db.for_case(db, case["id"]) if task["status"] == "done"}
    ids = []
    for spec in _joint_specs(item):
        status = "open" if spec.after is None or spec.after in done else "waiting"
        due = due_date(spec.item, today, calendar_for(db)) if status == "open" else None
        ids.append(tasks_db.insert(db, case["id"], spec.department, spec.item, status, due, actor.login, stamp_on(today)))
    return ids


def _materials_for(db: Database, case: dict[str, Any], joint: list[str]) -> None:
    """The checklist follows the joint items: new papers to bring, dropped ones not received removed."""
    person = persons_db.get(db, case["person_id"]) or {}
    required = [m.code for m in required_materials(case["kind"], joint, person.get("employer_id") is not None)]
    cases_db.set_materials(db, case["id"], required, [])
    cases_db.drop_unreceived_materials(db, case["id"], keep=required)


def edit_case(
    db: Database, actor: Actor, case_no: str, add: Iterable[str] = (), remove: Iterable[str] = (),
    expected_version: int | None = None, today: date | None = None,
) -> dict[str, Any]:
    """Add or remove joint items of an open case; after acceptance an added item gets its task."""
    require_role(actor, *CASE_EDIT_ROLES)
    plus, minus = _check_joint(add), _check_joint(remove)
    if set(plus) & set(minus):
        raise BadInput("case_edits.add_and_remove", value=", ".join(sorted(set(plus) & set(minus))))
    today = today or date.today()
    with transaction(db):
        case = cases_db.load(db, case_no)
        if case["status"] not in OPEN_STATUSES:
            raise Refused("case_edits.closed", case_no=case["case_no"], status=t(CASE_STATUS.key(case["status"])))
        before = list(case["joint_items"])
        plus = [i for i in plus if i not in before]
        minus = [i for i in minus if i in before]
        after = sorted((set(before) | set(plus)) - set(minus))
        version = int(case["version"]) if expected_version is None else int(expected_version)
        added: list[int] = []
        removed: list[int] = []
        if after != sorted(before):
            version = update_versioned(db, "cases", case["id"], version, {"joint_items": json.dumps(after)}, actor.login)
            if case["status"] not in DRAFT_STATUSES:
                for item in minus:
                    removed += _drop_tasks(db, case, item)
                for item in plus:
                    added += _add_tasks(db, actor, case, item, today)
            _materials_for(db, case, after)
            audit.append(db, actor.audit_name, "case.edit", case_id=case["id"], entity="case", entity_id=case["case_no"], detail={
                "before": {"joint_items": sorted(before)}, "after": {"joint_items": after},
                "tasks_added": added, "tasks_removed": removed})
    return {"case_no": case["case_no"], "joint_items": after, "version": version, "tasks_added": added, "tasks_removed": removed}


def hold_pending_tasks(db: Database, actor: Actor, case_id: int) -> list[dict[str, Any]]:
    """Hold every task still to do (as an unmet promise's withdrawal does); returns each with the status it had."""
    held = []
    for task in tasks_db.for_case(db, case_id):
        if task["status"] in HOLDABLE_TASK_STATUSES:
            update_versioned(db, "tasks", task["id"], task["version"], {"status": "held"}, actor.login)
            held.append({"id": task["id"], "status": task["status"]})
    return held


def withdraw_case(
    db: Database, actor: Actor, case_no: str, reason: str, expected_version: int | None = None,
) -> dict[str, Any]:
    """The applicant withdraws (撤回): an open case ends as withdrawn, its tasks held, its promises closed."""
    require_role(actor, *WITHDRAW_ROLES)
    if not (reason or "").strip():
        raise BadInput("case_edits.reason_required")
    reason = door.required_text(reason, "reason")
    with transaction(db):
        case = cases_db.load(db, case_no)
        if case["status"] not in OPEN_STATUSES:
            raise Refused("case_edits.not_open", case_no=case["case_no"], status=t(CASE_STATUS.key(case["status"])))
        version = int(case["version"]) if expected_version is None else int(expected_version)
        version = update_versioned(db, "cases", case["id"], version,
                                   {"status": "withdrawn", "completed_at": now_iso(), "paused_since": None}, actor.login)
        held = hold_pending_tasks(db, actor, case["id"])
        closed = [p["id"] for p in promises_db.for_case(db, case["id"]) if p["status"] == "open"]
        for promise_id in closed:
            promises_db.set_status(db, promise_id, "enforced", actor.login)
        audit.append(db, actor.audit_name, "case.withdraw", case_id=case["id"], entity="case", entity_id=case["case_no"], detail={
            "reason": reason, "was": case["status"], "held_tasks": [h["id"] for h in held], "promises_closed": closed})
    return {"case_no": case["case_no"], "status": "withdrawn", "version": version, "reason": reason,
            "held_tasks": [h["id"] for h in held]}
