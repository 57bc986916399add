"""The department pane: a question before a claim or a completion, a clerk refused a reviewer's task in words,
every key in F1 (issue 14; Pilot at 80x24, Chinese)."""
from __future__ import annotations

import sqlite3
from pathlib import Path

from textual.widgets import Input

from tests.tui_helpers import TODAY, cursor_on_task, make_app, query_one_value, settle

SIZE = (80, 24)


def _open_task(db: Path, item: str = "hrss.card") -> tuple[str, int]:
    row = sqlite3.connect(db).execute(
        "SELECT c.case_no, t.id FROM tasks t JOIN cases c ON c.id = t.case_id WHERE t.status = 'open' AND t.item = ? ORDER BY c.id LIMIT 1",
        (item,),
    ).fetchone()
    assert row, f"the demo hall has no open {item} task"
    return row[0], int(row[1])


def _status(db: Path, task_id: int) -> object:
    return query_one_value(db, "SELECT status FROM tasks WHERE id = ?", (task_id,))


async def test_claim_and_completion_from_the_table_ask_first_naming_case_and_task(hall: Path) -> None:
    case_no, task_id = _open_task(hall)
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_department(case_no)
        await settle(app, pilot)
        pane = app.screen
        cursor_on_task(pane, id=task_id)
        await pilot.press("c")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "TaskConfirm"
        assert case_no in app.screen.question and "社保卡" in app.screen.question
        await pilot.press("escape")  # cancelled: nothing recorded
        await settle(app, pilot)
        assert app.screen is pane and _status(hall, task_id) == "open"
        await pilot.press("c")
        await settle(app, pilot)
        await pilot.press("enter")  # Enter confirms
        await settle(app, pilot)
        assert _status(hall, task_id) == "claimed"
        await pilot.press("i", *"已制卡", "enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "TaskConfirm"
        assert case_no in app.screen.question and "已制卡" in app.screen.question
        await pilot.press("escape")
        await settle(app, pilot)
        assert _status(hall, task_id) == "claimed" and pane.query_one("#result", Input).value == "已制卡"  # kept
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        await pilot.press("y")
        await settle(app, pilot)
        assert _status(hall, task_id) == "done"


async def test_a_clerk_is_told_the_approval_is_a_reviewers_and_cannot_claim_it(hall: Path) -> None:
    from db import staff as staff_db
    from db.connection import open_database, transaction
    from screens.app import RetireApp
    from screens.context import AppContext

    database = open_database(hall, create=False)
    with transaction(database):
        staff_db.insert(database, "clerk2", "柜员乙", ["clerk"])
    database.close()
    case_no, task_id = _open_task(hall, "hrss.approval")
    app = RetireApp(AppContext(db_path=hall, login="clerk2", lang="zh", today_override=TODAY))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_department(case_no)
        await settle(app, pilot)
        pane = app.screen
        cursor_on_task(pane, id=task_id)
        await pilot.press("c")
        await settle(app, pilot)
        assert app.screen is pane  # no question: it is refused outright
        said = " ".join(str(n.message) for n in app._notifications)
        assert "只能由人社审核人员认领和办结" in said and "退休审批" in said
        assert _status(hall, task_id) == "open"


def test_every_key_of_the_department_pane_has_words_and_an_id() -> None:
    from screens.department import DepartmentScreen

    bindings = DepartmentScreen.BINDINGS
    assert "ctrl+s" in {b.key for b in bindings}
    descriptions = [b.description for b in bindings]
    assert all(descriptions) and all(b.id for b in bindings)
    assert len(set(descriptions)) == len(descriptions), descriptions  # F1 lists each key with its own words
