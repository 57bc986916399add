"""The command line as a clerk types it: global options anywhere, usage errors as one line in her language.

Run as real processes (``python -m console``): ``console.cli.main`` is what
the clerk's shell starts, and Click's own three English lines only show there.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent


def retire(*args: str, lang: str | None = None, db: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("RETIRE_DB", "RETIRE_LANG")}
    env["PYTHONPATH"] = str(REPO)
    if lang:
        env["RETIRE_LANG"] = lang
    if db:
        env["RETIRE_DB"] = str(db)
    return subprocess.run([sys.executable, "-m", "console", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=120, check=False)


@pytest.mark.parametrize("args", [
    ("case", "list", "--db", "{db}", "--json"),
    ("case", "list", "--json", "--db={db}"),
    ("case", "list", "--db", "{db}", "--lang", "en", "--json"),
    ("--lang", "en", "case", "list", "--json", "--db", "{db}"),
])
def test_global_options_are_taken_after_the_subcommand(hall: Path, args: tuple[str, ...]) -> None:
    result = retire(*(a.replace("{db}", str(hall)) for a in args))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout), "the demo hall's cases"


def test_lang_after_the_subcommand_sets_the_language(hall: Path) -> None:
    result = retire("case", "list", "--db", str(hall), "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("case no")


def test_global_options_after_the_subcommand_in_the_typer_app(hall: Path, cli_app: object) -> None:
    result = CliRunner().invoke(cli_app, ["case", "list", "--db", str(hall), "--lang", "en", "--json"])  # type: ignore[arg-type]
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)


def test_a_double_dash_keeps_what_follows_as_it_is(hall: Path) -> None:
    """After ``--`` a word is a value, never an option: ``--db`` there is not taken as the database."""
    result = retire("--db", str(hall), "case", "search", "--", "--db", lang="en")
    assert "no such option" not in result.stderr


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(("args", "zh", "en"), [
    (("case", "list", "--bogus"), "没有选项 --bogus", "no such option --bogus"),
    (("case", "list", "--sttaus", "x"), "是否要用 --status", "did you mean --status"),
    (("case", "show"), "缺少参数 CASE_NO", "missing argument CASE_NO"),
    (("case", "new"), "缺少选项 --id", "missing option --id"),
    (("demo", "--cases", "abc"), "--cases 应为整数，而不是 'abc'", "--cases must be a whole number, not 'abc'"),
    (("case", "nosuch"), "没有命令 'nosuch'", "no such command 'nosuch'"),
    (("case", "list", "extra"), "多余的参数：extra", "unexpected extra argument(s): extra"),
    (("case", "list", "--db"), "选项 --db 后面要跟一个值", "option --db needs a value"),
])
def test_a_usage_error_is_one_line_in_the_users_words(tmp_path: Path, args: tuple[str, ...], zh: str, en: str) -> None:
    db = tmp_path / "none.db"
    said_zh = retire(*args, lang="zh", db=db)
    assert said_zh.returncode == 2
    line = one_line(said_zh)
    assert zh in line and line.startswith("错误：") and "--help" in line
    assert not any(word in line for word in ("No such", "Missing", "Invalid value", "Got unexpected")), line
    said_en = retire(*args, lang="en", db=db)
    assert said_en.returncode == 2
    assert en in one_line(said_en)
    assert not db.exists()


def test_own_options_names_every_command_with_an_option_named_like_a_global_one() -> None:
    """``retire notice CASE --lang en`` is the notice's language: hoisting must leave such options alone."""
    import typer.main

    from console.cli import GLOBAL_OPTIONS_WITH_VALUE, OWN_OPTIONS, build_app

    found: dict[tuple[str, ...], tuple[str, ...]] = {}

    def walk(command: object, path: tuple[str, ...]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, (*path, name))
        names = tuple(o for p in getattr(command, "params", []) for o in getattr(p, "opts", [])
                      if o in GLOBAL_OPTIONS_WITH_VALUE)
        if path and names and not getattr(command, "commands", None):
            found[path] = names

    walk(typer.main.get_command(build_app()), ())
    assert found == OWN_OPTIONS


def test_a_commands_own_lang_is_left_to_it() -> None:
    from console.cli import hoist_global_options

    assert hoist_global_options(["notice", "X", "--lang", "en"]) == ["notice", "X", "--lang", "en"]
    assert hoist_global_options(["notice", "X", "--db", "d", "--lang", "en"]) == ["--db", "d", "notice", "X", "--lang", "en"]
    assert hoist_global_options(["--db", "d", "case", "list", "--lang", "en"]) == ["--db", "d", "--lang", "en", "case", "list"]
