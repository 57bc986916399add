"""The audit log: append-only by trigger, tamper-evident by a keyed chain (db/audit.py).

The chain's contract, seen from the database and the key file:
- each row's value is HMAC-SHA256(key, prev + canonical text), reproducible
  from the documented canonical form alone (a PostgreSQL port needs it);
- the key is a 0600 file outside the database; a writer without it writes
  nothing; ids are contiguous from 1;
- an old SHA-256 chain is verified once and continued under the key; a broken
  one is refused.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
import sqlite_utils

from console.errors import EnvironmentFailure, PermissionDenied, Refused
from console.services.audit_log import case_history, trail, verify
from db import audit, audit_key, hall_meta
from db.case_numbers import allocate_case_no
from db.connection import open_database, transaction
from db.schema import migrate


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


def _key_file(db: sqlite_utils.Database) -> Path:
    return audit_key.personal_key_path(audit.read_state(db).db_id or "")


def _reference_mac(key: bytes, prev: str, row: dict) -> str:
    """The documented canonical form, rebuilt with json.dumps (what another implementation would do)."""
    fields = {name: row[name] for name in ("action", "actor", "at", "case_id", "detail", "entity", "entity_id", "id", "task_id")}
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, (prev + text).encode("utf-8"), hashlib.sha256).hexdigest()


def test_chain_links_rows_under_a_key_outside_the_database(db: sqlite_utils.Database) -> None:
    case_id, _ = _case(db)
    rows = audit.rows_for_case(db, case_id)
    assert [r["action"] for r in rows] == ["case.create", "task.open"]
    assert [r["id"] for r in rows] == [1, 2]
    assert rows[0]["prev_hash"] == audit.GENESIS
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert json.loads(rows[0]["detail"]) == {"status": "draft", "姓名": "张三"}
    key_file = _key_file(db)
    assert key_file.parent == Path(os.environ["XDG_CONFIG_HOME"]) / "retire"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_bytes()
    assert len(key) == 32 and key not in Path(db.execute("PRAGMA database_list").fetchone()[2]).read_bytes()
    # every value is reproducible from the documented canonical form and the key alone
    assert rows[0]["hash"] == _reference_mac(key, audit.GENESIS, rows[0])
    assert rows[1]["hash"] == _reference_mac(key, rows[0]["hash"], rows[1])
    assert rows[0]["hash"] != audit.row_hash(audit.GENESIS, rows[0])  # not the old, unkeyed SHA-256
    assert hall_meta.get(db, "audit_scheme") == audit.SCHEME
    assert hall_meta.get(db, "audit_keyed_from") == "1"
    assert audit.verify_chain(db) is None and audit.check_chain(db).ok


@pytest.mark.parametrize("text", ["", "plain", '"quoted" \\ back', "tab\there\nnew\rline\b\f", "\x00\x01\x1f\x7f",
                                  "王芳 ☃ 😀", "\u2028\u2029", "\u0085\u00a0"])
def test_canonical_text_is_json_dumps(text: str) -> None:
    fields = {"action": text, "actor": text, "at": text, "case_id": 12, "detail": text, "entity": None,
              "entity_id": text, "id": 3, "task_id": None}
    reference = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert audit.canonical_text(text, text, text, 12, None, None, text, text, 3) == reference
    del fields["id"]
    assert audit.canonical_text(text, text, text, 12, None, None, text, text) == json.dumps(
        fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


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
    assert hall_meta.get(db, "audit_scheme") is None  # the keying rolled back too
    _case(db)
    assert audit.check_chain(db).ok


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


def _three_rows(db: sqlite_utils.Database) -> None:
    _case(db)
    with transaction(db):
        audit.append(db, "bob", "case.accept", case_id=1)
    _drop_triggers(db)


def test_verify_detects_an_edited_row(db: sqlite_utils.Database) -> None:
    _three_rows(db)
    with transaction(db):
        db.execute("UPDATE audit SET detail = ? WHERE id = 2", [json.dumps({"department": "health"})])
    check = audit.check_chain(db)
    assert (check.problem, check.bad_id) == ("mac", 2)
    assert audit.verify_chain(db) == 2


def test_a_row_rewritten_and_the_whole_chain_recomputed_without_the_key_is_caught(db: sqlite_utils.Database) -> None:
    """The insider's full rewrite: every value recomputed with the old SHA-256 scheme, links intact."""
    _three_rows(db)
    with transaction(db):
        db.execute("UPDATE audit SET actor = 'mallory' WHERE id = 2")
        prev = audit.GENESIS
        for row in db.execute("SELECT id, at, actor, action, case_id, task_id, entity, entity_id, detail FROM audit ORDER BY id").fetchall():
            fields = dict(zip(("id",) + audit.HASHED_FIELDS, row, strict=True))
            value = audit.row_hash(prev, fields)
            db.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", [prev, value, row[0]])
            prev = value
    check = audit.check_chain(db)
    assert (check.problem, check.bad_id) == ("mac", 1)


