"""Nothing a clerk reads is cut mid-word at 80x24, in Chinese or English (issue 14, Done-when; bug 15).

Each screen of tests/tui_matrix.py is opened at 80x24.  For every label, title,
button, footer key and table heading, the words the widget wants to show are
looked for in the characters drawn inside its region on the terminal: a word
that wrapped onto the next row is found whole (Latin words wrap at spaces, a
run of Han characters is found across rows), a word the region crops or ends
with "…" is not.  Only a table's data cells may end in "…" (the design shortens
long data there); headings never.  Widgets scrolled partly out of their pane
are skipped (the clerk scrolls to them), and so is typed input.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from tests.tui_helpers import settle
from tests.tui_matrix import SCREENS, build_app, english_screens

SIZE = (80, 24)
HAN_OR_CJK_PUNCT = re.compile(r"[、，。（）：；「」\u4e00-\u9fff]")
AGE_CODE = re.compile(r"\b\d{1,2}y\d{1,2}m\b")


def plain_of(renderable: Any) -> list[str]:
    """The strings a renderable is made of (a table: each heading and cell)."""
    if renderable is None:
        return []
    if isinstance(renderable, str):
        return [renderable]
    if hasattr(renderable, "plain"):  # rich Text, Textual Content
        return [str(renderable.plain)]
    if hasattr(renderable, "_renderable"):  # Textual's RichVisual around a rich renderable
        return plain_of(renderable._renderable)
    if isinstance(renderable, Table):
        out: list[str] = []
        for column in renderable.columns:
            out += plain_of(column.header) + [s for cell in column._cells for s in plain_of(cell)]
        return out
    if isinstance(renderable, Group):
        return [s for part in renderable.renderables for s in plain_of(part)]
    if isinstance(renderable, Padding):
        return plain_of(renderable.renderable)
    return []


def screen_grid(screen: Any) -> list[list[str]]:
    """The terminal as cells: one string per cell, '' for the right half of a double-width glyph."""
    update = screen._compositor.render_full_update()
    grid: list[list[str]] = []
    for strip in update.strips:
        row: list[str] = []
        for segment in strip:
            for char in segment.text:
                row.append(char)
                row.extend([""] * (cell_len(char) - 1))
        grid.append(row)
    return grid


def drawn(grid: list[list[str]], region: Any) -> list[str]:
    return ["".join(grid[y][region.x:region.right]) for y in range(region.y, min(region.bottom, len(grid)))]


def missing_words(wanted: str, rows: list[str]) -> list[str]:
    """The words of ``wanted`` not drawn whole in ``rows`` (wrapped runs of Han characters are joined)."""
    spaced = " ".join(rows)
    joined = "".join(row.strip() for row in rows)
    return [word for word in wanted.split() if word not in spaced and word not in joined]


def fully_shown(screen: Any, widget: Any) -> bool:
    """Whether ``widget`` is drawn whole (not scrolled partly out of a pane, not hidden)."""
    geometry = screen._compositor.full_map.get(widget)
    return geometry is not None and geometry.clip.contains_region(geometry.region) and geometry.region.area > 0


def cuts(app: Any) -> list[str]:
    """'Widget#id: word' for every word of a label, title, button, footer key or heading not drawn whole."""
    from textual.widgets import Button, DataTable, Input, Static
    from textual.widgets._footer import FooterKey

    screen = app.screen
    grid = screen_grid(screen)
    found: list[str] = []
    for widget in screen.query("*"):
        if isinstance(widget, Input) or any(isinstance(a, Input) for a in widget.ancestors):
            continue
        if not fully_shown(screen, widget):
            continue
        name = f"{type(widget).__name__}#{widget.id or ''}"
        if isinstance(widget, DataTable):
            found += [f"{name} heading: {label}" for label in _cut_headings(widget)]
            continue
        if isinstance(widget, (Static, Button, FooterKey)):
            texts = [widget.label.plain] if isinstance(widget, Button) else plain_of(widget.render())
            rows = drawn(grid, widget.content_region)
            found += [f"{name}: {word}" for text in texts for word in missing_words(text, rows)]
    return found


def _cut_headings(table: Any) -> list[str]:
    """Headings wider than their column (data cells may be shortened with "…"; headings may not)."""
    return [str(column.label.plain) for column in table.ordered_columns
            if column.get_render_width(table) - 2 * table.cell_padding < cell_len(column.label.plain)]


def english_slips(app: Any) -> list[str]:
    """Footer keys, headings and the title bar of an English screen holding Chinese punctuation or Han characters."""
    from textual.widgets import DataTable
    from textual.widgets._footer import FooterKey

    from screens.widgets.title_bar import TitleBar

    texts: list[str] = []
    for widget in app.screen.query("*"):
        if isinstance(widget, FooterKey):
            texts.append(widget.description)
        elif isinstance(widget, TitleBar):
            texts += plain_of(widget.render())
        elif isinstance(widget, DataTable):
            texts += [str(column.label.plain) for column in widget.ordered_columns]
    return [text for text in texts if HAN_OR_CJK_PUNCT.search(text)]


def age_codes(app: Any) -> list[str]:
    """Ages drawn as the rules' code (60y3m) on a Chinese screen, where a clerk reads 60岁3个月."""
    text = "\n".join("".join(row) for row in screen_grid(app.screen))
    return AGE_CODE.findall(text)


