"""Archive pre-review (档案初审): record the archive and periods, compute, confirm.

The computed facts are stored with the policy version and every reason; a
reviewer confirms them, and a change after confirmation needs a reason and
is audited (the approval uses only confirmed facts).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from console.errors import BadInput, Refused, StaleVersion
from console.i18n import t
from console.rules.birth_date import DOC_KINDS
from console.rules.intervals import KINDS
from console.rules.months import BadMonth, Month, parse_date
from console.services import door
from console.services.identity import Actor, require_role
from console.services.intake import assessment_for, load_case
from console.services.role_matrix import BY_CODE
from console.vocabulary import CASE_STATUS, OPEN_STATUSES
from db import audit
from db import facts as facts_db
from db import persons as persons_db
from db.connection import transaction

if TYPE_CHECKING:
    from db.engine import Database

RECORD_ROLES = BY_CODE["prereview.record"].roles
CONFIRM_ROLES = ("hrss_reviewer",)
EDITABLE_STATUSES = OPEN_STATUSES


@dataclass
class PrereviewResult:
    case_no: str
    facts: dict[str, Any]
    assessment: dict[str, Any]
    confirmed: bool
    version: int | None = None
    """The stored facts' version (pass it back to confirm or record); None when nothing is stored."""


def _rows(value: Any, what: str) -> list[Mapping[str, Any]]:
    """A list of objects (from a JSON file or a form); anything else is bad input, not a traceback."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(r, Mapping) for r in value):
        raise BadInput("prereview.bad_rows", what=what)
    return list(value)


def _clean_record(i: int, r: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(r.get("doc_kind") or "").strip()
    if kind not in DOC_KINDS:
        raise BadInput("prereview.bad_doc_kind", line=i, value=kind, allowed=", ".join(DOC_KINDS))
    out: dict[str, Any] = {"doc_kind": kind, "note": door.text(r.get("note"), "note")}
    for key in ("doc_date", "birth_date_recorded"):
        value = r.get(key) or r.get("birth_recorded" if key == "birth_date_recorded" else key)
        if value:
            value = door.digits(str(value), "date")
            try:
                out[key] = parse_date(str(value)).isoformat()
            except BadMonth:
                raise BadInput("prereview.bad_date", line=i, field=key, value=value) from None
    out["altered"] = bool(r.get("altered"))
    out["altered_confirmed"] = bool(r.get("altered_confirmed"))
    return out


def _clean_period(i: int, r: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(r.get("kind") or "").strip().lower()
    if kind not in KINDS:
        raise BadInput("prereview.bad_period_kind", line=i, value=kind)
    try:
        start = Month.parse(door.digits(str(r.get("from_month") or r.get("from") or ""), "month") or "")
        end = Month.parse(door.digits(str(r.get("to_month") or r.get("to") or ""), "month") or "")
    except BadMonth:
        raise BadInput("prereview.bad_period_month", line=i) from None
    if end < start:
        raise BadInput("prereview.period_reversed", line=i, start=start, end=end)
    base = r.get("base")
    return {"from_month": str(start), "to_month": str(end), "kind": kind, "place": door.text(r.get("place"), "place"),
            "base": door.digits(str(base), "text") if base not in (None, "") else None, "evidence": door.text(r.get("evidence"), "text"),
            "arrears": _owed(i, r.get("arrears"))}


def _owed(i: int, value: Any) -> int:
    """A period the record holds as owed (欠费): true/false, 1/0, or absent (paid)."""
    if value in (None, "", False, 0, "0", "false", "否"):
        return 0
    if value in (True, 1, "1", "true", "是"):
        return 1
    raise BadInput("prereview.bad_period_arrears", line=i, value=str(value)[:20])


def record(
    db: Database,
    actor: Actor,
    case_no: str,
    archive_records: Iterable[Mapping[str, Any]] | None = None,
    periods: Iterable[Mapping[str, Any]] | None = None,
    reason: str | None = None,
    today: date | None = None,
    expected_version: int | None = None,
) -> PrereviewResult:
    """Store the archive rows and/or periods, recompute and store the facts (unconfirmed).

    ``expected_version`` is the version of the stored facts the caller read
    (0: none were stored); a pre-review saved meanwhile is refused naming who and when.
    """
    require_role(actor, *RECORD_ROLES)
    today = today or date.today()
    reason = door.text(reason, "reason")
    recs = [_clean_record(i, r) for i, r in enumerate(_rows(archive_records, "archive_records"), start=1)] if archive_records is not None else None
    pers = [_clean_period(i, r) for i, r in enumerate(_rows(periods, "periods"), start=1)] if periods is not None else None
    with transaction(db):
        case = load_case(db, case_no)
        if case["status"] not in EDITABLE_STATUSES:
            raise Refused("prereview.closed", case_no=case["case_no"], status=t(CASE_STATUS.key(case['status'])))
        stored = facts_db.get(db, case["id"])
        _check_facts_version(stored, case, expected_version)
        if stored is not None and stored["confirmed_at"] and not (reason or "").strip():
            raise Refused("prereview.reason_required", case_no=case["case_no"], who=stored["confirmed_by"], when=stored["confirmed_at"])
        if recs is not None:
            persons_db.replace_archive_records(db, case["person_id"], recs)
        if pers is not None:
            persons_db.replace_periods(db, case["person_id"], pers)
        _, facts, result = assessment_for(db, case, today)
        data = facts.as_dict()
        facts_db.store(db, case["id"], case["person_id"], facts.policy_version, data, actor.login)
        action = "prereview.changed_after_confirmation" if stored is not None and stored["confirmed_at"] else "prereview.compute"
        audit.append(db, actor.audit_name, action, case_id=case["id"], entity="case", entity_id=case["case_no"],
                     detail={"archive_records": len(recs) if recs is not None else None, "periods": len(pers) if pers is not None else None,
                             "reason": reason, "statutory_month": data["statutory_month"], "policy_version": facts.policy_version})
        after = facts_db.get(db, case["id"])
    return PrereviewResult(case["case_no"], data, result.as_dict(), False, int(after["version"]) if after else None)


def _check_facts_version(stored: dict[str, Any] | None, case: dict[str, Any], expected: int | None) -> None:
    if expected is None:
        return
    found = int(stored["version"]) if stored is not None else 0
    if found != int(expected):
        raise StaleVersion("db.stale", table="facts", id=case["id"], expected=expected, found=found,
                           who=(stored or {}).get("updated_by") or "?", when=(stored or {}).get("updated_at") or "?")


def confirm(db: Database, actor: Actor, case_no: str, expected_version: int | None = None) -> PrereviewResult:
    """A reviewer confirms the stored facts (what the approval will use).

    ``expected_version`` is the version of the facts the reviewer read: facts
    recomputed since (a clerk changed a record) are refused, not confirmed unseen.
    """
    require_role(actor, *CONFIRM_ROLES)
    with transaction(db):
        case = load_case(db, case_no)
        if case["status"] not in EDITABLE_STATUSES:
            raise Refused("prereview.closed", case_no=case["case_no"], status=t(CASE_STATUS.key(case['status'])))
        stored = facts_db.get(db, case["id"])
        if stored is None:
            raise Refused("prereview.nothing_to_confirm", case_no=case["case_no"])
        _check_facts_version(stored, case, expected_version)
        if stored["confirmed_at"]:
            raise Refused("prereview.already_confirmed", case_no=case["case_no"], who=stored["confirmed_by"], when=stored["confirmed_at"])
        facts_db.confirm(db, case["id"], actor.login)
        audit.append(db, actor.audit_name, "prereview.confirm", case_id=case["id"], entity="case", entity_id=case["case_no"],
                     detail={"policy_version": stored["policy_version"]})
    return PrereviewResult(case["case_no"], stored["data"], {}, True, int(stored["version"]) + 1)


def preview(db: Database, actor: Actor, case_no: str, today: date | None = None) -> PrereviewResult:
    """Compute without storing (what the screen shows while rows are edited)."""
    require_role(actor, *RECORD_ROLES)
    case = load_case(db, case_no)
    _, facts, result = assessment_for(db, case, today or date.today())
    stored = facts_db.get(db, case["id"])
    return PrereviewResult(case["case_no"], facts.as_dict(), result.as_dict(), bool(stored and stored["confirmed_at"]),
                           int(stored["version"]) if stored else None)
