"""Stored retirement status of every insured person (the pre-retirement list).

Rows are written in bulk by the recompute and dropped by triggers when the
person, their archive or their periods change (see schema v3).
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Sequence

import sqlite_utils

from db.persons import _rows

STATUS_COLUMNS = (
    "person_id", "grp", "birth_month", "birth_source", "statutory_month", "earliest_month", "latest_month",
    "min_months", "counted_months", "short_months", "total_months", "outside_months", "deemed_months",
    "birth_mismatch", "archive_lost", "policy_version", "computed_at",
)
_PERSON_COLS = "id, sex, birth_date_id, staff_category, female_group, archive_lost, employer_id, insured_before_2011_07"


def _grouped(cursor: Any) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
    """Rows of a cursor ordered by person_id (first column), grouped."""
    current: int | None = None
    group: list[tuple[Any, ...]] = []
    for row in cursor:
        if row[0] != current:
            if current is not None:
                yield current, group
            current, group = row[0], []
        group.append(row)
    if current is not None:
        yield current, group


def stream_inputs(db: sqlite_utils.Database, only_missing: bool = False) -> Iterator[tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """(person, archive rows, period rows) for every person (or those without status), by a merge join.

    Three ordered cursors instead of a query per person: the recompute of a
    whole county reads each table once (several cursors may be open on one
    connection).
    """
    where = sub = ""
    if only_missing:
        # a snapshot of who to compute: the recompute writes person_status while these cursors run
        db.conn.execute("DROP TABLE IF EXISTS temp.todo")
        db.conn.execute("CREATE TEMP TABLE todo AS SELECT id FROM persons WHERE id NOT IN (SELECT person_id FROM person_status)")
        where = " WHERE id IN (SELECT id FROM temp.todo)"
        sub = " WHERE person_id IN (SELECT id FROM temp.todo)"
    persons = db.conn.execute(f"SELECT {_PERSON_COLS} FROM persons{where} ORDER BY id")
    archive = _grouped(db.conn.execute(
        f"SELECT person_id, doc_kind, doc_date, birth_date_recorded, altered, altered_confirmed FROM archive_records{sub} ORDER BY person_id"))
    periods = _grouped(db.conn.execute(
        f"SELECT person_id, from_month, to_month, kind, place FROM contribution_periods{sub} ORDER BY person_id"))
    next_a = next(archive, None)
    next_p = next(periods, None)
    for person in persons:
        pid = person[0]
        while next_a is not None and next_a[0] < pid:
            next_a = next(archive, None)
        while next_p is not None and next_p[0] < pid:
            next_p = next(periods, None)
        recs = next_a[1] if next_a is not None and next_a[0] == pid else []
        pers = next_p[1] if next_p is not None and next_p[0] == pid else []
        yield person, recs, pers


def count_persons(db: sqlite_utils.Database, only_missing: bool = False) -> int:
    where = " WHERE id NOT IN (SELECT person_id FROM person_status)" if only_missing else ""
    return int(db.execute(f"SELECT count(*) FROM persons{where}").fetchone()[0])


def drop_other_policies(db: sqlite_utils.Database, policy_version: str) -> int:
    """Forget rows computed under another policy version (they are recomputed)."""
    return db.execute("DELETE FROM person_status WHERE policy_version != ?", [policy_version]).rowcount


def write(db: sqlite_utils.Database, rows: Sequence[Sequence[Any]]) -> None:
    placeholders = ", ".join("?" for _ in STATUS_COLUMNS)
    db.conn.executemany(f"INSERT OR REPLACE INTO person_status ({', '.join(STATUS_COLUMNS)}) VALUES ({placeholders})", rows)


_UPCOMING = """
SELECT s.*, p.id_number, p.name, p.sex, p.phone, p.address, p.hukou,
       EXISTS (SELECT 1 FROM cases c JOIN facts f ON f.case_id = c.id WHERE c.person_id = p.id) AS has_prereview,
       (SELECT c.case_no FROM cases c WHERE c.person_id = p.id ORDER BY c.id DESC LIMIT 1) AS case_no,
       (SELECT max(k.at) FROM contacts k WHERE k.person_id = p.id) AS last_contact
FROM person_status s JOIN persons p ON p.id = s.person_id
WHERE s.statutory_month BETWEEN ? AND ?
  AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.id AND c.status IN ('completed', 'delivered'))
"""

FLAG_SQL = {
    "short": "s.short_months > 0",
    "deemed": "s.deemed_months > 0",
    "no_prereview": "NOT EXISTS (SELECT 1 FROM cases c JOIN facts f ON f.case_id = c.id WHERE c.person_id = p.id)",
    "birth_mismatch": "s.birth_mismatch = 1",
    "lost_archive": "s.archive_lost = 1",
    "outside": "s.outside_months > 0",
}


def upcoming(db: sqlite_utils.Database, first: str, last: str, flags: Iterable[str] = (), limit: int | None = None) -> list[dict[str, Any]]:
    """Persons whose statutory month falls in [first, last], all given flags holding."""
    sql = _UPCOMING + "".join(f" AND {FLAG_SQL[f]}" for f in flags) + " ORDER BY s.statutory_month, p.name, p.id"
    args: list[Any] = [first, last]
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return _rows(db.execute(sql, args))


def add_contact(db: sqlite_utils.Database, person_id: int, at: str, channel: str, note: str | None, staff_id: int) -> int:
    cur = db.execute("INSERT INTO contacts (person_id, at, channel, note, staff_id) VALUES (?, ?, ?, ?, ?)", [person_id, at, channel, note, staff_id])
    return int(cur.lastrowid)


def contacts(db: sqlite_utils.Database, person_id: int) -> list[dict[str, Any]]:
    return _rows(db.execute(
        "SELECT k.at, k.channel, k.note, s.login FROM contacts k LEFT JOIN staff s ON s.id = k.staff_id WHERE k.person_id = ? ORDER BY k.at", [person_id]))


def status_for(db: sqlite_utils.Database, person_id: int) -> dict[str, Any] | None:
    rows = _rows(db.execute("SELECT * FROM person_status WHERE person_id = ?", [person_id]))
    return rows[0] if rows else None