async def _look(db: Path, lang: str, name: str) -> tuple[list[str], list[str]]:
    app = build_app(db, lang)
    async with app.run_test(size=SIZE) as pilot:
        await SCREENS[name](pilot)
        await settle(app, pilot)
        return cuts(app), english_slips(app) if lang == "en" else age_codes(app)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_nothing_is_cut_at_80x24(hall: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    from console import i18n

    monkeypatch.setenv("RETIRE_LANG", lang)
    monkeypatch.setattr(i18n, "_current", lang)
    report: dict[str, list[str]] = {}
    with english_screens() if lang == "en" else _same():
        for name in SCREENS:
            cut, slips = await _look(hall, lang, name)
            if cut or slips:
                report[name] = cut + [f"not in {lang} words: {s}" for s in slips]
    assert report == {}


class _same:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_the_check_sees_a_cut_word() -> None:
    """The comparison itself: a word cropped at the region's edge or ending in "…" is missing."""
    assert missing_words("Archive records (a add", ["Archive records (a ad"]) == ["add"]
    assert missing_words("Statutory age", ["Statutory a…"]) == ["age"]
    assert missing_words("Contribution periods", ["Contribution", "periods"]) == []
    assert missing_words("内蒙古自治区包头市", ["内蒙古自治区", "包头市"]) == []
    assert missing_words(Text("x").plain + " y", ["x y"]) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_fact_labels_fit_their_column(lang: str) -> None:
    """The facts panel pads each label to one column (four Han characters): a longer label pushed its
    value out of line ('Stat. age 60y3m' one column right of 'Group    man, 60')."""
    from console.i18n import catalogue
    from screens.widgets.facts_panel import LABEL_CELLS

    labels = {k: v for k, v in catalogue(lang).items() if k.startswith("tui.facts.label.")}
    assert labels
    assert {k: v for k, v in labels.items() if cell_len(v) > LABEL_CELLS - 1} == {}


async def test_case_detail_counts_years_in_words(hall: Path) -> None:
    """At 120x40 the detail also shows the contribution years: 15年4个月 in Chinese, never the code 15y4m."""
    app = build_app(hall, "zh")
    async with app.run_test(size=(120, 40)) as pilot:
        await SCREENS["case_detail"](pilot)
        text = "\n".join("".join(row) for row in screen_grid(app.screen))
        assert "缴费年限" in text
        assert age_codes(app) == []
