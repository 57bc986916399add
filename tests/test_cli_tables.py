"""Every human table lines up in a terminal where a Han or full-width character takes two columns.

The oracle is wcwidth (a test dependency): the CLI's own ``plain_table``
measures with ``unicodedata`` because importing wcwidth costs a lookup about
30 ms of its ~170 (``tests/test_cli_lookup.py`` keeps it off that path).
A table lines up when every line of it starts each column at the display
column where the rule of dashes starts it, with the two-space gap before.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from console.plain_table import render, text_width

wcwidth = pytest.importorskip("wcwidth")


def columns_of(rule: str) -> list[int]:
    """Display columns where each column of the table starts (from its rule of dashes)."""
    return [i for i, ch in enumerate(rule) if ch == "-" and (i == 0 or rule[i - 1] == " ")]


def misaligned(text: str) -> list[str]:
    """The lines of every table in ``text`` that do not start each column where its rule does."""
    lines = text.split("\n")
    bad: list[str] = []
    for k, rule in enumerate(lines):
        if not rule or set(rule) - {"-", " "} or "-" not in rule or k == 0:
            continue
        starts = columns_of(rule)
        table = [lines[k - 1]]
        j = k + 1
        while j < len(lines) and lines[j].strip() and not set(lines[j]) <= {"-", " "}:
            table.append(lines[j])
            j += 1
        for line in table:
            cells: dict[int, str] = {}
            at = 0
            for ch in line:
                cells[at] = ch
                at += max(wcwidth.wcwidth(ch), 0)
            if not lines_up(cells, starts, at):
                bad.append(line)
    return bad


def lines_up(cells: dict[int, str], starts: list[int], end: int) -> bool:
    """Each column's text begins at its start (cells are left-aligned and stripped), after a clear gap."""
    for i, start in enumerate(starts):
        stop = min(starts[i + 1] - 2 if i + 1 < len(starts) else end, end)
        text = [cells[c] for c in range(start, stop) if c in cells]
        if start > 0 and start < end and (start not in cells or any(cells.get(c, " ") != " " for c in (start - 2, start - 1))):
            return False
        if any(ch != " " for ch in text) and cells.get(start, " ") == " ":
            return False
    return True


MIXED = [
    ["张三", "GY-2026-000001", "ＡＢＣ全角", "x"],
    ["Zhang San", "身份证 150222196606151233", "abc", "〔2026〕1号"],
    ["刘秀梅（女）", "", "ｗｉｄｅ，", "e\u0301"],
    ["𠀀𬌗", "Ext B/E 生僻字", "。、", "ok"],
]


def test_the_checker_sees_a_misaligned_table() -> None:
    """The oracle itself: a table laid out with len() (as a naive printer does) is caught."""
    naive = ["name    id", "------  ----", "张三      1", "ab      2"]  # 张三 padded to 8 characters, 10 columns
    assert misaligned("\n".join(naive)) == ["张三      1"]


def test_a_table_of_mixed_han_ascii_and_full_width_cells_lines_up() -> None:
    text = render(MIXED, ["姓名", "编号 no", "全角 wide", "备注"])
    assert misaligned(text) == []
    for row in MIXED:
        for cell in row:
            assert text_width(cell) == wcwidth.wcswidth(cell), cell


def test_hangul_jamo_and_zero_width_characters_take_no_column() -> None:
    for text in ("\u1100\u1161\u11a8", "a\u200bb", "\u1112\u1161\u11ab\u1100\u1173\u11af"):
        assert text_width(text) == wcwidth.wcswidth(text), ascii(text)


def _case_no(runner: CliRunner, cli: Any, status: str) -> str:
    cases = json.loads(runner.invoke(cli, ["case", "list", "--json"]).stdout)
    return next(c["case_no"] for c in cases if c["status"] == status)


TABLE_COMMANDS = [
    ("case", "list"), ("case", "search", "王"), ("case", "show", "{delivered}"), ("case", "show", "{accepted}"),
    ("task", "list"), ("audit", "{delivered}"), ("audit", "--limit", "40"), ("staff", "list"),
    ("notice", "list", "{delivered}"), ("upcoming", "--months", "24"), ("case", "promises"),
    ("rating", "followups", "--all"), ("rating", "show", "{delivered}"), ("stats",), ("doctor",),
    ("calc", "idcard", "150222196606151233"),
]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("args", TABLE_COMMANDS, ids=lambda a: " ".join(a))
def test_every_table_printing_command_lines_up(hall: Path, cli_app: Any, args: tuple[str, ...], lang: str) -> None:
    runner = CliRunner()
    numbers = {"{delivered}": _case_no(runner, cli_app, "delivered"), "{accepted}": _case_no(runner, cli_app, "accepted")}
    result = runner.invoke(cli_app, ["--lang", lang, *(numbers.get(a, a) for a in args)])
    assert result.exit_code in (0, 1), result.output
    text = "\n".join(line for line in result.stdout.split("\n") if "--before" not in line)  # the trail's footer
    assert misaligned(text) == [], result.stdout
