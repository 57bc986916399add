"""A failing machine, for real: exit 3 with one line, and nothing half-written.

These tests run the real CLI (``.venv/bin/retire``) in a subprocess, since
what they check is the process's exit status and its stderr:

- an import that fills a 3 MB tmpfs exits 3 with one line; afterwards
  ``PRAGMA integrity_check`` is ok, ``retire doctor`` exits 0 and no row of
  the import is there (as root: mounting needs it);
- a backup onto a full tmpfs exits 3 and leaves no temporary file; ``staff
  add`` on a full disk exits 3;
- a read-only database file (0444, the process without CAP_DAC_OVERRIDE)
  and a read-only mounted disk: a write exits 3 with the read-only sentence;
- another process holds ``BEGIN EXCLUSIVE``: a write waits for the busy
  timeout (``RETIRE_BUSY_TIMEOUT_MS``, lowered here) and exits 3 with the
  busy sentence, which names the holder when a long job left its note;
  the TUI shows the same sentence, in Chinese;
- a closed stdout: exit 3 with one line, no traceback, no "Exception ignored";
- a zero-byte or foreign file: "not a hall database", exit 2, the file unchanged;
  an older schema: refused outside ``retire init``, reported by ``doctor``;
- any unexpected exception: exit 3, one line naming a crash log that holds
  the traceback.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RETIRE = Path(sys.executable).with_name("retire")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root: mounts a 3 MB tmpfs (run the suite as root in CI)")
BUSY_MS = 400
ROSTER_ROWS = 15_000
"""Enough persons that their rows, indexes and WAL outgrow 3 MB."""


def _cli() -> list[str]:
    if RETIRE.exists():
        return [str(RETIRE)]
    return [sys.executable, "-c", "from console.cli import main; main()"]


def run(db: Path, *args: str, lang: str = "en", env: dict[str, str] | None = None,
        timeout: float = 120, **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """The real CLI on ``db``, as the process's own OS login (no RETIRE_LOGIN)."""
    full = {k: v for k, v in os.environ.items() if k not in ("RETIRE_LOGIN", "RETIRE_DB", "RETIRE_LANG")}
    full.update({"RETIRE_DB": str(db), "RETIRE_LANG": lang})
    full.update(env or {})
    kwargs.setdefault("capture_output", True)
    return subprocess.run([*_cli(), *args], text=True, timeout=timeout, cwd=REPO, env=full, **kwargs)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """stderr must be exactly one line, with no traceback or interpreter noise."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    return lines[0]


def integrity(db: Path) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("PRAGMA integrity_check")]
    finally:
        con.close()


def count(db: Path, sql: str) -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()


def make_hall(db: Path) -> None:
    result = run(db, "init")
    assert result.returncode == 0, result.stderr


def roster(path: Path, rows: int = ROSTER_ROWS) -> Path:
    from fixtures import generate as gen

    with path.open("w", encoding="utf-8", newline="") as fh:
        gen.write("persons", rows, fh)
    return path


def fill(directory: Path, leave: int = 0) -> Path:
    """Fill the file system of ``directory`` up to ``leave`` bytes free; returns the filler file."""
    filler = directory / "filler.bin"
    chunk = b"\0" * 65536
    with filler.open("wb") as fh:
        try:
            while True:
                free = os.statvfs(directory).f_bavail * os.statvfs(directory).f_frsize
                if free <= leave:
                    break
                fh.write(chunk[: max(4096, min(len(chunk), free - leave))])
                fh.flush()
        except OSError:
            pass
    return filler


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A fresh 3 MB tmpfs, unmounted afterwards."""
    if not IS_ROOT:
        pytest.skip("needs root to mount a tmpfs")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m,mode=0755", "tmpfs", str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@pytest.fixture
def hall(tmp_path: Path) -> Path:
    db = tmp_path / "hall.db"
    make_hall(db)
    return db


# ---------------------------------------------------------------- full disk


