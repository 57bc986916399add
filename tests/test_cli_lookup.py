"""The lookup path: ``retire case show`` costs what it must, and ``case show -`` looks up many in one process.

Every command here runs as a real ``python -m console`` process on a real
hall: what a lookup imports is only visible in a fresh interpreter.
"""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from console.plain_table import render, text_width
from console.services.case_queries import show
from console.services.store import open_reader
from db.schema import SCHEMA_VERSION
from tests.workflow_helpers import open_case

REPO = Path(__file__).resolve().parent.parent
NOT_ON_A_LOOKUP = ("sqlite_utils", "tabulate", "stdnum", "pypinyin", "holidays", "chinese_calendar", "openpyxl",
                   "docx", "textual", "wcwidth", "click")
"""Packages a lookup must not import (click: sqlite-utils' CLI; Typer runs on its own vendored copy)."""
MODULES_AT_EXIT = """
import sys
sys.argv = ["retire", *sys.argv[1:]]
from console.cli import main
try:
    main()
finally:
    with open(__import__("os").environ["MODULES_OUT"], "w") as fh:
        fh.write("\\n".join(sorted(sys.modules)))
"""
"""Runs the CLI's own entry point, then writes every module the process imported (no sitecustomize)."""


def retire(db: Path, *args: str, stdin: str | None = None, modules_out: Path | None = None,
           lang: str = "en", **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RETIRE_DB": str(db), "RETIRE_LOGIN": "carol", "RETIRE_LANG": lang,
           "PYTHONPATH": str(REPO)}
    if modules_out is None:
        cmd = [sys.executable, "-m", "console", *args]
    else:
        env["MODULES_OUT"] = str(modules_out)
        cmd = [sys.executable, "-c", MODULES_AT_EXIT, *args]
    return subprocess.run(cmd, input=stdin, capture_output=kwargs.pop("capture_output", True), text=True, env=env,
                          cwd=REPO, timeout=120, check=False, **kwargs)


@pytest.fixture
def hall(db: Any, db_path: Path, staff: Any) -> tuple[Path, list[str], Any]:
    """A hall with a clerk carol and 40 draft cases; (path, case numbers, carol)."""
    carol = staff("carol", "clerk", "hrss_reviewer")
    numbers = [open_case(db, carol, seq=100 + i, name=f"张{i}") for i in range(40)]
    return db_path, numbers, carol


def _top_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in path.read_text().split()}


@pytest.mark.parametrize("extra", [(), ("--json",)])
def test_a_lookup_imports_none_of_the_heavy_packages(hall: tuple[Path, list[str], Any], tmp_path: Path,
                                                      extra: tuple[str, ...]) -> None:
    path, numbers, _ = hall
    out = tmp_path / "modules.txt"
    done = retire(path, "case", "show", numbers[0], *extra, modules_out=out)
    assert done.returncode == 0, done.stderr
    assert numbers[0] in done.stdout and "张0" in done.stdout
    loaded = _top_packages(out)
    assert "typer" in loaded and "sqlite3" in loaded  # the method sees what was imported
    assert sorted(loaded & set(NOT_ON_A_LOOKUP)) == []


def test_a_stdin_lookup_imports_none_of_the_heavy_packages(hall: tuple[Path, list[str], Any], tmp_path: Path) -> None:
    path, numbers, _ = hall
    out = tmp_path / "modules.txt"
    done = retire(path, "case", "show", "-", stdin="\n".join(numbers[:3]) + "\n", modules_out=out)
    assert done.returncode == 0, done.stderr
    assert sorted(_top_packages(out) & set(NOT_ON_A_LOOKUP)) == []


