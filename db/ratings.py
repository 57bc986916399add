"""Service ratings (好差评) and the follow-ups bad ratings open: every statement on those two tables."""
from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from console.vocabulary import BAD_LEVELS, SATISFIED_LEVELS, sql_list
from db.clock import now_iso
from db.connection import sqlite_connection
from db.persons import _row, _rows
from db.row_ids import inserted_id

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database

_GOOD = ", ".join(SATISFIED_LEVELS)
_BAD = ", ".join(BAD_LEVELS)
_FOLLOWUP_COLUMNS = (
    "f.id, f.rating_id, f.case_id, c.case_no, f.status, f.opened_on, f.due_date, f.callback_note, f.called_back_at,"
    " f.called_back_by, f.remedy, f.closed_at, f.closed_by, f.version, r.level, r.channel, r.comment, r.rated_at"
)
_FOLLOWUPS = ("SELECT " + _FOLLOWUP_COLUMNS + " FROM rating_followups f JOIN ratings r ON r.id = f.rating_id"
              " JOIN cases c ON c.id = f.case_id")


def for_case(db: Database, case_id: int) -> dict[str, Any] | None:
    return _row(db.execute("SELECT * FROM ratings WHERE case_id = ?", [case_id]))


def insert(db: Database, case_id: int, level: int, channel: str, comment: str | None, rated_at: str,
           actor: str) -> int:
    cur = db.execute(
        "INSERT INTO ratings (case_id, level, channel, comment, rated_at, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [case_id, level, channel, comment, rated_at, actor, now_iso()],
    )
    return inserted_id(cur)


def insert_followup(db: Database, rating_id: int, case_id: int, opened_on: str, due_date: str, actor: str) -> int:
    cur = db.execute(
        "INSERT INTO rating_followups (rating_id, case_id, opened_on, due_date, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [rating_id, case_id, opened_on, due_date, actor, now_iso()],
    )
    return inserted_id(cur)


def followup(db: Database, followup_id: int) -> dict[str, Any] | None:
    return _row(db.execute(_FOLLOWUPS + " WHERE f.id = ?", [followup_id]))


def followup_for_case(db: Database, case_id: int) -> dict[str, Any] | None:
    return _row(db.execute(_FOLLOWUPS + " WHERE f.case_id = ?", [case_id]))


def followups(db: Database, statuses: Sequence[str]) -> list[dict[str, Any]]:
    """Follow-ups in the given statuses, the earliest due first."""
    sql = _FOLLOWUPS + " WHERE f.status IN (" + sql_list(tuple(statuses)) + ") ORDER BY f.due_date, f.id"
    return _rows(db.execute(sql))


def cases_by_number(db: Database, numbers: Sequence[str]) -> dict[str, tuple[int, str]]:
    """case_no -> (case id, status) for the numbers that exist (one ``json_each`` statement)."""
    sql = "SELECT c.case_no, c.id, c.status FROM json_each(?) j JOIN cases c ON c.case_no = j.value"
    return {no: (int(cid), status) for no, cid, status in db.execute(sql, [json.dumps(list(numbers))]).fetchall()}


def ratings_of_cases(db: Database, case_ids: Iterable[int]) -> dict[int, tuple[int, str, str]]:
    """case id -> (level, channel, rated_at) of the cases already rated."""
    sql = "SELECT r.case_id, r.level, r.channel, r.rated_at FROM json_each(?) j JOIN ratings r ON r.case_id = j.value"
    return {int(c): (int(lv), ch, at) for c, lv, ch, at in db.execute(sql, [json.dumps(list(case_ids))]).fetchall()}


# --- figures for the dashboard (one aggregate each) ----------------------------

def totals(db: Database) -> tuple[int, int]:
    """(all ratings, satisfied ratings: levels 4-5)."""
    row = db.execute(f"SELECT count(*), coalesce(sum(level IN ({_GOOD})), 0) FROM ratings").fetchone()
    return int(row[0]), int(row[1])


def followup_counts(db: Database) -> dict[str, int]:
    return {r[0]: int(r[1]) for r in db.execute("SELECT status, count(*) FROM rating_followups GROUP BY status").fetchall()}


def by_month(db: Database, since: str) -> list[tuple[str, int, int, int, int]]:
    """(YYYY-MM, ratings, satisfied, bad, bad still open) per month of rating, from ``since`` on."""
    sql = (f"SELECT substr(r.rated_at, 1, 7) AS m, count(*), sum(r.level IN ({_GOOD})), sum(r.level IN ({_BAD})),"
           " sum(f.id IS NOT NULL AND f.status <> 'closed')"
           " FROM ratings r LEFT JOIN rating_followups f ON f.rating_id = r.id"
           " WHERE r.rated_at >= ? GROUP BY m ORDER BY m")
    return [(m, int(n), int(g or 0), int(b or 0), int(o or 0)) for m, n, g, b, o in db.execute(sql, [since]).fetchall()]


def by_department(db: Database) -> dict[str, tuple[int, int, int, int]]:
    """department -> (ratings, satisfied, bad, bad still open), a rating counting for each department its case had tasks in."""
    sql = (f"SELECT d.department, count(*), sum(r.level IN ({_GOOD})), sum(r.level IN ({_BAD})),"
           " sum(f.id IS NOT NULL AND f.status <> 'closed')"
           " FROM ratings r JOIN (SELECT DISTINCT case_id, department FROM tasks) d ON d.case_id = r.case_id"
           " LEFT JOIN rating_followups f ON f.rating_id = r.id GROUP BY d.department")
    return {d: (int(n), int(g or 0), int(b or 0), int(o or 0)) for d, n, g, b, o in db.execute(sql).fetchall()}


def insert_many(db: Database, batch: Sequence[tuple[Any, ...]]) -> int:
    """Import: (case id, level, channel, comment, rated_at, recorded_by, recorded_at) rows; a case already
    rated keeps its rating (the plan refused any that differs).  Returns the rows inserted."""
    before = sqlite_connection(db).total_changes
    db.executemany(
        "INSERT INTO ratings (case_id, level, channel, comment, rated_at, recorded_by, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id) DO NOTHING", batch)
    return sqlite_connection(db).total_changes - before


def rating_ids(db: Database, case_ids: Sequence[int]) -> dict[int, int]:
    sql = "SELECT r.case_id, r.id FROM json_each(?) j JOIN ratings r ON r.case_id = j.value"
    return {int(c): int(i) for c, i in db.execute(sql, [json.dumps(list(case_ids))]).fetchall()}


def has_followup(db: Database, rating_id: int) -> bool:
    return db.execute("SELECT 1 FROM rating_followups WHERE rating_id = ?", [rating_id]).fetchone() is not None
