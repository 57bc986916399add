"""Streaming reads for ``retire export``: one SELECT per export, fetched in chunks.

An export of every case or every contribution period must not load the
table into memory: these generators hand out ``CHUNK`` rows at a time from
one cursor.  The case filter is the queue's (``db.cases.CaseFilter``), so an
export holds exactly what ``retire case list`` with the same options shows;
persons and contribution periods follow the cases the filter selects (all of
them when no filter is given).
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from db.cases import ASSIGNEE_SQL, CaseFilter, _where

if TYPE_CHECKING:
    from db.engine import Database

CHUNK = 2000


def _stream(db: Database, sql: str, args: list[Any]) -> Iterator[dict[str, Any]]:
    cursor = db.execute(sql, args)
    names = [d[0] for d in cursor.description]
    while True:
        rows = cursor.fetchmany(CHUNK)
        if not rows:
            return
        for row in rows:
            yield dict(zip(names, row, strict=True))


def is_empty(f: CaseFilter) -> bool:
    """No condition at all: every row is wanted."""
    return not (f.statuses or f.department or f.overdue_before or f.due_by or f.due_from or f.received_from
                or f.received_to or f.text or f.assignee_id is not None or f.kinds)


CASES_SQL = f"""
SELECT c.case_no, p.name, p.id_number, c.kind, c.status, c.received_at, c.accepted_at, c.completed_at,
       c.due_date, c.paused_since, c.chosen_month, c.joint_items, c.acceptance_notice_no, {ASSIGNEE_SQL} AS assignee,
       c.version
FROM cases c JOIN persons p ON p.id = c.person_id
"""


def iter_cases(db: Database, f: CaseFilter) -> Iterator[dict[str, Any]]:
    where, args = _where(f)
    return _stream(db, f"{CASES_SQL}{where} ORDER BY c.received_at, c.id", args)


TASKS_SQL = """
SELECT c.case_no, p.name, p.id_number, t.id AS task_id, t.department, t.item, t.status, s.login AS assignee,
       t.due_date, t.opened_at, t.done_at, t.result, t.missing
FROM tasks t JOIN cases c ON c.id = t.case_id JOIN persons p ON p.id = c.person_id
LEFT JOIN staff s ON s.id = t.assignee_id
"""


def iter_tasks(db: Database, f: CaseFilter) -> Iterator[dict[str, Any]]:
    """Tasks of the selected cases; with a department filter, only that department's tasks."""
    where, args = _where(f)
    if f.department:
        where = (where + " AND " if where else " WHERE ") + "t.department = ?"
        args = [*args, f.department]
    return _stream(db, f"{TASKS_SQL}{where} ORDER BY c.case_no, t.id", args)


def _persons_of_cases(f: CaseFilter) -> tuple[str, list[Any]]:
    if is_empty(f):
        return "", []
    where, args = _where(f)
    return f" WHERE x.id IN (SELECT c.person_id FROM cases c JOIN persons p ON p.id = c.person_id{where})", args


PERSONS_SQL = """
SELECT x.id_number, x.name, x.sex, x.hukou, x.phone, x.address, x.staff_category, x.female_group,
       e.credit_code AS employer_code, e.name AS employer_name, x.archive_lost, x.insured_before_2011_07,
       x.bank_card
FROM persons x LEFT JOIN employers e ON e.id = x.employer_id
"""


def iter_persons(db: Database, f: CaseFilter) -> Iterator[dict[str, Any]]:
    where, args = _persons_of_cases(f)
    return _stream(db, f"{PERSONS_SQL}{where} ORDER BY x.id", args)


PERIODS_SQL = """
SELECT x.id_number, x.name, k.from_month, k.to_month, k.kind, k.place, k.base, k.evidence
FROM contribution_periods k JOIN persons x ON x.id = k.person_id
"""


def iter_periods(db: Database, f: CaseFilter) -> Iterator[dict[str, Any]]:
    where, args = _persons_of_cases(f)
    return _stream(db, f"{PERIODS_SQL}{where} ORDER BY k.person_id, k.from_month, k.id", args)
