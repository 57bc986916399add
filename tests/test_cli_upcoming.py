"""``retire upcoming`` and ``retire prereview --all`` from the shell (issue #7).

The database is made with ``retire init`` and ``retire staff add``; persons
go in through db/persons.py (as an import would write them).  Every command
names its month with --from: the CLI's default is the real today.
"""
from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from console.rules.idcard import make_id
from db import persons as persons_db
from db.connection import open_database, transaction

PLACE = "150222"
BEIJING = "110101"
CLERK = "carol"


class Shell:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.runner = CliRunner()

    def run(self, *args: str, code: int = 0, login: str = CLERK) -> Any:
        result = self.runner.invoke(self.app, list(args), env={"RETIRE_LOGIN": login, "RETIRE_LANG": "en"})
        text = (result.stdout or "") + (result.stderr or "")
        assert "Traceback" not in text, text
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"retire {' '.join(args)} crashed: {result.exception!r}\n{text}")
        assert result.exit_code == code, f"retire {' '.join(args)}: exit {result.exit_code}\n{text}"
        return result

    def json(self, *args: str, login: str = CLERK) -> Any:
        return json.loads(self.run(*args, "--json", login=login).stdout)


def _person(db: Any, born: date, seq: int, name: str, periods: list[tuple[str, str, str, str]], **extra: Any) -> str:
    number = make_id(PLACE, born, seq)
    with transaction(db):
        pid, _ = persons_db.upsert(db, {"id_number": number, "name": name, "sex": "M" if seq % 2 else "F",
                                        "birth_date_id": born.isoformat(), "staff_category": "worker",
                                        "phone": "13800000000", **extra}, "test")
        persons_db.replace_periods(db, pid, [{"from_month": a, "to_month": b, "kind": k, "place": p} for a, b, k, p in periods])
    return number


@pytest.fixture
def world(env: dict[str, str], cli_app: Any) -> tuple[Shell, dict[str, str]]:
    """A hall with a clerk and four men reaching 60y5m in 2026-11 (born 1966-06) and one in 2030-02."""
    sh = Shell(cli_app)
    sh.run("init", login="alice")
    sh.run("staff", "add", CLERK, "--name", "Carol", "--role", "clerk", login="alice")
    db = open_database(Path(env["RETIRE_DB"]), create=False)
    born = date(1966, 6, 15)
    people = {
        "full": _person(db, born, 1, "张三", [("1985-01", "2019-12", "actual", PLACE)]),
        "deemed": _person(db, born, 3, "李四", [("1984-01", "1995-12", "deemed", PLACE), ("1996-01", "2019-12", "actual", PLACE)]),
        "outside": _person(db, born, 5, "王五", [("1990-01", "2009-12", "actual", PLACE), ("2010-01", "2014-12", "actual", BEIJING)]),
        "lost": _person(db, born, 7, "赵六", [("1996-01", "2010-12", "actual", PLACE)], archive_lost=1),
        "short2030": _person(db, date(1969, 1, 15), 9, "钱七", [("1990-01", "2005-03", "actual", PLACE)]),
    }
    db.close()
    return sh, people


def test_upcoming_json_and_flags(world) -> None:
    sh, p = world
    rows = sh.json("upcoming", "--from", "2026-06", "--months", "6")
    assert {r["id_number"] for r in rows} == {p["full"], p["deemed"], p["outside"], p["lost"]}
    by = {r["id_number"]: r for r in rows}
    assert by[p["full"]]["statutory_month"] == "2026-11" and by[p["full"]]["flags"] == ["no_prereview"]
    assert by[p["deemed"]]["flags"] == ["deemed", "no_prereview"]
    assert by[p["outside"]]["flags"] == ["no_prereview", "outside"] and by[p["outside"]]["outside_months"] == 60
    assert by[p["lost"]]["flags"] == ["no_prereview", "lost_archive"]
    assert "policy_version" not in by[p["full"]]
    assert [r["id_number"] for r in sh.json("upcoming", "--from", "2026-06", "--flag", "outside")] == [p["outside"]]
    assert sh.json("upcoming", "--from", "2026-06", "--flag", "outside", "--flag", "deemed") == []
    assert len(sh.json("upcoming", "--from", "2026-06", "--limit", "2")) == 2
    short = sh.json("upcoming", "--from", "2030-01", "--months", "3", "--flag", "short")
    assert [(r["id_number"], r["min_months"], r["short_months"]) for r in short] == [(p["short2030"], 186, 3)]
    assert sh.json("upcoming", "--from", "2026-12", "--months", "1") == []
    table = sh.run("upcoming", "--from", "2026-11", "--months", "1")
    assert "张三" in table.stdout and "420/180" in table.stdout and "4 persons" in table.stderr


