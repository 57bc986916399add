"""Cases, their materials, and the queue queries (paged: never every row)."""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from console.vocabulary import OPEN_STATUSES, PENDING_TASK_STATUSES, RETIRED_STATUSES, sql_list
from db.clock import now_iso
from db.persons import _row, _rows
from db.row_ids import inserted_id
from db.schema_codes import known_codes

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database

SORTABLE = {
    "case_no": "c.case_no",
    "received": "c.received_at",
    "due": "c.due_date",
    "status": "c.status",
    "name": "p.name",
}


@dataclass
class CaseFilter:
    """What a queue, ``retire case list`` or an export asks for."""

    statuses: tuple[str, ...] = ()
    department: str | None = None
    overdue_before: str | None = None  # ISO date: due before it, open, not paused
    due_by: str | None = None  # ISO date: open, not paused, due on or before it
    due_from: str | None = None  # ISO date: due on or after it (with due_by: "due soon", not yet overdue)
    received_from: str | None = None
    received_to: str | None = None
    text: str | None = None
    assignee_id: int | None = None
    kinds: tuple[str, ...] = ()


def insert(db: Database, fields: Mapping[str, Any], actor: str) -> int:
    now = now_iso()
    data = {**fields, "created_by": actor, "updated_by": actor, "created_at": now, "updated_at": now}
    if "joint_items" in data and not isinstance(data["joint_items"], str):
        data["joint_items"] = json.dumps(list(data["joint_items"]))
    if "kind_details" in data and not isinstance(data["kind_details"], str):
        data["kind_details"] = json.dumps(dict(data["kind_details"]), ensure_ascii=False, sort_keys=True)
    cols = list(data)
    with known_codes(data):
        cur = db.execute(f"INSERT INTO cases ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", list(data.values()))
    return inserted_id(cur)


def get(db: Database, case_id: int) -> dict[str, Any] | None:
    row = _row(db.execute("SELECT * FROM cases WHERE id = ?", [case_id]))
    if row is not None:
        row["joint_items"] = json.loads(row["joint_items"] or "[]")
        row["kind_details"] = json.loads(row.get("kind_details") or "{}")
    return row


def set_kind_details(db: Database, case_id: int, details: Mapping[str, Any], actor: str) -> None:
    """Replace the case's retirement-type details (a JSON object; V13), a new version of the case."""
    db.execute(
        "UPDATE cases SET kind_details = ?, updated_by = ?, updated_at = ?, version = version + 1 WHERE id = ?",
        [json.dumps(dict(details), ensure_ascii=False, sort_keys=True), actor, now_iso(), case_id],
    )


def by_no(db: Database, case_no: str) -> dict[str, Any] | None:
    row = db.execute("SELECT id FROM cases WHERE case_no = ?", [case_no]).fetchone()
    return get(db, int(row[0])) if row else None


def load(db: Database, case_no: str) -> dict[str, Any]:
    """The case with this number (a hurried 'gy-2026-123' is accepted); BadInput / NotFound otherwise."""
    from console.errors import NotFound
    from console.text_policy import ascii_digits
    from db.case_numbers import case_id_by_no

    case_no = ascii_digits(case_no, "text")  # an escape typed in a case number is refused, never echoed back
    case = get(db, case_id_by_no(db, case_no))
    if case is None:
        raise NotFound("db.case_not_found", case_no=case_no)
    return case


def open_case_for_person(db: Database, person_id: int) -> dict[str, Any] | None:
    """A person has at most one open case: the one-window promise is one case per retirement."""
    placeholders = ", ".join("?" for _ in OPEN_STATUSES)
    row = db.execute(
        f"SELECT id FROM cases WHERE person_id = ? AND status IN ({placeholders}) ORDER BY id DESC LIMIT 1",
        [person_id, *OPEN_STATUSES],
    ).fetchone()
    return get(db, int(row[0])) if row else None


