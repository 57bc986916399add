"""Acceptance on a written promise (容缺受理 / 承诺办, 国发〔2024〕3号, 国办发〔2025〕24号).

When the only papers missing are ones the materials table lets an applicant
promise (``console.rules.materials.PROMISE_RULES``), the case is accepted at
once and a promise letter (承诺书) is issued as a numbered notice.  Each
promised paper is a row with its own working-day clock; the paper arriving
closes it; a promise past its deadline is listed for the supervisor, and
applying its rule (by hand or by ``retire case promises --enforce``) holds the
joint item's tasks or withdraws the acceptance.  Every step is audited.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from console.errors import BadInput, Refused
from console.i18n import t
from console.rules.eligibility import Assessment
from console.rules.materials import HOLD, WITHDRAW, material_of, promise_rule
from console.rules.task_plan import opens_when_done
from console.services import intake
from console.services.case_edits import hold_pending_tasks
from console.services.clocks import calendar_for, due_date, promise_clock
from console.services.identity import Actor, require_role
from console.services.role_matrix import BY_CODE
from console.vocabulary import HOLDABLE_TASK_STATUSES, WORKING_STATUSES
from db import audit
from db import cases as cases_db
from db import promises as promises_db
from db import tasks as tasks_db
from db.clock import now_iso, stamp_on
from db.connection import transaction
from db.versioning import update_versioned

if TYPE_CHECKING:
    from db.engine import Database

ACCEPT_ROLES = BY_CODE["promise.accept"].roles
PAPER_ROLES = BY_CODE["promise.paper"].roles
LIST_ROLES = BY_CODE["promise.list"].roles
ENFORCE_ROLES = BY_CODE["promise.enforce"].roles


@dataclass
class PromiseDecision:
    """A case accepted on a promise: the acceptance, the promise letter and the promised papers."""

    decision: intake.Decision
    letter_number: str
    promised: list[str]


def promisable_missing(kind: str, missing: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split missing material codes into (may be promised, may never be)."""
    codes = list(missing)
    return [c for c in codes if promise_rule(kind, c)], [c for c in codes if not promise_rule(kind, c)]


def offer(db: Database, case: dict[str, Any], today: date) -> list[str]:
    """The papers a draft case could be accepted on a promise for; [] when that is not on offer.

    On offer only when the rules would accept the case but for missing papers,
    and every missing paper may be promised (the intake screen asks this).
    """
    if case["status"] != "draft":
        return []
    _pf, _facts, result = intake.assessment_for(db, case, today)
    return promise_offer(case["kind"], result)


def offer_for(db: Database, actor: Actor, case_no: str, today: date | None = None) -> list[str]:
    """``offer`` by case number, for a screen about to ask (a reader may ask; accepting needs the intake roles)."""
    require_role(actor, *LIST_ROLES)
    return offer(db, intake.load_case(db, case_no), today or date.today())


def promise_offer(kind: str, result: Assessment) -> list[str]:
    """From an assessment (stored or the intake form's live one): the papers to promise, or [] if not on offer."""
    if result.decision == "manual_review" or not result.eligible:
        return []
    can, cannot = promisable_missing(kind, [f.params["code"] for f in result.missing])
    return can if can and not cannot else []