@pytest.mark.parametrize("args", [
    ("--from", "2026-13"),
    ("--from", "June"),
    ("--from", "2026/11"),
    ("--flag", "nonsense"),
    ("--flag", "short", "--flag", "late"),
    ("--months", "0"),
    ("--months", "121"),
    ("--export", "list.pdf"),
])
def test_upcoming_bad_input_exits_2(world, args) -> None:
    sh, _ = world
    result = sh.run("upcoming", "--json", *args, code=2)
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1


def test_upcoming_export(world, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    sh, p = world
    out = tmp_path / "calls.csv"
    result = sh.run("upcoming", "--from", "2026-11", "--months", "1", "--export", str(out))
    assert "Exported 4 persons" in result.stderr
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:3] == ["statutory month", "name", "ID number"] and rows[0][-1] == "flags"
    assert sorted(r[2] for r in rows[1:]) == sorted([p["full"], p["deemed"], p["outside"], p["lost"]])
    xlsx = tmp_path / "calls.xlsx"
    sh.run("upcoming", "--from", "2026-11", "--months", "1", "--export", str(xlsx))
    values = list(load_workbook(xlsx, read_only=True).active.iter_rows(values_only=True))
    assert list(values[0]) == rows[0] and len(values) == 5
    assert {v[2] for v in values[1:]} == {r[2] for r in rows[1:]}


def test_start_told_remind(world) -> None:
    sh, p = world
    case = sh.json("upcoming", "start", p["full"])
    assert case["status"] == "draft" and case["case_no"]
    again = sh.run("upcoming", "start", p["full"], code=1)
    assert case["case_no"] in again.stderr
    told = sh.json("upcoming", "told", p["full"], "--channel", "sms", "--note", "短信已发", "--date", "2026-10-08")
    assert (told["at"], told["channel"], told["note"]) == ("2026-10-08", "sms", "短信已发")
    sh.run("upcoming", "told", p["full"], "--date", "2026-10-32", code=2)
    sh.run("upcoming", "told", p["full"], "--channel", "pigeon", code=2)
    sh.run("upcoming", "told", make_id(PLACE, date(1970, 1, 1), 11), code=2)
    row, = [r for r in sh.json("upcoming", "--from", "2026-11", "--months", "1") if r["id_number"] == p["full"]]
    assert row["case_no"] == case["case_no"] and row["last_contact"] == "2026-10-08"
    text = sh.run("upcoming", "remind", p["short2030"], "--lang", "en").stdout
    assert "2030-02" in text and "3 months short of the minimum of 186 months" in text
    sh.run("upcoming", "remind", make_id(PLACE, date(1970, 1, 1), 11), code=2)


def test_prereview_all(world) -> None:
    sh, _ = world
    data = sh.json("prereview", "--all")
    assert data["persons"] == 5 and isinstance(data["persons_per_second"], int) and data["persons_per_second"] > 0
    assert data["dropped_for_policy"] == 0
    human = sh.run("prereview", "--all")
    assert "Recomputed 5 persons" in human.stdout
    result = sh.run("prereview", code=2)
    assert "--all" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    sh.run("prereview", "--json", code=2)


def test_remind_as_docx_goes_to_the_halls_documents_folder(world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Action 7: the reminder letter as DOCX; by default in ~/退休一件事文书 of the person running it, made on first save."""
    import docx

    sh, p = world
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SUDO_USER", raising=False)
    folder = tmp_path / "退休一件事文书"
    assert not folder.exists()
    result = sh.run("upcoming", "remind", p["short2030"], "--docx", "--lang", "en")
    written = list(folder.glob("*.docx"))
    assert len(written) == 1 and str(written[0]) in result.stdout
    text = "\n".join(par.text for par in docx.Document(str(written[0])).paragraphs)
    assert "Retirement Reminder" in text and "2030-02" in text
    sh.run("upcoming", "remind", p["short2030"], "--docx", code=2)  # the file exists: not overwritten without --force
    chosen = tmp_path / "elsewhere.docx"
    sh.run("upcoming", "remind", p["short2030"], "--out", str(chosen))
    assert chosen.exists()


def test_documents_folder_under_sudo_is_the_callers_not_roots(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import pwd

    from console.settings import documents_folder

    me = pwd.getpwuid(os.getuid())
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    monkeypatch.setenv("HOME", "/root")
    monkeypatch.setenv("SUDO_USER", me.pw_name)
    if me.pw_name == "root":
        others = [u for u in pwd.getpwall() if u.pw_uid >= 1000 and u.pw_dir.startswith("/home")] or [u for u in pwd.getpwall() if u.pw_uid > 0]
        monkeypatch.setenv("SUDO_USER", others[0].pw_name)
        me = others[0]
    assert documents_folder() == Path(me.pw_dir) / "退休一件事文书"
