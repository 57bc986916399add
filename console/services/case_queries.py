"""Reading cases: one case in full, and paged lists for the queue and the CLI."""
from __future__ import annotations

import json
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from console.rules.time_limits import ClockState, limit_for
from console.services.clocks import calendar_for, case_clock, promise_clock, queue_clock, task_clock
from console.services.identity import Actor, require_role
from console.services.role_matrix import CASE_READERS
from console.vocabulary import TASK_ATTENTION_ORDER
from db import audit
from db import cases as cases_db
from db import deliveries as deliveries_db
from db import facts as facts_db
from db import notices as notices_db
from db import persons as persons_db
from db import promises as promises_db
from db import tasks as tasks_db
from db.cases import CaseFilter
from db.cases import load as load_case

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database

DUE_SOON_DAYS = limit_for("due_soon_days").working_days


def clock_dict(state: ClockState | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {
        "due_date": state.due_date.isoformat() if state.due_date else None,
        "working_days_left": state.working_days_left,
        "state": state.state,
        "colour": state.colour,
        "provisional": state.provisional,
        "paused_days": state.paused_days,
    }


def show(db: Database, actor: Actor, case_no: str, today: date | None = None) -> dict[str, Any]:
    """Everything about one case: person, materials, tasks with clocks, facts, notices, delivery, audit."""
    require_role(actor, *CASE_READERS)  # every role but the auditor (docs/roles.md)
    today = today or date.today()
    cal = calendar_for(db)
    case = load_case(db, case_no)
    person = persons_db.get(db, case["person_id"]) or {}
    employer = persons_db.get_employer(db, person["employer_id"]) if person.get("employer_id") else None
    tasks = []
    for task in tasks_db.for_case(db, case["id"]):
        tasks.append({
            "id": task["id"], "department": task["department"], "item": task["item"], "status": task["status"],
            "assignee": task["assignee"], "result": task["result"], "missing": task["missing"],
            "opened_at": task["opened_at"], "done_at": task["done_at"], "version": task["version"],
            "completed_by": task.get("completed_by"),
            "reason": json.loads(task["reason"]) if task.get("reason") else None,  # why the task plan added it
            "clock": clock_dict(task_clock(task, today, cal)),
        })
    facts = facts_db.get(db, case["id"])
    history = audit.rows_for_case(db, case["id"])
    for row in history:
        if isinstance(row.get("detail"), str):
            row["detail"] = json.loads(row["detail"])
    return {
        "case_no": case["case_no"],
        "kind": case["kind"],
        "status": case["status"],
        "version": case["version"],
        "joint_items": case["joint_items"],
        "received_at": case["received_at"],
        "accepted_at": case["accepted_at"],
        "completed_at": case["completed_at"],
        "chosen_month": case["chosen_month"],
        "policy_version": case["policy_version"],
        "acceptance_notice_no": case["acceptance_notice_no"],
        "updated_by": case["updated_by"],
        "updated_at": case["updated_at"],
        "clock": clock_dict(case_clock(case, today, cal)),
        "person": {
            "id_number": person.get("id_number"), "name": person.get("name"), "sex": person.get("sex"),
            "birth_date_id": person.get("birth_date_id"), "phone": person.get("phone"), "address": person.get("address"),
            "hukou": person.get("hukou"), "staff_category": person.get("staff_category"), "female_group": person.get("female_group"),
            "archive_lost": bool(person.get("archive_lost")), "bank_card": person.get("bank_card"),
            "version": person.get("version"),
            "employer": {"credit_code": employer["credit_code"], "name": employer["name"]} if employer else None,
        },
        "materials": [{"code": m["code"], "received": bool(m["received"]), "note": m["note"]} for m in cases_db.materials(db, case["id"])],
        "promises": [
            {"material": p["material"], "status": p["status"], "deadline": p["deadline"], "on_expiry": p["on_expiry"],
             "notice_no": p["notice_no"], "closed_at": p["closed_at"], "clock": clock_dict(promise_clock(p, today, cal))}
            for p in promises_db.for_case(db, case["id"])
        ],
        "archive_records": persons_db.archive_records(db, case["person_id"]),
        "contribution_periods": persons_db.periods(db, case["person_id"]),
        "prereview": None if facts is None else {
            "computed_at": facts["computed_at"], "policy_version": facts["policy_version"], "version": facts["version"],
            "confirmed_by": facts["confirmed_by"], "confirmed_at": facts["confirmed_at"], "facts": facts["data"],
        },
        "tasks": tasks,
        "notices": [{"kind": n["kind"], "number": n["number"], "issued_at": n["issued_at"],
                "issued_by": n["issued_by"]} for n in notices_db.for_case(db, case["id"])],
        "deliveries": deliveries_db.for_case(db, case["id"]),
        "audit": history,
    }


def build_filter(
    statuses: list[str] | tuple[str, ...] = (),
    department: str | None = None,
    overdue: bool = False,
    due_soon: bool = False,
    received_from: str | None = None,
    received_to: str | None = None,
    text: str | None = None,
    today: date | None = None,
    db: Database | None = None,
) -> CaseFilter:
    """The filter the queue, ``case list`` and exports share."""
    today = today or date.today()
    f = CaseFilter(statuses=tuple(statuses), department=department, received_from=received_from, received_to=received_to, text=text or None)
    if overdue:
        f.overdue_before = today.isoformat()
    if due_soon:
        cal = calendar_for(db) if db is not None else None
        if cal is not None:
            limit, _ = cal.add_working_days(today, DUE_SOON_DAYS)
        else:
            limit = today + timedelta(days=DUE_SOON_DAYS)
        f.due_by = limit.isoformat()
        if not overdue:
            f.due_from = today.isoformat()
    return f


def list_cases(
    db: Database, actor: Actor, f: CaseFilter, *, order: str = "received", descending: bool = True,
    limit: int = 50, offset: int = 0, today: date | None = None, masked: bool = False,
) -> list[dict[str, Any]]:
    """One page of the queue, each row with its clock."""
    from console.rules.idcard import mask_id  # here, not at the top: a lookup (show) never masks

    require_role(actor, *CASE_READERS)
    today = today or date.today()
    cal = calendar_for(db)
    rows = cases_db.list_cases(db, f, order=order, descending=descending, limit=limit, offset=offset)
    out = []
    for r in rows:
        left, state, colour = queue_clock(r, today, cal)
        out.append({
            "case_no": r["case_no"], "name": r["name"], "id_number": mask_id(r["id_number"]) if masked else r["id_number"],
            "kind": r["kind"], "status": r["status"], "received_at": r["received_at"], "due_date": r["due_date"],
            "working_days_left": left, "clock": state, "colour": colour, "assignee": r["assignee"], "progress": _progress(r["progress"]),
            "version": r["version"],
        })
    return out


def _progress(raw: str | None) -> dict[str, str]:
    """Per department: 'done' when all its tasks are done, else the most urgent state:
    returned, then actionable (open, claimed), then blocked (waiting)."""
    order = TASK_ATTENTION_ORDER
    out: dict[str, str] = {}
    for part in (raw or "").split(","):
        if ":" not in part:
            continue
        dept, status = part.split(":", 1)
        current = out.get(dept)
        out[dept] = status if current is None or order.index(status) < order.index(current) else current
    return out


def count(db: Database, f: CaseFilter) -> int:
    return cases_db.count_cases(db, f)


def awaiting_confirmation(db: Database, actor: Actor, limit: int = 200) -> list[dict[str, Any]]:
    """待我确认的预审: pre-reviews saved by a clerk that a reviewer has still to confirm (reviewers only)."""
    require_role(actor, "hrss_reviewer")
    return cases_db.awaiting_confirmation(db, limit=limit)