def accept_on_promise(
    db: Database, actor: Actor, case_no: str, codes: Iterable[str],
    expected_version: int | None = None, today: date | None = None,
) -> PromiseDecision:
    """Accept a draft case whose only missing papers are promised: acceptance + promise letter, one transaction."""
    require_role(actor, *ACCEPT_ROLES)
    today = today or date.today()
    wanted = sorted(set(codes))
    if not wanted:
        raise BadInput("promises.none_named")
    with transaction(db):
        case = intake.load_case(db, case_no)
        intake.check_state(case, ("draft",), "accept")
        for code in wanted:
            if material_of(code) is None:
                raise BadInput("promises.unknown_material", value=code)
            if promise_rule(case["kind"], code) is None:
                raise Refused("promises.key_item", material=t(f"materials.{code}"), code=code)
        _pf, facts, result = intake.assessment_for(db, case, today)
        missing = [f.params["code"] for f in result.missing]
        not_missing = [c for c in wanted if c not in missing]
        if not_missing:
            raise BadInput("promises.not_missing", value=", ".join(not_missing))
        left = [f for f in result.findings if f.severity == "unmet" or (f.severity == "missing" and f.params["code"] not in wanted)]
        if result.decision == "manual_review" or left:
            lines = [t(f.code, **f.params) for f in left] or [t("intake.manual_review")]
            raise Refused("promises.not_only_promised", case_no=case["case_no"], count=len(lines), items="；".join(lines))
        cal = calendar_for(db)
        rows: list[dict[str, Any]] = []
        for code in wanted:
            rule = promise_rule(case["kind"], code)
            assert rule is not None
            deadline, _provisional = cal.add_working_days(today, rule.deadline_days)
            rows.append({"code": code, "rule": rule, "deadline": deadline})
        number, version, task_ids = intake.accept_assessed(db, actor, case, facts, expected_version, today, wanted)
        letter = intake.letter(db, case, "promise", today, {
            "promises": [{"code": r["code"], "deadline": r["deadline"].isoformat(), "days": r["rule"].deadline_days,
                          "on_expiry": r["rule"].on_expiry, "source": r["rule"].source} for r in rows],
            "acceptance_notice_no": number,
        }, actor)
        for r in rows:
            material = material_of(r["code"])
            promises_db.insert(db, case["id"], r["code"], material.joint_item if material else None, today.isoformat(),
                               r["deadline"].isoformat(), r["rule"].deadline_days, r["rule"].on_expiry, letter, actor.login)
        audit.append(db, actor.audit_name, "promise.accept", case_id=case["id"], entity="case", entity_id=case["case_no"],
                     detail={"notice": letter, "promised": wanted, "deadlines": {r["code"]: r["deadline"].isoformat() for r in rows}})
    return PromiseDecision(intake.Decision(case["case_no"], "accepted", version, result, number, task_ids), letter, wanted)


def paper_arrived(db: Database, actor: Actor, case_no: str, code: str, today: date | None = None) -> dict[str, Any]:
    """The promised paper was handed in: tick it, close the promise, release any task it held."""
    require_role(actor, *PAPER_ROLES)
    today = today or date.today()
    with transaction(db):
        case = intake.load_case(db, case_no)
        promise = next((p for p in promises_db.for_case(db, case["id"]) if p["material"] == code and p["status"] != "fulfilled"), None)
        if promise is None:
            raise Refused("promises.no_open_promise", case_no=case["case_no"], code=code)
        if case["status"] == "withdrawn" or (promise["status"] == "enforced" and promise["on_expiry"] == WITHDRAW):
            raise Refused("promises.already_withdrawn", case_no=case["case_no"])
        required = [m["code"] for m in cases_db.materials(db, case["id"])]
        cases_db.set_materials(db, case["id"], required, [code])
        released = _release(db, actor, promise["held_tasks"], today)
        promises_db.set_status(db, promise["id"], "fulfilled", actor.login)
        audit.append(db, actor.audit_name, "promise.fulfilled", case_id=case["id"], entity="case", entity_id=case["case_no"],
                     detail={"material": code, "promise": promise["id"], "late": promise["deadline"] < today.isoformat(), "released": released})
    return {"case_no": case["case_no"], "material": code, "released": released}


