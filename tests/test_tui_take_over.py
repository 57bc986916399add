"""The department pane: finishing a task a colleague claimed is a take-over, asked first and audited (Pilot, 80x24)."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.tui_helpers import LOGIN, cursor_on_task, make_app, query_one_value, settle

SIZE = (80, 24)


def _claimed_by_colleague(db: Path) -> tuple[str, int]:
    """An open social-card task, claimed (by SQL, as another session would) by a second HRSS clerk."""
    from db import staff as staff_db
    from db.connection import open_database, transaction

    database = open_database(db, create=False)
    try:
        with transaction(database):
            colleague = staff_db.insert(database, "clerk2", "柜员乙", ["clerk"])
    finally:
        database.close()
    con = sqlite3.connect(db)
    case_no, task_id = con.execute(
        "SELECT c.case_no, t.id FROM tasks t JOIN cases c ON c.id = t.case_id"
        " WHERE t.status = 'open' AND t.item = 'hrss.card' ORDER BY c.id LIMIT 1"
    ).fetchone()
    con.execute("UPDATE tasks SET status = 'claimed', assignee_id = ?, version = version + 1, updated_by = 'clerk2' WHERE id = ?",
                (colleague, task_id))
    con.commit()
    con.close()
    return case_no, int(task_id)


async def test_completing_a_colleagues_task_asks_for_a_take_over(hall: Path) -> None:
    case_no, task_id = _claimed_by_colleague(hall)
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_department(case_no)
        await settle(app, pilot)
        pane = app.screen
        cursor_on_task(pane, id=task_id)
        await pilot.press("i", *"已制卡", "enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConfirmModal"
        assert "clerk2" in app.screen.question and "接手" in app.screen.question
        await pilot.press("n")  # not taken over: nothing changes
        await settle(app, pilot)
        assert query_one_value(hall, "SELECT status FROM tasks WHERE id = ?", (task_id,)) == "claimed"
        await pilot.press("enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("y")
        await settle(app, pilot)
        assert query_one_value(hall, "SELECT status FROM tasks WHERE id = ?", (task_id,)) == "done"
        assert query_one_value(hall, "SELECT completed_by FROM tasks WHERE id = ?", (task_id,)) == LOGIN
        detail = query_one_value(hall, "SELECT detail FROM audit WHERE action = 'task.take_over' AND task_id = ?", (task_id,))
        assert json.loads(str(detail))["from"] == "clerk2"


async def test_delivery_screen_sends_the_version_it_showed(hall: Path) -> None:
    """A parcel another session recorded as returned is not then marked delivered from a stale screen."""
    case_no = str(query_one_value(hall, "SELECT case_no FROM cases WHERE status = 'completed' ORDER BY id LIMIT 1"))
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_case(case_no)
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "DeliveryScreen"
        await pilot.press(*"EM000000077CN", "ctrl+s")
        await settle(app, pilot)
        # another session records the parcel as returned while this screen still shows it in transit
        con = sqlite3.connect(hall)
        con.execute("UPDATE deliveries SET returned_at = '2026-03-16T10:30:00+08:00', note = '查无此人', version = version + 1,"
                    " updated_by = 'medic9', updated_at = '2026-03-16T10:30:00+08:00' WHERE waybill = 'EM000000077CN'")
        con.commit()
        con.close()
        await pilot.press("ctrl+d", "y")
        await settle(app, pilot)
        texts = [n.message for n in app._notifications]
        assert any("medic9" in m for m in texts), texts
        assert query_one_value(hall, "SELECT status FROM cases WHERE case_no = ?", (case_no,)) == "completed"
        assert query_one_value(hall, "SELECT delivered_at FROM deliveries WHERE waybill = 'EM000000077CN'") is None
