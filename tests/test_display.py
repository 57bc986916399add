"""Stored text is shown without control characters: CLI tables, the TUI, notices.

The intake refuses ``$'\\e]0;pwned\\a王芳\\e[2J'`` now, but a row put in by
SQL (or stored before the text policy) still holds it.  Printed as is it sets
the terminal's title and wipes the screen; every place that shows stored text
must drop those characters.  JSON keeps the stored text, escaped.
"""
from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from console.display import clean, clean_tree, csv_cell, sheet_text
from fixtures import generate as gen
from tests.test_import_cli import invoke

HOSTILE = "\x1b]0;pwned\x07王芳\x1b[2J"
SHOWN = "]0;pwned王芳[2J"
FORBIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200d\ufeff]")


def _set_name(path: Path, where: str, args: tuple[Any, ...], name: str) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(f"UPDATE persons SET name = ? WHERE {where}", (name, *args))
    conn.close()


# --- the helpers ------------------------------------------------------------------------------

def test_clean_keeps_line_breaks_and_drops_everything_else() -> None:
    assert clean(HOSTILE) == SHOWN
    assert clean("第一行\n\x1b[31m第二行\u202e") == "第一行\n[31m第二行"
    assert clean(None) == "" and clean(42) == "42"
    assert clean_tree({"a": [HOSTILE, ("x\x07", 3)], "n": None}) == {"a": [SHOWN, ("x", 3)], "n": None}


def test_csv_cells_only_text_is_quoted() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_cell(start + "1") == "'" + start + "1"
    assert csv_cell(-120.5) == -120.5 and csv_cell(-3) == -3  # numbers stay numbers
    assert csv_cell("王芳") == "王芳" and csv_cell("2026-03-02") == "2026-03-02"
    assert sheet_text("\x1b=1+1") == "'=1+1"  # cleaned first, then judged


def test_json_escapes_control_characters_even_without_ascii_escaping() -> None:
    text = json.dumps({"name": HOSTILE}, ensure_ascii=False)
    assert "\x1b" not in text and "\x07" not in text and "\\u001b" in text and "王芳" in text


# --- the CLI ----------------------------------------------------------------------------------

def test_case_list_and_show_print_no_control_characters(loaded: dict[str, Any]) -> None:
    app, path = loaded["app"], loaded["db"]
    _set_name(path, "id_number = ?", (gen.id_number(0),), HOSTILE)
    listed = invoke(app, "case", "list")
    assert listed.exit_code == 0, listed.output
    assert "\x1b" not in listed.stdout and "\x07" not in listed.stdout
    assert SHOWN in listed.stdout
    shown = invoke(app, "case", "show", "GY-2026-000001")
    assert shown.exit_code == 0, shown.output
    assert not FORBIDDEN.search(shown.stdout) and SHOWN in shown.stdout
    # --json keeps the stored text, and JSON escapes it
    as_json = invoke(app, "case", "list", "--json")
    assert as_json.exit_code == 0 and "\x1b" not in as_json.stdout
    rows = json.loads(as_json.stdout)
    rows = rows if isinstance(rows, list) else rows.get("cases", rows.get("rows", []))
    assert HOSTILE in [r.get("name") for r in rows]


# --- the TUI ----------------------------------------------------------------------------------

def _screen_text(app: Any) -> str:
    """Every character the compositor would send to the terminal as text (styles and moves aside)."""
    update = app.screen._compositor.render_full_update()
    return "".join(segment.text for line in update.strips for strip in line for segment in strip)


def _cells(table: Any) -> list[str]:
    out = []
    for index in range(table.row_count):
        for cell in table.get_row_at(index):
            out.append(getattr(cell, "plain", cell) if not isinstance(cell, str) else cell)
    return out


async def test_tui_queue_and_case_detail_show_no_control_characters(hall: Path) -> None:
    from textual.widgets import DataTable

    from tests.tui_helpers import make_app, settle

    conn = sqlite3.connect(hall)
    case_no, person_id = conn.execute(
        "SELECT c.case_no, c.person_id FROM cases c ORDER BY c.received_at DESC, c.id DESC LIMIT 1").fetchone()
    conn.close()
    _set_name(hall, "id = ?", (person_id,), HOSTILE)
    app = make_app(hall)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(DataTable)
        cells = _cells(table)
        assert any("王芳" in str(c) for c in cells), "the hostile row is on the first page"
        assert not any(FORBIDDEN.search(str(c)) for c in cells)
        assert not FORBIDDEN.search(_screen_text(app))
        row = table.get_row_index(case_no)
        table.move_cursor(row=row)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.__class__.__name__ == "CaseDetailScreen" or getattr(app.screen, "case_no", None) == case_no
        text = _screen_text(app)
        assert SHOWN in text and not FORBIDDEN.search(text)


@pytest.mark.parametrize("lang", ["zh"])
def test_notice_preview_strips_control_characters(lang: str) -> None:
    from screens.widgets.notice_preview import NoticePreview

    preview = NoticePreview("受理通知单 " + HOSTILE, None, "申请人：" + HOSTILE + "\n第二行")
    assert preview.text == "申请人：" + SHOWN + "\n第二行" and SHOWN in preview.title_text


def test_json_output_escapes_what_json_leaves_raw(loaded: dict[str, Any]) -> None:
    """DEL, C1 (U+009B is CSI to many terminals), bidi controls: escaped in --json and JSON Lines, text kept."""
    from console.display import json_safe

    app, path = loaded["app"], loaded["db"]
    stored = "王\x9b2J芳\u202e\x7f"
    _set_name(path, "id_number = ?", (gen.id_number(0),), stored)
    for args in (("case", "list", "--json"), ("export", "cases", "--format", "jsonl", "--status", "draft")):
        result = invoke(app, *args)
        assert result.exit_code == 0, result.output
        assert not FORBIDDEN.search(result.stdout.replace("\n", "")) and "\x7f" not in result.stdout
        assert "\\u009b" in result.stdout and "\\u202e" in result.stdout and "\\u007f" in result.stdout
    lines = invoke(app, "export", "cases", "--format", "jsonl", "--status", "draft").stdout
    assert json.loads(lines.splitlines()[0])["name"] == stored
    assert json.loads(json_safe(json.dumps({"x": "\ud800"}, ensure_ascii=False))) == {"x": "\ud800"}
