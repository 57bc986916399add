"""The database file and its schema: creation mode, pragmas, migrations, transactions."""
from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
import sqlite_utils

from console.errors import BadInput, NotFound, Refused
from db.case_numbers import allocate_case_no, case_id_by_no, normalise_case_no
from db.connection import open_database, transaction
from db.location import resolve_db_path
from db.notice_numbers import next_notice_seq
from db.schema import MIGRATIONS, SCHEMA_VERSION, current_version, migrate


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_database_is_private(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    db = open_database(path)
    migrate(db)
    db.close()
    assert _mode(path) == 0o600


def test_new_database_in_setgid_directory_is_group_writable(tmp_path: Path) -> None:
    hall = tmp_path / "hall"
    hall.mkdir()
    os.chmod(hall, 0o2770)
    old = os.umask(0o022)  # a typical umask would strip g+w; the mode must still be 0o660
    try:
        db = open_database(hall / "retire.db")
    finally:
        os.umask(old)
    migrate(db)
    db.close()
    assert _mode(hall / "retire.db") == 0o660


def test_pragmas(db: sqlite_utils.Database) -> None:
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 15000
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_foreign_keys_enforced(db: sqlite_utils.Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        with transaction(db):
            db.execute(
                "INSERT INTO cases (case_no, person_id, status) VALUES ('GY-2026-000001', 999, 'draft')"
            )


def test_strict_tables_reject_wrong_types(db: sqlite_utils.Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        with transaction(db):
            db.execute("INSERT INTO staff (login, name, active) VALUES ('x', 'X', 'yes')")
    with pytest.raises(sqlite3.IntegrityError):
        with transaction(db):
            db.execute("INSERT INTO staff_roles (staff_id, role) VALUES (1, 'king')")


def test_migrate_twice_is_a_no_op(db_path: Path) -> None:
    db = open_database(db_path)
    assert migrate(db) == [m.version for m in MIGRATIONS]
    schema_before = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    assert migrate(db) == []
    assert db.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == len(MIGRATIONS)
    assert db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() == schema_before
    assert current_version(db) == SCHEMA_VERSION
    db.close()
    again = open_database(db_path, create=False)
    assert migrate(again) == []
    again.close()


def test_expected_tables_and_indexes(db: sqlite_utils.Database) -> None:
    tables = set(db.table_names())
    for name in (
        "staff", "staff_roles", "employers", "persons", "cases", "case_counters", "archive_records",
        "contribution_periods", "materials", "tasks", "facts", "notices", "notice_counters",
        "deliveries", "holiday_overrides", "contacts", "audit", "schema_version",
    ):
        assert name in tables
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM tasks WHERE department = 'medical' AND status = 'open'"
    ).fetchall()
    assert "tasks_dept_status_case" in " ".join(str(r) for r in plan)
    plan = db.execute("EXPLAIN QUERY PLAN SELECT id FROM cases WHERE status = 'accepted'").fetchall()
    assert "cases_status" in " ".join(str(r) for r in plan)


def test_refuses_a_newer_schema(db: sqlite_utils.Database) -> None:
    with transaction(db):
        db.execute("INSERT INTO schema_version VALUES (?, 'now', 'from the future')", [SCHEMA_VERSION + 1])
    with pytest.raises(Refused) as err:
        migrate(db)
    assert err.value.key == "db.schema_newer"


def test_refuses_a_foreign_database(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER)")
    conn.commit()
    conn.close()
    db = open_database(path)
    with pytest.raises(BadInput) as err:
        migrate(db)
    assert err.value.key == "db.not_retire"
    assert "invoices" in err.value.text("en")
    db.close()


def test_unopenable_paths(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as err:
        open_database(tmp_path / "no" / "such" / "dir" / "x.db")
    assert err.value.key == "db.no_directory"
    with pytest.raises(BadInput) as err:
        open_database(tmp_path)
    assert err.value.key == "db.is_directory"
    with pytest.raises(NotFound):
        open_database(tmp_path / "absent.db", create=False)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(BadInput) as err:
        open_database(junk)
    assert err.value.key == "db.cannot_open"
    assert str(junk) in err.value.text("en")


def test_resolve_db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETIRE_DB", str(tmp_path / "env.db"))
    assert resolve_db_path(tmp_path / "x.db") == tmp_path / "x.db"
    assert resolve_db_path(None) == tmp_path / "env.db"
    monkeypatch.delenv("RETIRE_DB")
    default = resolve_db_path(None)
    assert default.name == "retire.db" and "retire" in default.parent.parts[-1]


def test_default_path_directory_is_created(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETIRE_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    path = resolve_db_path(None)
    assert not path.parent.exists()
    db = open_database(path)
    db.close()
    assert path.exists() and _mode(path) == 0o600


def test_exception_inside_transaction_leaves_no_rows(db: sqlite_utils.Database) -> None:
    """sqlite-utils write methods must not commit early inside our transaction."""
    with pytest.raises(RuntimeError):
        with transaction(db):
            db.execute("INSERT INTO employers (credit_code, name) VALUES ('A', 'a')")
            db["employers"].insert({"credit_code": "B", "name": "b"})
            db["employers"].insert_all([{"credit_code": "C", "name": "c"}, {"credit_code": "D", "name": "d"}])
            db["employers"].upsert({"id": 99, "credit_code": "E", "name": "e"}, pk="id")
            db["holiday_overrides"].insert({"day": "2027-01-01", "kind": "holiday"})
            with transaction(db):  # nested: a savepoint, still rolled back by the outer failure
                db.execute("INSERT INTO employers (credit_code, name) VALUES ('F', 'f')")
            raise RuntimeError("boom")
    assert db.execute("SELECT COUNT(*) FROM employers").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM holiday_overrides").fetchone()[0] == 0
    assert not db.conn.in_transaction


def test_nested_failure_rolls_back_only_the_inner_part(db: sqlite_utils.Database) -> None:
    with transaction(db):
        db.execute("INSERT INTO employers (credit_code, name) VALUES ('A', 'a')")
        with pytest.raises(ValueError):
            with transaction(db):
                db.execute("INSERT INTO employers (credit_code, name) VALUES ('B', 'b')")
                raise ValueError
    assert [r[0] for r in db.execute("SELECT credit_code FROM employers")] == ["A"]


def test_commit_is_visible_to_another_connection(db: sqlite_utils.Database, db_path: Path) -> None:
    other = open_database(db_path, create=False)
    with transaction(db):
        db.execute("INSERT INTO employers (credit_code, name) VALUES ('A', 'a')")
        assert other.execute("SELECT COUNT(*) FROM employers").fetchone()[0] == 0
    assert other.execute("SELECT COUNT(*) FROM employers").fetchone()[0] == 1
    other.close()


def test_case_numbers_are_sequential_and_never_reused(db: sqlite_utils.Database) -> None:
    with transaction(db):
        assert allocate_case_no(db, 2026) == "GY-2026-000001"
        assert allocate_case_no(db, 2026) == "GY-2026-000002"
        assert allocate_case_no(db, 2027) == "GY-2027-000001"
    with pytest.raises(RuntimeError):
        with transaction(db):
            assert allocate_case_no(db, 2026) == "GY-2026-000003"
            raise RuntimeError("intake failed")
    with transaction(db):
        assert allocate_case_no(db, 2026) == "GY-2026-000003"
        assert next_notice_seq(db, "acceptance", 2026) == 1
        assert next_notice_seq(db, "acceptance", 2026) == 2
    with pytest.raises(RuntimeError):
        allocate_case_no(db, 2026)  # outside a transaction


def test_case_id_by_no(db: sqlite_utils.Database) -> None:
    with transaction(db):
        db.execute("INSERT INTO persons (id_number, name) VALUES ('150202196506150011', '张三')")
        no = allocate_case_no(db, 2026)
        db.execute("INSERT INTO cases (case_no, person_id, status) VALUES (?, 1, 'draft')", [no])
    assert case_id_by_no(db, "gy-2026-1") == 1
    assert normalise_case_no(" GY-2026-000001 ") == "GY-2026-000001"
    with pytest.raises(NotFound):
        case_id_by_no(db, "GY-2026-000002")
    with pytest.raises(BadInput):
        case_id_by_no(db, "2026/1")