def test_a_chain_recomputed_with_another_key_is_caught(db: sqlite_utils.Database) -> None:
    _three_rows(db)
    forged = os.urandom(32)
    with transaction(db):
        prev = audit.GENESIS
        for row in db.execute("SELECT id, at, actor, action, case_id, task_id, entity, entity_id, detail FROM audit ORDER BY id").fetchall():
            fields = dict(zip(("id",) + audit.HASHED_FIELDS, row, strict=True))
            value = audit.row_mac(forged, prev, fields)
            db.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", [prev, value, row[0]])
            prev = value
    assert audit.check_chain(db).bad_id == 1
    # nor does re-sealing the record with that key help: the real key does not match it
    record = audit.read_state(db).record()
    with transaction(db):
        hall_meta.put(db, "audit_seal", audit.seal_mac(forged, record))
    check = audit.check_chain(db)
    assert (check.problem, check.bad_id) == ("seal", 1)
    with pytest.raises(EnvironmentFailure) as err, transaction(db):
        audit.append(db, "alice", "after")
    assert err.value.exit_code == 3 and err.value.key == "audit.key_mismatch"


def test_verify_detects_a_deleted_row_as_a_gap(db: sqlite_utils.Database) -> None:
    _three_rows(db)
    with transaction(db):
        db.execute("DELETE FROM audit WHERE id = 2")
    check = audit.check_chain(db)
    assert (check.problem, check.bad_id, check.params) == ("gap", 3, {"missing": 2})
    assert audit.verify_chain(db) == 3


def test_a_cut_tail_shows_in_the_sequence(db: sqlite_utils.Database) -> None:
    _three_rows(db)
    with transaction(db):
        db.execute("DELETE FROM audit WHERE id >= 2")
    check = audit.check_chain(db)
    assert (check.problem, check.bad_id, check.params) == ("cut", 2, {"last": 1, "expected": 3})


def test_moving_the_keyed_record_to_pass_rows_off_as_legacy_is_caught(db: sqlite_utils.Database) -> None:
    """Claiming the keyed part starts later (rows 1-3 'legacy', recomputed with SHA-256) breaks the seal."""
    _three_rows(db)
    with transaction(db):
        prev = audit.GENESIS
        for row in db.execute("SELECT id, at, actor, action, case_id, task_id, entity, entity_id, detail FROM audit ORDER BY id").fetchall():
            value = audit.row_hash(prev, dict(zip(("id",) + audit.HASHED_FIELDS, row, strict=True)))
            db.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", [prev, value, row[0]])
            prev = value
        hall_meta.put(db, "audit_keyed_from", "4")
        hall_meta.put(db, "audit_legacy_head_id", "3")
        hall_meta.put(db, "audit_legacy_head_hash", prev)
    check = audit.check_chain(db)
    assert (check.problem, check.bad_id) == ("seal", 4)


def test_ids_come_from_max_plus_one(db: sqlite_utils.Database) -> None:
    _three_rows(db)
    with transaction(db):
        new_id = audit.append(db, "bob", "case.note", case_id=1)
    assert new_id == 4
    assert [r[0] for r in db.execute("SELECT id FROM audit ORDER BY id")] == [1, 2, 3, 4]


def test_a_writer_without_the_key_refuses(db: sqlite_utils.Database) -> None:
    _case(db)
    key_file = _key_file(db)
    saved = key_file.read_bytes()
    key_file.unlink()
    audit.forget_keys(db)
    with pytest.raises(EnvironmentFailure) as err, transaction(db):
        audit.append(db, "alice", "case.note", case_id=1)
    assert err.value.exit_code == 3 and err.value.key == "audit.key_missing" and str(key_file) in err.value.text("en")
    assert audit.count_rows(db) == 2
    assert not key_file.exists()  # never silently replaced: that would orphan the chain
    with pytest.raises(EnvironmentFailure):
        audit.check_chain(db)
    key_file.write_bytes(saved)
    key_file.chmod(0o644)  # a key others may read is refused too
    with pytest.raises(EnvironmentFailure) as err, transaction(db):
        audit.append(db, "alice", "case.note", case_id=1)
    assert err.value.key == "audit.key_exposed"
    key_file.chmod(0o600)
    with transaction(db):
        audit.append(db, "alice", "case.note", case_id=1)
    assert audit.check_chain(db).ok


def test_the_key_is_never_followed_through_a_link(db: sqlite_utils.Database, tmp_path: Path) -> None:
    _case(db)
    key_file = _key_file(db)
    elsewhere = tmp_path / "elsewhere.key"
    elsewhere.write_bytes(key_file.read_bytes())
    elsewhere.chmod(0o600)
    key_file.unlink()
    key_file.symlink_to(elsewhere)
    audit.forget_keys(db)
    with pytest.raises(EnvironmentFailure) as err, transaction(db):
        audit.append(db, "alice", "case.note")
    assert err.value.key == "audit.key_unreadable"


