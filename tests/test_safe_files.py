"""Files that cannot be turned against their writer: every command that writes a file, attacked as an insider would.

A colleague who can write the shared directory plants ``out.csv`` (or the
temporary name the old writers used, ``out.csv.part``) as a symlink to the
victim's own file, then waits for the victim's export.  The writer must leave
the link's target untouched and say why; the file it does write is private
(0600, 0640 in the hall's setgid directory) whatever the umask; an existing
file is replaced only with ``--force``; ``-`` is standard output.

Real files, real commands (CliRunner over the root Typer app), real modes.
"""
from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from console import safe_files
from console.errors import BadInput
from fixtures import generate as gen
from tests.test_import_cli import add_staff, invoke

VICTIM_TEXT = b"export PATH=/usr/bin  # the victim's own file\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    home = tmp_path / "victim"
    home.mkdir()
    profile = home / ".profile"
    profile.write_bytes(VICTIM_TEXT)
    return profile


@pytest.fixture
def umask() -> Iterator[Any]:
    """``umask(0o000)`` inside a test; the process's umask is restored after."""
    old = os.umask(0o022)
    os.umask(old)

    def set_to(value: int) -> None:
        os.umask(value)

    yield set_to
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _leftovers(directory: Path) -> list[str]:
    """Temporary names a writer could have left behind."""
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(safe_files.TEMP_SUFFIX) and not p.is_symlink())


def _setgid_dir(parent: Path) -> Path:
    shared = parent / "hall"
    shared.mkdir()
    os.chmod(shared, 0o2770)
    assert os.stat(shared).st_mode & stat.S_ISGID
    return shared


# --- exports ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_export_refuses_a_planted_symlink_target(loaded: dict[str, Any], victim: Path, fmt: str) -> None:
    out = loaded["dir"] / f"out.{fmt}"
    out.symlink_to(victim)
    for extra in ([], ["--force"]):
        result = invoke(loaded["app"], "export", "cases", "--format", fmt, "--out", str(out), *extra)
        assert result.exit_code == 2, result.output
        assert "symbolic link" in result.stderr and str(out) in result.stderr
        assert "Traceback" not in result.output
        assert victim.read_bytes() == VICTIM_TEXT
        assert out.is_symlink()
    assert _leftovers(loaded["dir"]) == []


def test_export_ignores_planted_temporary_names(loaded: dict[str, Any], victim: Path) -> None:
    """The old writers opened ``out.csv.part`` with open('w'): a planted link there no longer matters."""
    tmp = loaded["dir"]
    out = tmp / "out.csv"
    for name in ("out.csv.part", ".out.csv.part", "out.csv.tmp"):
        (tmp / name).symlink_to(victim)
    result = invoke(loaded["app"], "export", "cases", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert victim.read_bytes() == VICTIM_TEXT
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0][0] == "办件编号(case_no)" and len(rows) == 4
    assert not out.is_symlink() and _leftovers(tmp) == []


def test_export_refuses_an_existing_file_without_force(loaded: dict[str, Any]) -> None:
    out = loaded["dir"] / "out.csv"
    out.write_text("yesterday's export\n")
    result = invoke(loaded["app"], "export", "cases", "--out", str(out))
    assert result.exit_code == 2 and "--force" in result.stderr
    assert out.read_text() == "yesterday's export\n"
    assert invoke(loaded["app"], "export", "cases", "--out", str(out), "--force").exit_code == 0
    assert out.read_text(encoding="utf-8-sig").startswith("办件编号(case_no)")


def test_export_refuses_a_fifo_and_a_directory(loaded: dict[str, Any]) -> None:
    fifo = loaded["dir"] / "pipe.csv"
    os.mkfifo(fifo)
    result = invoke(loaded["app"], "export", "cases", "--out", str(fifo), "--force")
    assert result.exit_code == 2 and "not a regular file" in result.stderr
    folder = loaded["dir"] / "folder.csv"
    folder.mkdir()
    result = invoke(loaded["app"], "export", "cases", "--out", str(folder), "--force")
    assert result.exit_code == 2 and "directory" in result.stderr


def test_export_dash_is_standard_output(loaded: dict[str, Any]) -> None:
    result = invoke(loaded["app"], "export", "cases", "--out", "-")
    assert result.exit_code == 0
    assert [r["case_no"] for r in csv.DictReader(io.StringIO(result.stdout))] == [
        "GY-2026-000001", "GY-2026-000002", "GY-2026-000003"]
    assert not (Path.cwd() / "-").exists()
    book = invoke(loaded["app"], "export", "cases", "--format", "xlsx", "--out", "-")
    assert book.exit_code == 0 and book.stdout_bytes.startswith(b"PK")


