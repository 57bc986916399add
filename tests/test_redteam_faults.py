"""Holes a red-team pass over issue 12 found, each run through the real CLI (as a script would).

- an XLSX whose ``<dimension>`` under-states the sheet (some generators write
  ``A1:C2`` whatever follows) lost every row past it, silently, exit 0;
- a FIFO or a character device named as the import file hung the command;
- a backup while another process holds the write lock exited 3 ("not saved")
  but left the copy under the target's name; a killed backup left its private
  ``.NAME.XXXX.part`` directory (a full copy of the hall) for ever;
- a stdout that fails with ENOSPC (``> /dev/full``) printed the error twice,
  then "Exception ignored" and exited 120;
- ``import cases`` wrote an acceptance date, a completion date and an
  acceptance notice number on a draft case (fields only the workflow writes);
- a usage error (a missing option, an unknown command) was three lines of
  Click's English, not one line in the user's language.
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
RETIRE = Path(sys.executable).with_name("retire")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def _cli() -> list[str]:
    if RETIRE.exists():
        return [str(RETIRE)]
    return [sys.executable, "-c", "from console.cli import main; main()"]


def run(db: Path, *args: str, lang: str = "en", env: dict[str, str] | None = None, login: str | None = None,
        timeout: float = 60, **kwargs) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    full = {k: v for k, v in os.environ.items() if k not in ("RETIRE_LOGIN", "RETIRE_DB", "RETIRE_LANG")}
    full.update({"RETIRE_DB": str(db), "RETIRE_LANG": lang})
    if login:
        full["RETIRE_LOGIN"] = login
    full.update(env or {})
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("cwd", REPO)
    return subprocess.run([*_cli(), *args], text=True, timeout=timeout, env=full, **kwargs)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    return lines[0]


def snapshot(db: Path) -> tuple[list[str], dict[str, int], tuple | None]:
    con = sqlite3.connect(db)
    try:
        check = [r[0] for r in con.execute("PRAGMA integrity_check")]
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        head = con.execute("SELECT * FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        return check, counts, head
    finally:
        con.close()


@pytest.fixture
def hall(tmp_path: Path) -> Path:
    db = tmp_path / "hall.db"
    done = run(db, "init")
    assert done.returncode == 0, done.stderr
    done = run(db, "staff", "add", "clerka", "--name", "甲", "--role", "clerk")
    assert done.returncode == 0, done.stderr
    return db


# ---------------------------------------------------------------- XLSX dimension


def _xlsx_with_short_dimension(path: Path) -> None:
    """Three data rows, but ``<dimension ref="A1:B2"/>``: the declared size covers one row and two columns."""
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:B2"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>id_number</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>sex</t></is></c></row>'
        '<row r="2"><c r="A2" t="inlineStr"><is><t>150205196604100989</t></is></c><c r="B2" t="inlineStr"><is><t>王五</t></is></c>'
        '<c r="C2" t="inlineStr"><is><t>F</t></is></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t>150222196606150118</t></is></c><c r="B3" t="inlineStr"><is><t>赵六</t></is></c>'
        '<c r="C3" t="inlineStr"><is><t>M</t></is></c></row>'
        '<row r="4"><c r="A4" t="inlineStr"><is><t>150205196604100997</t></is></c><c r="B4" t="inlineStr"><is><t>钱七</t></is></c>'
        '<c r="C4" t="inlineStr"><is><t>M</t></is></c></row>'
        '</sheetData></worksheet>'
    )
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '</Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '</Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(name, text.encode("utf-8"))


def test_an_xlsx_whose_dimension_understates_the_sheet_imports_every_row(hall: Path, tmp_path: Path) -> None:
    source = tmp_path / "persons.xlsx"
    _xlsx_with_short_dimension(source)
    result = run(hall, "import", "persons", str(source), "--json")
    assert result.returncode == 0, result.stderr
    con = sqlite3.connect(hall)
    try:
        rows = dict(con.execute("SELECT id_number, sex FROM persons").fetchall())
    finally:
        con.close()
    assert rows == {"150205196604100989": "F", "150222196606150118": "M", "150205196604100997": "M"}


# ---------------------------------------------------------------- not a regular file


def test_a_fifo_as_the_import_file_is_refused_without_blocking(hall: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "persons.csv"
    os.mkfifo(fifo)
    before = snapshot(hall)
    result = run(hall, "import", "persons", str(fifo), timeout=20)
    assert result.returncode == 2, result.stderr
    assert str(fifo) in one_line(result)
    assert snapshot(hall) == before


def test_a_character_device_as_the_import_file_is_refused(hall: Path) -> None:
    result = run(hall, "import", "persons", "/dev/zero", "--format", "csv", timeout=20)
    assert result.returncode == 2, result.stderr
    assert "/dev/zero" in one_line(result)


# ---------------------------------------------------------------- backup


HOLDER = """
import sys, sqlite3
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("held", flush=True)
sys.stdin.readline()
con.execute("ROLLBACK")
"""


def test_a_backup_refused_as_busy_leaves_no_copy_under_the_target(hall: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(hall)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = run(hall, "backup", str(out / "copy.db"), env={"RETIRE_BUSY_TIMEOUT_MS": "300"})
        assert result.returncode == 3, result.stderr
        assert "busy" in one_line(result)
        assert sorted(p.name for p in out.iterdir()) == []  # "not saved" means no copy either
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    again = run(hall, "backup", str(out / "copy.db"))  # the lock is gone: the same command works, no --force
    assert again.returncode == 0, again.stderr


def test_a_killed_backup_leaves_nothing_after_the_next_backup(hall: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    # what a backup killed while SQLite copied leaves: its private directory with a partial copy
    stale = out / f".copy.db.{2 ** 22 + 12345}-abcdefgh.part"
    stale.mkdir(mode=0o700)
    (stale / "copy.db").write_bytes(b"SQLite format 3\0" + b"\0" * 4080)
    (stale / "copy.db-journal").write_bytes(b"\0" * 512)
    legacy = out / ".copy.db.k2j4x9_q.part"  # the name a backup before this fix used
    legacy.mkdir(mode=0o700)
    (legacy / "copy.db").write_bytes(b"\0" * 4096)
    result = run(hall, "backup", str(out / "copy.db"))
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["copy.db"]


def test_a_running_backups_directory_is_not_taken_for_a_stale_one(hall: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    alive = out / f".copy.db.{os.getpid()}-abcdefgh.part"  # this test's own pid: a live process
    alive.mkdir(mode=0o700)
    result = run(hall, "backup", str(out / "copy.db"))
    assert result.returncode == 0, result.stderr
    assert alive.is_dir()


# ---------------------------------------------------------------- stdout that fails


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_stdout_on_a_full_device_is_exit_3_with_one_line(hall: Path) -> None:
    with open("/dev/full", "w") as full:
        result = run(hall, "staff", "list", capture_output=False, stdout=full, stderr=subprocess.PIPE)
    assert result.returncode == 3, result.stderr
    assert "disk is full" in one_line(result)


# ---------------------------------------------------------------- import cases


CASE_HEADER = ("case_no,id_number,name,kind,status,joint_items,received_at,accepted_at,completed_at,"
               "chosen_month,due_date,acceptance_notice_no\n")


def _persons(hall: Path, tmp_path: Path) -> None:
    roster = tmp_path / "persons.csv"
    roster.write_text("id_number,name,sex\n150205196604100989,王五,F\n150222196606150118,赵六,M\n", encoding="utf-8")
    done = run(hall, "import", "persons", str(roster))
    assert done.returncode == 0, done.stderr


def test_import_cases_cannot_write_what_only_the_workflow_writes_on_a_new_case(hall: Path, tmp_path: Path) -> None:
    _persons(hall, tmp_path)
    source = tmp_path / "cases.csv"
    source.write_text(CASE_HEADER + "GY-2026-900003,150205196604100989,,normal,,,2026-11-02,2026-11-03,2026-11-04,,,N-1\n",
                      encoding="utf-8")
    before = snapshot(hall)
    result = run(hall, "import", "cases", str(source), login="clerka")
    assert result.returncode == 2, result.stdout + result.stderr
    one_line(result)
    assert "accepted_at" in result.stdout
    assert snapshot(hall) == before


def test_import_cases_cannot_change_what_only_the_workflow_wrote_on_a_registered_case(hall: Path, tmp_path: Path) -> None:
    _persons(hall, tmp_path)
    source = tmp_path / "cases.csv"
    source.write_text(CASE_HEADER + "GY-2026-900004,150222196606150118,,normal,,,2026-11-02,,,,,\n", encoding="utf-8")
    assert run(hall, "import", "cases", str(source), login="clerka").returncode == 0
    again = tmp_path / "again.csv"
    again.write_text(CASE_HEADER + "GY-2026-900004,150222196606150118,,normal,,,2026-11-02,2026-11-05,2026-11-20,,,X-1\n",
                     encoding="utf-8")
    before = snapshot(hall)
    result = run(hall, "import", "cases", str(again), login="clerka")
    assert result.returncode == 2, result.stdout + result.stderr
    assert snapshot(hall) == before


# ---------------------------------------------------------------- usage errors


@pytest.mark.parametrize("args", [("case", "new"), ("case", "nosuch"), ("demo", "--cases", "abc"), ("export", "persons", "-")])
def test_a_usage_error_is_one_line_in_the_users_language(tmp_path: Path, args: tuple[str, ...]) -> None:
    db = tmp_path / "hall.db"
    en = run(db, *args)
    assert en.returncode == 2, en.stderr
    assert "--help" in one_line(en)
    zh = run(db, *args, lang="zh")
    assert zh.returncode == 2, zh.stderr
    line = one_line(zh)
    assert line.startswith("错误") and "--help" in line
    assert not db.exists()


# ---------------------------------------------------------------- a killed import from standard input


def test_a_killed_import_from_stdin_leaves_its_spool_for_the_next_one_to_remove(hall: Path, tmp_path: Path) -> None:
    spool = tmp_path / "tmp"
    spool.mkdir()
    dead = 2 ** 22 + 4321  # above the default pid_max: never a running process
    stale = spool / f"retire-import-{dead}-abcd1234.stdin"  # what a kill -9 while reading stdin leaves
    stale.write_text("id_number,name\n150205196604100989,王五\n", encoding="utf-8")
    alive = spool / f"retire-import-{os.getpid()}-abcd1234.stdin"  # a running import's spool stays
    alive.write_text("x", encoding="utf-8")
    result = run(hall, "import", "persons", "-", input="id_number,name,sex\n150205196604100989,王五,F\n",
                 env={"TMPDIR": str(spool)})
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in spool.iterdir()) == [alive.name]


# ---------------------------------------------------------------- a case number too long for int()


@pytest.mark.parametrize("command", [("case", "show"), ("case", "accept"), ("delivery", "delivered"), ("prereview",)])
def test_a_case_number_of_thousands_of_digits_is_bad_input_not_a_crash(hall: Path, command: tuple[str, ...]) -> None:
    before = snapshot(hall)
    result = run(hall, *command, "GY-2026-" + "9" * 5000, login="clerka")
    assert result.returncode == 2, result.stderr
    assert "Internal error" not in one_line(result)
    assert snapshot(hall) == before


# ---------------------------------------------------------------- backup -


def test_backup_to_dash_is_refused_rather_than_a_file_named_dash(hall: Path, tmp_path: Path) -> None:
    """README: writes take '-' for stdout; a backup's binary copy cannot share stdout with its report, so
    '-' is bad input, never a file called '-' in the current directory."""
    result = run(hall, "backup", "-", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    one_line(result)
    assert not (tmp_path / "-").exists()


# ---------------------------------------------------------------- --rejects over a file that is not a rejects file


BAD_ROSTER = "id_number,name,sex\n150205196604100989,王五,F\nX50222196606150118,赵六,M\n"


def test_rejects_never_replace_the_hall_database(hall: Path, tmp_path: Path) -> None:
    source = tmp_path / "persons.csv"
    source.write_text(BAD_ROSTER, encoding="utf-8")
    before = snapshot(hall)
    result = run(hall, "import", "persons", str(source), "--skip-invalid", "--rejects", str(hall))
    assert result.returncode == 2, result.stderr
    assert str(hall) in one_line(result)
    assert snapshot(hall) == before  # still the hall, nothing imported


def test_rejects_never_replace_the_source_or_another_file(hall: Path, tmp_path: Path) -> None:
    source = tmp_path / "persons.csv"
    source.write_text(BAD_ROSTER, encoding="utf-8")
    other = tmp_path / "notes.csv"
    other.write_text("keep me\n", encoding="utf-8")
    for target in (source, other):
        result = run(hall, "import", "persons", str(source), "--skip-invalid", "--rejects", str(target))
        assert result.returncode == 2, result.stderr
        one_line(result)
    assert source.read_text(encoding="utf-8") == BAD_ROSTER and other.read_text(encoding="utf-8") == "keep me\n"


def test_a_previous_rejects_file_is_still_replaced(hall: Path, tmp_path: Path) -> None:
    source = tmp_path / "persons.csv"
    source.write_text(BAD_ROSTER, encoding="utf-8")
    out = tmp_path / "bad.csv"
    for _ in range(2):  # the same command twice: the second replaces the first run's rejects
        result = run(hall, "import", "persons", str(source), "--skip-invalid", "--rejects", str(out))
        assert result.returncode == 0, result.stderr
    assert "X50222196606150118" in out.read_text(encoding="utf-8-sig")


def test_text_that_is_not_utf8_stored_by_another_tool_is_one_line_and_named_by_doctor(hall: Path) -> None:
    """Bytes put into a name by sqlite3 made every read an internal error; now one line, and doctor names the row."""
    done = run(hall, "case", "new", "--id", "150222196606151233", "--name", "张三", "--received", "id_card_hukou",
               login="clerka")
    assert done.returncode == 0, done.stderr
    con = sqlite3.connect(hall)
    with con:
        con.execute("UPDATE persons SET name = CAST(X'FF41' AS TEXT)")
    con.close()
    result = run(hall, "case", "list", login="clerka")
    assert result.returncode == 3
    assert "UTF-8" in one_line(result)
    doctor = run(hall, "doctor")
    assert "persons (UTF-8): 1 (#1 name)" in doctor.stdout, doctor.stdout
