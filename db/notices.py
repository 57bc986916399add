"""Issued notices: numbered, stored with the case, re-printable as issued."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from db.clock import now_iso
from db.notice_numbers import next_notice_seq
from db.persons import _row, _rows
from db.row_ids import inserted_id

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database


def issue(
    db: Database, case_id: int, kind: str, year: int, number_format: str, body: str, data: dict[str, Any], actor: str
) -> dict[str, Any]:
    """Allocate the next number of ``kind``/``year`` and store the notice (inside a transaction)."""
    seq = next_notice_seq(db, kind, year)
    number = number_format.format(year=year, seq=seq)
    cur = db.execute(
        "INSERT INTO notices (case_id, kind, number, year, body, data, issued_by, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [case_id, kind, number, year, body, json.dumps(data, ensure_ascii=False), actor, now_iso()],
    )
    return {"id": inserted_id(cur), "number": number, "kind": kind}


def for_case(db: Database, case_id: int) -> list[dict[str, Any]]:
    rows = _rows(db.execute("SELECT * FROM notices WHERE case_id = ? ORDER BY id", [case_id]))
    for r in rows:
        r["data"] = json.loads(r["data"] or "{}")
    return rows


def get(db: Database, notice_id: int) -> dict[str, Any] | None:
    row = _row(db.execute("SELECT * FROM notices WHERE id = ?", [notice_id]))
    if row is not None:
        row["data"] = json.loads(row["data"] or "{}")
    return row


def store_rendering(db: Database, notice_id: int, body: str, data: dict[str, Any]) -> None:
    """Keep the text and data a notice was issued with (what a reprint reproduces)."""
    db.execute("UPDATE notices SET body = ?, data = ? WHERE id = ?", [body, json.dumps(data, ensure_ascii=False), notice_id])
