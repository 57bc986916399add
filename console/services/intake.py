"""Intake at the window (受理): register, open a case, accept, ask for correction, resume, refuse.

Each use-case is one transaction with its audit rows.  Acceptance runs the
rules engine: an application is accepted only when it is eligible AND
complete; otherwise the applicant gets ONE notice listing everything.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from console.errors import BadInput, Refused
from console.i18n import t
from console.names import initials
from console.rules.eligibility import Assessment, assess
from console.rules.explain import Finding
from console.rules.idcard import parse_id
from console.rules.materials import CASE_KINDS, JOINT_ITEMS, required_materials
from console.rules.months import Month
from console.rules.retirement_facts import PersonFacts, RetirementFacts, compute_facts
from console.rules.retirement_kinds import KindDetails
from console.services import door
from console.services.clocks import calendar_for, due_date, pauses_of
from console.services.identity import Actor, require_role
from console.services.role_matrix import BY_CODE
from console.settings import load_hall, load_parameters
from console.vocabulary import CASE_STATUS, STAFF_CATEGORY
from db import audit
from db import cases as cases_db
from db import facts as facts_db
from db import persons as persons_db
from db.case_numbers import allocate_case_no
from db.clock import now_iso
from db.connection import transaction
from db.versioning import update_versioned

if TYPE_CHECKING:
    from db.engine import Database

INTAKE_ROLES = BY_CODE["case.open"].roles
STAFF_CATEGORIES = STAFF_CATEGORY.codes


@dataclass
class Applicant:
    """What the clerk types at the window about the person."""

    id_number: str
    name: str
    phone: str | None = None
    address: str | None = None
    hukou: str | None = None
    staff_category: str = "worker"
    female_group: str | None = None
    employer_code: str | None = None
    employer_name: str | None = None
    archive_lost: bool = False
    insured_before_2011_07: bool | None = None
    bank_card: str | None = None


@dataclass
class Decision:
    """What a decision on a case produced: the new status, the notice, every finding."""

    case_no: str
    status: str
    version: int
    assessment: Assessment
    notice_number: str | None = None
    tasks: list[int] = field(default_factory=list)


TO_CHECK = "to_check"
"""Severity of a condition the pre-review has not checked yet (待预审核实): neither met nor unmet."""
PERIOD_CODES = ("rules.elig.short_contribution", "rules.elig.transfer_needed", "rules.elig.lump_sum_possible",
                "rules.elig.extend_contribution", "rules.periods.")
"""Findings drawn from the contribution periods: unknown until the periods are entered at pre-review."""
ARCHIVE_CODES = ("rules.archive.", "rules.birth.")
"""Findings drawn from the archive records: unknown until the archive is read at pre-review."""


def mark_unchecked(findings: Iterable[Finding], *, reviewed: bool, has_periods: bool, has_records: bool) -> list[Finding]:
    """The findings with the conditions nobody has checked yet as ONE ``to_check`` item per subject.

    Before the pre-review, a person with no periods has "0 months" and one with
    no archive records "no early birth record": not facts about the person but
    about what was not yet read.  They read "待预审核实" (to be checked at
    pre-review) on screen and in the correction notice, never as unmet.
    """
    out: list[Finding] = []
    seen: set[str] = set()
    for f in findings:
        subject = None
        if not reviewed and f.severity in ("unmet", "missing", "review", "warning"):
            if not has_periods and f.code.startswith(PERIOD_CODES):
                subject = "contribution"
            elif not has_records and f.code.startswith(ARCHIVE_CODES):
                subject = "archive"
        if subject is None:
            out.append(f)
        elif subject not in seen:
            seen.add(subject)
            out.append(Finding(f"intake.to_check.{subject}", TO_CHECK, {}, f.source))
    return out


def _validate_applicant(a: Applicant, today: date | None = None) -> dict[str, Any]:
    """Every field through the text policy (door), then the rules' checks."""
    number = door.id_number(a.id_number)
    card = parse_id(number, today=today or date.today())
    if not card.valid:
        raise BadInput("intake.bad_id", number=number, reason=t(card.error or "rules.id.format"))
    if not (a.name or "").strip():
        raise BadInput("intake.no_name")
    name = door.person_name(a.name)
    if a.staff_category not in STAFF_CATEGORIES:
        raise BadInput("intake.bad_category", value=a.staff_category)
    if a.female_group not in (None, "", "female50", "female55"):
        raise BadInput("intake.bad_female_group", value=a.female_group)
    if a.female_group and card.sex == "M":
        raise BadInput("intake.female_group_for_man")
    assert card.birth_date is not None
    return {
        "id_number": card.number,
        "name": name,
        "name_initials": initials(name),
        "sex": card.sex,
        "birth_date_id": card.birth_date.isoformat(),
        "hukou": door.text(a.hukou, "hukou"),
        "phone": door.phone(a.phone),
        "address": door.text(a.address, "address"),
        "staff_category": a.staff_category,
        "female_group": a.female_group or None,
        "archive_lost": int(a.archive_lost),
        "insured_before_2011_07": None if a.insured_before_2011_07 is None else int(a.insured_before_2011_07),
        "bank_card": _bank_card(a.bank_card),
    }


