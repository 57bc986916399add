"""Stored retirement status of every insured person (the pre-retirement list).

Rows are written in bulk by the recompute and dropped by triggers when the
person, their archive or their periods change (see schema v3).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from console.vocabulary import FINISHED_STATUSES, sql_list
from db.persons import _rows
from db.row_ids import inserted_id

if TYPE_CHECKING:
    from db.engine import Database

STATUS_COLUMNS = (
    "person_id", "grp", "birth_month", "birth_source", "statutory_month", "earliest_month", "latest_month",
    "min_months", "counted_months", "short_months", "total_months", "outside_months", "deemed_months",
    "birth_mismatch", "archive_lost", "policy_version", "computed_at",
)
_PERSON_COLS = "id, sex, birth_date_id, staff_category, female_group, archive_lost, employer_id, insured_before_2011_07"


def _grouped(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
    """Rows ordered by person_id (first column), grouped."""
    current: int | None = None
    group: list[tuple[Any, ...]] = []
    for row in rows:
        if row[0] != current:
            if current is not None:
                yield current, group
            current, group = row[0], []
        group.append(row)
    if current is not None:
        yield current, group


Inputs = list[tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]]]]


def read_batch(db: Database, after: int, size: int, only_missing: bool = False) -> Inputs:
    """(person, archive rows, period rows) of the next ``size`` persons with id > ``after`` (all, or those without status).

    Meant to run inside the transaction that writes their rows: what is
    stored then rests on exactly what was read, and no reading cursor stays
    open across transactions.  (A cursor held open over the whole run pins
    an old WAL snapshot, so the first batch committed after a clerk's save
    failed with "database is locked".)  Archive and periods are read by a
    merge join over three ordered result sets, not a query per person.
    """
    missing = " AND NOT EXISTS (SELECT 1 FROM person_status s WHERE s.person_id = persons.id)" if only_missing else ""
    persons = db.execute(f"SELECT {_PERSON_COLS} FROM persons WHERE id > ?{missing} ORDER BY id LIMIT ?", [after, size]).fetchall()
    if not persons:
        return []
    lo, hi = persons[0][0], persons[-1][0]
    if hi - lo < 2 * len(persons):  # dense (everyone, or most): one index range
        where, args = "person_id BETWEEN ? AND ?", [lo, hi]
    else:  # a few stale persons spread over the county: look each one up
        where, args = "person_id IN (SELECT value FROM json_each(?))", [json.dumps([p[0] for p in persons])]
    # fetchall: no statement outlives the batch (an open one would pin the snapshot again)
    archive = _grouped(db.execute(
        "SELECT person_id, doc_kind, doc_date, birth_date_recorded, altered, altered_confirmed"
        f" FROM archive_records WHERE {where} ORDER BY person_id, id", args).fetchall())
    periods = _grouped(db.execute(
        f"SELECT person_id, from_month, to_month, kind, place FROM contribution_periods WHERE {where} ORDER BY person_id, from_month, id", args).fetchall())
    out: Inputs = []
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
        out.append((person, recs, pers))
    return out


def count_persons(db: Database, only_missing: bool = False) -> int:
    if not only_missing:
        return int(db.execute("SELECT count(*) FROM persons").fetchone()[0])
    # Fast path (the list asks this on every call): person_id is the primary key and
    # references persons, so equal counts mean every person has a row.  count(*) is a
    # b-tree count (milliseconds at a million rows); the anti-join is a full scan.
    persons, stored = db.execute("SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM person_status)").fetchone()
    if persons == stored:
        return 0
    return int(db.execute("SELECT count(*) FROM persons WHERE id NOT IN (SELECT person_id FROM person_status)").fetchone()[0])


def has_other_policies(db: Database, policy_version: str) -> bool:
    """Whether any row was computed under another policy version (read-only; no write lock).

    Written as two ranges so that an index on policy_version, if there is one,
    answers with two seeks; without it this is one scan that stops at the first hit.
    """
    row = db.execute(
        "SELECT 1 FROM person_status WHERE policy_version < ? OR policy_version > ? LIMIT 1", [policy_version, policy_version]
    ).fetchone()
    return row is not None


def drop_other_policies(db: Database, policy_version: str) -> int:
    """Forget rows computed under another policy version (they are recomputed)."""
    return db.execute("DELETE FROM person_status WHERE policy_version != ?", [policy_version]).rowcount


def write(db: Database, rows: Sequence[Sequence[Any]]) -> None:
    placeholders = ", ".join("?" for _ in STATUS_COLUMNS)
    db.executemany(f"INSERT OR REPLACE INTO person_status ({', '.join(STATUS_COLUMNS)}) VALUES ({placeholders})", rows)


_UPCOMING = """
SELECT s.*, p.id_number, p.name, p.sex, p.phone, p.address, p.hukou,
       EXISTS (SELECT 1 FROM cases c JOIN facts f ON f.case_id = c.id WHERE c.person_id = p.id) AS has_prereview,
       (SELECT c.case_no FROM cases c WHERE c.person_id = p.id ORDER BY c.id DESC LIMIT 1) AS case_no,
       (SELECT max(k.at) FROM contacts k WHERE k.person_id = p.id) AS last_contact
FROM person_status s JOIN persons p ON p.id = s.person_id
WHERE s.statutory_month BETWEEN ? AND ?
  AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.person_id = p.id AND c.status IN (""" + sql_list(FINISHED_STATUSES) + """))
"""

FLAG_SQL = {
    "short": "s.short_months > 0",
    "deemed": "s.deemed_months > 0",
    "no_prereview": "NOT EXISTS (SELECT 1 FROM cases c JOIN facts f ON f.case_id = c.id WHERE c.person_id = p.id)",
    "birth_mismatch": "s.birth_mismatch = 1",
    "lost_archive": "s.archive_lost = 1",
    "outside": "s.outside_months > 0",
}


def upcoming(db: Database, first: str, last: str, flags: Iterable[str] = (), limit: int | None = None) -> list[dict[str, Any]]:
    """Persons whose statutory month falls in [first, last], all given flags holding."""
    sql = _UPCOMING + "".join(f" AND {FLAG_SQL[f]}" for f in flags) + " ORDER BY s.statutory_month, p.name, p.id"
    args: list[Any] = [first, last]
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return _rows(db.execute(sql, args))


def add_contact(db: Database, person_id: int, at: str, channel: str, note: str | None, staff_id: int) -> int:
    cur = db.execute("INSERT INTO contacts (person_id, at, channel, note, staff_id) VALUES (?, ?, ?, ?, ?)", [person_id, at, channel, note, staff_id])
    return inserted_id(cur)


def contacts(db: Database, person_id: int) -> list[dict[str, Any]]:
    return _rows(db.execute(
        "SELECT k.at, k.channel, k.note, s.login FROM contacts k LEFT JOIN staff s ON s.id = k.staff_id WHERE k.person_id = ? ORDER BY k.at", [person_id]))


def status_for(db: Database, person_id: int) -> dict[str, Any] | None:
    rows = _rows(db.execute("SELECT * FROM person_status WHERE person_id = ?", [person_id]))
    return rows[0] if rows else None