@pytest.mark.parametrize("unmasked", [False, True])
def test_exported_file_is_private_whatever_the_umask(loaded: dict[str, Any], umask: Any, monkeypatch: pytest.MonkeyPatch,
                                                     unmasked: bool) -> None:
    if unmasked:
        add_staff(loaded["db"], "sue", "supervisor")
        monkeypatch.setenv("RETIRE_LOGIN", "sue")
    flags = ["--unmasked"] if unmasked else []
    umask(0o000)
    for fmt in ("csv", "jsonl", "xlsx"):
        out = loaded["dir"] / f"open.{fmt}"
        result = invoke(loaded["app"], "export", "persons", "--format", fmt, "--out", str(out), *flags)
        assert result.exit_code == 0, result.output
        assert _mode(out) == 0o600, (fmt, oct(_mode(out)))
    if unmasked:
        assert gen.id_number(0) in (loaded["dir"] / "open.csv").read_text(encoding="utf-8-sig")
    shared = _setgid_dir(loaded["dir"])
    out = shared / "cases.csv"
    assert invoke(loaded["app"], "export", "cases", "--out", str(out), *flags).exit_code == 0
    assert _mode(out) == 0o640
    assert os.stat(out).st_gid == os.stat(shared).st_gid


# --- the import template, the rejects file --------------------------------------------------

def test_template_writes_through_the_safe_writer(cli_app: Any, env: dict[str, str], tmp_path: Path, victim: Path,
                                                 umask: Any) -> None:
    umask(0o000)
    link = tmp_path / "t.csv"
    link.symlink_to(victim)
    result = invoke(cli_app, "import", "template", "persons", "--out", str(link))
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert victim.read_bytes() == VICTIM_TEXT
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"persons.{fmt}"
        (tmp_path / f"persons.{fmt}.part").symlink_to(victim)
        assert invoke(cli_app, "import", "template", "persons", "--format", fmt, "--out", str(out)).exit_code == 0
        assert _mode(out) == 0o600 and victim.read_bytes() == VICTIM_TEXT
        again = invoke(cli_app, "import", "template", "persons", "--format", fmt, "--out", str(out))
        assert again.exit_code == 2 and "--force" in again.stderr
        assert invoke(cli_app, "import", "template", "persons", "--format", fmt, "--out", str(out), "--force").exit_code == 0
    assert invoke(cli_app, "import", "template", "persons", "--out", "-").stdout.startswith("*身份证号码(id_number)")


def test_rejects_file_never_written_through_a_link(loaded: dict[str, Any], victim: Path, umask: Any) -> None:
    umask(0o000)
    tmp = loaded["dir"]
    source = tmp / "people.csv"
    source.write_text("id_number,name\n" + f"{gen.id_number(7)},{gen.name(7)}\n" + "150222195801019999,坏号\n", encoding="utf-8")
    (tmp / "people.csv.rejects.csv.part").symlink_to(victim)  # the old temporary name
    result = invoke(loaded["app"], "import", "persons", str(source), "--skip-invalid")
    assert result.exit_code == 0, result.output
    rejects = tmp / "people.csv.rejects.csv"
    assert "坏号" in rejects.read_text(encoding="utf-8-sig")
    assert _mode(rejects) == 0o600 and victim.read_bytes() == VICTIM_TEXT
    rejects.unlink()
    rejects.symlink_to(victim)
    result = invoke(loaded["app"], "import", "persons", str(source), "--skip-invalid")
    assert result.exit_code != 0 and "symbolic link" in result.stderr and "Traceback" not in result.output
    assert victim.read_bytes() == VICTIM_TEXT


# --- the writer itself ------------------------------------------------------------------------

def test_a_link_planted_while_writing_is_refused_and_nothing_is_left(tmp_path: Path, victim: Path) -> None:
    target = tmp_path / "late.csv"
    with pytest.raises(BadInput) as err:
        with safe_files.atomic_writer(target) as fh:
            fh.write(b"data")
            target.symlink_to(victim)  # planted between the checks
    assert err.value.key == "files.is_symlink"
    assert victim.read_bytes() == VICTIM_TEXT and _leftovers(tmp_path) == []


def test_a_failing_writer_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "half.csv"
    with pytest.raises(ZeroDivisionError):
        with safe_files.atomic_writer(target) as fh:
            fh.write(b"half")
            raise ZeroDivisionError  # the writer fails halfway
    assert not target.exists() and _leftovers(tmp_path) == [] and list(tmp_path.iterdir()) == []


# --- notices ----------------------------------------------------------------------------------

