"""Backup, restore and doctor, as the hall's admin and cron use them (``retire backup|restore|doctor``).

- a backup taken while another process writes is a consistent copy
  (integrity, audit chain, every case whole: the crash test's checks);
- backup refuses an existing target without --force;
- restore checks the backup first: a corrupted or truncated copy, or a file
  that is no database, is refused (exit 1 or 2, one line, no traceback) and
  the live database is not touched; without --force it refuses to overwrite;
- the doctor exits 1 and names the problem when the audit chain was
  tampered with and when the workflow left an orphan.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.test_crash import CLERK, REPO, _check
from tests.workflow_helpers import accepted_case, ready_case

runner = CliRunner()


def invoke(app: Any, *args: str) -> Any:
    result = runner.invoke(app, list(args))
    # a refusal is SystemExit with a code; anything else escaped the CLI's guard
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"retire {' '.join(args)} raised {result.exception!r}\n{result.output}"
    )
    return result


@pytest.fixture
def hall(cli_app: Any, env: dict[str, str]) -> Path:
    """An initialised database (alice = admin) with a clerk who has done some work."""
    from console.services.identity import resolve_actor
    from db.connection import open_database

    assert invoke(cli_app, "init").exit_code == 0
    assert invoke(cli_app, "staff", "add", CLERK, "--name", "Carol", "--role", "clerk", "--role", "hrss_reviewer").exit_code == 0
    path = Path(env["RETIRE_DB"])
    db = open_database(path, create=False)
    try:
        clerk = resolve_actor(db, CLERK)
        accepted_case(db, clerk, seq=11)
        ready_case(db, clerk, seq=13)
    finally:
        db.close()
    return path


def _settle(path: Path) -> str:
    """Checkpoint the WAL into the file and return the file's sha256 (no connection stays open)."""
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _summary(path: Path) -> tuple[Any, ...]:
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM audit), (SELECT hash FROM audit ORDER BY id DESC LIMIT 1)"
        ).fetchone()
    finally:
        conn.close()


# -- backup ------------------------------------------------------------------------------


def _wait_for_more_cases(hall: Path, than: int, timeout: float = 30.0) -> int:
    """Poll (read-only) until the hall holds more than ``than`` cases; a busy CI machine is slow."""
    import sqlite3

    deadline = time.monotonic() + timeout
    while True:
        conn = sqlite3.connect(f"file:{hall}?mode=ro", uri=True, timeout=15)
        try:
            count = int(conn.execute("SELECT count(*) FROM cases").fetchone()[0])
        finally:
            conn.close()
        if count > than or time.monotonic() > deadline:
            return count
        time.sleep(0.1)


