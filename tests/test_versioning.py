"""Optimistic locking: concurrent saves of one row never lose an update."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest
import sqlite_utils

from console.errors import NotFound, StaleVersion
from db.case_numbers import allocate_case_no
from db.connection import open_database, transaction
from db.versioning import update_versioned


def _make_case(db: sqlite_utils.Database) -> int:
    with transaction(db):
        db.execute("INSERT INTO persons (id_number, name) VALUES ('150202196506150011', '张三')")
        no = allocate_case_no(db, 2026)
        cursor = db.execute(
            "INSERT INTO cases (case_no, person_id, status, updated_by, updated_at)"
            " VALUES (?, 1, 'draft', 'alice', '2026-05-01T09:00:00+08:00')",
            [no],
        )
    return int(cursor.lastrowid)


def test_save_bumps_version_and_stamps(db: sqlite_utils.Database) -> None:
    case_id = _make_case(db)
    with transaction(db):
        assert update_versioned(db, "cases", case_id, 1, {"status": "accepted"}, "bob") == 2
    row = db.execute("SELECT status, version, updated_by, updated_at FROM cases WHERE id = ?", [case_id]).fetchone()
    assert row[:3] == ("accepted", 2, "bob") and row[3] != "2026-05-01T09:00:00+08:00"


def test_stale_save_names_who_and_when(db: sqlite_utils.Database) -> None:
    case_id = _make_case(db)
    with transaction(db):
        update_versioned(db, "cases", case_id, 1, {"status": "accepted"}, "bob")
    when = db.execute("SELECT updated_at FROM cases WHERE id = ?", [case_id]).fetchone()[0]
    with pytest.raises(StaleVersion) as err:
        with transaction(db):
            update_versioned(db, "cases", case_id, 1, {"status": "refused"}, "carol")
    assert err.value.params["who"] == "bob" and err.value.params["when"] == when
    for lang in ("en", "zh"):
        message = err.value.text(lang)
        assert "bob" in message and when in message
    assert db.execute("SELECT status FROM cases WHERE id = ?", [case_id]).fetchone()[0] == "accepted"


def test_missing_row_and_bad_columns(db: sqlite_utils.Database) -> None:
    with pytest.raises(NotFound):
        with transaction(db):
            update_versioned(db, "cases", 404, 1, {"status": "accepted"}, "bob")
    case_id = _make_case(db)
    with pytest.raises(ValueError):
        update_versioned(db, "cases", case_id, 1, {"version": 9}, "bob")
    with pytest.raises(ValueError):
        update_versioned(db, "cases", case_id, 1, {"status = 'x', case_no": "y"}, "bob")
    with pytest.raises(ValueError):
        update_versioned(db, "audit", 1, 1, {"actor": "x"}, "bob")


def test_two_connections_read_then_save_exactly_one_wins(db: sqlite_utils.Database, db_path: Path) -> None:
    case_id = _make_case(db)
    a = open_database(db_path, create=False)
    b = open_database(db_path, create=False)
    va = a.execute("SELECT version FROM cases WHERE id = ?", [case_id]).fetchone()[0]
    vb = b.execute("SELECT version FROM cases WHERE id = ?", [case_id]).fetchone()[0]
    assert va == vb == 1
    with transaction(a):
        update_versioned(a, "cases", case_id, va, {"status": "accepted"}, "alice")
    with pytest.raises(StaleVersion):
        with transaction(b):
            update_versioned(b, "cases", case_id, vb, {"status": "refused"}, "bob")
    a.close()
    b.close()
    row = db.execute("SELECT status, version, updated_by FROM cases WHERE id = ?", [case_id]).fetchone()
    assert row == ("accepted", 2, "alice")


def _worker(path: str, case_id: int, login: str, barrier: multiprocessing.synchronize.Barrier, out: multiprocessing.Queue) -> None:  # type: ignore[name-defined]
    db = open_database(Path(path), create=False)
    version = db.execute("SELECT version FROM cases WHERE id = ?", [case_id]).fetchone()[0]
    barrier.wait()  # both have read version 1 before either saves
    try:
        with transaction(db):
            update_versioned(db, "cases", case_id, version, {"status": "accepted", "acceptance_notice_no": login}, login)
        out.put((login, "won"))
    except StaleVersion as err:
        out.put((login, f"stale:{err.params['who']}"))
    finally:
        db.close()


def test_two_processes_exactly_one_wins(db: sqlite_utils.Database, db_path: Path) -> None:
    case_id = _make_case(db)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    out = ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(str(db_path), case_id, login, barrier, out)) for login in ("p1", "p2")]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    winners = [login for login, outcome in results.items() if outcome == "won"]
    assert len(winners) == 1
    loser = ({"p1", "p2"} - set(winners)).pop()
    assert results[loser] == f"stale:{winners[0]}"
    row = db.execute("SELECT version, updated_by, acceptance_notice_no FROM cases WHERE id = ?", [case_id]).fetchone()
    assert row == (2, winners[0], winners[0])
