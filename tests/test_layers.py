"""The layers hold: what each layer may import, no import cycles, lookups without the TUI.

``.importlinter`` states the contracts and ``lint-imports`` checks them; the
tests here run it, and add what a static contract cannot say: that the leaf
lists are exhaustive (a new module of ours is not silently allowed), that
the whole project has no cycle (across packages too), that a CLI lookup
really loads no textual module, and that the services and db never speak
with a CLI's or a screen's message key.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from grimp import ImportGraph

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("console", "db", "screens", "fixtures")

LEAVES = {
    "console.vocabulary": set(),
    "console.i18n": set(),
    "console.text_chars": set(),
    "console.names": set(),
    "console.hall_config": set(),
    "console.errors": {"console.i18n", "console.text_chars"},
}
"""Leaf modules and the only modules of ours each may import (db/ and rules/ lean on them)."""

DB_MAY_IMPORT = {
    "console.errors", "console.vocabulary", "console.i18n", "console.text_chars", "console.text_policy",
    "console.hall_config", "console.safe_files", "console.faults",
}
"""Everything outside db/ that db/ may import: the leaves, and faults (OS/SQLite failures -> exit 3)."""

KNOWN_CYCLES: list[list[str]] = []
"""Import cycles still in the tree, each a debt (faults and db.connection were one until the
connections' shared state moved to db.connection_state).  A new cycle fails the test."""


@pytest.fixture(scope="module")
def graph() -> Iterator[ImportGraph]:
    """The import graph of our packages, as lint-imports builds it (grimp comes with import-linter)."""
    grimp = pytest.importorskip("grimp")
    yield grimp.build_graph(*PACKAGES, cache_dir=None, exclude_type_checking_imports=True)


def _ours_imported_by(graph: ImportGraph, module: str) -> set[str]:
    return {m for m in graph.find_modules_directly_imported_by(module) if m.split(".")[0] in PACKAGES}


def _lint_imports() -> str:
    pytest.importorskip("importlinter")
    beside = Path(sys.executable).with_name("lint-imports")
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert found, "import-linter is installed but its lint-imports command is not on the path"
    return found


def test_lint_imports_keeps_every_contract() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([_lint_imports(), "--no-cache"], check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 broken" in done.stdout


def test_leaves_import_only_what_they_are_allowed(graph: ImportGraph) -> None:
    for leaf, allowed in LEAVES.items():
        assert _ours_imported_by(graph, leaf) <= allowed, leaf


def test_rules_import_nothing_of_ours_but_the_vocabulary(graph: ImportGraph) -> None:
    rules = graph.find_descendants("console.rules") | {"console.rules"}
    outside = {(m, i) for m in rules for i in _ours_imported_by(graph, m)
               if not (i == "console.rules" or i.startswith("console.rules.") or i == "console.vocabulary")}
    assert not outside


def test_db_imports_only_db_and_the_named_leaves(graph: ImportGraph) -> None:
    modules = graph.find_descendants("db") | {"db"}
    outside = {(m, i) for m in modules for i in _ours_imported_by(graph, m)
               if i.split(".")[0] != "db" and i not in DB_MAY_IMPORT}
    assert not outside


def _cycles(graph: ImportGraph) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan, iterative)."""
    edges = {m: sorted(_ours_imported_by(graph, m)) for m in graph.modules if m.split(".")[0] in PACKAGES}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if child < len(edges[node]):
                work.append((node, child + 1))
                nxt = edges[node][child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sorted(found)


def test_no_import_cycles_but_the_known_ones(graph: ImportGraph) -> None:
    assert _cycles(graph) == KNOWN_CYCLES


def test_the_cycle_finder_finds_the_cycle_intake_and_notices_had(graph: ImportGraph) -> None:
    graph.add_import(importer="console.services.notices", imported="console.services.intake")
    try:
        assert ["console.services.intake", "console.services.notices"] in _cycles(graph)
    finally:
        graph.remove_import(importer="console.services.notices", imported="console.services.intake")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


@pytest.mark.parametrize("statement", [
    "import console.cli_case",
    "import console.cli",
    "import console.services.case_queries",
])
def test_a_lookup_loads_no_textual_module(statement: str) -> None:
    loaded = _loaded_after(statement)
    assert statement.split()[-1] in loaded  # the import itself happened
    assert not {m for m in loaded if m == "textual" or m.startswith(("textual.", "screens"))}


_WRONG_SPEAKER = re.compile(r"^(cli|tui)\.[a-z_]+(\.[a-z_]+)*$")


@pytest.mark.parametrize("folder", ["console/services", "db"])
def test_services_and_db_never_use_a_cli_or_tui_message_key(folder: str) -> None:
    """A key names the layer that speaks: a service error shown in the TUI must not say ``cli.``."""
    wrong = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _WRONG_SPEAKER.match(node.value):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value}")
    assert not wrong
