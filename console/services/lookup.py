"""Reads and combined writes the intake and pre-review screens need.

Reads return plain dicts (safe to hand from a worker thread to the UI
thread).  The two writes wrap existing use-cases so that a screen's one
keystroke is one transaction: open a case and decide on it, or save a
pre-review only if nobody else saved it since the screen loaded it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable, Mapping

import sqlite_utils

from console.errors import StaleVersion
from console.services import door, intake, prereview
from console.services.identity import Actor, require_role
from db import cases as cases_db
from db import facts as facts_db
from db import persons as persons_db
from db.connection import transaction

READ_ROLES = ("clerk", "hrss_reviewer", "supervisor")


def _person_data(db: sqlite_utils.Database, person: dict[str, Any]) -> dict[str, Any]:
    pid = int(person["id"])
    employer = persons_db.get_employer(db, person["employer_id"]) if person.get("employer_id") else None
    open_case = cases_db.open_case_for_person(db, pid)
    return {
        "person": dict(person),
        "employer": dict(employer) if employer else None,
        "archive_records": persons_db.archive_records(db, pid),
        "periods": persons_db.periods(db, pid),
        "open_case_no": open_case["case_no"] if open_case else None,
    }


def person_by_id_number(db: sqlite_utils.Database, actor: Actor, id_number: str) -> dict[str, Any] | None:
    """The registered person with this ID number, their employer, archive, periods and open case; None if unknown."""
    require_role(actor, *READ_ROLES)
    person = persons_db.by_id_number(db, door.id_number(id_number))
    return None if person is None else _person_data(db, person)


def prereview_state(db: sqlite_utils.Database, actor: Actor, case_no: str) -> dict[str, Any]:
    """Everything the pre-review screen edits and checks, as stored now."""
    require_role(actor, *READ_ROLES)
    case = intake.load_case(db, case_no)
    person = persons_db.get(db, case["person_id"])
    assert person is not None
    data = _person_data(db, person)
    stored = facts_db.get(db, case["id"])
    data["case"] = {k: case[k] for k in ("case_no", "status", "kind", "chosen_month", "joint_items", "version")}
    data["received"] = [m["code"] for m in cases_db.materials(db, case["id"]) if m["received"]]
    data["facts"] = None if stored is None else {
        "version": stored["version"],
        "computed_at": stored["computed_at"],
        "updated_by": stored["updated_by"],
        "updated_at": stored["updated_at"],
        "confirmed_by": stored["confirmed_by"],
        "confirmed_at": stored["confirmed_at"],
        "data": stored["data"],
    }
    return data


@dataclass
class WindowDecision:
    """A case opened at the window and what was decided on it."""

    case_no: str
    status: str
    decision: intake.Decision | None


def open_and_decide(
    db: sqlite_utils.Database,
    actor: Actor,
    applicant: intake.Applicant,
    kind: str,
    joint_items: Iterable[str],
    received: Iterable[str],
    chosen_month: str | None,
    decide: str | None,
    today: date,
) -> WindowDecision:
    """Open a case and, in the same transaction, accept it or issue the correction notice.

    ``decide`` is None (keep the draft), "accept" or "correction".  A refusal by
    the rules rolls the whole thing back, so the clerk can fix the form and retry.
    """
    with transaction(db):
        case = intake.open_case(db, actor, applicant, kind, joint_items, received, chosen_month, today)
        if decide is None:
            return WindowDecision(case["case_no"], case["status"], None)
        if decide == "accept":
            decision = intake.accept_case(db, actor, case["case_no"], today=today)
        else:
            decision = intake.request_correction(db, actor, case["case_no"], today=today)
    return WindowDecision(decision.case_no, decision.status, decision)


def save_prereview(
    db: sqlite_utils.Database,
    actor: Actor,
    case_no: str,
    archive_records: list[Mapping[str, Any]],
    periods: list[Mapping[str, Any]],
    reason: str | None,
    expected_facts_version: int | None,
    today: date,
) -> tuple[prereview.PrereviewResult, int]:
    """Store the pre-review unless the stored facts changed since the screen read them.

    ``expected_facts_version`` is the facts version the screen loaded (None:
    there were none).  Returns the result and the new facts version; raises
    StaleVersion naming who saved last and when.
    """
    with transaction(db):
        case = intake.load_case(db, case_no)
        stored = facts_db.get(db, case["id"])
        now = None if stored is None else int(stored["version"])
        if now != expected_facts_version:
            who, when = (stored["updated_by"], stored["updated_at"]) if stored else ("-", "-")
            raise StaleVersion("prereview.stale", case_no=case_no, who=who, when=when)
        result = prereview.record(db, actor, case_no, archive_records, periods, reason, today)
        after = facts_db.get(db, case["id"])
        assert after is not None
    return result, int(after["version"])


def confirm_prereview(
    db: sqlite_utils.Database, actor: Actor, case_no: str, expected_facts_version: int | None = None,
) -> tuple[prereview.PrereviewResult, dict[str, Any]]:
    """Confirm the stored facts the screen showed (``expected_facts_version``); returns the result and the facts' new metadata."""
    result = prereview.confirm(db, actor, case_no, expected_facts_version)
    case = intake.load_case(db, case_no)
    stored = facts_db.get(db, case["id"])
    assert stored is not None
    return result, {k: stored[k] for k in ("version", "confirmed_by", "confirmed_at", "updated_by", "updated_at")}
