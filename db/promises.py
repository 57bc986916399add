"""Promises of a case (承诺办): a material accepted on the applicant's written promise, and its deadline."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from db.clock import now_iso
from db.persons import _row, _rows
from db.row_ids import inserted_id
from db.schema_codes import known_codes

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database

_SELECT = """
SELECT p.*, c.case_no, c.kind AS case_kind, c.status AS case_status, pe.name AS person_name, pe.id_number
FROM promises p JOIN cases c ON c.id = p.case_id JOIN persons pe ON pe.id = c.person_id
"""


def insert(
    db: Database, case_id: int, material: str, joint_item: str | None, promised_on: str,
    deadline: str, limit_days: int, on_expiry: str, notice_no: str | None, actor: str,
) -> int:
    now = now_iso()
    with known_codes({"on_expiry": on_expiry}):
        cur = db.execute(
            "INSERT INTO promises (case_id, material, joint_item, promised_on, deadline, limit_days, on_expiry, status,"
            " notice_no, created_by, created_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)",
            [case_id, material, joint_item, promised_on, deadline, limit_days, on_expiry, notice_no, actor, now, actor, now],
        )
    return inserted_id(cur)


def for_case(db: Database, case_id: int) -> list[dict[str, Any]]:
    return [_decode(r) for r in _rows(db.execute(f"{_SELECT} WHERE p.case_id = ? ORDER BY p.id", [case_id]))]


def open_for_case(db: Database, case_id: int, material: str) -> dict[str, Any] | None:
    row = _row(db.execute(f"{_SELECT} WHERE p.case_id = ? AND p.material = ? AND p.status = 'open'", [case_id, material]))
    return _decode(row) if row else None


def list_promises(db: Database, statuses: tuple[str, ...] = ("open",), due_before: str | None = None) -> list[dict[str, Any]]:
    """Promises in these statuses, oldest deadline first; ``due_before``: only deadlines before that day."""
    clauses, args = [], []
    if statuses:
        clauses.append(f"p.status IN ({', '.join('?' for _ in statuses)})")
        args += list(statuses)
    if due_before:
        clauses.append("p.deadline < ?")
        args.append(due_before)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return [_decode(r) for r in _rows(db.execute(f"{_SELECT}{where} ORDER BY p.deadline, p.id", args))]


def set_status(db: Database, promise_id: int, status: str, actor: str, held_tasks: list[dict[str, Any]] | None = None) -> None:
    """Close a promise (fulfilled or enforced), noting who and when and which tasks it held."""
    now = now_iso()
    with known_codes({"status": status}):
        db.execute(
            "UPDATE promises SET status = ?, held_tasks = COALESCE(?, held_tasks), closed_by = ?, closed_at = ?,"
            " version = version + 1, updated_by = ?, updated_at = ? WHERE id = ?",
            [status, json.dumps(held_tasks) if held_tasks is not None else None, actor, now, actor, now, promise_id],
        )


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    row["held_tasks"] = json.loads(row.get("held_tasks") or "[]")
    return row
