"""A clerk's whole day at 80x24 with the keyboard alone, switching staff as a hall does (issue 14, Done-when).

Each colleague is a new console on the same hall file, as their own OS login
(``AppContext.login``; the demo hall's roster: 王芳 wangfang a window clerk,
李强 liqiang an HRSS reviewer, 赵敏 zhaomin medical insurance, 刘洋 liuyang
housing fund, 陈静 chenjing health commission).  Only keys are pressed; after
each step the test reads what the clerk would read (the screen's characters,
the message line) and at the end the database: the case delivered, every task
done by someone holding its department's role, the audit actions in order, two
delivery attempts.

The second walkthrough is the same path from registration to acceptance in
English, to show the English screens can be worked at 80x24.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from console.i18n import t
from tests.test_tui_walkthrough import ID_NUMBER, NAME, SIZE, TODAY, _period, _record, _screen, _tab_to
from tests.tui_helpers import query_one_value, settle

CLERK, REVIEWER = "wangfang", "liqiang"
DEPARTMENT_STAFF = {"medical": "zhaomin", "housing_fund": "liuyang", "health": "chenjing"}
JOINT = ("medical", "housing_fund", "health")
MISSING_PAPER = "医保缴费凭证原件"
ARRIVED = "申请人已送来原件"
RESULT = {"zh": "已办结", "en": "done"}


def _app(db_path: Path, login: str, lang: str = "zh") -> Any:
    from screens.app import RetireApp
    from screens.context import AppContext

    return RetireApp(AppContext(db_path=db_path, login=login, lang=lang, today_override=TODAY))


def screen_text(app: Any) -> str:
    """Every character on the terminal now (the top screen, modals included), one line per row."""
    update = app.screen._compositor.render_full_update()
    return "\n".join("".join(segment.text for segment in strip) for strip in update.strips)


def said(app: Any) -> list[str]:
    """What the console told the clerk so far (the message line's log, ctrl+l)."""
    return [n.message for n in app._notifications]


def status_of(db_path: Path, case_no: str) -> str:
    return str(query_one_value(db_path, "SELECT status FROM cases WHERE case_no = ?", (case_no,)))


async def open_case(app: Any, pilot: Any, case_no: str) -> None:
    """From the queue: / search, the case number, Enter to the table, Enter to open it."""
    assert _screen(app) == "QueueScreen", _screen(app)
    await pilot.press("slash", *case_no, "enter")
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)
    assert _screen(app) == "CaseDetailScreen" and app.screen.case_no == case_no, _screen(app)


def head(app: Any) -> str:
    return str(app.screen.query_one("#case-head").render())


async def finish(app: Any, pilot: Any, case_no: str, items: tuple[str, ...]) -> list[str]:
    """On the department pane: claim (c, Enter) and complete (i, result, Enter, Enter) each of ``items`` of the case."""
    from textual.widgets import DataTable

    done = []
    for item in items:
        pane = app.screen
        assert _screen(app) == "DepartmentScreen", (_screen(app), said(app))
        table = pane.query_one("#tasks", DataTable)
        if app.focused is not table:
            await pilot.press("escape")
        target = next(i for i, task in enumerate(pane.tasks) if task["case_no"] == case_no and task["item"] == item)
        step = "down" if target > table.cursor_row else "up"
        await pilot.press(*[step] * abs(target - table.cursor_row))
        if pane.tasks[target]["status"] != "claimed":
            await pilot.press("c")
            await settle(app, pilot)
            assert t(f"items.{item}") in screen_text(app)  # the question names the task
            await pilot.press("enter")
            await settle(app, pilot)
            assert said(app)[-1] == t("tui.dept.claimed_ok", item=t(f"items.{item}")), said(app)
        await pilot.press("i", *RESULT[app.ctx.lang], "enter")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert said(app)[-1] == t("tui.dept.done_ok", item=t(f"items.{item}")), said(app)
        assert t("tui.dept.done_ok", item=t(f"items.{item}")) in screen_text(app)  # on the message line
        done.append(item)
    return done


async def department_pane(app: Any, pilot: Any, department: str) -> None:
    """F3: the pane of one's own department (a department officer has exactly one)."""
    await pilot.press("f3")
    await settle(app, pilot)
    assert _screen(app) == "DepartmentScreen" and app.screen.department == department, (_screen(app), app.screen.department)


