"""Aggregates for the statistics screen (one pass each, no per-row Python)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from console.vocabulary import (
    ACTIVE_TASK_STATUSES,
    FINISHED_STATUSES,
    OPEN_STATUSES,
    sql_list,
)

if TYPE_CHECKING:
    from db.engine import Database

_ACTIVE = sql_list(ACTIVE_TASK_STATUSES)
_FINISHED = sql_list(FINISHED_STATUSES)


def counts_by_status(db: Database) -> dict[str, int]:
    return {r[0]: int(r[1]) for r in db.execute("SELECT status, count(*) FROM cases GROUP BY status").fetchall()}


def overdue_cases(db: Database, today: str) -> int:
    placeholders = ", ".join("?" for _ in OPEN_STATUSES)
    sql = f"SELECT count(*) FROM cases WHERE status IN ({placeholders}) AND paused_since IS NULL AND due_date < ?"
    return int(db.execute(sql, [*OPEN_STATUSES, today]).fetchone()[0])


def overdue_tasks_by_department(db: Database, today: str) -> dict[str, int]:
    sql = ("SELECT department, count(*) FROM tasks WHERE status IN (" + _ACTIVE + ")"
           " AND due_date IS NOT NULL AND due_date < ? GROUP BY department")
    return {r[0]: int(r[1]) for r in db.execute(sql, [today]).fetchall()}


def open_tasks_by_department(db: Database) -> dict[str, int]:
    sql = "SELECT department, count(*) FROM tasks WHERE status IN (" + _ACTIVE + ") GROUP BY department"
    return {r[0]: int(r[1]) for r in db.execute(sql).fetchall()}


def received_between(db: Database, start: str, end: str) -> int:
    """Cases received on days start <= day < end (ISO dates)."""
    sql = "SELECT count(*) FROM cases WHERE received_at >= ? AND received_at < ?"
    return int(db.execute(sql, [start, end]).fetchone()[0])


def completed_between(db: Database, start: str, end: str) -> int:
    sql = "SELECT count(*) FROM cases WHERE completed_at >= ? AND completed_at < ? AND status IN (" + _FINISHED + ")"
    return int(db.execute(sql, [start, end]).fetchone()[0])


def recent_completions(db: Database, limit: int = 2000) -> list[dict[str, Any]]:
    """(received day, completed day) of the latest completed cases, newest first."""
    sql = ("SELECT substr(received_at, 1, 10) AS received, substr(completed_at, 1, 10) AS completed FROM cases"
           " WHERE status IN (" + _FINISHED + ") AND completed_at IS NOT NULL AND received_at IS NOT NULL"
           " ORDER BY completed_at DESC LIMIT ?")
    return [{"received": r[0], "completed": r[1]} for r in db.execute(sql, [limit]).fetchall()]


def received_by_month(db: Database, since: str) -> dict[str, int]:
    sql = "SELECT substr(received_at, 1, 7), count(*) FROM cases WHERE received_at >= ? GROUP BY 1"
    return {r[0]: int(r[1]) for r in db.execute(sql, [since]).fetchall()}
