"""kill -9 (and Ctrl-C) in the middle of an import: the database is as it was before it.

The import writes ~300,000 rows in one BEGIN IMMEDIATE transaction; the
child is killed as soon as it reports its first written batch, i.e. with
thousands of rows in the WAL and none committed.
"""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fixtures import generate as gen
from tests.test_import_cli import count, init_db, write_file

ROOT = Path(__file__).resolve().parents[1]
ROWS = 300_000
PER_PERSON = 30


def _prepare(env: dict[str, str], tmp_path: Path) -> tuple[Path, Path]:
    from console.services.identity import resolve_actor
    from console.services.importing.run import run_import
    from db.connection import open_database

    path = init_db(env)
    persons = write_file(tmp_path / "persons.csv", "persons", gen.persons_for(ROWS, PER_PERSON))
    db = open_database(path)
    try:
        run_import(db, resolve_actor(db, env["RETIRE_LOGIN"]), "persons", persons)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return path, write_file(tmp_path / "contributions.csv", "contributions", ROWS, per_person=PER_PERSON)


def _start(env: dict[str, str], source: Path) -> subprocess.Popen[str]:
    child_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    code = "import sys; sys.argv[0] = 'retire'; from console.cli import main; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "import", "contributions", str(source), "--progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env, cwd=ROOT,
    )


def _wait_for_writing(proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    assert proc.stderr is not None
    for line in proc.stderr:
        if line.startswith("writing"):
            return
        assert time.monotonic() < deadline, "no progress from the import"
    pytest.fail(f"the import ended before writing: {proc.wait()}")


def _check_untouched(path: Path, persons: int) -> None:
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM contribution_periods").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM persons").fetchone()[0] == persons
        assert conn.execute("SELECT count(*) FROM audit WHERE action = 'import.contributions'").fetchone()[0] == 0
    finally:
        conn.close()


def test_kill_9_mid_import_leaves_the_database_as_it_was(env: dict[str, str], tmp_path: Path) -> None:
    path, source = _prepare(env, tmp_path)
    persons = count(path, "persons")
    wal = Path(str(path) + "-wal")
    proc = _start(env, source)
    _wait_for_writing(proc)
    deadline = time.monotonic() + 30
    while (not wal.exists() or wal.stat().st_size < 4 << 20) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)  # until uncommitted pages spill into the WAL
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert wal.stat().st_size >= 4 << 20  # rows were on their way in
    _check_untouched(path, persons)
    # and the file takes the same import afterwards
    proc = _start(env, source)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert count(path, "contribution_periods") == ROWS


def test_ctrl_c_mid_import_rolls_back(env: dict[str, str], tmp_path: Path) -> None:
    path, source = _prepare(env, tmp_path)
    persons = count(path, "persons")
    proc = _start(env, source)
    _wait_for_writing(proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "nothing was written" in err
    _check_untouched(path, persons)