def _bank_card(value: str | None) -> str | None:
    """12 to 19 digits: the window (screens/intake.py) and an edit also check the Luhn digit (door.bank_card);
    a card from a script or an older roster is taken as its digits (rosters hold cards that fail it)."""
    card = door.digits(value, "bank_card")
    if card is None:
        return None
    card = card.replace(" ", "").replace("-", "")
    if not card.isdigit() or not 12 <= len(card) <= 19:
        raise BadInput("door.bad_bank_card", value=card)
    return card


def _employer_id(db: Database, a: Applicant) -> int | None:
    if not a.employer_code:
        return None
    from stdnum.cn import uscc

    code = uscc.compact(door.digits(a.employer_code, "employer") or "")
    if not uscc.is_valid(code):
        raise BadInput("intake.bad_credit_code", value=code)
    existing = persons_db.employer_by_code(db, code)
    if existing is not None:
        return int(existing["id"])
    employer_name = door.text(a.employer_name, "employer")
    if not employer_name:
        raise BadInput("intake.employer_unknown", code=code)
    return persons_db.upsert_employer(db, code, employer_name)


def _audit_person(db: Database, actor: Actor, person_id: int, created: bool, fields: dict[str, Any], changes: dict[str, Any]) -> None:
    detail: dict[str, Any] = {"id_number": fields["id_number"], "name": fields["name"]}
    if not created:
        detail["changed"] = sorted(changes)
    audit.append(db, actor.audit_name, "person.register" if created else "person.update", entity="person", entity_id=person_id, detail=detail)


def register_applicant(db: Database, actor: Actor, applicant: Applicant) -> int:
    """Create or update the insured person (ID number is the key); returns the person id."""
    require_role(actor, *INTAKE_ROLES)
    fields = _validate_applicant(applicant)
    with transaction(db):
        fields["employer_id"] = _employer_id(db, applicant)
        person_id, created, changes = persons_db.upsert_changes(db, fields, actor.login)
        if created or changes:
            _audit_person(db, actor, person_id, created, fields, changes)
    return person_id


