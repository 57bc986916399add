"""Stored pre-review facts of a case (the rules engine's output, JSON)."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from db.clock import now_iso
from db.persons import _row

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database


def get(db: Database, case_id: int) -> dict[str, Any] | None:
    row = _row(db.execute("SELECT * FROM facts WHERE case_id = ?", [case_id]))
    if row is not None:
        row["data"] = json.loads(row["data"] or "{}")
    return row


def store(db: Database, case_id: int, person_id: int, policy_version: str, data: dict[str, Any], actor: str) -> None:
    """Replace the computed facts; a recomputation clears any confirmation."""
    now = now_iso()
    db.execute(
        "INSERT INTO facts (case_id, person_id, computed_at, policy_version, data, updated_by, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (case_id) DO UPDATE SET computed_at = excluded.computed_at, policy_version = excluded.policy_version,"
        " data = excluded.data, confirmed_by = NULL, confirmed_at = NULL, updated_by = excluded.updated_by,"
        " updated_at = excluded.updated_at, version = version + 1",
        [case_id, person_id, now, policy_version, json.dumps(data, ensure_ascii=False), actor, now],
    )


def confirm(db: Database, case_id: int, actor: str) -> None:
    now = now_iso()
    db.execute(
        "UPDATE facts SET confirmed_by = ?, confirmed_at = ?, version = version + 1, updated_by = ?, updated_at = ? WHERE case_id = ?",
        [actor, now, actor, now, case_id],
    )