def test_backup_while_another_process_writes_is_consistent(cli_app: Any, hall: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))}
    child = subprocess.Popen([sys.executable, "-m", "tests.test_crash", str(hall), "7"], cwd=REPO, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    copies = []
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.stderr.read() if child.stderr else ""
        seen = -1
        for i in range(3):
            seen = _wait_for_more_cases(hall, seen)  # the writer moved on since the last copy
            target = tmp_path / f"backup-{i}.db"
            result = invoke(cli_app, "backup", str(target), "--json")
            assert result.exit_code == 0, result.output
            assert json.loads(result.stdout)["path"] == str(target)
            copies.append(target)
        assert child.poll() is None, "the writer stopped during the backups: " + (child.stderr.read() if child.stderr else "")
    finally:
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    sizes = []
    for copy in copies:
        assert not Path(str(copy) + ".part").exists()
        work = tmp_path / ("check-" + copy.name)
        shutil.copy(copy, work)  # _check opens read-write (WAL switch): keep the backup itself pristine
        sizes.append(_check(work)["cases"])
    assert sizes == sorted(sizes) and sizes[-1] > sizes[0], f"the writer did not move between backups: {sizes}"
    # the copies restore cleanly, too
    assert invoke(cli_app, "restore", str(copies[-1]), "--force").exit_code == 0
    _check(hall)


def test_backup_refuses_an_existing_target_without_force(cli_app: Any, hall: Path, tmp_path: Path) -> None:
    target = tmp_path / "nightly.db"
    target.write_bytes(b"yesterday")
    result = invoke(cli_app, "backup", str(target))
    assert result.exit_code == 1, result.output
    assert str(target) in result.output
    assert target.read_bytes() == b"yesterday"
    assert invoke(cli_app, "backup", str(target), "--force").exit_code == 0
    copy, live = _summary(target), _summary(hall)
    assert copy[0] == live[0] and copy[1] == live[1] - 1  # the live file has the db.backup row on top


def test_a_backup_is_private_whatever_the_umask(cli_app: Any, hall: Path, tmp_path: Path) -> None:
    """A copy of the hall holds ID numbers and bank cards: 0o600, never world-readable."""
    target = tmp_path / "private.db"
    old = os.umask(0o022)
    try:
        assert invoke(cli_app, "backup", str(target)).exit_code == 0
    finally:
        os.umask(old)
    assert (target.stat().st_mode & 0o777) == 0o600


# -- restore -----------------------------------------------------------------------------


@pytest.fixture
def good_backup(cli_app: Any, hall: Path, tmp_path: Path) -> Path:
    target = tmp_path / "good.db"
    assert invoke(cli_app, "backup", str(target)).exit_code == 0
    return target


def _corrupt_middle(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    page = 4096
    assert len(data) >= 4 * page
    for offset in range(2 * page, len(data) - page, page):  # every page but the header page and the last: garbage
        data[offset + 16: offset + page - 16] = os.urandom(page - 32)
    target.write_bytes(bytes(data))
    return target


def _bad_backups(good: Path, tmp_path: Path) -> dict[str, Path]:
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    text = tmp_path / "notes.db"
    text.write_text("这不是数据库 / not a database\n" * 200, encoding="utf-8")
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    return {
        "corrupted": _corrupt_middle(good, tmp_path / "corrupted.db"),
        "truncated": truncated,
        "not a database": text,
        "empty": empty,
        "missing": tmp_path / "no-such-backup.db",
    }


def test_restore_refuses_a_bad_backup_and_leaves_the_live_database_alone(cli_app: Any, hall: Path, good_backup: Path, tmp_path: Path) -> None:
    before_hash, before = _settle(hall), _summary(hall)
    outcomes = {}
    for name, bad in _bad_backups(good_backup, tmp_path).items():
        result = invoke(cli_app, "restore", str(bad), "--force")
        outcomes[name] = result.exit_code
        assert result.exit_code in (1, 2), f"{name}: exit {result.exit_code}\n{result.output}"
        assert "Traceback" not in result.output
        assert _summary(hall) == before, name
    assert _settle(hall) == before_hash, outcomes
    print(f"\nrestore refusals (exit codes): {outcomes}")


def test_restore_needs_force_to_overwrite(cli_app: Any, hall: Path, good_backup: Path) -> None:
    from console.services.identity import resolve_actor
    from db.connection import open_database

    # the hall moves on after the backup
    db = open_database(hall, create=False)
    try:
        ready_case(db, resolve_actor(db, CLERK), seq=15)
    finally:
        db.close()
    before_hash, before = _settle(hall), _summary(hall)
    result = invoke(cli_app, "restore", str(good_backup))
    assert result.exit_code == 1, result.output
    assert "--force" in result.output or "force" in result.output.lower()
    assert _summary(hall) == before and _settle(hall) == before_hash

    result = invoke(cli_app, "restore", str(good_backup), "--force")
    assert result.exit_code == 0, result.output
    cases, audit_rows, _ = _summary(hall)
    assert cases == before[0] - 1  # back to the backup's cases
    assert audit_rows == _summary(good_backup)[1] + 1  # plus the db.restore row
    assert invoke(cli_app, "doctor").exit_code == 0


def test_restore_refuses_a_demo_backup_over_a_real_hall(cli_app: Any, hall: Path, good_backup: Path, tmp_path: Path) -> None:
    """A demo hall honours RETIRE_LOGIN: its backup must never become the real hall."""
    import sqlite3

    demo_backup = tmp_path / "demo-backup.db"
    shutil.copy(good_backup, demo_backup)
    conn = sqlite3.connect(demo_backup)
    conn.execute("INSERT INTO hall_meta (key, value, set_at) VALUES ('hall_kind', 'demo', '2026-12-01T00:00:00Z')")
    conn.commit()
    conn.close()
    before_hash, before = _settle(hall), _summary(hall)
    result = invoke(cli_app, "restore", str(demo_backup), "--force")
    assert result.exit_code == 1, result.output
    assert "演示" in result.output or "demo" in result.output.lower()
    assert _summary(hall) == before and _settle(hall) == before_hash


# -- doctor ------------------------------------------------------------------------------


def _doctor(cli_app: Any) -> tuple[int, dict[str, Any], str]:
    as_json = invoke(cli_app, "doctor", "--json")
    text = invoke(cli_app, "doctor")
    assert as_json.exit_code == text.exit_code
    return as_json.exit_code, json.loads(as_json.stdout), text.stdout


def _bad_checks(report: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["detail"] for c in report["checks"] if not c["ok"]}


def test_doctor_names_a_tampered_audit_row(cli_app: Any, hall: Path) -> None:
    import sqlite3

    assert invoke(cli_app, "staff", "add", "audrey", "--name", "Audrey", "--role", "auditor").exit_code == 0
    code, report, _ = _doctor(cli_app)
    assert code == 0 and report["ok"] is True, _bad_checks(report)
    conn = sqlite3.connect(hall)
    try:
        target = conn.execute("SELECT id FROM audit WHERE action = 'case.accept'").fetchone()[0]
        with conn:  # the triggers stop a casual edit ...
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute("UPDATE audit SET actor = 'mallory' WHERE id = ?", [target])
        with conn:  # ... someone with the file drops them first
            conn.execute("DROP TRIGGER audit_no_update")
            conn.execute("UPDATE audit SET actor = 'mallory' WHERE id = ?", [target])
    finally:
        conn.close()
    code, report, text = _doctor(cli_app)
    assert code == 1 and report["ok"] is False
    bad = _bad_checks(report)
    assert set(bad) == {"audit_chain"}, bad
    assert str(target) in bad["audit_chain"]
    assert "audit_chain" in text and str(target) in text
    verify = runner.invoke(cli_app, ["audit", "GY-2026-000001", "--verify"], env={"RETIRE_LOGIN": "audrey"})
    assert verify.exit_code == 1 and str(target) in verify.output


def test_doctor_names_a_deleted_audit_row(cli_app: Any, hall: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(hall)
    try:
        victim = conn.execute("SELECT id FROM audit WHERE action = 'case.open' ORDER BY id LIMIT 1").fetchone()[0]
        with conn:
            conn.execute("DROP TRIGGER audit_no_delete")
            conn.execute("DELETE FROM audit WHERE id = ?", [victim])
    finally:
        conn.close()
    code, report, _ = _doctor(cli_app)
    assert code == 1
    bad = _bad_checks(report)
    assert "audit_chain" in bad, bad
    assert f"{victim + 1}" in bad["audit_chain"]  # the row after the gap no longer links


def test_doctor_names_an_orphan(cli_app: Any, hall: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(hall)
    try:
        with conn:  # a case marked delivered by hand, without a delivery row
            conn.execute("UPDATE cases SET status = 'delivered' WHERE case_no = 'GY-2026-000001'")
    finally:
        conn.close()
    code, report, text = _doctor(cli_app)
    assert code == 1 and report["ok"] is False
    bad = _bad_checks(report)
    assert "orphans.delivered_without_delivery" in bad and bad["orphans.delivered_without_delivery"] == "1", bad
    assert "audit_chain" not in bad  # the chain is fine: the tampering is elsewhere
    assert "orphans.delivered_without_delivery" in text


def test_doctor_on_a_healthy_hall_exits_0(cli_app: Any, hall: Path) -> None:
    code, report, _ = _doctor(cli_app)
    assert code == 0, _bad_checks(report)
    names = {c["name"] for c in report["checks"]}
    assert {"integrity_check", "foreign_key_check", "schema_version", "audit_chain"} <= names
    assert report["facts"]["journal_mode"] == "wal"
