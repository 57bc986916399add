"""Released migrations are frozen text, and a hall made by each released version upgrades whole.

The hashes pin the SQL of every released migration: a change to a code list
or a column is a new migration (``python -m db.migration_gen``), never an edit
of an old one, since halls already hold the old one's result.  The databases
under tests/data/ were made by the released programs themselves (see
tests/data/README.md); the current program must open each, migrate it with
``retire init``, pass ``retire doctor`` and keep every row.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils

from console.vocabulary import CASE_KIND, CASE_STATUS, DEPARTMENT
from db.schema import MIGRATIONS, SCHEMA_VERSION, migrate, statements

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).with_name("data")

RELEASED: dict[int, str] = {
    1: "fd81a0351a73649ef35660b51d0c775d8057026f049e9d6f61f1d60f959ef91d",
    2: "4f7730c94695307ba9cdd5a8a588e5736c06877df231dcbd00acb9ac9dbeb9ba",
    3: "518d3c41d7b56f2086b2c50535f225f0e688d7756d9e299d70cabc042ac53b15",
    4: "4614099ff75e2ac369c89cc239e5cca22c3d9abf783304a3178bc619d76bf779",
    5: "e2c85a6d4a2feb863911b38989029ffb38b980583ea0cd417be74d8b2cd19b05",
    6: "d0b14cd6001fbe06a1d9d483ebf3b5b034f705a6858ad79cee37000a428826e8",
    7: "f8b46aa06d43f549cbef1dcf5bb949c65260bc9cb29550f321c8624c71b3378e",
    8: "e74b495b798475680788ce011512c102d2a8175d64d1ad0c77535a1f0cc78e1d",
    9: "64eb1d4cf5e917f78b9ed1385305905f76deacdb43075ab7977189f2b0e9c983",
    10: "2fc9bb709d410f93482625e02d19f56af36d72907810f7ba82f1440998d882ee",
    11: "72926dd12da9004e2e3bfc7bc5d45fd976b562f7429f47d52e9566f283a93811",
    12: "39f684aaeaf559031decd0ff977a4c3803c1baf8f14913f170a4ecd1f3c85a7f",
    13: "21960746024c448e7901fde96a44f3277c0813373927ea2173ba29b2e4d4ef86",
}
"""SHA-256 of each released migration's SQL text.  Add a line when a migration is released."""

CASE_KIND_CODES = CASE_KIND.codes
CASE_STATUS_CODES = CASE_STATUS.codes
DEPARTMENT_CODES = DEPARTMENT.codes
FIXTURES = {6: DATA / "schema_v6.db", 7: DATA / "schema_v7.db", 8: DATA / "schema_v8.db"}


@pytest.mark.parametrize("version", sorted(RELEASED))
def test_released_migration_text_is_frozen(version: int) -> None:
    migration = next((m for m in MIGRATIONS if m.version == version), None)
    assert migration is not None, f"released migration {version} is gone; released migrations are frozen; add a new one"
    digest = hashlib.sha256(migration.sql.encode("utf-8")).hexdigest()
    assert digest == RELEASED[version], (
        f"migration V{version}'s SQL changed: released migrations are frozen; add a new one "
        "(python -m db.migration_gen for a code list) instead of editing it"
    )


def test_versions_are_consecutive() -> None:
    assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))


def test_migration_is_one_transaction(tmp_path: Path) -> None:
    """A migration that fails half-way leaves the file at the previous whole version."""
    from db import schema
    from db.hall_database import HallDatabase  # what open_database returns: transaction() asks it in_transaction

    broken = schema.Migration(SCHEMA_VERSION + 1, "broken", "CREATE TABLE half (x INTEGER) STRICT;\nSELECT no_such_function();\n")
    db = HallDatabase(tmp_path / "a.db")
    migrate(db)
    original = schema.MIGRATIONS
    schema.MIGRATIONS = (*original, broken)
    schema.SCHEMA_VERSION = broken.version
    try:
        with pytest.raises(sqlite3.OperationalError):
            migrate(db)
    finally:
        schema.MIGRATIONS = original
        schema.SCHEMA_VERSION = original[-1].version
    assert "half" not in db.table_names()
    assert db.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION


def test_statements_keep_trigger_bodies_whole() -> None:
    """A trigger's body holds semicolons: it must still run as one statement."""
    parts = list(statements(next(m for m in MIGRATIONS if m.version == 3).sql))
    triggers = [p for p in parts if "CREATE TRIGGER" in p]
    assert len(triggers) == 7
    assert all(p.endswith("END;") and p.count("CREATE TRIGGER") == 1 for p in triggers)


# --- the upgrade path ---------------------------------------------------------


def _env(tmp_path: Path, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETIRE_")}
    env.update({
        "RETIRE_DB": str(db), "RETIRE_LANG": "en", "PYTHONPATH": str(ROOT),
        "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_DATA_HOME": str(tmp_path / "data"),
    })
    return env


def _retire(tmp_path: Path, db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "console", *args], cwd=tmp_path, env=_env(tmp_path, db),
                          capture_output=True, text=True, timeout=120, check=False)


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        conn.close()