def retired_case_for_person(db: Database, person_id: int) -> dict[str, Any] | None:
    """The person's finished retirement case (completed or delivered), newest first; None if they never retired."""
    placeholders = ", ".join("?" for _ in RETIRED_STATUSES)
    row = db.execute(
        f"SELECT id FROM cases WHERE person_id = ? AND status IN ({placeholders}) ORDER BY id DESC LIMIT 1",
        [person_id, *RETIRED_STATUSES],
    ).fetchone()
    return get(db, int(row[0])) if row else None


def set_materials(db: Database, case_id: int, required: Iterable[str], received: Iterable[str]) -> None:
    """Record the checklist: every required code, ticked if received (received extras kept too)."""
    got = set(received)
    for code in sorted(set(required) | got):
        db.execute(
            "INSERT INTO materials (case_id, code, received) VALUES (?, ?, ?)"
            " ON CONFLICT (case_id, code) DO UPDATE SET received = MAX(received, excluded.received)",
            [case_id, code, int(code in got)],
        )


def drop_unreceived_materials(db: Database, case_id: int, keep: Iterable[str]) -> None:
    """Remove checklist rows no longer required and not handed in (a joint item was taken off)."""
    codes = sorted(set(keep))
    marks = ", ".join("?" for _ in codes) or "''"
    db.execute(f"DELETE FROM materials WHERE case_id = ? AND received = 0 AND code NOT IN ({marks})", [case_id, *codes])


def materials(db: Database, case_id: int) -> list[dict[str, Any]]:
    return _rows(db.execute("SELECT code, received, note FROM materials WHERE case_id = ? ORDER BY code", [case_id]))