def open_case(
    db: Database,
    actor: Actor,
    applicant: Applicant,
    kind: str = "normal",
    joint_items: Iterable[str] = (),
    received: Iterable[str] = (),
    chosen_month: str | None = None,
    today: date | None = None,
    details: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Register the applicant and open a draft case with the joint items and materials received.

    ``details``: the retirement type's (special work and its years, the
    appraisal or determination number; ``console.services.case_kinds``),
    checked here, stored on the case (``kind_details``, V13) and in the audited
    opening, for the pre-review to carry in its facts."""
    require_role(actor, *INTAKE_ROLES)
    if kind not in CASE_KINDS:
        raise BadInput("intake.bad_kind", value=kind, allowed=", ".join(CASE_KINDS))
    joint = sorted(set(joint_items))
    for item in joint:
        if item not in JOINT_ITEMS:
            raise BadInput("intake.bad_joint_item", value=item, allowed=", ".join(JOINT_ITEMS))
    month = door.month(chosen_month)
    kind_info = _kind_details(kind, details)
    today = today or date.today()
    fields = _validate_applicant(applicant, today)
    got = sorted(set(received))
    with transaction(db):
        fields["employer_id"] = _employer_id(db, applicant)
        person_id, created, changes = persons_db.upsert_changes(db, fields, actor.login)
        if created or changes:
            _audit_person(db, actor, person_id, created, fields, changes)
        existing = cases_db.open_case_for_person(db, person_id)
        if existing is not None:
            raise Refused("intake.open_case_exists", case_no=existing["case_no"])
        retired = cases_db.retired_case_for_person(db, person_id)
        if retired is not None:  # one retirement per person: a finished one is not opened again
            raise Refused("intake.already_retired", case_no=retired["case_no"], status=t(CASE_STATUS.key(retired["status"])))
        required = [m.code for m in required_materials(kind, joint, fields["employer_id"] is not None)]
        unknown = [c for c in got if c not in {m.code for m in required_materials(kind, list(JOINT_ITEMS), True)}]
        if unknown:
            raise BadInput("intake.bad_material", value=", ".join(unknown), allowed=", ".join(required))
        case_no = allocate_case_no(db, today.year, load_hall()["hall"]["case_prefix"])
        received_at = f"{today.isoformat()}T{now_iso()[11:]}"
        case_id = cases_db.insert(
            db,
            {
                "case_no": case_no,
                "person_id": person_id,
                "kind": kind,
                "status": "draft",
                "joint_items": joint,
                "received_at": received_at,
                "chosen_month": str(month) if month else None,
                "due_date": due_date("case", today, calendar_for(db)),
                "kind_details": kind_info.as_dict(),
            },
            actor.login,
        )
        cases_db.set_materials(db, case_id, required, got)
        audit.append(db, actor.audit_name, "case.open", case_id=case_id, entity="case", entity_id=case_no,
                     detail={"kind": kind, "joint_items": joint, "received": got, "chosen_month": str(month) if month else None}
                     | ({"kind_details": kind_info.as_dict()} if kind_info.as_dict() else {}))
    return load_case(db, case_no)


def _kind_details(kind: str, details: Mapping[str, Any] | None) -> KindDetails:
    """The retirement type's details, checked at the door (issue 15; kept apart from the applicant's validation)."""
    from console.services.case_kinds import kind_details

    return kind_details(kind, details or {})


load_case = cases_db.load


def assessment_for(
    db: Database, case: dict[str, Any], today: date, details: KindDetails | None = None,
) -> tuple[PersonFacts, RetirementFacts, Assessment]:
    """Run the rules over the case as stored (no writes); a retirement type's details from its stored facts unless given."""
    from console.services.case_kinds import stored_kind_details
    from console.services.person_facts import person_facts

    person = persons_db.get(db, case["person_id"])
    assert person is not None
    pf = person_facts(db, person)
    month = Month.parse(case["chosen_month"]) if case.get("chosen_month") else None
    details = details if details is not None else stored_kind_details(case)
    facts = compute_facts(pf, load_parameters(), chosen_month=month, decided_on=Month.from_date(today), kind=case["kind"], kind_details=details)
    received = [m["code"] for m in cases_db.materials(db, case["id"]) if m["received"]]
    result = assess(pf, facts, case["kind"], Month.from_date(today), received, case["joint_items"])
    return pf, facts, result


def check_state(case: dict[str, Any], allowed: tuple[str, ...], action: str) -> None:
    if case["status"] not in allowed:
        raise Refused("intake.wrong_state", case_no=case["case_no"], status=t(CASE_STATUS.key(case['status'])), action=t(f"actions.{action}"))


def _version(case: dict[str, Any], expected: int | None) -> int:
    return int(case["version"]) if expected is None else int(expected)


BLOCKING = ("unmet", "missing")


