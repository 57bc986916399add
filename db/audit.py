"""The audit log: append-only and hash-chained.

Triggers refuse UPDATE and DELETE, which stops mistakes and casual edits;
the chain catches the rest: each row's hash covers the previous row's hash
and its own fields, so an edit made after dropping the triggers (or with
another tool) breaks verification at that row, and a deleted row breaks it
at the next one.

``append`` must run inside the caller's transaction (``db.connection.
transaction``): the change and its audit row commit together or not at all,
and BEGIN IMMEDIATE makes "read the last hash, write the next row" atomic
across processes.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlite_utils

from db.clock import wall_now_iso

GENESIS = "0" * 64
HASHED_FIELDS = ("at", "actor", "action", "case_id", "task_id", "entity", "entity_id", "detail")


def _detail_text(detail: Any) -> str | None:
    """Canonical JSON of the detail, as stored (sorted keys, no spaces, UTF-8)."""
    if detail is None:
        return None
    return json.dumps(detail, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def row_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """sha256(prev_hash + canonical JSON of the hashed fields), hex.

    ``detail`` enters as its stored text, so verification needs no re-parsing
    and any byte changed in the stored row is seen.
    """
    canonical = json.dumps(
        {name: fields.get(name) for name in HASHED_FIELDS},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def _last_hash(db: sqlite_utils.Database) -> str:
    row = db.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return row[0] if row else GENESIS


def append(
    db: sqlite_utils.Database,
    actor: str,
    action: str,
    *,
    case_id: int | None = None,
    task_id: int | None = None,
    entity: str | None = None,
    entity_id: str | int | None = None,
    detail: Any = None,
) -> int:
    """Write one audit row in the open transaction; returns its id.

    Pass ``case_id`` for every change that belongs to a case, task changes
    included: ``rows_for_case`` finds rows by it.
    """
    if not db.conn.in_transaction:
        raise RuntimeError("audit.append must run inside db.connection.transaction()")
    fields: dict[str, Any] = {
        "at": wall_now_iso(),  # the real write time, even under db.clock.simulated()
        "actor": actor,
        "action": action,
        "case_id": None if case_id is None else int(case_id),
        "task_id": None if task_id is None else int(task_id),
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "detail": _detail_text(detail),
    }
    prev = _last_hash(db)
    cursor = db.execute(
        "INSERT INTO audit (at, actor, action, case_id, task_id, entity, entity_id, detail, prev_hash, hash)"
        " VALUES (:at, :actor, :action, :case_id, :task_id, :entity, :entity_id, :detail, :prev_hash, :hash)",
        {**fields, "prev_hash": prev, "hash": row_hash(prev, fields)},
    )
    return int(cursor.lastrowid)


_COLUMNS = "id, at, actor, action, case_id, task_id, entity, entity_id, detail, prev_hash, hash"


def _as_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip([c.strip() for c in _COLUMNS.split(",")], row))


def rows_for_case(db: sqlite_utils.Database, case_id: int) -> list[dict[str, Any]]:
    """The case's audit rows, oldest first (``detail`` still JSON text)."""
    cursor = db.execute(f"SELECT {_COLUMNS} FROM audit WHERE case_id = ? ORDER BY id", [case_id])
    return [_as_dict(row) for row in cursor.fetchall()]


def count_rows(db: sqlite_utils.Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM audit").fetchone()[0])


def verify_chain(db: sqlite_utils.Database) -> int | None:
    """The id of the first row whose link or hash is wrong, or None when the chain holds."""
    prev = GENESIS
    cursor = db.execute(f"SELECT {_COLUMNS} FROM audit ORDER BY id")
    while True:
        batch = cursor.fetchmany(1000)
        if not batch:
            return None
        for row in batch:
            data = _as_dict(row)
            if data["prev_hash"] != prev or data["hash"] != row_hash(prev, data):
                return int(data["id"])
            prev = data["hash"]
