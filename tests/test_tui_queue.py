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


def _returned_by_clerk(db: Path) -> tuple[str, int]:
    """An open social-card task of the demo hall, claimed by the console's login and sent back to the window."""
    from console.services import tasks
    from console.services.identity import resolve_actor
    from db.connection import open_database
    from tests.tui_helpers import LOGIN

    database = open_database(db, create=False)
    try:
        case_no, task_id = database.execute(
            "SELECT c.case_no, t.id FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.status = 'open' AND t.item = 'hrss.card'"
            " ORDER BY c.id LIMIT 1").fetchone()
        actor = resolve_actor(database, LOGIN)
        tasks.claim(database, actor, task_id)
        tasks.return_task(database, actor, task_id, "缺一寸照片")
    finally:
        database.close()
    return str(case_no), int(task_id)


async def test_work_lists_each_on_a_queue_key_and_the_windows_two_actions(hall: Path) -> None:
    from tests.tui_helpers import query_one_value

    case_no, task_id = _returned_by_clerk(hall)
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "WorkListScreen" and app.screen.kind == "mine"
        mine = query_one_value(hall, "SELECT count(*) FROM tasks t JOIN staff s ON s.id = t.assignee_id"
                                     " WHERE s.login = 'clerk1' AND t.status = 'claimed'")
        assert len(app.screen.rows) == mine
        await pilot.press("escape", "v")
        await settle(app, pilot)
        waiting = query_one_value(hall, "SELECT count(*) FROM facts f JOIN cases c ON c.id = f.case_id WHERE f.confirmed_at IS NULL"
                                        " AND c.status IN ('draft', 'awaiting_correction', 'accepted', 'in_progress')")
        assert app.screen.kind == "confirm" and len(app.screen.rows) == waiting
        await pilot.press("escape", "b")
        await settle(app, pilot)
        work = app.screen
        assert work.kind == "returned"
        row = next(i for i, r in enumerate(work.rows) if r["id"] == task_id)
        work.query_one("#work").move_cursor(row=row)
        assert work.rows[row]["missing"] == "缺一寸照片"
        await pilot.press("t")
        await settle(app, pilot)
        assert "缺一寸照片" in app.screen.question
        await pilot.press(*"电话告知本人", "enter")
        await settle(app, pilot)
        assert query_one_value(hall, "SELECT json_extract(detail, '$.how') FROM audit WHERE action = 'task.applicant_told' AND task_id = ?",
                               (task_id,)) == "电话告知本人"
        assert query_one_value(hall, "SELECT status FROM tasks WHERE id = ?", (task_id,)) == "returned"
        row = next(i for i, r in enumerate(work.rows) if r["id"] == task_id)
        work.query_one("#work").move_cursor(row=row)
        await pilot.press("a")
        await settle(app, pilot)
        await pilot.press(*"一寸照片两张", "enter")
        await settle(app, pilot)
        assert query_one_value(hall, "SELECT status FROM tasks WHERE id = ?", (task_id,)) == "open"
        assert all(r["id"] != task_id for r in work.rows)
        assert case_no
