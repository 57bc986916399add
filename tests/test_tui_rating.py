"""The rating from the console (delivery screen, ctrl+e) and the dashboard's satisfaction figure, at 80x24."""
from __future__ import annotations

import io
import sqlite3
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.widgets import Static

from tests.tui_helpers import LOGIN, make_app, query_one_value, settle

SIZE = (80, 24)


def _shown(widget: Static) -> str:
    """What a Static shows, as plain text (rendered by rich as the terminal would)."""
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(widget.content)
    return out.getvalue()


async def test_rating_a_finished_case_from_the_delivery_screen_opens_the_followup(hall: Path) -> None:
    case_no = str(query_one_value(hall, "SELECT case_no FROM cases WHERE status = 'completed' ORDER BY id LIMIT 1"))
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_case(case_no)
        await settle(app, pilot)
        await pilot.press("e")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "DeliveryScreen"
        await pilot.press("ctrl+e")  # level: the list starts on 5 非常满意, three down is 2 不满意
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        await pilot.press("enter")  # channel: window
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal"
        await pilot.press("y")
        await settle(app, pilot)
        con = sqlite3.connect(hall)
        level, channel, due = con.execute(
            "SELECT r.level, r.channel, f.due_date FROM ratings r JOIN cases c ON c.id = r.case_id"
            " JOIN rating_followups f ON f.rating_id = r.id WHERE c.case_no = ?", (case_no,)).fetchone()
        assert (level, channel) == (2, "window") and due
        assert "不满意" in _shown(app.screen.query_one("#rating", Static))
        texts = [n.message for n in app._notifications]
        assert any(due in m for m in texts), texts
        await pilot.press("ctrl+e")  # rated once: the key does nothing now
        await pilot.pause()
        assert type(app.screen).__name__ == "DeliveryScreen"


async def test_dashboard_shows_the_satisfaction_of_the_ratings(hall: Path) -> None:
    from console.services import ratings
    from console.services.identity import resolve_actor
    from console.services.store import open_store

    db: Any = open_store(hall)
    try:
        actor = resolve_actor(db, LOGIN)
        done = [r[0] for r in db.execute("SELECT case_no FROM cases WHERE status IN ('completed', 'delivered') ORDER BY id LIMIT 4")]
        assert len(done) == 4
        for case_no, level in zip(done, (5, 4, 4, 1), strict=True):
            ratings.add(db, actor, case_no, level)
    finally:
        db.close()
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f4")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "DashboardScreen"
        figures = _shown(app.screen.query_one("#figures", Static))
        assert "75.0%" in figures and "共 4 条评价" in figures
        assert "未办结 1 · 已办结 0" in figures
        assert "3/4" in _shown(app.screen.query_one("#ratings-month", Static))
