"""Focus a clerk can see, and never at the cost of what is typed (issue 14 action 5, bug 2).

The app's focus style gives a focused field a border; a one-row field (intake's compact
inputs) must keep none, or the border covers the text.  A tick box shows its X only when
ticked: Textual draws the X either way and tells them apart by a colour that a remote
terminal may not show.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.widgets import Checkbox

from tests.tui_helpers import make_app, settle


def screen_lines(app: Any) -> list[str]:
    update = app.screen._compositor.render_full_update()
    return ["".join(segment.text for strip in line for segment in strip) for line in update.strips]


async def test_a_focused_intake_field_shows_what_is_typed_at_80x24(hall: Path) -> None:
    app = make_app(hall)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        app.screen.query_one("#name").focus()
        await pilot.pause()
        await pilot.press(*"王建国")
        await pilot.pause()
        lines = screen_lines(app)
        assert any("王建国" in line for line in lines), "\n".join(lines)
        assert not any("▔▔▔▔" in line for line in lines), "\n".join(lines)


async def test_an_unticked_box_draws_no_x(hall: Path) -> None:
    app = make_app(hall)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        box = app.screen.query(Checkbox).first()
        box.value = False
        await pilot.pause()
        off = box.get_component_rich_style("toggle--button")
        box.value = True
        await pilot.pause()
        on = box.get_component_rich_style("toggle--button")
        assert off.color == off.bgcolor, "an unticked box must not show its X"
        assert on.color != on.bgcolor, "a ticked box shows its X"


def test_department_progress_never_reads_as_cut_text() -> None:
    """The queue's 部门进度: a department in hand shows ◐, not an ellipsis a clerk takes for a cut cell;
    a held task has its own mark, never "?"."""
    from screens.widgets.progress import progress_cell

    cell = progress_cell({"hrss": "claimed", "medical": "open", "housing_fund": "held", "health": "done"}).plain
    assert "…" not in cell and "?" not in cell
    assert "◐" in cell and "◌" in cell and "✓" in cell


def test_a_numbered_finding_never_leaves_its_number_alone_on_a_line() -> None:
    """F4's confirmation lists findings numbered; a long one used to wrap as "1." on one line, the text below."""
    from rich.console import Console

    from console.rules.explain import Finding
    from screens.widgets.findings import render_findings

    long = Finding("rules.elig.short_contribution", "unmet", {"have": 138, "need": 180, "short": 42}, None)
    console = Console(width=70, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(render_findings([long, long], numbered=True))
    lines = [line.strip() for line in console.export_text().splitlines()]
    assert len(lines) >= 4, lines  # each item is long enough to wrap at 70 columns
    assert not any(line in ("1.", "2.") for line in lines), lines