def test_stdin_lookup_writes_one_json_line_per_number_in_order(hall: tuple[Path, list[str], Any]) -> None:
    path, numbers, carol = hall
    asked = numbers[:20] + ["", "GY-2026-999999", "  "] + [n.lower() for n in numbers[20:40]] + ["NOT-A-NUMBER", "9" * 200]
    done = retire(path, "case", "show", "-", stdin="\n".join(asked) + "\n")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0
    assert "3 of 43 case numbers could not be looked up" in done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == 43  # blank lines skipped, every other line answered
    answered = [x for x in lines if "error" not in x]
    assert [x["case_no"] for x in answered] == numbers  # in the order asked; lower case accepted
    failed = [x for x in lines if "error" in x]
    assert [x["case_no"] for x in failed] == ["GY-2026-999999", "NOT-A-NUMBER", "9" * 40]
    assert "No case GY-2026-999999" in failed[0]["error"]
    conn = open_reader(path)
    try:  # each line is the object of `case show --json`
        for line in answered:
            assert line == json.loads(json.dumps(show(conn, carol, line["case_no"]), default=str))
    finally:
        conn.close()
    single = retire(path, "case", "show", numbers[7], "--json")
    assert json.loads(single.stdout) == answered[7]


def test_stdin_lookup_of_good_numbers_exits_0(hall: tuple[Path, list[str], Any]) -> None:
    path, numbers, _ = hall
    done = retire(path, "case", "show", "-", stdin="\n\n".join(numbers[:5]))  # no final newline
    assert done.returncode == 0 and done.stderr == ""
    assert [json.loads(x)["case_no"] for x in done.stdout.splitlines()] == numbers[:5]


def test_a_lookup_refuses_an_older_or_newer_schema(hall: tuple[Path, list[str], Any]) -> None:
    path, numbers, _ = hall
    con = sqlite3.connect(path)
    con.execute("DELETE FROM schema_version WHERE version = ?", [SCHEMA_VERSION])
    con.commit()
    older = retire(path, "case", "show", numbers[0])
    assert older.returncode == 2 and "retire init" in older.stderr and "Traceback" not in older.stderr
    con.execute("INSERT INTO schema_version (version, applied_at, description) VALUES"
                " (?, '2030-01-01', 'back'), (?, '2030-01-01', 'from the future')", [SCHEMA_VERSION, SCHEMA_VERSION + 1])
    con.commit()
    con.close()
    newer = retire(path, "case", "show", "-", stdin=numbers[0] + "\n")
    assert newer.returncode == 1 and newer.stdout == "" and "Traceback" not in newer.stderr


def test_a_lookup_whose_reader_went_away_is_exit_3_with_one_line(hall: tuple[Path, list[str], Any]) -> None:
    path, numbers, _ = hall
    for args, stdin in ((("case", "show", numbers[0]), None), (("case", "show", "-"), "\n".join(numbers * 5))):
        read_end, write_end = os.pipe()
        os.close(read_end)
        try:
            done = retire(path, *args, stdin=stdin, stdout=write_end, stderr=subprocess.PIPE, capture_output=False)
        finally:
            os.close(write_end)
        assert done.returncode == 3, done.stderr
        lines = [x for x in done.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and "output pipe was closed" in lines[0], done.stderr


def test_the_read_connection_cannot_write(hall: tuple[Path, list[str], Any]) -> None:
    path, numbers, _ = hall
    conn = open_reader(path)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("UPDATE cases SET status = 'refused' WHERE case_no = ?", [numbers[0]])
    finally:
        conn.close()


@pytest.mark.parametrize(("rows", "headers"), [
    ([["GY-2026-000001", "张三", 3, None, True]], ["办件编号", "申请人", "n", "x", "b"]),
    ([], ["a", "bb"]),
    ([["  pad  ", "x\ny long", "é"], ["a", "", 1.5]], ["h1", "h2", "h3"]),
    ([["刘秀梅  150222197604197240", "档案丢失人员退休"]], ["项目", "值"]),
    ([["a\u0301b", "\u200bz"], ["ａｂｃ", ""]], ["h", "全角"]),
])
def test_the_plain_table_is_laid_out_as_tabulate_did(rows: list[list[Any]], headers: list[str]) -> None:
    tabulate = pytest.importorskip("tabulate").tabulate
    assert render(rows, headers) == tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


def test_han_characters_are_two_columns_wide() -> None:
    assert (text_width("张三"), text_width("ab"), text_width("e\u0301"), text_width("ＡＢ")) == (4, 2, 1, 4)
