"""The pre-review screen's state and its guarded saves.

``prereview_state`` reads everything the screen edits and checks, as stored
now; ``save_prereview`` stores the screen's rows only if nobody else saved
the facts since the screen loaded them (StaleVersion otherwise), and
``confirm_prereview`` confirms the facts the screen showed.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from console.errors import StaleVersion
from console.services import intake, prereview
from console.services.identity import Actor, require_role
from console.services.person_records import READ_ROLES, person_record
from db import cases as cases_db
from db import facts as facts_db
from db import persons as persons_db
from db.connection import transaction

if TYPE_CHECKING:
    from db.engine import Database


def prereview_state(db: Database, actor: Actor, case_no: str) -> dict[str, Any]:
    """Everything the pre-review screen edits and checks, as stored now."""
    require_role(actor, *READ_ROLES)
    case = intake.load_case(db, case_no)
    person = persons_db.get(db, case["person_id"])
    assert person is not None
    data = person_record(db, person)
    stored = facts_db.get(db, case["id"])
    data["case"] = {k: case[k] for k in ("case_no", "status", "kind", "chosen_month", "joint_items", "version", "kind_details")}
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


def save_prereview(
    db: Database,
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
    db: Database, actor: Actor, case_no: str, expected_facts_version: int | None = None,
) -> tuple[prereview.PrereviewResult, dict[str, Any]]:
    """Confirm the stored facts the screen showed (``expected_facts_version``); returns the result and the facts' new metadata."""
    result = prereview.confirm(db, actor, case_no, expected_facts_version)
    case = intake.load_case(db, case_no)
    stored = facts_db.get(db, case["id"])
    assert stored is not None
    return result, {k: stored[k] for k in ("version", "confirmed_by", "confirmed_at", "updated_by", "updated_at")}
