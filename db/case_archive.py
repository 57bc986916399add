"""What the case file (电子归档) reads: the cases delivered in a period, a case's raw stored rows.

The archive copies what the database holds, byte for byte: notices and
facts are read here with their JSON columns as the stored text (never
re-encoded), so a package's files can be compared with the rows they came
from.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from db.persons import _rows

if TYPE_CHECKING:  # annotations only
    from db.engine import Database


def delivered_between(db: Database, first: str, last: str) -> list[str]:
    """Case numbers whose results were delivered on a day from ``first`` to ``last`` (ISO dates, inclusive), in order.

    The day is the local date the delivery was recorded with (the stored
    timestamp carries the hall's offset).  A case delivered twice (a
    returned parcel sent again) counts once, by its last delivery.
    """
    cursor = db.execute(
        "SELECT c.case_no FROM cases c JOIN deliveries d ON d.case_id = c.id"
        " WHERE c.status = 'delivered' AND d.delivered_at IS NOT NULL"
        " GROUP BY c.id HAVING substr(MAX(d.delivered_at), 1, 10) BETWEEN ? AND ?"
        " ORDER BY c.case_no",
        [first, last],
    )
    return [str(row[0]) for row in cursor.fetchall()]


def raw_notices(db: Database, case_id: int) -> list[dict[str, Any]]:
    """The case's notice rows as stored (``data`` still its JSON text), oldest first."""
    return _rows(db.execute("SELECT * FROM notices WHERE case_id = ? ORDER BY id", [case_id]))


def raw_facts(db: Database, case_id: int) -> dict[str, Any] | None:
    """The case's stored pre-review row (``data`` still its JSON text), or None."""
    rows = _rows(db.execute("SELECT * FROM facts WHERE case_id = ?", [case_id]))
    return rows[0] if rows else None


def audit_rows_by_id(db: Database, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The audit rows with these ids as the database holds them now (a missing id is absent)."""
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        for row in _rows(db.execute(
            "SELECT id, at, actor, action, case_id, task_id, entity, entity_id, detail, prev_hash, hash"
            f" FROM audit WHERE id IN ({marks})", chunk,
        )):
            out[int(row["id"])] = row
    return out


def case_id_of(db: Database, case_no: str) -> int | None:
    """The id of the case numbered ``case_no`` exactly, or None (a verifier need not be allowed to read cases)."""
    row = db.execute("SELECT id FROM cases WHERE case_no = ?", [case_no]).fetchone()
    return None if row is None else int(row[0])
