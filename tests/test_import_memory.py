"""The importer's memory is flat in the number of rows (issue #4: "with memory flat as the file grows").

Per-row keys (for duplicates inside the file) live in a TEMP table on disk,
not in Python: importing 4N contribution rows about the same people must
not take (much) more Python heap than importing N.  The people are the same
4,000 in both files (``per_person`` 5 and 20), since what the importer keeps
per distinct person is allowed to stay in memory.
"""
from __future__ import annotations

import random
import shutil
import tracemalloc
from pathlib import Path

import pytest
import sqlite_utils

from console.services.identity import resolve_actor
from console.services.importing.run import run_import
from db import audit
from db import imports as imports_db
from db import staff as staff_db
from db.connection import open_database, transaction
from db.schema import migrate
from fixtures import generate as gen

PERSONS = 4_000
N = 20_000
BATCH = 500
"""Write batches small enough that their rows do not hide what grows with the file."""


def _file(path: Path, kind: str, rows: int, per_person: int = gen.PER_PERSON) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        gen.write(kind, rows, fh, per_person=per_person)
    return path


def _base(tmp_path: Path) -> Path:
    """A database holding the employers and the 4,000 persons, and a clerk."""
    path = tmp_path / "base.db"
    db = open_database(path)
    try:
        migrate(db)
        with transaction(db):
            staff_db.insert(db, "clerk", "Clerk", ["clerk"])
            audit.append(db, "test", "staff.add", entity="staff", entity_id="clerk")
        actor = resolve_actor(db, "clerk")
        for kind, rows in (("employers", gen.EMPLOYERS), ("persons", PERSONS)):
            assert run_import(db, actor, kind, _file(tmp_path / f"{kind}.csv", kind, rows)).written
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return path


def _peak(base: Path, tmp_path: Path, rows: int, per_person: int) -> int:
    """Python-heap peak (bytes above the start) of importing ``rows`` contribution rows into a copy of ``base``."""
    source = _file(tmp_path / f"c{rows}.csv", "contributions", rows, per_person)
    assert gen.persons_for(rows, per_person) == PERSONS
    path = tmp_path / f"db{rows}.db"
    shutil.copy(base, path)
    db = open_database(path)
    try:
        actor = resolve_actor(db, "clerk")
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            tracemalloc.reset_peak()
            report = run_import(db, actor, "contributions", source, batch_size=BATCH)
            peak = tracemalloc.get_traced_memory()[1] - start
        finally:
            tracemalloc.stop()
        assert report.written and report.rows == rows and report.invalid == 0, report.as_dict()
        assert db.execute("SELECT count(*) FROM contribution_periods").fetchone()[0] == rows
        temp = db.execute("SELECT name FROM temp.sqlite_master WHERE type = 'table'").fetchall()
        assert temp == []  # the scratch tables are gone
    finally:
        db.close()
    return peak


def test_python_heap_is_flat_in_the_number_of_rows(tmp_path: Path) -> None:
    base = _base(tmp_path)
    warm = _file(tmp_path / "warm.csv", "contributions", 2_000)  # imports, catalogues, first-use caches
    shutil.copy(base, tmp_path / "warm.db")
    db = open_database(tmp_path / "warm.db")
    try:
        assert run_import(db, resolve_actor(db, "clerk"), "contributions", warm).written
    finally:
        db.close()
    small = _peak(base, tmp_path, N, 5)
    large = _peak(base, tmp_path, 4 * N, 20)
    assert large < 1.5 * small, f"{N:,} rows: {small / 2**20:.2f} MB; {4 * N:,} rows: {large / 2**20:.2f} MB"


def test_the_hall_database_holds_no_scratch_table(tmp_path: Path) -> None:
    """The keys live in the connection's temp database: the hall's file never sees them."""
    base = _base(tmp_path)
    source = _file(tmp_path / "c.csv", "contributions", 5_000)
    with source.open("a", encoding="utf-8") as fh:  # a duplicate of line 2: the import is refused
        fh.write(source.read_text(encoding="utf-8").splitlines()[1] + "\n")
    db = open_database(base)
    try:
        report = run_import(db, resolve_actor(db, "clerk"), "contributions", source)
        assert not report.written
        assert [(e["line"], e["code"], e["params"]) for e in report.errors] == [
            (5_002, "importer.row.duplicate", {"first": 2})]
        assert db.execute("SELECT count(*) FROM contribution_periods").fetchone()[0] == 0
        assert db.execute("SELECT name FROM temp.sqlite_master").fetchall() == []
    finally:
        db.close()
    check = sqlite_utils.Database(base)
    assert not [t for t in check.table_names() if t.startswith("import_keys")]
    check.close()


@pytest.mark.parametrize("seed", range(6))
def test_row_keys_find_exactly_the_duplicates(db: sqlite_utils.Database, seed: int) -> None:
    """Ordered blocks + unordered rows give what a plain GROUP BY over every row gives."""
    rnd = random.Random(seed)
    keys = imports_db.RowKeys(batch=7, run_size=5)
    keys.open(db)
    rows: list[tuple[int, int]] = []
    top = -1
    value = 0
    for line in range(2, 400):
        choice = rnd.random()
        if choice < 0.6:
            value += rnd.randint(1, 3)  # mostly sorted, as an export is
        elif choice < 0.8 and rows:
            value = rnd.choice(rows)[0]  # a repeat of some earlier key
        else:
            value = rnd.randint(0, value + 5)  # anywhere
        rows.append((value, line))
        if value > top:
            top = value
            keys.run_keys.append(value)
            keys.run_lines.append(line)
            if len(keys.run_keys) >= keys.run_size:
                keys.flush_run()
        else:
            keys.unordered(value, line)
    first: dict[int, int] = {}
    expected = []
    for value, line in rows:
        if value in first:
            expected.append((value, first[value], line))
        else:
            first[value] = line
    try:
        assert [tuple(r) for r in keys.duplicates()] == expected
        assert expected  # the test did test something
    finally:
        keys.close()
    assert db.execute("SELECT name FROM temp.sqlite_master").fetchall() == []
