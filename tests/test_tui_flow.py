"""Keyboard-only walks through the console with Pilot (80x24, Chinese UI)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.widgets import DataTable, Input

from tests.tui_helpers import cursor_on_task, make_app, query_one_value, settle

SIZE = (80, 24)


def _initials(db: Path, case_no: str) -> str:
    return str(query_one_value(db, "SELECT p.name_initials FROM cases c JOIN persons p ON p.id = c.person_id WHERE c.case_no = ?", (case_no,)))


def _case_with_open_task(db: Path) -> tuple[str, str]:
    """A case holding an open HRSS social-card task (claimable and completable by the clerk)."""
    row = sqlite3.connect(db).execute(
        "SELECT c.case_no, t.item FROM tasks t JOIN cases c ON c.id = t.case_id"
        " WHERE t.status = 'open' AND t.item = 'hrss.card' ORDER BY c.id LIMIT 1"
    ).fetchone()
    assert row, "the demo hall has no open social-card task"
    return row[0], row[1]


async def _search_and_open(app, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash", *text)
    await pilot.pause(0.3)
    await settle(app, pilot)
    await pilot.press("enter")  # leaves the search box for the table
    await pilot.press("enter")  # opens the highlighted case
    await settle(app, pilot)


async def test_queue_first_page_and_filters(hall: Path) -> None:
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        queue = app.screen
        table = queue.query_one(DataTable)
        total = query_one_value(hall, "SELECT count(*) FROM cases")
        assert queue.total == total and table.row_count == min(total, 100)
        await pilot.press("o")  # overdue only
        await settle(app, pilot)
        assert queue.query_state.overdue
        overdue = queue.total
        await pilot.press("o", "s")  # overdue off; status -> 待受理
        await settle(app, pilot)
        assert queue.query_state.status == "draft"
        assert queue.total == query_one_value(hall, "SELECT count(*) FROM cases WHERE status = 'draft'")
        assert overdue <= total
        await pilot.press("x", "3")  # clear filters; sort by number
        await settle(app, pilot)
        assert table.row_count == min(total, 100) and queue.query_state.order == "case_no"


async def test_keyboard_walk_search_claim_complete_deliver(hall: Path) -> None:
    case_no, item = _case_with_open_task(hall)
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await _search_and_open(app, pilot, _initials(hall, case_no))
        assert type(app.screen).__name__ == "CaseDetailScreen"
        assert app.screen.case_no == case_no
        head = str(app.screen.query_one("#case-head").render())
        assert case_no in head

        await pilot.press("t")  # the department pane on this case
        await settle(app, pilot)
        pane = app.screen
        assert type(pane).__name__ == "DepartmentScreen"
        row = cursor_on_task(pane, item=item)
        await pilot.press("c")  # claim
        await settle(app, pilot)
        await pilot.press("enter")  # the question naming case and task: yes
        await settle(app, pilot)
        assert pane.tasks[row]["status"] == "claimed"
        await pilot.press("i", *"已制卡", "enter")  # type the result and complete
        await settle(app, pilot)
        await pilot.press("enter")  # yes
        await settle(app, pilot)
        assert pane.tasks[row]["status"] == "done"
        assert pane.query_one("#result", Input).value == ""
        assert query_one_value(hall, "SELECT t.result FROM tasks t JOIN cases c ON c.id = t.case_id WHERE c.case_no = ? AND t.item = ?",
                               (case_no, item)) == "已制卡"

    completed = str(query_one_value(hall, "SELECT case_no FROM cases WHERE status = 'completed' ORDER BY id LIMIT 1"))
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await _search_and_open(app, pilot, completed)
        assert app.screen.case_no == completed
        await pilot.press("e")  # delivery
        await settle(app, pilot)
        assert type(app.screen).__name__ == "DeliveryScreen"
        await pilot.press(*"EM123456789CN", "ctrl+s")
        await settle(app, pilot)
        assert query_one_value(hall, "SELECT d.waybill FROM deliveries d JOIN cases c ON c.id = d.case_id WHERE c.case_no = ? ORDER BY d.id DESC",
                               (completed,)) == "EM123456789CN"
        await pilot.press("ctrl+d", "y")
        await settle(app, pilot)
        assert query_one_value(hall, "SELECT status FROM cases WHERE case_no = ?", (completed,)) == "delivered"
        await pilot.press("escape")
        await settle(app, pilot)
        assert "已送达" in str(app.screen.query_one("#case-head").render())


async def test_stale_version_names_who_and_keeps_input(hall: Path) -> None:
    case_no, item = _case_with_open_task(hall)
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_department(case_no)
        await settle(app, pilot)
        pane = app.screen
        cursor_on_task(pane, item=item)
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("enter")  # yes, claim it
        await settle(app, pilot)
        await pilot.press("i", *"已制卡待领")
        # someone else saves the task between our load and our save
        con = sqlite3.connect(hall)
        con.execute(
            "UPDATE tasks SET version = version + 1, updated_by = 'medic9', updated_at = '2026-03-16T10:30:00+08:00'"
            " WHERE item = ? AND case_id = (SELECT id FROM cases WHERE case_no = ?)", (item, case_no),
        )
        con.commit()
        con.close()
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("enter")  # yes, complete it (the save finds medic9's)
        await settle(app, pilot)
        texts = [n.message for n in app._notifications]
        assert any("medic9" in m and "2026年3月16日 10:30" in m for m in texts), texts  # a human time, not ISO
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("y")  # reload
        await settle(app, pilot)
        assert pane.query_one("#result", Input).value == "已制卡待领"
        assert pane.has_unsaved()
        await pilot.press("ctrl+q")  # unsaved input: asks first
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running


async def test_help_palette_and_missing_intake_screen(hall: Path) -> None:
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        own, glob = app.screen.keys
        assert ("s", "状态") in own and any(desc == "退出" for _, desc in glob)
        await pilot.press("escape", "f4")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "DashboardScreen"
        await pilot.press("f2")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "QueueScreen"
        await pilot.press("ctrl+n")  # intake: opens, or says it is not there yet; never a traceback
        await settle(app, pilot)
        assert app.is_running


async def test_palette_finds_a_case_by_initials(hall: Path) -> None:
    from screens.commands import CaseCommands

    case_no = str(query_one_value(hall, "SELECT case_no FROM cases ORDER BY id LIMIT 1"))
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        provider = CaseCommands(app.screen)
        hits = [hit async for hit in provider.search(_initials(hall, case_no))]
        assert any(case_no in (hit.text or "") for hit in hits)
        jumps = [hit async for hit in provider.search("统计")]
        assert jumps


def test_unknown_login_is_one_line_and_exit_1(tmp_path: Path, hall: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    env = {**__import__("os").environ, "RETIRE_LOGIN": "nobody", "RETIRE_DB": str(hall), "RETIRE_LANG": "zh"}
    proc = subprocess.run([sys.executable, "-c", "import console.cli as c; c.main()", "tui"], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr.strip().count("\n") == 0 and "nobody" in proc.stderr
    assert "Traceback" not in proc.stderr


async def test_resume_with_checklist_and_correction_list(hall: Path) -> None:
    waiting = query_one_value(
        hall,
        "SELECT c.case_no FROM cases c JOIN materials m ON m.case_id = c.id"
        " WHERE c.status = 'awaiting_correction' AND m.received = 0 ORDER BY c.id LIMIT 1",
    )
    assert waiting, "the demo hall has no case awaiting correction"
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_case(str(waiting))
        await settle(app, pilot)
        await pilot.press("a")  # not allowed while awaiting correction: nothing happens
        await pilot.pause()
        assert type(app.screen).__name__ == "CaseDetailScreen"
        await pilot.press("r")
        await pilot.pause()
        assert type(app.screen).__name__ == "Checklist"
        count = len(app.screen.items)
        for _ in range(count):
            await pilot.press("space", "down")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert query_one_value(hall, "SELECT status FROM cases WHERE case_no = ?", (waiting,)) == "draft"
        assert query_one_value(hall, "SELECT count(*) FROM materials m JOIN cases c ON c.id = m.case_id WHERE c.case_no = ? AND m.received = 0",
                               (waiting,)) == 0
        assert app.screen.case["status"] == "draft"
