"""The audit log: append-only by trigger, tamper-evident by hash chain."""
from __future__ import annotations

import json
import sqlite3

import pytest
import sqlite_utils

from console.errors import PermissionDenied
from console.services.audit_log import case_history, verify
from db import audit
from db.case_numbers import allocate_case_no
from db.connection import transaction


def _case(db: sqlite_utils.Database) -> tuple[int, str]:
    with transaction(db):
        db.execute("INSERT INTO persons (id_number, name) VALUES ('150202196506150011', '张三')")
        case_no = allocate_case_no(db, 2026)
        cursor = db.execute(
            "INSERT INTO cases (case_no, person_id, status) VALUES (?, last_insert_rowid(), 'draft')", [case_no]
        )
        case_id = int(cursor.lastrowid)
        audit.append(db, "alice", "case.create", case_id=case_id, entity="case", entity_id=case_no,
                     detail={"status": "draft", "姓名": "张三"})
        audit.append(db, "alice", "task.open", case_id=case_id, task_id=7, detail={"department": "medical"})
    return case_id, case_no


def test_chain_links_rows(db: sqlite_utils.Database) -> None:
    case_id, _ = _case(db)
    rows = audit.rows_for_case(db, case_id)
    assert [r["action"] for r in rows] == ["case.create", "task.open"]
    assert rows[0]["prev_hash"] == audit.GENESIS
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert json.loads(rows[0]["detail"]) == {"status": "draft", "姓名": "张三"}
    assert audit.verify_chain(db) is None


def test_append_requires_a_transaction(db: sqlite_utils.Database) -> None:
    with pytest.raises(RuntimeError):
        audit.append(db, "alice", "oops")
    assert audit.count_rows(db) == 0


def test_audit_row_rolls_back_with_the_change(db: sqlite_utils.Database) -> None:
    with pytest.raises(ValueError):
        with transaction(db):
            audit.append(db, "alice", "case.create")
            raise ValueError
    assert audit.count_rows(db) == 0


def test_update_and_delete_are_refused(db: sqlite_utils.Database) -> None:
    _case(db)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with transaction(db):
            db.execute("UPDATE audit SET actor = 'mallory'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        with transaction(db):
            db.execute("DELETE FROM audit")
    assert audit.count_rows(db) == 2
    assert audit.verify_chain(db) is None


def _drop_triggers(db: sqlite_utils.Database) -> None:
    with transaction(db):
        db.execute("DROP TRIGGER audit_no_update")
        db.execute("DROP TRIGGER audit_no_delete")


def test_verify_detects_an_edited_row(db: sqlite_utils.Database) -> None:
    _case(db)
    with transaction(db):
        audit.append(db, "bob", "case.accept", case_id=1)
    _drop_triggers(db)
    with transaction(db):
        db.execute("UPDATE audit SET detail = ? WHERE id = 2", [json.dumps({"department": "health"})])
    assert audit.verify_chain(db) == 2


def test_verify_detects_a_recomputed_row(db: sqlite_utils.Database) -> None:
    """Rewriting a row AND its own hash still breaks the link to the next row."""
    _case(db)
    with transaction(db):
        audit.append(db, "bob", "case.accept", case_id=1)
    _drop_triggers(db)
    row = db.execute("SELECT at, actor, action, case_id, task_id, entity, entity_id, detail, prev_hash FROM audit WHERE id = 1").fetchone()
    fields = dict(zip(audit.HASHED_FIELDS, row[:8]))
    fields["actor"] = "mallory"
    with transaction(db):
        db.execute("UPDATE audit SET actor = 'mallory', hash = ? WHERE id = 1", [audit.row_hash(row[8], fields)])
    assert audit.verify_chain(db) == 2


def test_verify_detects_a_deleted_row(db: sqlite_utils.Database) -> None:
    _case(db)
    with transaction(db):
        audit.append(db, "bob", "case.accept", case_id=1)
    _drop_triggers(db)
    with transaction(db):
        db.execute("DELETE FROM audit WHERE id = 2")
    assert audit.verify_chain(db) == 3


def test_case_history_service(db: sqlite_utils.Database, staff) -> None:  # type: ignore[no-untyped-def]
    clerk = staff("carol", "clerk")
    _, case_no = _case(db)
    rows = case_history(db, clerk, case_no.lower())
    assert [r["action"] for r in rows] == ["case.create", "task.open"]
    assert rows[0]["detail"]["姓名"] == "张三"  # decoded for the caller
    with pytest.raises(PermissionDenied):
        verify(db, clerk)
    boss = staff("sue", "supervisor")
    report = verify(db, boss)
    assert report.ok and report.first_broken_id is None
    assert report.rows == audit.count_rows(db)
