"""The supervisor's list of promises (issue 16) at 80x24: expired ones in red, the rule applied after a confirmation."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from textual.widgets import DataTable, Static

from console.services import intake, prereview, promises
from console.services.identity import resolve_actor
from db.connection import open_database
from screens.promises import PromisesScreen
from screens.widgets.confirm import ConfirmModal
from tests.tui_helpers import LOGIN, TODAY, make_app, settle
from tests.workflow_helpers import BASIC_MATERIALS, applicant

PROMISED_ON = date(2026, 2, 9)  # 20 working days: due 2026-03-13, expired on the hall's day 2026-03-16
BORN = date(1965, 6, 15)


def _promised_case(path: Path) -> str:
    db = open_database(path)
    try:
        actor = resolve_actor(db, LOGIN)
        case = intake.open_case(db, actor, applicant(71, "承诺人", BORN), "normal", ["health"], list(BASIC_MATERIALS), today=PROMISED_ON)
        prereview.record(db, actor, case["case_no"],
                         [{"doc_kind": "school_record", "doc_date": "1980-09-01", "birth_date_recorded": BORN.isoformat()}],
                         [{"from": "1985-01", "to": "2026-01", "kind": "actual", "place": "固阳县"}], today=PROMISED_ON)
        prereview.confirm(db, actor, case["case_no"])  # acceptance needs the reviewer's confirmation
        promises.accept_on_promise(db, actor, case["case_no"], ["one_child_certificate"], today=PROMISED_ON)
        return str(case["case_no"])
    finally:
        db.close()


def _health_status(path: Path, case_no: str) -> str:
    db = open_database(path)
    try:
        row = db.execute("SELECT t.status FROM tasks t JOIN cases c ON c.id = t.case_id WHERE c.case_no = ? AND t.item = 'health.reward'",
                         [case_no]).fetchone()
        return str(row[0])
    finally:
        db.close()


async def test_expired_promise_listed_red_and_rule_applied(hall: Path) -> None:
    case_no = _promised_case(hall)
    app = make_app(hall)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f7")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PromisesScreen)
        table = screen.query_one("#promises-table", DataTable)
        assert table.row_count == 1
        cells = table.get_row_at(0)
        assert cells[0] == case_no and "独生子女" in str(cells[2]) and cells[3] == "2026-03-13"
        assert "red" in str(cells[4].style)
        assert "已逾期 1 项" in str(screen.query_one("#promises-head", Static).render())
        await pilot.press("e")
        await settle(app, pilot)
        assert table.row_count == 1
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # no: nothing changes
        await settle(app, pilot)
        assert _health_status(hall, case_no) == "waiting"
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, PromisesScreen)
        assert table.row_count == 0
    assert _health_status(hall, case_no) == "held"
    assert date(2026, 3, 16) == TODAY


def _draft_missing_certificate(path: Path) -> str:
    db = open_database(path)
    try:
        actor = resolve_actor(db, LOGIN)
        case = intake.open_case(db, actor, applicant(73, "待承诺", BORN), "normal", ["health"], list(BASIC_MATERIALS), today=TODAY)
        prereview.record(db, actor, case["case_no"],
                         [{"doc_kind": "school_record", "doc_date": "1980-09-01", "birth_date_recorded": BORN.isoformat()}],
                         [{"from": "1985-01", "to": "2026-01", "kind": "actual", "place": "固阳县"}], today=TODAY)
        prereview.confirm(db, actor, case["case_no"])  # acceptance needs the reviewer's confirmation
        return str(case["case_no"])
    finally:
        db.close()


def _summary_text(case: dict) -> str:
    """What the case detail's summary shows, as plain text (it is a Rich table)."""
    from rich.console import Console

    from screens.case_detail import summary

    console = Console(width=78, record=True, file=io.StringIO())
    console.print(summary(case))
    return console.export_text()


async def test_case_detail_offers_the_promise_and_then_shows_its_clock(hall: Path) -> None:
    case_no = _draft_missing_certificate(hall)
    app = make_app(hall)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.open_case(case_no)
        await settle(app, pilot)
        screen = app.screen
        assert type(screen).__name__ == "CaseDetailScreen"
        assert "容缺受理" in _summary_text(screen.case)  # the hint: every missing paper may be promised
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "独生子女证" in app.screen.question
        await pilot.press("y")
        await settle(app, pilot)
        assert app.screen is screen and screen.case is not None and screen.case["status"] == "accepted"
        [promise] = screen.case["promises"]
        assert promise["status"] == "open" and promise["clock"]["working_days_left"] == 20
        assert "期限" in _summary_text(screen.case) and "20" in _summary_text(screen.case)
        await pilot.press("h")  # the certificate is handed in
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmModal) and "独生子女证" in app.screen.question
        await pilot.press("y")
        await settle(app, pilot)
        assert [p["status"] for p in screen.case["promises"]] == ["fulfilled"]
        assert "已补交" in _summary_text(screen.case)