def _findings_data(result: Assessment | list[Finding], severities: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """The findings a notice lists, with their words in both languages."""
    findings = result.findings if isinstance(result, Assessment) else result
    return [
        {**f.as_dict(), "zh": t(f.code, "zh", **f.params), "en": t(f.code, "en", **f.params)}
        for f in findings
        if f.severity in severities
    ]


findings_data = _findings_data
"""The unmet and missing findings as a notice lists them (the correction notice; its preview)."""


def _issue(db: Database, case: dict[str, Any], kind: str, today: date, data: dict[str, Any], actor: Actor) -> str:
    """Number, render (body + document) and store the notice, inside the caller's transaction."""
    from console.services.notices import issue_notice

    return str(issue_notice(db, case, kind, today, data, actor)["number"])


def letter(db: Database, case: dict[str, Any], kind: str, today: date, data: dict[str, Any], actor: Actor) -> str:
    """Issue a numbered notice of ``kind`` on the case inside the caller's transaction; returns its number."""
    return _issue(db, case, kind, today, data, actor)


def accept_case(db: Database, actor: Actor, case_no: str, expected_version: int | None = None, today: date | None = None) -> Decision:
    """Accept an eligible, complete application: acceptance notice, department tasks, the clock runs."""
    require_role(actor, *INTAKE_ROLES)
    today = today or date.today()
    with transaction(db):
        case = load_case(db, case_no)
        check_state(case, ("draft",), "accept")
        _pf, facts, result = assessment_for(db, case, today)
        if result.decision != "accept":
            lines = [t(f.code, **f.params) for f in result.findings if f.severity in ("unmet", "missing")]
            if result.decision == "manual_review":
                lines.append(t("intake.manual_review"))
            raise Refused("intake.cannot_accept", case_no=case["case_no"], count=len(lines), items="；".join(lines))
        number, version, task_ids = accept_assessed(db, actor, case, facts, expected_version, today)
    return Decision(case["case_no"], "accepted", version, result, number, task_ids)


def prereview_confirmed(db: Database, case_id: int) -> bool:
    """Whether a reviewer has confirmed the case's current pre-review facts (a recomputation clears it)."""
    stored = facts_db.get(db, case_id)
    return stored is not None and bool(stored["confirmed_at"])


def require_confirmed_prereview(db: Database, case: dict[str, Any]) -> None:
    """Acceptance starts the departments' work on the facts: refuse it until a reviewer confirmed them.

    Found only at approval before (issue 14, bug 12), after the applicant had
    already been told the case was accepted.
    """
    if not prereview_confirmed(db, case["id"]):
        raise Refused("intake.prereview_not_confirmed", case_no=case["case_no"])


def accept_assessed(
    db: Database, actor: Actor, case: dict[str, Any], facts: RetirementFacts,
    expected_version: int | None, today: date, promised: Iterable[str] = (),
) -> tuple[str, int, list[int]]:
    """Inside the caller's transaction, once the decision is made: notice, status, tasks, audit.

    Shared by the plain acceptance and the acceptance on a promise
    (console.services.promises), so both accept a case the same way.
    """
    from console.services.tasks import create_tasks

    require_confirmed_prereview(db, case)
    promised = sorted(promised)
    data = {"findings": [], "facts": facts.as_dict(), "joint_items": case["joint_items"]}
    number = _issue(db, case, "acceptance", today, data, actor)
    version = update_versioned(
        db, "cases", case["id"], _version(case, expected_version),
        {"status": "accepted", "accepted_at": now_iso(), "acceptance_notice_no": number, "policy_version": facts.policy_version},
        actor.login,
    )
    task_ids = create_tasks(db, actor, case, today)
    detail: dict[str, Any] = {"notice": number, "tasks": task_ids, "policy_version": facts.policy_version}
    if promised:
        detail["promised"] = promised
    audit.append(db, actor.audit_name, "case.accept", case_id=case["id"], entity="case", entity_id=case["case_no"], detail=detail)
    return number, version, task_ids


def request_correction(
    db: Database, actor: Actor, case_no: str, expected_version: int | None = None, today: date | None = None
) -> Decision:
    """Do not accept yet: issue the one-time correction notice listing EVERYTHING; the clock pauses."""
    require_role(actor, *INTAKE_ROLES)
    today = today or date.today()
    with transaction(db):
        case = load_case(db, case_no)
        check_state(case, ("draft",), "refuse")
        pf, facts, result = assessment_for(db, case, today)
        findings = mark_unchecked(result.findings, reviewed=facts_db.get(db, case["id"]) is not None,
                                  has_periods=bool(pf.periods), has_records=bool(pf.archive_records))
        items = _findings_data(findings, (*BLOCKING, TO_CHECK))
        if result.decision == "accept" or not any(i["severity"] in BLOCKING for i in items):
            if any(i["severity"] == TO_CHECK for i in items):
                raise Refused("intake.prereview_first", case_no=case["case_no"])
            raise Refused("intake.nothing_missing", case_no=case["case_no"])
        number = _issue(db, case, "correction", today, {"findings": items, "facts": facts.as_dict()}, actor)
        pauses = [[a.isoformat(), b.isoformat() if b else None] for a, b in pauses_of(case)]
        pauses.append([today.isoformat(), None])
        version = update_versioned(
            db, "cases", case["id"], _version(case, expected_version),
            {"status": "awaiting_correction", "paused_since": today.isoformat(), "pauses": json.dumps(pauses), "due_date": None},
            actor.login,
        )
        audit.append(db, actor.audit_name, "case.correction_requested", case_id=case["id"], entity="case", entity_id=case["case_no"],
                     detail={"notice": number, "items": [i["code"] for i in items]})
    return Decision(case["case_no"], "awaiting_correction", version, result, number)


def resume_case(
    db: Database,
    actor: Actor,
    case_no: str,
    received: Iterable[str] = (),
    expected_version: int | None = None,
    today: date | None = None,
) -> Decision:
    """The missing materials arrived: tick them, restart the clock, and say what (if anything) is still missing."""
    require_role(actor, *INTAKE_ROLES)
    today = today or date.today()
    got = sorted(set(received))
    with transaction(db):
        case = load_case(db, case_no)
        check_state(case, ("awaiting_correction",), "resume")
        pauses = pauses_of(case)
        if pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], max(today, pauses[-1][0]))
        required = [m["code"] for m in cases_db.materials(db, case["id"])]
        unknown = [c for c in got if c not in required]
        if unknown:
            raise BadInput("intake.bad_material", value=", ".join(unknown), allowed=", ".join(required))
        cases_db.set_materials(db, case["id"], required, got)
        started = date.fromisoformat(case["received_at"][:10])
        cal = calendar_for(db)
        paused_from = pauses[-1][0] if pauses else today
        version = update_versioned(
            db, "cases", case["id"], _version(case, expected_version),
            {
                "status": "draft",
                "paused_since": None,
                "pauses": json.dumps([[a.isoformat(), b.isoformat() if b else None] for a, b in pauses]),
                "due_date": due_date("case", started, cal, pauses),
                "paused_days": int(case["paused_days"] or 0) + max(0, cal.working_days_between(paused_from, today)),
            },
            actor.login,
        )
        audit.append(db, actor.audit_name, "case.resume", case_id=case["id"], entity="case", entity_id=case["case_no"], detail={"received": got})
        case = load_case(db, case_no)
        _, _, result = assessment_for(db, case, today)
    return Decision(case["case_no"], "draft", version, result)