def _where(f: CaseFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if f.statuses:
        clauses.append(f"c.status IN ({', '.join('?' for _ in f.statuses)})")
        args += list(f.statuses)
    if f.kinds:
        clauses.append(f"c.kind IN ({', '.join('?' for _ in f.kinds)})")
        args += list(f.kinds)
    if f.department:
        # one pass over the tasks(department, status, case_id) index, not one probe per case
        clauses.append("c.id IN (SELECT t.case_id FROM tasks t WHERE t.department = ? AND t.status IN (" + sql_list(PENDING_TASK_STATUSES) + "))")
        args.append(f.department)
    open_sql = f"c.status IN ({sql_list(OPEN_STATUSES)}) AND c.paused_since IS NULL"
    if f.overdue_before:
        clauses.append(f"{open_sql} AND c.due_date < ?")
        args.append(f.overdue_before)
    if f.due_by:
        clauses.append(f"{open_sql} AND c.due_date <= ?")
        args.append(f.due_by)
    if f.due_from:
        clauses.append("c.due_date >= ?")
        args.append(f.due_from)
    if f.received_from:
        clauses.append("c.received_at >= ?")
        args.append(f.received_from)
    if f.received_to:
        clauses.append("substr(c.received_at, 1, 10) <= ?")
        args.append(f.received_to)
    if f.assignee_id is not None:
        clauses.append("c.assignee_id = ?")
        args.append(f.assignee_id)
    if f.text:
        sql, text_args = _text_clause(f.text)
        clauses.append(sql)
        args += text_args
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _text_clause(text: str) -> tuple[str, list[Any]]:
    """Case number, ID number, name, or pinyin initials (``zs`` finds 张三).

    Letters are pinyin initials, searched as an index range (``zs`` <= x <
    ``zt``); digits search case and ID numbers; anything else the name.
    """
    t = text.strip()
    upper = t.upper()
    if t.isascii() and t.isalpha():
        low = t.lower()
        high = low[:-1] + chr(ord(low[-1]) + 1)
        return "(p.name_initials >= ? AND p.name_initials < ?)", [low, high]
    if t.isascii():
        return "(c.case_no LIKE ? OR p.id_number LIKE ?)", [f"%{upper}%", f"%{upper}%"]
    return "(p.name LIKE ?)", [f"%{t}%"]


ASSIGNEE_SQL = """COALESCE(
  (SELECT group_concat(login, ',') FROM (
     SELECT DISTINCT s.login FROM tasks t JOIN staff s ON s.id = t.assignee_id
     WHERE t.case_id = c.id AND t.status = 'claimed' ORDER BY s.login)),
  c.created_by)"""
"""The case's 经办人 (assignee): whoever holds its claimed, unfinished tasks, logins joined by
commas in order; with no task held, the window clerk who registered the case.  The queue's
column and ``case list --json`` both read it (a case has no single owner across departments)."""

_LIST_SQL = f"""
SELECT c.id, c.case_no, c.kind, c.status, c.received_at, c.due_date, c.paused_since, c.version,
       c.joint_items, p.name, p.id_number, {ASSIGNEE_SQL} AS assignee,
       (SELECT group_concat(t.department || ':' || t.status, ',') FROM tasks t WHERE t.case_id = c.id) AS progress
FROM cases c JOIN persons p ON p.id = c.person_id
"""


def _due_order(direction: str) -> str:
    """By due date, the way a clerk reads a work list: open cases first (the overdue on top, then
    by due date, cases without one after them), then paused cases, then closed ones.  The
    direction flips the dates within each group, never the groups."""
    group = (f"CASE WHEN c.status NOT IN ({sql_list(OPEN_STATUSES)}) THEN 2"
             " WHEN c.paused_since IS NOT NULL THEN 1 ELSE 0 END")
    return f"{group}, c.due_date IS NULL, c.due_date {direction}, c.id {direction}"


def list_cases(
    db: Database, f: CaseFilter, *, order: str = "received", descending: bool = True, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """One page of rows in the requested order.

    The page's ids are chosen first over narrow rows (sort, LIMIT/OFFSET),
    then only those rows are read in full: the per-row department progress
    is a subquery that must not run for every matching case of a 100,000-case
    hall.
    """
    where, args = _where(f)
    column = SORTABLE.get(order, "c.received_at")
    direction = "DESC" if descending else "ASC"
    order_by = _due_order(direction) if order == "due" else f"{column} {direction}, c.id {direction}"
    join = " JOIN persons p ON p.id = c.person_id" if f.text or order == "name" else ""
    ids = [r[0] for r in db.execute(
        f"SELECT c.id FROM cases c{join}{where} ORDER BY {order_by} LIMIT ? OFFSET ?",
        [*args, limit, offset],
    ).fetchall()]
    if not ids:
        return []
    rows = _rows(db.execute(f"{_LIST_SQL} WHERE c.id IN ({', '.join('?' for _ in ids)})", ids))
    position = {case_id: i for i, case_id in enumerate(ids)}
    rows.sort(key=lambda r: position[r["id"]])
    return rows


def count_cases(db: Database, f: CaseFilter) -> int:
    where, args = _where(f)
    join = " JOIN persons p ON p.id = c.person_id" if f.text else ""
    return int(db.execute(f"SELECT count(*) FROM cases c{join}{where}", args).fetchone()[0])


def counts_by_status(db: Database) -> dict[str, int]:
    return {r[0]: int(r[1]) for r in db.execute("SELECT status, count(*) FROM cases GROUP BY status").fetchall()}


def awaiting_confirmation(db: Database, limit: int = 200) -> list[dict[str, Any]]:
    """Open cases whose pre-review was saved and not yet confirmed by a reviewer, oldest save first."""
    return _rows(db.execute(
        "SELECT c.id, c.case_no, c.status, c.kind, p.name, f.updated_by AS saved_by, f.updated_at AS saved_at, f.version"
        " FROM facts f JOIN cases c ON c.id = f.case_id JOIN persons p ON p.id = c.person_id"
        f" WHERE f.confirmed_at IS NULL AND c.status IN ({sql_list(OPEN_STATUSES)})"
        " ORDER BY f.updated_at, c.id LIMIT ?",
        [limit],
    ))