def _audit_hashes(path: Path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT hash FROM audit ORDER BY id")]
    finally:
        conn.close()


@pytest.mark.parametrize("version", sorted(FIXTURES))
def test_fixture_is_a_hall_of_that_version(version: int) -> None:
    path = FIXTURES[version]
    assert path.stat().st_size < 2_000_000
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        assert conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] == version
        assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] >= 20  # demo data, not an empty file
        assert conn.execute("SELECT count(DISTINCT status) FROM cases").fetchone()[0] >= 4
    finally:
        conn.close()


@pytest.mark.parametrize("version", sorted(FIXTURES))
def test_released_hall_upgrades_with_every_row_kept(tmp_path: Path, version: int) -> None:
    db = tmp_path / "retire.db"
    shutil.copyfile(FIXTURES[version], db)
    before = _counts(db)
    audit_before = _audit_hashes(db)

    if version < SCHEMA_VERSION:
        refused = _retire(tmp_path, db, "case", "list")
        assert refused.returncode == 2, refused.stderr
        assert "retire init" in refused.stderr and "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1

    init = _retire(tmp_path, db, "init")
    assert init.returncode == 0, init.stderr
    assert "Traceback" not in init.stderr

    doctor = _retire(tmp_path, db, "doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr

    after = _counts(db)
    assert after["schema_version"] == SCHEMA_VERSION
    grows = ("schema_version", "audit", "sqlite_sequence", "hall_meta")  # init records the upgrade and the key
    for table, count in before.items():
        if table in grows:
            assert after[table] >= count, f"{table}: {count} rows before the upgrade, {after[table]} after"
        else:
            assert after[table] == count, f"{table}: {count} rows before the upgrade, {after[table]} after"
    assert _audit_hashes(db)[: len(audit_before)] == audit_before  # the old chain kept, row for row
    listed = _retire(tmp_path, db, "case", "list", "--json")
    assert listed.returncode == 0, listed.stderr


# --- a generated rebuild on a hall with data --------------------------------------


def _schema_objects(db: sqlite_utils.Database) -> dict[str, set[str]]:
    rows = db.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall()
    out: dict[str, set[str]] = {}
    for kind, name in rows:
        out.setdefault(kind, set()).add(name)
    return out


def test_generated_rebuild_keeps_rows_indexes_triggers_and_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rebuilding persons (which triggers watch), cases and tasks (which rows point at) on a demo hall."""
    from db import migration_gen, schema
    from db.connection import open_database

    path = tmp_path / "retire.db"
    shutil.copyfile(FIXTURES[8], path)
    db = open_database(path)
    migrate(db)
    before = _counts(path)
    objects = _schema_objects(db)
    wanted = [
        migration_gen.Change("persons", "sex", ("M", "F"), ("M", "F", "X")),
        migration_gen.Change("cases", "kind", CASE_KIND_CODES, (*CASE_KIND_CODES, "military_transfer")),
        migration_gen.Change("tasks", "department", DEPARTMENT_CODES, (*DEPARTMENT_CODES, "civil_affairs")),
    ]
    version = SCHEMA_VERSION + 1
    sql = migration_gen.rebuild_sql(migration_gen.fresh_database(), wanted, version)
    assert "DROP TRIGGER person_status_stale_person;" in sql and "CREATE TRIGGER person_status_stale_person" in sql
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, schema.Migration(version, "test", sql, rebuilds=True)))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", version)
    assert migrate(db) == [version]

    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1  # back on after the rebuild
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert _schema_objects(db) == objects
    after = _counts(path)
    assert {k: v for k, v in after.items() if k != "schema_version"} == {k: v for k, v in before.items() if k != "schema_version"}
    lists = {t: migration_gen.check_lists(migration_gen.table_sql(db, t)) for t in ("persons", "cases", "tasks")}
    assert lists["persons"]["sex"] == ("M", "F", "X") and lists["cases"]["kind"][-1] == "military_transfer"
    assert lists["tasks"]["department"][-1] == "civil_affairs" and lists["cases"]["status"] == CASE_STATUS_CODES

    # the recreated trigger still drops a person's stale status row
    person = db.execute("SELECT id FROM persons ORDER BY id LIMIT 1").fetchone()[0]
    db.execute("INSERT OR REPLACE INTO person_status (person_id, grp, policy_version, computed_at) VALUES (?, 'male', 'p', 'now')", [person])
    db.execute("UPDATE persons SET sex = 'X' WHERE id = ?", [person])
    assert db.execute("SELECT count(*) FROM person_status WHERE person_id = ?", [person]).fetchone()[0] == 0
    # and the keys still hold: a task of a case that does not exist is refused
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO tasks (case_id, department, item, status) VALUES (999999, 'civil_affairs', 'x', 'open')")
    db.close()
