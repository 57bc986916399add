"""Reading a person from the store into the rules engine's plain data."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlite_utils

from console.errors import BadInput
from console.rules.birth_date import ArchiveRecord
from console.rules.intervals import Period
from console.rules.months import BadMonth, Month
from console.rules.retirement_facts import PersonFacts
from console.text_policy import for_display
from db import persons as persons_db


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def archive_record(row: dict[str, Any]) -> ArchiveRecord:
    return ArchiveRecord(
        doc_kind=row["doc_kind"],
        doc_date=_date(row.get("doc_date")),
        birth_recorded=_date(row.get("birth_date_recorded")),
        altered=bool(row.get("altered")),
        altered_confirmed=bool(row.get("altered_confirmed")),
    )


def period(row: dict[str, Any]) -> Period:
    return Period(Month.parse(row["from_month"]), Month.parse(row["to_month"]), row["kind"], row.get("place") or "")


def person_facts(db: sqlite_utils.Database, person: dict[str, Any]) -> PersonFacts:
    """Everything the rules need of one stored person.

    A stored row the rules cannot read (a date in Arabic-Indic digits put in
    by SQL before the text policy) is refused with one line naming the person
    and pointing at ``retire doctor``, never a traceback.
    """
    try:
        return _person_facts(db, person)
    except (ValueError, BadMonth) as exc:
        raise BadInput("data_checks.unreadable_person", id=person.get("id"), id_number=for_display(person.get("id_number")),
                       reason=for_display(str(exc))) from None


def _person_facts(db: sqlite_utils.Database, person: dict[str, Any]) -> PersonFacts:
    pid = int(person["id"])
    return PersonFacts(
        sex=person["sex"],
        id_birth=_date(person.get("birth_date_id")),
        staff_category=person.get("staff_category") or "worker",
        female_group=person.get("female_group"),
        archive_records=tuple(archive_record(r) for r in persons_db.archive_records(db, pid)),
        periods=tuple(period(r) for r in persons_db.periods(db, pid)),
        archive_lost=bool(person.get("archive_lost")),
        has_employer=person.get("employer_id") is not None,
        insured_before_2011_07=None if person.get("insured_before_2011_07") is None else bool(person["insured_before_2011_07"]),
        average_index=_decimal(person.get("average_index")),
        account_balance=_decimal(person.get("account_balance")),
    )


def _decimal(text: str | None) -> Decimal | None:
    return Decimal(text) if text not in (None, "") else None
