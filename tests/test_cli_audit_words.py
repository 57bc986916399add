"""Audit actions in words (``case.open`` is 收件登记 in a Chinese table), and times as people read them.

The code base writes an action code in a few ways (a literal, a choice of
two, a name set nearby, an f-string over the import kinds); the scan below
finds every one in console/, db/ and fixtures/ and holds it to
``vocabulary.AUDIT_ACTION``, whose words the catalogue parity tests check.
"""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from console import vocabulary
from console.i18n import catalogue
from console.services.importing.columns import KINDS

REPO = Path(__file__).resolve().parent.parent
CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")
WRITERS = {"append", "add"}
"""db.audit.append(db, actor, ACTION, ...) and the demo's bulk log .add(at, actor, ACTION, ...)."""


def _codes_of(node: ast.expr, function: ast.AST | None) -> set[str] | None:
    """The action codes an argument can hold; None when the scan cannot tell."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, other = _codes_of(node.body, function), _codes_of(node.orelse, function)
        return None if body is None or other is None else body | other
    if isinstance(node, ast.JoinedStr) and ast.unparse(node) == "f'import.{plan.kind}'":
        return {f"import.{kind}" for kind in KINDS}
    if isinstance(node, ast.Name) and function is not None:  # a name set in the same function
        return _values_of_name(node.id, function)
    return None


def _values_of_name(name: str, function: ast.AST) -> set[str] | None:
    """What ``name = ...`` or ``for ..., name in ((..., "code"), ...)`` gives ``name`` in ``function``."""
    codes: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            got = _codes_of(node.value, None)
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Tuple) and isinstance(node.iter, ast.Tuple):
            names = [getattr(e, "id", None) for e in node.target.elts]
            if name not in names:
                continue
            at = names.index(name)
            got = set()
            for item in node.iter.elts:
                one = _codes_of(item.elts[at], None) if isinstance(item, ast.Tuple) else None
                got = None if one is None or got is None else got | one
        else:
            continue
        if got is None:
            return None
        codes |= got
    return codes or None


def written_actions() -> tuple[set[str], list[str]]:
    """Every audit action code written by the code base, and the calls the scan could not read."""
    found: set[str] = set()
    unread: list[str] = []
    for root in ("console", "db", "fixtures"):
        for path in (REPO / root).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in WRITERS and len(node.args) >= 3):
                    continue
                receiver = ast.unparse(node.func.value)
                if not (receiver == "audit" or receiver.endswith(".log")):
                    continue
                owner = next((f for f in functions if f.lineno <= node.lineno <= (f.end_lineno or 0)
                              and any(n is node for n in ast.walk(f))), None)
                codes = _codes_of(node.args[2], owner)
                if codes is None:
                    unread.append(f"{path.relative_to(REPO)}:{node.lineno}")
                else:
                    found |= {c for c in codes if CODE.match(c)}
    return found, unread


def test_the_scan_finds_the_actions_it_should() -> None:
    found, _ = written_actions()
    assert {"case.open", "task.claim", "export.unmasked", "import.persons", "prereview.compute"} <= found


def test_every_audit_action_written_anywhere_has_words() -> None:
    found, unread = written_actions()
    assert not unread, f"audit actions the scan cannot read (write a literal): {unread}"
    assert sorted(found - set(vocabulary.AUDIT_ACTION)) == [], "add them to vocabulary.AUDIT_ACTION and terms.toml"
    for lang in ("zh", "en"):
        words = catalogue(lang)
        assert [c for c in vocabulary.AUDIT_ACTION if vocabulary.AUDIT_ACTION.key(c) not in words] == []


def _case_no(cli: Any, runner: CliRunner) -> str:
    cases = json.loads(runner.invoke(cli, ["case", "list", "--json"]).stdout)
    return next(c["case_no"] for c in cases if c["status"] == "delivered")


def test_the_audit_table_says_actions_and_times_in_words(hall: Path, cli_app: Any) -> None:
    runner = CliRunner()
    case_no = _case_no(cli_app, runner)
    result = runner.invoke(cli_app, ["audit", case_no])
    assert result.exit_code == 0, result.output
    assert "收件登记" in result.stdout and "case.open" not in result.stdout
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", result.stdout)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", result.stdout), "no raw ISO stamp in a table"


def test_the_audit_json_keeps_codes_and_iso_and_adds_words(hall: Path, cli_app: Any) -> None:
    runner = CliRunner()
    case_no = _case_no(cli_app, runner)
    rows = json.loads(runner.invoke(cli_app, ["audit", case_no, "--json"]).stdout)["rows"]
    opened = next(r for r in rows if r["action"] == "case.open")
    assert opened["action_text"] == "收件登记"
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d", opened["at"])


def test_case_show_says_actions_and_times_in_words(hall: Path, cli_app: Any) -> None:
    runner = CliRunner()
    case_no = _case_no(cli_app, runner)
    result = runner.invoke(cli_app, ["--lang", "en", "case", "show", case_no])
    assert result.exit_code == 0, result.output
    assert "case opened" in result.stdout and "case.open" not in result.stdout
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", result.stdout)


@pytest.mark.parametrize("args", [("notice", "list", "{case}"), ("staff", "list")])
def test_other_tables_show_no_raw_stamps(hall: Path, cli_app: Any, args: tuple[str, ...]) -> None:
    runner = CliRunner()
    case_no = _case_no(cli_app, runner)
    result = runner.invoke(cli_app, [a.replace("{case}", case_no) for a in args])
    assert result.exit_code == 0, result.output
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", result.stdout), result.stdout