def refuse_case(
    db: Database, actor: Actor, case_no: str, reason: str | None = None, expected_version: int | None = None, today: date | None = None
) -> Decision:
    """Refuse for good (不予受理): the conditions cannot be met by bringing papers (e.g. age not reached)."""
    require_role(actor, *INTAKE_ROLES)
    today = today or date.today()
    reason = door.text(reason, "reason")
    with transaction(db):
        case = load_case(db, case_no)
        check_state(case, ("draft", "awaiting_correction"), "reject")
        _, facts, result = assessment_for(db, case, today)
        unmet = [i for i in _findings_data(result) if i["severity"] == "unmet"]
        if not unmet and not reason:
            raise Refused("intake.reject_needs_reason", case_no=case["case_no"])
        data = {"findings": unmet, "reason": reason, "facts": facts.as_dict()}
        number = _issue(db, case, "refusal", today, data, actor)
        version = update_versioned(
            db, "cases", case["id"], _version(case, expected_version),
            {"status": "refused", "completed_at": now_iso(), "paused_since": None}, actor.login,
        )
        audit.append(db, actor.audit_name, "case.refuse", case_id=case["id"], entity="case", entity_id=case["case_no"],
                     detail={"notice": number, "reason": reason, "items": [i["code"] for i in unmet]})
    return Decision(case["case_no"], "refused", version, result, number)