@pytest.fixture
def noticed(cli_app: Any, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A hall with an accepted case (its acceptance notice issued); the working directory is tmp_path."""
    from tests.test_notices import _cli_db

    _cli_db(Path(env["RETIRE_DB"]))
    monkeypatch.chdir(tmp_path)
    return "GY-2026-000001"


def _notice_count(env: dict[str, str]) -> int:
    import sqlite3

    conn = sqlite3.connect(env["RETIRE_DB"])
    try:
        return int(conn.execute("SELECT count(*) FROM notices").fetchone()[0])
    finally:
        conn.close()


def test_notice_files_go_through_the_safe_writer(cli_app: Any, env: dict[str, str], noticed: str, tmp_path: Path,
                                                 victim: Path, umask: Any) -> None:
    umask(0o000)
    for fmt in ("txt", "docx"):
        link = tmp_path / f"link.{fmt}"
        link.symlink_to(victim)
        result = invoke(cli_app, "notice", noticed, "--kind", "acceptance", "--format", fmt, "--out", str(link), "--force")
        assert result.exit_code == 2 and "symbolic link" in result.stderr, result.output
        assert victim.read_bytes() == VICTIM_TEXT
        out = tmp_path / f"a.{fmt}"
        (tmp_path / f"a.{fmt}.part").symlink_to(victim)
        assert invoke(cli_app, "notice", noticed, "--kind", "acceptance", "--format", fmt, "--out", str(out)).exit_code == 0
        assert _mode(out) == 0o600 and victim.read_bytes() == VICTIM_TEXT
        again = invoke(cli_app, "notice", noticed, "--kind", "acceptance", "--format", fmt, "--out", str(out))
        assert again.exit_code == 2 and "--force" in again.stderr
        assert invoke(cli_app, "notice", noticed, "--kind", "acceptance", "--format", fmt, "--out", str(out), "--force").exit_code == 0
    # the default DOCX name: a planted link there is refused before a form is issued for nothing
    issued = _notice_count(env)
    default = tmp_path / f"{noticed}-joint-form.docx"
    default.symlink_to(victim)
    result = invoke(cli_app, "notice", noticed, "--kind", "joint-form", "--format", "docx")
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert _notice_count(env) == issued and victim.read_bytes() == VICTIM_TEXT
    text = invoke(cli_app, "notice", noticed, "--kind", "acceptance", "--out", "-")
    assert text.exit_code == 0 and noticed in text.stdout


# --- backups ----------------------------------------------------------------------------------

@pytest.fixture
def admin_hall(cli_app: Any, env: dict[str, str]) -> Path:
    result = invoke(cli_app, "init")
    assert result.exit_code == 0, result.output
    return Path(env["RETIRE_DB"])


def test_backup_refuses_a_planted_link_and_ignores_old_temporary_names(cli_app: Any, admin_hall: Path, tmp_path: Path,
                                                                      victim: Path, umask: Any) -> None:
    import sqlite3

    umask(0o000)
    link = tmp_path / "nightly.db"
    link.symlink_to(victim)
    for extra in ([], ["--force"]):
        result = invoke(cli_app, "backup", str(link), *extra)
        assert result.exit_code == 2 and "symbolic link" in result.stderr, result.output
        assert victim.read_bytes() == VICTIM_TEXT
    target = tmp_path / "backup.db"
    for name in ("backup.db.part", "backup.db.part-journal", "backup.db.part-wal"):
        (tmp_path / name).symlink_to(victim)
    result = invoke(cli_app, "backup", str(target))
    assert result.exit_code == 0, result.output
    assert victim.read_bytes() == VICTIM_TEXT
    assert _mode(target) == 0o600
    conn = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".backup.db.")]
    assert left == [], left
    shared = _setgid_dir(tmp_path)
    assert invoke(cli_app, "backup", str(shared / "hall.db")).exit_code == 0
    assert _mode(shared / "hall.db") == 0o640
    assert sorted(p.name for p in shared.iterdir()) == ["hall.db"]


def test_a_backup_that_fails_its_check_leaves_nothing_behind(cli_app: Any, admin_hall: Path, tmp_path: Path) -> None:
    """A tampered audit row makes the copy fail verification: no target, no temporary file, no directory."""
    import sqlite3

    conn = sqlite3.connect(admin_hall)
    with conn:
        conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE id = (SELECT min(id) FROM audit)")
    conn.close()
    out = tmp_path / "out"
    out.mkdir()
    result = invoke(cli_app, "backup", str(out / "x.db"))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("suffix", ["", "-wal"])
def test_no_writer_replaces_the_hall_itself_even_with_force(loaded: dict[str, Any], suffix: str) -> None:
    """`export --out "$RETIRE_DB" --force` replaced the hall with a CSV (exit 0); so did `import template`."""
    import hashlib
    import sqlite3

    app, path = loaded["app"], Path(loaded["db"])
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    target = path.with_name(path.name + suffix)
    if suffix:
        target.write_bytes(b"")  # a journal that exists (empty after the checkpoint)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    for args in (["export", "persons", "--out", str(target), "--force"],
                 ["import", "template", "persons", "--out", str(target), "--force"]):
        result = invoke(app, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "--force" in result.output
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert invoke(app, "case", "list").exit_code == 0