def _release(db: Database, actor: Actor, held: list[dict[str, Any]], today: date) -> list[int]:
    """Give each held task back the status it had; one that was waiting opens if what it waited for got done meanwhile."""
    out = []
    for entry in held:
        task = tasks_db.get(db, int(entry["id"]))
        if task is None or task["status"] != "held":
            continue
        changes: dict[str, Any] = {"status": entry["status"]}
        if entry["status"] == "waiting":
            done = [o["item"] for o in tasks_db.for_case(db, task["case_id"]) if o["status"] == "done"]
            if any(opens_when_done(task["item"], item) for item in done):
                changes = {"status": "open", "opened_at": stamp_on(today), "due_date": due_date(task["item"], today, calendar_for(db))}
        update_versioned(db, "tasks", task["id"], task["version"], changes, actor.login)
        audit.append(db, actor.audit_name, "task.release", case_id=task["case_id"], task_id=task["id"], entity="task",
                     entity_id=task["item"], detail={"status": changes["status"]})
        out.append(int(task["id"]))
    return out


def list_promises(
    db: Database, actor: Actor, expired: bool = False, today: date | None = None, case_no: str | None = None,
) -> list[dict[str, Any]]:
    """Open promises (or, with ``expired``, those past their deadline), each with its clock and colour."""
    require_role(actor, *LIST_ROLES)
    today = today or date.today()
    cal = calendar_for(db)
    if case_no is not None:
        rows = promises_db.for_case(db, intake.load_case(db, case_no)["id"])
    else:
        rows = promises_db.list_promises(db, ("open",), today.isoformat() if expired else None)
    out = []
    for row in rows:
        state = promise_clock(row, today, cal)
        row["clock"] = {"state": state.state, "days_left": state.working_days_left, "colour": state.colour}
        row["expired"] = row["status"] == "open" and row["deadline"] < today.isoformat()
        out.append(row)
    return out


def enforce(db: Database, actor: Actor, today: date | None = None, case_no: str | None = None) -> list[dict[str, Any]]:
    """Apply the rule of every open promise past its deadline (or of one case's): hold or withdraw, audited."""
    require_role(actor, *ENFORCE_ROLES)
    today = today or date.today()
    done = []
    with transaction(db):
        rows = promises_db.list_promises(db, ("open",), today.isoformat())
        if case_no is not None:
            rows = [r for r in rows if r["case_no"] == case_no]
        for promise in rows:
            if promises_db.open_for_case(db, promise["case_id"], promise["material"]) is None:
                continue  # closed by a withdrawal earlier in this run
            case = intake.load_case(db, promise["case_no"])
            held: list[dict[str, Any]] = []
            if promise["on_expiry"] == HOLD:
                for task in tasks_db.for_case(db, case["id"]):
                    if task["department"] == promise["joint_item"] and task["status"] in HOLDABLE_TASK_STATUSES:
                        update_versioned(db, "tasks", task["id"], task["version"], {"status": "held"}, actor.login)
                        audit.append(db, actor.audit_name, "task.hold", case_id=case["id"], task_id=task["id"], entity="task",
                                     entity_id=task["item"], detail={"promise": promise["id"], "was": task["status"]})
                        held.append({"id": task["id"], "status": task["status"]})
            elif case["status"] in WORKING_STATUSES:
                update_versioned(db, "cases", case["id"], case["version"], {"status": "withdrawn", "completed_at": now_iso()}, actor.login)
                held = hold_pending_tasks(db, actor, case["id"])  # as a withdrawal at the applicant's word does
            promises_db.set_status(db, promise["id"], "enforced", actor.login, held)
            if promise["on_expiry"] == WITHDRAW:  # nothing is left to wait for on a withdrawn case
                for other in promises_db.for_case(db, case["id"]):
                    if other["status"] == "open":
                        promises_db.set_status(db, other["id"], "enforced", actor.login)
            audit.append(db, actor.audit_name, "promise.enforce", case_id=case["id"], entity="case", entity_id=case["case_no"],
                         detail={"material": promise["material"], "deadline": promise["deadline"], "action": promise["on_expiry"],
                                 "held_tasks": [h["id"] for h in held]})
            done.append({"case_no": case["case_no"], "material": promise["material"], "action": promise["on_expiry"],
                         "held_tasks": [h["id"] for h in held]})
    return done