@needs_root
def test_an_import_that_fills_the_disk_exits_3_and_the_hall_stays_sound(tmpfs: Path, tmp_path: Path) -> None:
    db = tmpfs / "hall.db"
    make_hall(db)
    source = roster(tmp_path / "persons.csv")
    before = count(db, "SELECT count(*) FROM audit")
    result = run(db, "import", "persons", str(source))
    assert result.returncode == 3, result.stderr
    line = one_line(result)
    assert "disk is full" in line and str(tmpfs) in line
    zh = run(db, "import", "persons", str(source), lang="zh")
    assert zh.returncode == 3 and "磁盘已满" in one_line(zh)
    # nothing half-written: no person, no audit row of an import, no temporary file
    assert integrity(db) == ["ok"]
    assert count(db, "SELECT count(*) FROM persons") == 0
    assert count(db, "SELECT count(*) FROM audit") == before
    assert sorted(p.name for p in tmpfs.iterdir()) == ["hall.db"]
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())
    doctor = run(db, "doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr


@needs_root
def test_rejects_that_fill_the_disk_exit_3_and_leave_no_part_file(hall: Path, tmpfs: Path) -> None:
    """--skip-invalid writes the bad rows beside the source: on a full disk that is exit 3,
    the good rows are rolled back with it, and no ``.part`` stays."""
    source = roster(tmpfs / "persons.csv", 3000)
    lines = source.read_text(encoding="utf-8").splitlines()
    spoiled = [lines[0]] + [line if i % 2 else "X" + line[1:] for i, line in enumerate(lines[1:])]
    source.write_text("\n".join(spoiled) + "\n", encoding="utf-8")
    filler = fill(tmpfs, leave=8 * 1024)
    result = run(hall, "import", "persons", str(source), "--skip-invalid")
    assert result.returncode == 3, result.stderr
    assert "disk is full" in one_line(result)
    assert sorted(p.name for p in tmpfs.iterdir()) == sorted([source.name, filler.name])
    assert count(hall, "SELECT count(*) FROM persons") == 0
    assert integrity(hall) == ["ok"]


@needs_root
def test_a_backup_onto_a_full_disk_exits_3_and_leaves_no_temporary_file(hall: Path, tmpfs: Path) -> None:
    filler = fill(tmpfs, leave=64 * 1024)  # less room than the copy needs
    result = run(hall, "backup", str(tmpfs / "copy.db"))
    assert result.returncode == 3, result.stderr
    assert "disk is full" in one_line(result)
    assert [p.name for p in tmpfs.iterdir()] == [filler.name]  # no copy, no .part, no temp directory
    filler.unlink()
    again = run(hall, "backup", str(tmpfs / "copy.db"))  # room again: the same command works
    assert again.returncode == 0, again.stderr
    assert integrity(tmpfs / "copy.db") == ["ok"]


@needs_root
def test_staff_add_on_a_full_disk_exits_3(tmpfs: Path) -> None:
    db = tmpfs / "hall.db"
    make_hall(db)
    staff_before = count(db, "SELECT count(*) FROM staff")
    filler = fill(tmpfs)
    result = run(db, "staff", "add", "lisi", "--name", "李四", "--role", "clerk")
    assert result.returncode == 3, result.stderr
    assert "disk is full" in one_line(result)
    filler.unlink()
    assert integrity(db) == ["ok"]
    assert count(db, "SELECT count(*) FROM staff") == staff_before
    assert run(db, "doctor").returncode == 0


# ---------------------------------------------------------------- read-only

SETPRIV = shutil.which("setpriv")
NO_DAC = ["--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]


@pytest.mark.skipif(not IS_ROOT or SETPRIV is None, reason="needs root and setpriv: root ignores file modes unless it drops CAP_DAC_OVERRIDE")
def test_a_write_to_a_read_only_database_file_exits_3(hall: Path) -> None:
    hall.chmod(0o444)
    prefix = [str(SETPRIV), *NO_DAC]
    full = {k: v for k, v in os.environ.items() if k not in ("RETIRE_LOGIN",)}
    full.update({"RETIRE_DB": str(hall), "RETIRE_LANG": "en"})
    read = subprocess.run([*prefix, *_cli(), "staff", "list"], capture_output=True, text=True, env=full, cwd=REPO, timeout=60)
    assert read.returncode == 0, read.stderr  # reading a read-only hall still works
    write = subprocess.run([*prefix, *_cli(), "staff", "add", "lisi", "--name", "李四", "--role", "clerk"],
                           capture_output=True, text=True, env=full, cwd=REPO, timeout=60)
    assert write.returncode == 3, write.stderr
    line = one_line(write)
    assert "read-only" in line and str(hall) in line
    full["RETIRE_LANG"] = "zh"
    zh = subprocess.run([*prefix, *_cli(), "staff", "add", "lisi", "--name", "李四", "--role", "clerk"],
                        capture_output=True, text=True, env=full, cwd=REPO, timeout=60)
    assert zh.returncode == 3 and "只读" in one_line(zh)
    hall.chmod(0o600)
    assert count(hall, "SELECT count(*) FROM staff WHERE login = 'lisi'") == 0


@needs_root
def test_a_read_only_disk_exits_3(tmpfs: Path) -> None:
    db = tmpfs / "hall.db"
    make_hall(db)
    assert subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], capture_output=True).returncode == 0
    try:
        write = run(db, "staff", "add", "lisi", "--name", "李四", "--role", "clerk")
        assert write.returncode == 3, write.stderr
        assert "read-only" in one_line(write)
        read = run(db, "staff", "list")  # SQLite cannot even read a WAL file there (no -shm): same sentence
        assert read.returncode in (0, 3), read.stderr
        if read.returncode == 3:
            assert "read-only" in one_line(read)
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(tmpfs)], capture_output=True)
    assert integrity(db) == ["ok"]


