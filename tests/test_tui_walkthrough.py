"""One whole case with the keyboard alone, as a clerk who also holds the reviewer and department roles.

ctrl+n intake (ID, name, joint items) -> F4 one-time correction notice -> case
detail -> p pre-review (archive rows and periods typed in, s save, c confirm)
-> r resume with the papers brought -> a accept -> t department pane (every
task of every department) -> F3 department list, d to switch department ->
e delivery (send, delivered) -> the case shows 已送达; the database agrees,
and the audit log holds every step.  The app's today is 2026-11-20, so the
man born 1966-06-15 (statutory month 2026-11) is of age.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from textual.widgets import DataTable

from console.rules.birth_date import DOC_KINDS
from console.rules.idcard import make_id
from console.rules.intervals import KINDS
from tests.tui_helpers import LOGIN, query_one_value, settle

SIZE = (80, 24)
TODAY = date(2026, 11, 20)
ID_NUMBER = make_id("150222", date(1966, 6, 15), 123)
NAME = "高建军"


def _app(db_path: Path):  # type: ignore[no-untyped-def]
    from screens.app import RetireApp
    from screens.context import AppContext

    return RetireApp(AppContext(db_path=db_path, login=LOGIN, lang="zh", today_override=TODAY))


def _screen(app) -> str:  # type: ignore[no-untyped-def]
    return type(app.screen).__name__


async def _tab_to(pilot, widget_id: str, limit: int = 40) -> None:  # type: ignore[no-untyped-def]
    """Press Tab until ``widget_id`` has the focus (the form's order decides how many)."""
    for _ in range(limit):
        focused = pilot.app.focused
        if focused is not None and focused.id == widget_id:
            return
        await pilot.press("tab")
    raise AssertionError(f"Tab never reached #{widget_id}; focus is on {pilot.app.focused!r}")


async def _choose(pilot, choices: tuple[str, ...], current: str, wanted: str) -> None:  # type: ignore[no-untyped-def]
    """In an open ChoiceModal highlighted on ``current``: arrow to ``wanted`` and Enter."""
    delta = choices.index(wanted) - choices.index(current)
    await pilot.press(*(["down"] * delta if delta > 0 else ["up"] * -delta), "enter")
    await pilot.pause()


async def _type_cell(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    """Enter opens the cell editor; clear it, type, Enter."""
    await pilot.press("enter")
    await pilot.pause()
    assert _screen(pilot.app) == "CellEditModal"
    await pilot.press("ctrl+u", *text, "enter")
    await pilot.pause()


async def _record(pilot, doc_kind: str, doc_date: str, birth: str) -> None:  # type: ignore[no-untyped-def]
    """a: a new archive row (cursor on its kind) -> kind, date, recorded birth date."""
    await pilot.press("a")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert _screen(pilot.app) == "ChoiceModal"
    await _choose(pilot, DOC_KINDS, "other", doc_kind)
    await pilot.press("right")
    await _type_cell(pilot, doc_date)
    await pilot.press("right")
    await _type_cell(pilot, birth)


async def _period(pilot, first: str, last: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    """a: a new period (cursor on its first month) -> from, to, kind."""
    await pilot.press("a")
    await pilot.pause()
    await _type_cell(pilot, first)
    await pilot.press("right")
    await _type_cell(pilot, last)
    await pilot.press("right", "enter")
    await pilot.pause()
    assert _screen(pilot.app) == "ChoiceModal"
    await _choose(pilot, KINDS, "actual", kind)


async def _finish_tasks(app, pilot, case_no: str | None = None, department: str | None = None) -> int:  # type: ignore[no-untyped-def]
    """Claim (c) and complete (i, result, Enter) every open task shown (only ``case_no``'s / ``department``'s if given)."""
    for done in range(20):  # each round finishes one task: ``done`` of them so far
        pane = app.screen
        rows = [i for i, task in enumerate(pane.tasks)
                if task["status"] in ("open", "returned", "claimed") and task["own"]
                and (case_no is None or task["case_no"] == case_no) and (department is None or task["department"] == department)]
        if not rows:
            return done
        assert _screen(app) == "DepartmentScreen", (_screen(app), [n.message for n in app._notifications])
        table = pane.query_one("#tasks", DataTable)
        if app.focused is not table:
            await pilot.press("escape")  # from the result box back to the task list
        target = rows[0]
        if target != table.cursor_row:
            step = "down" if target > table.cursor_row else "up"
            await pilot.press(*[step] * abs(target - table.cursor_row))
        assert table.cursor_row == target, (table.cursor_row, target, app.focused)
        if pane.tasks[target]["status"] != "claimed":
            await pilot.press("c")
            await settle(app, pilot)
            await pilot.press("enter")  # the question naming case and task: yes
            await settle(app, pilot)
            assert pane.tasks[target]["status"] == "claimed", pane.tasks[target]
        await pilot.press("i", *"已办结", "enter")
        await settle(app, pilot)
        await pilot.press("enter")  # yes, complete it
        await settle(app, pilot)
    raise AssertionError("tasks never finished")


async def test_whole_case_by_keyboard(hall: Path) -> None:
    app = _app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)

        # -- intake: ID, name, two joint items; no papers ticked -> one-time correction notice
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert _screen(app) == "IntakeScreen"
        await pilot.press(*ID_NUMBER)
        await settle(app, pilot)
        await pilot.press("tab", *NAME)
        for item in ("medical", "housing_fund"):
            await _tab_to(pilot, f"joint-{item}")
            await pilot.press("space")
        await pilot.pause()
        await pilot.press("f4")
        await pilot.pause()
        assert _screen(app) == "ListConfirmModal"
        await pilot.press("y")
        await settle(app, pilot)
        assert _screen(app) == "NoticePreview"
        await pilot.press("enter")
        await settle(app, pilot)
        assert _screen(app) == "CaseDetailScreen"
        detail = app.screen
        case_no = detail.case_no
        assert query_one_value(hall, "SELECT status FROM cases WHERE case_no = ?", (case_no,)) == "awaiting_correction"

        # -- pre-review: two archive rows, two periods, save, confirm
        await pilot.press("p")
        await settle(app, pilot)
        assert _screen(app) == "PrereviewScreen"
        await _record(pilot, "school_record", "1975-09-01", "1966-06-15")
        await _record(pilot, "recruitment_form", "1985-01-10", "1966-06-15")
        await pilot.press("tab")  # the periods table
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "periods"
        await _period(pilot, "1985-01", "1995-12", "deemed")
        await _period(pilot, "1996-01", "2026-10", "actual")
        pre = app.screen
        assert [(p["from_month"], p["to_month"], p["kind"]) for p in pre.periods] == [
            ("1985-01", "1995-12", "deemed"), ("1996-01", "2026-10", "actual")]
        assert [(r["doc_kind"], r["doc_date"], r["birth_date_recorded"]) for r in pre.records] == [
            ("school_record", "1975-09-01", "1966-06-15"), ("recruitment_form", "1985-01-10", "1966-06-15")]
        await pilot.press("s")
        await settle(app, pilot)
        assert not pre.has_unsaved()
        await pilot.press("c")
        await settle(app, pilot)
        assert pre.facts_meta and pre.facts_meta.get("confirmed_at")
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is detail

        # -- resume with every paper brought, then accept
        await pilot.press("r")
        await pilot.pause()
        assert _screen(app) == "Checklist"
        for _ in app.screen.items:
            await pilot.press("space", "down")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert query_one_value(hall, "SELECT status FROM cases WHERE case_no = ?", (case_no,)) == "draft"
        await pilot.press("a")
        await pilot.pause()
        assert _screen(app) == "ConfirmModal"
        await pilot.press("y")
        await settle(app, pilot)
        assert query_one_value(hall, "SELECT status FROM cases WHERE case_no = ?", (case_no,)) == "accepted", [n.message for n in app._notifications]

        # -- department pane on the case (t): the HRSS tasks
        await pilot.press("t")
        await settle(app, pilot)
        assert _screen(app) == "DepartmentScreen"
        departments = {task["department"] for task in app.screen.tasks}
        assert departments == {"hrss", "medical", "housing_fund"}
        assert await _finish_tasks(app, pilot, department="hrss")
        await pilot.press("escape")  # completing puts the focus back on the task list: one Escape leaves the pane
        await settle(app, pilot)
        assert app.screen is detail

        # -- the department list (F3): d switches department; finish this case's tasks in each
        await pilot.press("f3")
        await settle(app, pilot)
        pane = app.screen
        assert _screen(app) == "DepartmentScreen" and pane.case_no is None
        seen = [pane.department]
        for _ in range(len(pane.departments) - 1):
            await pilot.press("d")
            await settle(app, pilot)
            seen.append(pane.department)
            if pane.department in departments:
                assert await _finish_tasks(app, pilot, case_no=case_no), pane.department
                if app.focused is not pane.query_one("#tasks"):
                    await pilot.press("escape")
        assert {"medical", "housing_fund"} <= set(seen)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is detail
        left = query_one_value(hall, "SELECT count(*) FROM tasks t JOIN cases c ON c.id = t.case_id WHERE c.case_no = ? AND t.status != 'done'", (case_no,))
        assert left == 0
        assert query_one_value(hall, "SELECT status FROM cases WHERE case_no = ?", (case_no,)) == "completed"
        assert "已办结" in str(detail.query_one("#case-head").render())

        # -- delivery: send, delivered
        await pilot.press("e")
        await settle(app, pilot)
        assert _screen(app) == "DeliveryScreen"
        # registered without an address: the clerk types where the parcel goes (a send to nowhere is refused)
        await pilot.press(*"EM202611200CN", "tab", *"固阳县金山镇1号", "ctrl+s")
        await settle(app, pilot)
        await pilot.press("ctrl+d", "y")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is detail
        assert "已送达" in str(detail.query_one("#case-head").render())

    assert query_one_value(hall, "SELECT status FROM cases WHERE case_no = ?", (case_no,)) == "delivered"
    audit = _audit(hall, case_no)
    for action in ("case.open", "case.correction_requested", "prereview.compute", "prereview.confirm", "case.resume", "case.accept",
                   "task.open", "task.claim", "task.done", "case.complete", "delivery.send", "delivery.delivered"):
        assert action in audit, (action, " ".join(audit))
    tasks = query_one_value(hall, "SELECT count(*) FROM tasks t JOIN cases c ON c.id = t.case_id WHERE c.case_no = ?", (case_no,))
    assert audit.count("task.claim") == audit.count("task.done") == tasks
    assert audit.index("case.correction_requested") < audit.index("prereview.confirm") < audit.index("case.accept") < audit.index("delivery.delivered")


def _audit(db_path: Path, case_no: str) -> list[str]:
    import sqlite3

    con = sqlite3.connect(db_path)
    try:
        return [r[0] for r in con.execute(
            "SELECT a.action FROM audit a JOIN cases c ON c.id = a.case_id WHERE c.case_no = ? ORDER BY a.id", (case_no,))]
    finally:
        con.close()
