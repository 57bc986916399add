"""A case's retirement type and its details (special work and its years, the appraisal, the injury determination).

The intake takes them with the case (``intake.open_case(details=...)``); a
reviewer may correct them on a draft (``record_kind_details``).  They are kept
on the case (``cases.kind_details``, migration V13, which copied in what halls
at V12 had recorded only in the audit), each write audited, and the
pre-review's facts carry a copy (``kind_details``).  The values pass the same
door as everything typed at the window.
"""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from console.errors import BadInput, Refused
from console.rules.retirement_kinds import KINDS, KindDetails
from console.services import door
from console.services.identity import Actor, require_role
from console.services.role_matrix import BY_CODE
from console.vocabulary import DRAFT_STATUSES, SPECIAL_WORK
from db import audit
from db import cases as cases_db
from db.connection import transaction

if TYPE_CHECKING:
    from db.engine import Database

MAX_SPECIAL_YEARS = 60


def special_months(value: object) -> int | None:
    """Years in special work as typed ("10", "9.5") -> whole months; blank -> None; anything else exit 2."""
    text = door.text(value, "special_years")
    if text is None:
        return None
    try:
        years = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise BadInput("rules.kind.bad_special_years", value=text, max=MAX_SPECIAL_YEARS) from None
    if not years.is_finite() or years < 0 or years > MAX_SPECIAL_YEARS:
        raise BadInput("rules.kind.bad_special_years", value=text, max=MAX_SPECIAL_YEARS)
    return int(years * 12)


def kind_details(kind: str, values: Mapping[str, Any]) -> KindDetails:
    """The checked details of a case of ``kind`` from what was typed (keys as ``KindDetails``' fields).

    A kind without its own rule takes no details; a special-work code must be
    one of the vocabulary's; the references are free text through the door.
    """
    if kind not in KINDS:
        return KindDetails()
    work = door.text(values.get("special_work"), "special_work")
    if work is not None and work not in SPECIAL_WORK:
        raise BadInput("rules.kind.cli_bad_work", value=work, allowed=", ".join(SPECIAL_WORK))
    months = values.get("special_work_months")
    if months is None:
        months = special_months(values.get("special_years"))
    return KindDetails(
        special_work=work if kind == "special_work" else None,
        special_work_months=int(months) if kind == "special_work" and months is not None else None,
        appraisal_ref=door.text(values.get("appraisal_ref"), "appraisal_ref") if kind == "illness" else None,
        determination_ref=door.text(values.get("determination_ref"), "determination_ref") if kind == "work_injury" else None,
    )


def stored_kind_details(case: Mapping[str, Any]) -> KindDetails:
    """The details the case row holds (V13; none recorded: empty details), read as its kind reads them."""
    stored = case.get("kind_details") or {}
    return kind_details(str(case["kind"]), stored if isinstance(stored, Mapping) else {})


def record_kind_details(db: Database, actor: Actor, case_no: str, values: Mapping[str, Any]) -> KindDetails:
    """Correct a draft case's kind details (the years, the numbers), audited; the next pre-review uses them."""
    require_role(actor, *BY_CODE["case.open"].roles)
    with transaction(db):
        case = cases_db.load(db, case_no)
        if case["status"] not in DRAFT_STATUSES:
            raise Refused("rules.kind.details_after_acceptance", case_no=case_no)
        details = kind_details(str(case["kind"]), values)
        cases_db.set_kind_details(db, int(case["id"]), details.as_dict(), actor.login)
        audit.append(db, actor.audit_name, "case.kind_details", case_id=case["id"], entity="case", entity_id=case["case_no"],
                     detail={"kind": case["kind"], "kind_details": details.as_dict()})
    return details