# ---------------------------------------------------------------- busy

HOLDER = """
import sys, sqlite3
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
sys.stdin.readline()
con.execute("ROLLBACK")
"""

LONG_JOB = """
import sys
from pathlib import Path
from console.faults import BusyNote
from db.connection import open_database, transaction
with BusyNote("retire import persons"):
    db = open_database(Path(sys.argv[1]), create=False)
    with transaction(db):
        print("held", flush=True)
        sys.stdin.readline()
    db.close()
"""


def _hold(script: str, db: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", script, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=REPO)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    if holder.poll() is None:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)


def test_a_write_while_another_process_holds_the_lock_exits_3_after_the_timeout(hall: Path) -> None:
    holder = _hold(HOLDER, hall)
    try:
        started = time.monotonic()
        result = run(hall, "staff", "add", "lisi", "--name", "李四", "--role", "clerk", env={"RETIRE_BUSY_TIMEOUT_MS": str(BUSY_MS)})
        waited = time.monotonic() - started
        assert result.returncode == 3, result.stderr
        line = one_line(result)
        assert "database is busy" in line and "0.4 s" in line
        assert waited >= BUSY_MS / 1000
        zh = run(hall, "staff", "add", "lisi", "--name", "李四", "--role", "clerk", lang="zh", env={"RETIRE_BUSY_TIMEOUT_MS": str(BUSY_MS)})
        assert zh.returncode == 3 and one_line(zh).startswith("错误：数据库正忙")
        reader = run(hall, "staff", "list", env={"RETIRE_BUSY_TIMEOUT_MS": str(BUSY_MS)})
        assert reader.returncode == 0, reader.stderr  # WAL: readers never wait for the writer
    finally:
        _release(holder)
    assert run(hall, "staff", "add", "lisi", "--name", "李四", "--role", "clerk").returncode == 0


def test_the_busy_sentence_names_the_long_job_holding_the_lock(hall: Path) -> None:
    holder = _hold(LONG_JOB, hall)
    try:
        note = json.loads(Path(str(hall) + ".busy").read_text(encoding="utf-8"))
        assert note["pid"] == holder.pid and note["command"] == "retire import persons"
        result = run(hall, "staff", "add", "lisi", "--name", "李四", "--role", "clerk", env={"RETIRE_BUSY_TIMEOUT_MS": str(BUSY_MS)})
        assert result.returncode == 3
        line = one_line(result)
        assert "retire import persons" in line and f"pid {holder.pid}" in line and note["login"] in line
    finally:
        _release(holder)
    assert not Path(str(hall) + ".busy").exists()  # removed when the job ends


def test_a_note_left_by_a_killed_job_is_ignored(hall: Path) -> None:
    holder = _hold(LONG_JOB, hall)
    holder.kill()
    holder.wait(timeout=30)
    assert Path(str(hall) + ".busy").exists()
    blocker = _hold(HOLDER, hall)
    try:
        result = run(hall, "staff", "add", "lisi", "--name", "李四", "--role", "clerk", env={"RETIRE_BUSY_TIMEOUT_MS": str(BUSY_MS)})
        line = one_line(result)
        assert result.returncode == 3 and "retire import persons" not in line and "database is busy" in line
    finally:
        _release(blocker)


def test_a_real_import_leaves_its_note_while_it_writes(hall: Path, tmp_path: Path) -> None:
    source = roster(tmp_path / "persons.csv", 20_000)
    note_path = Path(str(hall) + ".busy")
    full = {k: v for k, v in os.environ.items() if k not in ("RETIRE_LOGIN",)}
    full.update({"RETIRE_DB": str(hall), "RETIRE_LANG": "en"})
    job = subprocess.Popen([*_cli(), "import", "persons", str(source)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, cwd=REPO, env=full)
    seen: dict[str, object] | None = None
    while job.poll() is None and seen is None:
        try:
            seen = json.loads(note_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            time.sleep(0.01)
    _, err = job.communicate(timeout=300)
    assert job.returncode == 0, err
    assert seen is not None, "the import never left its busy note"
    assert seen["pid"] == job.pid and seen["command"] == "retire import persons"
    assert not note_path.exists()


async def test_the_tui_says_the_busy_sentence_in_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from textual.widgets import DataTable

    from console import i18n
    from console.i18n import t
    from screens.app import RetireApp
    from screens.context import AppContext
    from tests.tui_helpers import LOGIN, TODAY, build_hall, settle

    db = build_hall(tmp_path / "hall.db")
    monkeypatch.setenv("RETIRE_LANG", "zh")
    monkeypatch.setenv("RETIRE_LOGIN", LOGIN)
    monkeypatch.setenv("RETIRE_DB", str(db))
    monkeypatch.setenv("RETIRE_BUSY_TIMEOUT_MS", str(BUSY_MS))
    monkeypatch.setattr(i18n, "_current", "zh")
    con = sqlite3.connect(db)
    case_no, item = con.execute(
        "SELECT c.case_no, t.item FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.status = 'open' ORDER BY c.id LIMIT 1"
    ).fetchone()
    con.close()
    app = RetireApp(AppContext(db_path=db, login=LOGIN, lang="zh", today_override=TODAY))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        from screens.department import DepartmentScreen

        pane = DepartmentScreen(case_no=case_no)  # what `t` on the case detail opens
        app.push_screen(pane)
        await settle(app, pilot)
        row = next(i for i, task in enumerate(pane.tasks) if task["item"] == item and task["status"] == "open")
        pane.query_one("#tasks", DataTable).move_cursor(row=row)
        holder = _hold(HOLDER, db)
        try:
            await pilot.press("c")  # claim: a save, while another process holds the write lock
            await settle(app, pilot)
            await pilot.press("enter")  # the question before the claim: yes
            await settle(app, pilot)
            await pilot.pause(BUSY_MS / 1000)
            await settle(app, pilot)
        finally:
            _release(holder)
        messages = [str(n.message) for n in app._notifications]
        expected = t("faults.busy", "zh", seconds="0.4")
        assert expected in messages, messages
        assert not any("OperationalError" in m or "database is locked" in m for m in messages)


# ---------------------------------------------------------------- closed stdout


def test_a_closed_stdout_is_exit_3_with_one_line(hall: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader went away before we wrote (`| head -c0`)
    try:
        result = run(hall, "staff", "list", stdout=write_end, stderr=subprocess.PIPE, capture_output=False)
    finally:
        os.close(write_end)
    assert result.returncode == 3
    assert "output pipe was closed" in one_line(result)
    shell = subprocess.run(["sh", "-c", f"'{_cli()[0]}' audit GY-2026-000001 --json | head -c0; '{_cli()[0]}' staff list >&-"],
                           capture_output=True, text=True, cwd=REPO,
                           env={**os.environ, "RETIRE_DB": str(hall), "RETIRE_LANG": "zh"}, timeout=60)
    assert "Traceback" not in shell.stderr and "Exception ignored" not in shell.stderr, shell.stderr


def test_a_reader_that_goes_away_mid_output_is_exit_3_without_noise(hall: Path) -> None:
    con = sqlite3.connect(hall)  # enough staff that the table outgrows the pipe's buffer
    con.executemany("INSERT INTO staff (login, name, active) VALUES (?, ?, 1)", [(f"clerk{i:05d}", f"柜员{i}") for i in range(3000)])
    con.commit()
    con.close()
    full = {k: v for k, v in os.environ.items() if k not in ("RETIRE_LOGIN",)}
    full.update({"RETIRE_DB": str(hall), "RETIRE_LANG": "en"})
    proc = subprocess.Popen([*_cli(), "staff", "list"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO, env=full)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(200)  # `| head -c200`
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=60) == 3, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "output pipe was closed" in lines[0], err


# ---------------------------------------------------------------- not a hall


@pytest.mark.parametrize("args", [("staff", "list"), ("case", "list"), ("case", "show", "GY-2026-000001"), ("doctor",),
                                  ("staff", "add", "lisi", "--name", "李四", "--role", "clerk")])
def test_a_zero_byte_file_is_not_a_hall(tmp_path: Path, args: tuple[str, ...]) -> None:
    db = tmp_path / "empty.db"
    db.write_bytes(b"")
    result = run(db, *args)
    assert result.returncode == 2, result.stderr
    line = one_line(result)
    assert "is not a hall database" in line and "retire init" in line
    assert db.stat().st_size == 0  # never silently made into a hall
    assert not Path(str(db) + "-wal").exists()
    zh = run(db, *args, lang="zh")
    assert zh.returncode == 2 and "不是退休综合受理台的数据库" in one_line(zh)


def test_a_foreign_file_is_not_a_hall_and_is_left_as_it_was(tmp_path: Path) -> None:
    other = tmp_path / "invoices.db"
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE invoices (id INTEGER)")
    con.commit()
    con.close()
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database at all\n" * 20)
    for path in (other, junk):
        before = path.read_bytes()
        for args in (("staff", "list"), ("doctor",)):
            result = run(path, *args)
            assert result.returncode == 2, result.stderr
            assert "is not a hall database" in one_line(result)
        assert path.read_bytes() == before


def test_a_fifo_as_the_database_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    for args in (("case", "list"), ("init",)):
        result = run(fifo, *args, timeout=30)
        assert result.returncode == 2 and "is not a regular file" in one_line(result)
        assert "不是普通文件" in one_line(run(fifo, *args, lang="zh", timeout=30))


def test_init_makes_a_hall_of_a_zero_byte_file(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    db.write_bytes(b"")
    assert run(db, "init").returncode == 0
    assert run(db, "doctor").returncode == 0


def test_an_older_schema_is_upgraded_only_by_init(tmp_path: Path) -> None:
    from db.schema import MIGRATIONS, SCHEMA_VERSION

    db = tmp_path / "old.db"
    make_hall(db)
    con = sqlite3.connect(db)  # take the last migration's version row away: the file now claims the version before
    con.execute("DELETE FROM schema_version WHERE version = ?", [SCHEMA_VERSION])
    con.commit()
    con.close()
    older = MIGRATIONS[-2].version
    listed = run(db, "staff", "list")
    assert listed.returncode == 2
    line = one_line(listed)
    assert f"schema version {older}" in line and "retire init" in line
    doctor = run(db, "doctor")
    assert doctor.returncode == 1 and f"{older} / {SCHEMA_VERSION}" in doctor.stdout


# ---------------------------------------------------------------- the top-level guard

BOOM = """
import sys, types
import console.cli as cli
module = types.ModuleType("console.cli_boom")
def register(app):
    @app.command("boom")
    def boom() -> None:
        raise RuntimeError("a bug the tests planted")
module.register = register
sys.modules["console.cli_boom"] = module
cli.COMMAND_MODULES["boom"] = "cli_boom"
sys.argv = ["retire", "boom"]
cli.main()
"""


def test_an_unexpected_exception_is_exit_3_with_a_crash_log(tmp_path: Path) -> None:
    state = tmp_path / "state"
    env = {**os.environ, "XDG_STATE_HOME": str(state), "RETIRE_LANG": "en", "RETIRE_DB": str(tmp_path / "x.db")}
    result = subprocess.run([sys.executable, "-c", BOOM], capture_output=True, text=True, cwd=REPO, env=env, timeout=60)
    assert result.returncode == 3
    line = one_line(result)
    assert "Internal error (RuntimeError)" in line
    logs = list(state.rglob("crash-*.log"))
    assert len(logs) == 1 and str(logs[0]) in line
    text = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in text and "a bug the tests planted" in text and "command: retire boom" in text
    assert (logs[0].stat().st_mode & 0o077) == 0  # private: the admin's, not everybody's
    zh = subprocess.run([sys.executable, "-c", BOOM], capture_output=True, text=True, cwd=REPO, env={**env, "RETIRE_LANG": "zh"}, timeout=60)
    assert zh.returncode == 3 and "程序内部错误" in one_line(zh)
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    nolog = subprocess.run([sys.executable, "-c", BOOM], capture_output=True, text=True, cwd=REPO,
                           env={**env, "XDG_STATE_HOME": str(blocked)}, timeout=60)
    assert nolog.returncode == 3  # the log cannot be written: still one line, still no traceback
    assert "error log could not be written" in one_line(nolog)


def test_faults_are_translated_by_errno_and_sqlite_code(tmp_path: Path) -> None:
    import errno

    from console.errors import BadInput, EnvironmentFailure
    from console.faults import translate

    cases = {
        OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "f")): (EnvironmentFailure, "faults.disk_full"),
        OSError(errno.EROFS, "Read-only file system", str(tmp_path / "f")): (EnvironmentFailure, "faults.read_only"),
        OSError(errno.EIO, "Input/output error"): (EnvironmentFailure, "faults.io_error_nopath"),
        BrokenPipeError(errno.EPIPE, "Broken pipe"): (EnvironmentFailure, "faults.broken_pipe"),
        PermissionError(errno.EACCES, "Permission denied", "/x"): (BadInput, "faults.no_access"),
        FileNotFoundError(errno.ENOENT, "No such file", "/x"): (BadInput, "faults.bad_path"),
        OSError(errno.ETIMEDOUT, "Timed out", "/x"): (EnvironmentFailure, "faults.os_error"),
        MemoryError(): (EnvironmentFailure, "faults.out_of_memory"),
    }
    for exc, (kind, key) in cases.items():
        err = translate(exc, tmp_path / "hall.db")
        assert isinstance(err, kind) and err.key == key, (exc, err)
        for lang in ("zh", "en"):
            assert "{" not in err.text(lang)
    assert translate(ValueError("a bug")) is None
    # real SQLite errors, not hand-made ones
    junk = tmp_path / "junk.db"
    junk.write_text("not sqlite" * 50)
    with pytest.raises(sqlite3.DatabaseError) as caught:
        sqlite3.connect(junk).execute("SELECT 1 FROM sqlite_master").fetchall()
    err = translate(caught.value, junk)
    assert isinstance(err, BadInput) and err.key == "db.not_hall"
    with pytest.raises(sqlite3.IntegrityError) as integrity_error:
        con = sqlite3.connect(":memory:")
        con.execute("CREATE TABLE t (x NOT NULL)")
        con.execute("INSERT INTO t VALUES (NULL)")
    assert translate(integrity_error.value) is None  # a constraint is a bug here, not the machine
