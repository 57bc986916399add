"""Case detail and delivery at 80x24 (issue 14): what a clerk types is on screen; steps refused say why."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.tui_helpers import make_app, query_one_value, settle

SIZE = (80, 24)


def screen_lines(app: Any) -> list[str]:
    """The text of every terminal line as the compositor would draw it (styles aside)."""
    update = app.screen._compositor.render_full_update()
    return ["".join(segment.text for strip in line for segment in strip) for line in update.strips]


def _case(hall: Path, status: str) -> str:
    return str(query_one_value(hall, "SELECT case_no FROM cases WHERE status = ? ORDER BY id LIMIT 1", (status,)))


async def test_delivery_inputs_show_what_is_typed_at_80x24(hall: Path) -> None:
    """Bug 2: the focused one-line input drew only its top border; the waybill appeared after ctrl+s."""
    case_no = _case(hall, "completed")
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_delivery(case_no)
        await settle(app, pilot)
        await pilot.press(*"9876543210")
        await pilot.pause()
        assert any("9876543210" in line for line in screen_lines(app)), "\n".join(screen_lines(app))
        await pilot.press("shift+tab", "end", "backspace", "backspace", "backspace", *"SF")  # the courier field
        await pilot.pause()
        assert any("SF" in line and "EMS" not in line for line in screen_lines(app)), "\n".join(screen_lines(app))
