"""A registered person as the intake and pre-review screens read them: the person row, employer,
archive records, contribution periods, their open case and a finished retirement case, as plain dicts (safe to hand from a
worker thread to the UI thread)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from console.services import door
from console.services.identity import Actor, require_role
from console.services.role_matrix import BY_CODE
from db import cases as cases_db
from db import persons as persons_db

if TYPE_CHECKING:
    from db.engine import Database

READ_ROLES = BY_CODE["person.lookup"].roles


def person_record(db: Database, person: dict[str, Any]) -> dict[str, Any]:
    """``person`` (a stored row) with their employer, archive records, periods and open case number."""
    pid = int(person["id"])
    employer = persons_db.get_employer(db, person["employer_id"]) if person.get("employer_id") else None
    open_case = cases_db.open_case_for_person(db, pid)
    retired = cases_db.retired_case_for_person(db, pid)
    return {
        "person": dict(person),
        "employer": dict(employer) if employer else None,
        "archive_records": persons_db.archive_records(db, pid),
        "periods": persons_db.periods(db, pid),
        "open_case_no": open_case["case_no"] if open_case else None,
        "retired_case": {"case_no": retired["case_no"], "status": retired["status"]} if retired else None,
    }


def person_by_id_number(db: Database, actor: Actor, id_number: str) -> dict[str, Any] | None:
    """The registered person with this ID number, their employer, archive, periods and open case; None if unknown."""
    require_role(actor, *READ_ROLES)
    person = persons_db.by_id_number(db, door.id_number(id_number))
    return None if person is None else person_record(db, person)