def tasks_of(db_path: Path, case_no: str) -> dict[str, tuple[str, str | None]]:
    con = sqlite3.connect(db_path)
    try:
        rows = con.execute(
            "SELECT t.item, t.status, t.completed_by FROM tasks t JOIN cases c ON c.id = t.case_id WHERE c.case_no = ?",
            (case_no,)).fetchall()
    finally:
        con.close()
    return {item: (status, login) for item, status, login in rows}


def audit_of(db_path: Path, case_no: str) -> list[tuple[str, str]]:
    con = sqlite3.connect(db_path)
    try:
        return [(r[0], r[1]) for r in con.execute(
            "SELECT a.action, a.actor FROM audit a JOIN cases c ON c.id = a.case_id WHERE c.case_no = ? ORDER BY a.id", (case_no,))]
    finally:
        con.close()


async def register(app: Any, pilot: Any, joint: tuple[str, ...]) -> str:
    """ctrl+n intake: ID, name, the joint items; no papers ticked -> F4 one-time correction notice, y, Enter."""
    await pilot.press("ctrl+n")
    await settle(app, pilot)
    assert _screen(app) == "IntakeScreen"
    await pilot.press(*ID_NUMBER)
    await settle(app, pilot)
    await pilot.press("tab", *NAME)
    for item in joint:
        await _tab_to(pilot, f"joint-{item}")
        await pilot.press("space")
    await pilot.pause()
    await pilot.press("f4")
    await settle(app, pilot)
    assert _screen(app) == "ListConfirmModal"
    await pilot.press("y")
    await settle(app, pilot)
    assert _screen(app) == "NoticePreview"
    await pilot.press("enter")
    await settle(app, pilot)
    assert _screen(app) == "CaseDetailScreen"
    return str(app.screen.case_no)


async def prereview_saved(app: Any, pilot: Any) -> None:
    """p: two archive rows and two periods typed in, s saves (a clerk may not confirm)."""
    await pilot.press("p")
    await settle(app, pilot)
    assert _screen(app) == "PrereviewScreen"
    await _record(pilot, "school_record", "1975-09-01", "1966-06-15")
    await _record(pilot, "recruitment_form", "1985-01-10", "1966-06-15")
    await pilot.press("tab")
    await pilot.pause()
    await _period(pilot, "1985-01", "1995-12", "deemed")
    await _period(pilot, "1996-01", "2026-10", "actual")
    await pilot.press("s")
    await settle(app, pilot)
    assert not app.screen.has_unsaved()


async def papers_arrive(app: Any, pilot: Any) -> None:
    """r: the applicant came back with every paper; tick them all, ctrl+s."""
    await pilot.press("r")
    await settle(app, pilot)
    assert _screen(app) == "Checklist"
    for _ in app.screen.items:
        await pilot.press("space", "down")
    await pilot.press("ctrl+s")
    await settle(app, pilot)


async def reviewer_confirms(app: Any, pilot: Any, case_no: str) -> None:
    """The reviewer's list (v) names the case; Enter opens it, p the pre-review, c confirms."""
    await pilot.press("v")
    await settle(app, pilot)
    assert _screen(app) == "WorkListScreen" and case_no in screen_text(app), screen_text(app)
    rows = app.screen.rows
    target = next(i for i, row in enumerate(rows) if row["case_no"] == case_no)
    await pilot.press(*["down"] * target, "enter")
    await settle(app, pilot)
    assert _screen(app) == "CaseDetailScreen" and app.screen.case_no == case_no
    await pilot.press("p")
    await settle(app, pilot)
    assert _screen(app) == "PrereviewScreen"
    await pilot.press("c")
    await settle(app, pilot)
    assert app.screen.facts_meta and app.screen.facts_meta.get("confirmed_by"), said(app)
    await pilot.press("escape")
    await settle(app, pilot)
    assert _screen(app) == "CaseDetailScreen"
    assert t("tui.detail.accept_waits_review") not in screen_text(app)


async def accept(app: Any, pilot: Any, case_no: str) -> None:
    await pilot.press("a")
    await settle(app, pilot)
    assert _screen(app) == "ConfirmModal"
    await pilot.press("y")
    await settle(app, pilot)
    assert any(m.startswith(t("tui.detail.accepted_ok", case_no=case_no, notice="")) for m in said(app)), said(app)


