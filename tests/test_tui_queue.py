"""The queue at 80x24: paging within loaded rows, the due-date order, the assignee column (issue 14)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from screens import queue as queue_module
from tests.tui_helpers import make_app, settle

SIZE = (80, 24)


async def test_page_down_moves_one_screenful_before_fetching_the_next_page(hall: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_module, "PAGE_SIZE", 30)  # the demo hall has 40 cases: two pages
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.screen
        table = queue.query_one(queue_module.PagedTable)
        assert queue.pages == 2 and table.row_count == 30 and table.cursor_row == 0
        await pilot.press("pagedown")
        await settle(app, pilot)
        first_key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        assert queue.query_state.page == 0, "PgDn skipped the rest of the loaded rows"
        assert 10 <= table.cursor_row < 30  # one screenful down, still on the first page
        shown = queue.rows[table.cursor_row]["case_no"]
        assert shown == first_key
        for _ in range(5):  # at the last loaded row, PgDn asks for the next page
            if table.cursor_row == 29:
                break
            await pilot.press("pagedown")
            await settle(app, pilot)
        assert queue.query_state.page == 0 and table.cursor_row == 29
        await pilot.press("pagedown")
        await settle(app, pilot)
        assert queue.query_state.page == 1 and table.cursor_row == 0
        await pilot.press("pageup")  # at the top of page 2: back to page 1, on its last row
        await settle(app, pilot)
        assert queue.query_state.page == 0 and table.cursor_row == 29
        await pilot.press("pageup")
        await settle(app, pilot)
        assert queue.query_state.page == 0 and table.cursor_row < 29


def _group(status: str, paused: bool) -> int:
    from console.vocabulary import OPEN_STATUSES

    if status in OPEN_STATUSES:
        return 1 if paused else 0
    return 2


async def test_sort_by_due_lists_open_overdue_first_then_paused_then_closed(hall: Path) -> None:
    con = sqlite3.connect(hall)
    con.execute("UPDATE cases SET paused_since = '2026-03-01' WHERE id IN (SELECT id FROM cases WHERE status = 'in_progress' ORDER BY id LIMIT 2)")
    con.execute("UPDATE cases SET due_date = '2026-01-05' WHERE id IN (SELECT id FROM cases WHERE status = 'delivered' ORDER BY id LIMIT 1)")
    con.commit()
    paused = {r[0] for r in con.execute("SELECT case_no FROM cases WHERE paused_since IS NOT NULL")}
    con.close()
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")  # sort by due date
        await settle(app, pilot)
        queue = app.screen
        assert queue.query_state.order == "due"
        groups = [_group(r["status"], r["case_no"] in paused) for r in queue.rows]
        assert groups == sorted(groups), "paused or closed cases listed before open ones"
        open_dues = [r["due_date"] for r in queue.rows if _group(r["status"], r["case_no"] in paused) == 0 and r["due_date"]]
        assert open_dues == sorted(open_dues) and open_dues
        first = queue.rows[0]
        assert first["working_days_left"] is not None and first["working_days_left"] < 0  # the most overdue open case on top
