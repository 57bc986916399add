"""Department tasks of a case."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from db.clock import now_iso
from db.persons import _row, _rows
from db.row_ids import inserted_id
from db.schema_codes import known_codes

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database

_SELECT = """
SELECT t.*, c.case_no, s.login AS assignee
FROM tasks t JOIN cases c ON c.id = t.case_id LEFT JOIN staff s ON s.id = t.assignee_id
"""


def insert(
    db: Database, case_id: int, department: str, item: str, status: str, due_date: str | None, actor: str,
    opened_at: str | None = None, reason: str | None = None,
) -> int:
    """One task; ``reason`` is why the task plan added it (JSON text: code, params, source)."""
    now = now_iso()
    with known_codes({"department": department, "status": status}):
        cur = db.execute(
            "INSERT INTO tasks (case_id, department, item, status, due_date, opened_at, updated_by, updated_at, reason)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [case_id, department, item, status, due_date, (opened_at or now) if status == "open" else None, actor, now, reason],
        )
    return inserted_id(cur)


def delete(db: Database, task_id: int) -> None:
    """Drop a task nobody started (its joint item was taken off the case); the audit row keeps it."""
    db.execute("DELETE FROM tasks WHERE id = ?", [task_id])


def get(db: Database, task_id: int) -> dict[str, Any] | None:
    return _row(db.execute(f"{_SELECT} WHERE t.id = ?", [task_id]))


def for_case(db: Database, case_id: int) -> list[dict[str, Any]]:
    return _rows(db.execute(f"{_SELECT} WHERE t.case_id = ? ORDER BY t.id", [case_id]))


def list_tasks(
    db: Database, department: str | None = None, statuses: tuple[str, ...] = (), limit: int = 200, offset: int = 0,
    assignee_id: int | None = None,
) -> list[dict[str, Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if assignee_id is not None:
        clauses.append("t.assignee_id = ?")
        args.append(assignee_id)
    if department:
        clauses.append("t.department = ?")
        args.append(department)
    if statuses:
        clauses.append(f"t.status IN ({', '.join('?' for _ in statuses)})")
        args += list(statuses)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return _rows(db.execute(f"{_SELECT}{where} ORDER BY t.due_date, t.id LIMIT ? OFFSET ?", [*args, limit, offset]))