async def test_a_clerks_day_switching_staff(hall: Path) -> None:
    db = hall

    # -- 王芳 (window clerk): registration, correction notice, pre-review saved, papers arrive
    app = _app(db, CLERK)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        case_no = await register(app, pilot, JOINT)
        assert "待补正" in head(app) and "待补正" in screen_text(app)
        assert status_of(db, case_no) == "awaiting_correction"
        await prereview_saved(app, pilot)
        await pilot.press("c")  # a clerk cannot confirm: told so in words, nothing confirmed
        await settle(app, pilot)
        assert not app.screen.facts_meta.get("confirmed_at"), said(app)
        await pilot.press("escape")
        await settle(app, pilot)
        await papers_arrive(app, pilot)
        assert status_of(db, case_no) == "draft"
        assert "待受理" in head(app)
        assert t("tui.detail.accept_waits_review") in screen_text(app)
        await pilot.press("a")  # greyed until the reviewer confirms
        await settle(app, pilot)
        assert _screen(app) == "CaseDetailScreen" and status_of(db, case_no) == "draft"

    # -- 李强 (reviewer), his own login: confirms the pre-review from his list
    app = _app(db, REVIEWER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "李强" in screen_text(app).splitlines()[0]  # the title bar names who acts
        await reviewer_confirms(app, pilot, case_no)

    # -- 王芳: acceptance; her HRSS item; the reviewer's item is refused to her
    app = _app(db, CLERK)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_case(app, pilot, case_no)
        await accept(app, pilot, case_no)
        assert status_of(db, case_no) == "accepted" and "已受理" in head(app)
        await pilot.press("t")
        await settle(app, pilot)
        assert _screen(app) == "DepartmentScreen"
        assert {task["department"] for task in app.screen.tasks} == {"hrss", *JOINT}
        await finish(app, pilot, case_no, ("hrss.card",))
        approval = next(i for i, task in enumerate(app.screen.tasks) if task["item"] == "hrss.approval")
        from textual.widgets import DataTable

        table = app.screen.query_one("#tasks", DataTable)
        await pilot.press(*["down" if approval > table.cursor_row else "up"] * abs(approval - table.cursor_row), "c")
        await settle(app, pilot)
        assert said(app)[-1] == t("tasks.reviewer_only_claim", item=t("items.hrss.approval"))
        assert app.screen.tasks[approval]["status"] == "open"

    # -- 李强: the approval and the benefit determination
    app = _app(db, REVIEWER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await department_pane(app, pilot, "hrss")
        await finish(app, pilot, case_no, ("hrss.approval", "hrss.benefit"))

    # -- 王芳: the rest of HRSS's items (social management and whatever the records call for)
    app = _app(db, CLERK)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await department_pane(app, pilot, "hrss")
        left = tuple(task["item"] for task in app.screen.tasks
                     if task["case_no"] == case_no and task["status"] in ("open", "claimed"))
        assert "hrss.social_management" in left
        await finish(app, pilot, case_no, left)

    # -- 赵敏 (medical): returns her task naming the missing paper
    app = _app(db, DEPARTMENT_STAFF["medical"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await department_pane(app, pilot, "medical")
        row = next(i for i, task in enumerate(app.screen.tasks) if task["case_no"] == case_no)
        await pilot.press(*["down"] * row, "x")
        await settle(app, pilot)
        assert _screen(app) == "TextPrompt"
        await pilot.press(*MISSING_PAPER, "enter")
        await settle(app, pilot)
        assert said(app)[-1] == t("tui.dept.returned_ok", item=t("items.medical.transfer"))
        assert "已退回" in screen_text(app)

    # -- 王芳: the window's list of returned tasks (b); the paper arrives (a)
    app = _app(db, CLERK)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("b")
        await settle(app, pilot)
        assert _screen(app) == "WorkListScreen"
        await pilot.pause(0.2)  # the list is filled twice (mount, then resume): let the second fill be measured
        await settle(app, pilot)
        text = screen_text(app)
        assert MISSING_PAPER in text and case_no in text, text.splitlines()
        row = next(i for i, r in enumerate(app.screen.rows) if r["case_no"] == case_no)
        await pilot.press(*["down"] * row, "a")
        await settle(app, pilot)
        assert _screen(app) == "TextPrompt" and MISSING_PAPER in screen_text(app)
        await pilot.press(*ARRIVED, "enter")
        await settle(app, pilot)
        assert said(app)[-1] == t("tui.work.arrived_ok", case_no=case_no, item=t("items.medical.transfer"))
        assert all(r["case_no"] != case_no for r in app.screen.rows)

    # -- each joint department by its own officer (medical after the paper arrived)
    for department, item in (("medical", "medical.transfer"), ("housing_fund", "housing_fund.withdrawal"), ("health", "health.reward")):
        app = _app(db, DEPARTMENT_STAFF[department])
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await department_pane(app, pilot, department)
            await finish(app, pilot, case_no, (item,))
    assert status_of(db, case_no) == "completed"

    # -- 王芳: delivery; the parcel comes back; sent again; delivered
    app = _app(db, CLERK)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_case(app, pilot, case_no)
        assert "已办结" in head(app)
        await pilot.press("e")
        await settle(app, pilot)
        assert _screen(app) == "DeliveryScreen"
        # registered without an address: the clerk types where the parcel goes (a send to nowhere is refused)
        await pilot.press(*"EM202611200CN", "tab", *"固阳县金山镇1号", "ctrl+s")
        await settle(app, pilot)
        assert said(app)[-1] == t("tui.delivery.sent_ok", courier="EMS", waybill="EM202611200CN")
        await pilot.press("ctrl+r")
        await settle(app, pilot)
        assert _screen(app) == "TextPrompt"
        await pilot.press(*"地址不详退回", "enter")
        await settle(app, pilot)
        assert said(app)[-1] == t("tui.delivery.returned_ok")
        text = screen_text(app)
        assert "备注 EM202611200CN：地址不详退回" in text, text.splitlines()  # the reason on one line, readable
        await pilot.press(*"EM202611210CN", "ctrl+s")
        await settle(app, pilot)
        assert said(app)[-1] == t("tui.delivery.sent_ok", courier="EMS", waybill="EM202611210CN")
        await pilot.press("ctrl+d")
        await settle(app, pilot)
        assert _screen(app) == "ConfirmModal"
        await pilot.press("y")
        await settle(app, pilot)
        assert said(app)[-1] == t("tui.delivery.delivered_ok", case_no=case_no)
        text = screen_text(app)
        assert "EM202611200CN" in text and "EM202611210CN" in text and "已送达" in text
        await pilot.press("escape")
        await settle(app, pilot)
        assert "已送达" in head(app)

    # -- the database agrees
    assert status_of(db, case_no) == "delivered"
    completers = {"hrss.card": CLERK, "hrss.approval": REVIEWER, "hrss.benefit": REVIEWER, "hrss.social_management": CLERK,
                  **{f"{d}.{i}": DEPARTMENT_STAFF[d] for d, i in (("medical", "transfer"), ("housing_fund", "withdrawal"), ("health", "reward"))}}
    tasks = tasks_of(db, case_no)
    assert all(status == "done" for status, _ in tasks.values()), tasks
    for item, login in completers.items():
        assert tasks[item] == ("done", login), (item, tasks[item])
    assert {login for item, (_, login) in tasks.items() if item.startswith("hrss.") and item not in completers} <= {CLERK}
    assert query_one_value(db, "SELECT count(*) FROM deliveries d JOIN cases c ON c.id = d.case_id WHERE c.case_no = ?", (case_no,)) == 2
    actions = [action for action, _ in audit_of(db, case_no)]
    order = ["case.open", "case.correction_requested", "prereview.compute", "case.resume", "prereview.confirm", "case.accept",
             "task.return", "task.paper_arrived", "case.complete", "delivery.send", "delivery.returned", "delivery.send", "delivery.delivered"]
    positions = []
    start = 0
    for action in order:
        assert action in actions[start:], (action, actions)
        start = actions.index(action, start) + 1
        positions.append(start)
    assert positions == sorted(positions)
    who = dict(audit_of(db, case_no)[::-1])  # the first actor of each action
    assert REVIEWER in who["prereview.confirm"] and CLERK in who["case.accept"] and DEPARTMENT_STAFF["medical"] in who["task.return"]


async def test_registration_to_acceptance_in_english(hall: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same path in English at 80x24: every step's words are English, and the keys are the same."""
    from console import i18n

    monkeypatch.setattr(i18n, "_current", "en")
    db = hall
    app = _app(db, CLERK, "en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        case_no = await register(app, pilot, ("medical",))
        assert "awaiting correction" in head(app)
        await prereview_saved(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        await papers_arrive(app, pilot)
        assert "to accept" in head(app)
        assert "reviewer to confirm" in screen_text(app)  # the line wraps at 80 columns
    app = _app(db, REVIEWER, "en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await reviewer_confirms(app, pilot, case_no)
    app = _app(db, CLERK, "en")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await open_case(app, pilot, case_no)
        await accept(app, pilot, case_no)
        assert "accepted" in head(app)
        assert "Acting: 王芳 (clerk)" in screen_text(app).splitlines()[0]
    assert status_of(db, case_no) == "accepted"