def _legacy_database(path: Path, rows: int) -> sqlite_utils.Database:
    """A database as the previous release left it: rows chained with plain SHA-256, nothing keyed."""
    db = open_database(path)
    migrate(db)
    with transaction(db):
        prev = audit.GENESIS
        for i in range(1, rows + 1):
            fields = {"at": f"2026-01-0{i}T09:00:00", "actor": "alice", "action": "staff.add", "case_id": None,
                      "task_id": None, "entity": "staff", "entity_id": f"s{i}", "detail": None}
            value = audit.row_hash(prev, fields)
            db.execute("INSERT INTO audit (at, actor, action, case_id, task_id, entity, entity_id, detail, prev_hash, hash)"
                       " VALUES (:at, :actor, :action, :case_id, :task_id, :entity, :entity_id, :detail, :p, :h)",
                       {**fields, "p": prev, "h": value})
            prev = value
    return db


def test_an_old_chain_is_verified_once_and_continued_under_the_key(tmp_path: Path) -> None:
    db = _legacy_database(tmp_path / "old.db", 3)
    try:
        before = audit.check_chain(db)
        assert before.problem == "not_keyed" and audit.verify_chain(db) is None
        legacy_head = db.execute("SELECT hash FROM audit WHERE id = 3").fetchone()[0]
        with transaction(db):
            assert audit.append(db, "alice", "case.create") == 4
        assert hall_meta.get(db, "audit_keyed_from") == "4"
        assert hall_meta.get(db, "audit_legacy_head_id") == "3"
        assert hall_meta.get(db, "audit_legacy_head_hash") == legacy_head
        row = audit.recent_rows(db, 1)[0]
        assert row["prev_hash"] == legacy_head
        assert row["hash"] == _reference_mac(_key_file(db).read_bytes(), legacy_head, row)
        assert audit.check_chain(db).ok
        # the legacy part is still checked: an edit there is named
        _drop_triggers(db)
        with transaction(db):
            db.execute("UPDATE audit SET entity_id = 'x' WHERE id = 2")
        check = audit.check_chain(db)
        assert (check.problem, check.bad_id) == ("hash", 2)
    finally:
        db.close()


def test_an_old_chain_rewritten_consistently_is_caught_at_its_recorded_head(tmp_path: Path) -> None:
    db = _legacy_database(tmp_path / "old.db", 3)
    try:
        with transaction(db):
            audit.append(db, "alice", "case.create")
        _drop_triggers(db)
        with transaction(db):  # rewrite row 2 and recompute the SHA-256 of the legacy part
            db.execute("UPDATE audit SET actor = 'mallory' WHERE id = 2")
            prev = audit.GENESIS
            for row in db.execute("SELECT id, at, actor, action, case_id, task_id, entity, entity_id, detail FROM audit WHERE id <= 3 ORDER BY id").fetchall():
                value = audit.row_hash(prev, dict(zip(("id",) + audit.HASHED_FIELDS, row, strict=True)))
                db.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?", [prev, value, row[0]])
                prev = value
            db.execute("UPDATE audit SET prev_hash = ? WHERE id = 4", [prev])
        check = audit.check_chain(db)
        assert (check.problem, check.bad_id) == ("legacy_head", 3)
    finally:
        db.close()


def test_a_broken_old_chain_is_not_continued(tmp_path: Path) -> None:
    db = _legacy_database(tmp_path / "old.db", 3)
    try:
        _drop_triggers(db)
        with transaction(db):
            db.execute("UPDATE audit SET actor = 'mallory' WHERE id = 2")
        with pytest.raises(Refused) as err, transaction(db):
            audit.append(db, "alice", "case.create")
        assert err.value.key == "audit.legacy_broken" and err.value.params["id"] == 2
        assert "2" in err.value.text("en")
        assert audit.count_rows(db) == 3 and hall_meta.get(db, "audit_scheme") is None
    finally:
        db.close()


def test_case_history_and_trail_services(db: sqlite_utils.Database, staff) -> None:  # type: ignore[no-untyped-def]
    clerk = staff("carol", "clerk")
    _, case_no = _case(db)
    rows = case_history(db, clerk, case_no.lower())
    assert [r["action"] for r in rows] == ["case.create", "task.open"]
    assert rows[0]["detail"]["姓名"] == "张三"  # decoded for the caller
    auditor = staff("audrey", "auditor")
    assert [r["action"] for r in case_history(db, auditor, case_no)] == ["case.create", "task.open"]
    for refused in (clerk, staff("ann", "admin")):
        with pytest.raises(PermissionDenied):
            verify(db, refused)
        with pytest.raises(PermissionDenied):
            trail(db, refused)
    for allowed in (auditor, staff("sue", "supervisor")):
        report = verify(db, allowed)
        assert report.ok and report.first_broken_id is None
        assert report.rows == audit.count_rows(db)
        assert [r["id"] for r in trail(db, allowed, limit=2)] == [report.rows - 1, report.rows]
