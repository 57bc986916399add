"""What the CLI and the rules must NOT import (fast startup, pure rules).

Each check runs in a fresh interpreter so that modules imported by other tests
in this process cannot hide or fake an import.
"""
from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "console" / "rules"

FORBIDDEN_FOR_RULES = ("db", "console.services", "sqlite_utils", "textual")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RETIRE_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["RETIRE_LANG"] = "en"
    return env


def run_python(code: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


CLI_RUN = """
import io, json, sys, contextlib
sys.argv = {argv!r}
import console.cli
out = io.StringIO()
code = None
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        console.cli.main()
    except SystemExit as exc:
        code = exc.code
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
print(json.dumps({{"code": code, "textual": loaded, "out": out.getvalue()[:2000]}}))
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["retire", "--help"],
        ["retire", "calc", "retirement", "--birth", "1966-06", "--group", "male", "--json"],
        ["retire", "calc", "--help"],
    ],
)
def test_cli_does_not_import_textual(argv: list[str]) -> None:
    result = run_python(CLI_RUN.format(argv=argv))
    assert result["code"] in (0, None)
    assert result["textual"] == []
    assert result["out"]  # the command really ran and printed something
    if "--json" in argv:
        assert json.loads(result["out"])["statutory_month"] == "2026-11"


def test_importing_the_rules_loads_no_storage_or_ui() -> None:
    names = sorted(p.stem for p in RULES.glob("*.py") if p.stem != "__init__")
    code = f"""
    import importlib, json, sys
    for name in {names!r}:
        importlib.import_module("console.rules." + name)
    bad = sorted(m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in {FORBIDDEN_FOR_RULES!r}))
    print(json.dumps({{"bad": bad}}))
    """
    assert run_python(code)["bad"] == []


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):  # also imports inside functions
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level > 0:
            out.add("." * node.level + (node.module or ""))
    return out


@pytest.mark.parametrize("path", sorted(RULES.glob("*.py")), ids=lambda p: p.name)
def test_rules_source_never_imports_storage_ui_or_cli(path: Path) -> None:
    """Static check, so that a lazy import inside a function cannot slip through."""
    for module in _imported_modules(path):
        assert not module.startswith(".."), f"{path.name}: relative import out of rules: {module}"
        for bad in FORBIDDEN_FOR_RULES + ("console.cli", "console.settings", "typer"):
            assert not (module == bad or module.startswith(bad + ".")), f"{path.name} imports {module}"
