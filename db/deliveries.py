"""Courier deliveries of a case's results."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from db.clock import now_iso
from db.persons import _row, _rows
from db.row_ids import inserted_id

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database


def for_case(db: Database, case_id: int) -> list[dict[str, Any]]:
    return _rows(db.execute("SELECT * FROM deliveries WHERE case_id = ? ORDER BY id", [case_id]))


def latest(db: Database, case_id: int) -> dict[str, Any] | None:
    return _row(db.execute("SELECT * FROM deliveries WHERE case_id = ? ORDER BY id DESC LIMIT 1", [case_id]))


def insert(db: Database, case_id: int, courier: str, waybill: str, address: str | None, actor: str) -> int:
    now = now_iso()
    cur = db.execute(
        "INSERT INTO deliveries (case_id, courier, waybill, address, sent_at, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [case_id, courier, waybill, address, now, actor, now],
    )
    return inserted_id(cur)
