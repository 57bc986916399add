"""Reading a person into the rules engine's plain data: one builder for the store, the screens and the demo.

``build_person_facts`` is pure (plain rows in, ``PersonFacts`` out), so the
stored facts (``person_facts(db, person)``), the intake and pre-review
screens' live panels (rows on screen) and the demo generator all read a
person the same way; a field added to ``PersonFacts`` is added here once.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from console.errors import BadInput
from console.rules.birth_date import ArchiveRecord
from console.rules.intervals import Period
from console.rules.months import BadMonth, Month
from console.rules.retirement_facts import PersonFacts
from console.text_policy import for_display
from db import persons as persons_db

if TYPE_CHECKING:
    from db.engine import Database

Row = Mapping[str, Any]


CACHE_LIMIT = 100_000
"""Entries per parse cache: a county has tens of thousands of distinct dates and a few hundred
months; pasted garbage must not grow a cache without end."""
_DATES: dict[str, date] = {}
_MONTHS: dict[str, Month] = {}


def _date(text: str | None) -> date | None:
    """date.fromisoformat, memoised (a date is immutable): a county-wide recompute reads each
    birth and document date thousands of times."""
    if not text:
        return None
    found = _DATES.get(text)
    if found is None:
        found = date.fromisoformat(text)
        if len(_DATES) < CACHE_LIMIT:
            _DATES[text] = found
    return found


def _month(text: str) -> Month:
    """Month.parse, memoised (a Month is frozen), for the same reason as ``_date``."""
    found = _MONTHS.get(text)
    if found is None:
        found = Month.parse(text)
        if len(_MONTHS) < CACHE_LIMIT:
            _MONTHS[text] = found
    return found


def _decimal(text: Any) -> Decimal | None:
    return None if text is None or text == "" else Decimal(str(text))


def archive_record(row: Row) -> ArchiveRecord:
    return ArchiveRecord(
        doc_kind=row["doc_kind"],
        doc_date=_date(row.get("doc_date")),
        birth_recorded=_date(row.get("birth_date_recorded")),
        altered=bool(row.get("altered")),
        altered_confirmed=bool(row.get("altered_confirmed")),
    )


def period(row: Row) -> Period:
    return Period(_month(row["from_month"]), _month(row["to_month"]), row["kind"], row.get("place") or "")


def build_person_facts(person: Row, archive_rows: Iterable[Row], period_rows: Iterable[Row]) -> PersonFacts:
    """Everything the rules need of one person, from a ``persons`` row and its archive and period rows.

    The rows may come from the store or from a screen (unsaved edits); the
    keys are the table's column names.  A value the rules cannot read (a
    date in Arabic-Indic digits put in by SQL before the text policy) is
    refused with one line naming the person and pointing at ``retire doctor``,
    never a traceback.
    """
    get = person.get  # bound once: a county-wide recompute builds a million of these
    try:
        before_2011 = get("insured_before_2011_07")
        return PersonFacts(
            sex=person["sex"],
            id_birth=_date(get("birth_date_id")),
            staff_category=get("staff_category") or "worker",
            female_group=get("female_group"),
            archive_records=tuple([archive_record(r) for r in archive_rows]),
            periods=tuple([period(r) for r in period_rows]),
            archive_lost=bool(get("archive_lost")),
            has_employer=get("employer_id") is not None,
            insured_before_2011_07=None if before_2011 is None else bool(before_2011),
            average_index=_decimal(get("average_index")),
            account_balance=_decimal(get("account_balance")),
        )
    except (ValueError, BadMonth, InvalidOperation) as exc:
        raise BadInput("data_checks.unreadable_person", id=person.get("id"), id_number=for_display(person.get("id_number")),
                       reason=for_display(str(exc))) from None


def person_facts(db: Database, person: Row) -> PersonFacts:
    """Everything the rules need of one stored person (its archive and periods read from the store)."""
    pid = int(person["id"])
    return build_person_facts(person, persons_db.archive_records(db, pid), persons_db.periods(db, pid))
