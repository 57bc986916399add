"""Case detail and delivery at 80x24 (issue 14, actions 1-2): edit after registration, withdraw, a returned
parcel re-addressed and re-sent; each by keyboard, checked in the database and on screen."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from console.services import delivery
from console.services.identity import resolve_actor
from db.connection import open_database
from tests.test_tui_case_detail import screen_lines
from tests.tui_helpers import LOGIN, make_app, query_one_value, settle

SIZE = (80, 24)


def _case(hall: Path, status: str) -> str:
    return str(query_one_value(hall, "SELECT case_no FROM cases WHERE status = ? ORDER BY id LIMIT 1", (status,)))


def _phone(hall: Path, case_no: str) -> Any:
    return query_one_value(hall, "SELECT p.phone FROM persons p JOIN cases c ON c.person_id = p.id WHERE c.case_no = ?", (case_no,))


async def _open(app: Any, pilot: Any, case_no: str) -> Any:
    await settle(app, pilot)
    app.open_case(case_no)
    await settle(app, pilot)
    return app.screen


async def test_edit_form_is_prefilled_saves_on_ctrl_s_and_the_timeline_says_so(hall: Path) -> None:
    case_no = _case(hall, "draft")
    before = _phone(hall, case_no)
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        detail = await _open(app, pilot, case_no)
        await pilot.press("m")
        await pilot.pause()
        form = app.screen
        assert type(form).__name__ == "CaseEditModal"
        assert form.query_one("#edit-phone").value == before  # prefilled with what is stored
        assert any(str(before) in line for line in screen_lines(app))
        form.query_one("#edit-phone").value = ""
        await pilot.press(*"13900000077", "ctrl+s")
        await settle(app, pilot)
        assert app.screen is detail
        assert _phone(hall, case_no) == "13900000077"
        from screens.case_detail import timeline

        lines = [" ".join(str(c) for c in r) for r in zip(*[col._cells for col in timeline(detail.case).columns], strict=True)]
        assert any("登记后修改申请人信息" in line and "联系电话 13900000077" in line for line in lines), lines
        row = query_one_value(hall, "SELECT detail FROM audit WHERE action = 'person.edit' ORDER BY id DESC LIMIT 1")
        assert json.loads(str(row))["before"] == {"phone": before}


async def test_edit_form_refuses_a_bad_phone_in_words_and_escape_asks_before_discarding(hall: Path) -> None:
    case_no = _case(hall, "draft")
    before = _phone(hall, case_no)
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, case_no)
        await pilot.press("m")
        await pilot.pause()
        app.screen.query_one("#edit-phone").value = ""
        await pilot.press(*"abc", "escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal"  # changed: asks first
        await pilot.press("n")
        await pilot.pause()
        assert type(app.screen).__name__ == "CaseEditModal"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert _phone(hall, case_no) == before
        assert any("联系电话" in line and "格式不对" in line for line in screen_lines(app)), "\n".join(screen_lines(app))


async def test_withdraw_from_case_detail_asks_a_reason_and_confirms(hall: Path) -> None:
    case_no = _case(hall, "in_progress")
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        detail = await _open(app, pilot, case_no)
        await pilot.press("w")
        await pilot.pause()
        assert type(app.screen).__name__ == "TextPrompt"
        await pilot.press(*"本人书面申请撤回", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal" and "本人书面申请撤回" in app.screen.question
        await pilot.press("escape")
        await settle(app, pilot)
        assert query_one_value(hall, "SELECT status FROM cases WHERE case_no = ?", (case_no,)) == "in_progress"
        await pilot.press("w", *"本人书面申请撤回", "enter")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert detail.case["status"] == "withdrawn"
        assert detail.check_action("withdraw", ()) is False
        assert query_one_value(hall, "SELECT count(*) FROM tasks t JOIN cases c ON c.id = t.case_id"
                                     " WHERE c.case_no = ? AND t.status IN ('open', 'claimed', 'waiting', 'returned')", (case_no,)) == 0


async def test_a_returned_parcel_is_re_addressed_and_both_attempts_show(hall: Path) -> None:
    case_no = _case(hall, "completed")
    db = open_database(hall, create=False)
    try:
        actor = resolve_actor(db, LOGIN)
        delivery.send(db, actor, case_no, "EMS", "1100000000011")
        delivery.returned(db, actor, case_no, "查无此人")
    finally:
        db.close()
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_delivery(case_no)
        await settle(app, pilot)
        await pilot.press(*"1100000000012", "tab")
        app.screen.query_one("#send-address").value = ""
        await pilot.press(*"固阳县金山镇新址8号")
        await pilot.pause()
        assert any("固阳县金山镇新址8号" in line for line in screen_lines(app)), "\n".join(screen_lines(app))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        text = "\n".join(screen_lines(app))
        assert "1100000000011" in text and "1100000000012" in text, text
    assert query_one_value(hall, "SELECT address FROM deliveries ORDER BY id DESC LIMIT 1") == "固阳县金山镇新址8号"
    assert query_one_value(hall, "SELECT count(*) FROM audit WHERE action = 'delivery.readdress'") == 1


async def test_a_colleagues_save_first_is_a_stale_warning_naming_them(hall: Path) -> None:
    """The form saves the version it was opened on: a colleague's edit in between is not overwritten."""
    case_no = _case(hall, "draft")
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot, case_no)
        await pilot.press("m")
        await pilot.pause()
        db = open_database(hall, create=False)
        try:
            from console.services.case_edits import edit_person

            id_number = str(query_one_value(hall, "SELECT p.id_number FROM persons p JOIN cases c ON c.person_id = p.id"
                                                  " WHERE c.case_no = ?", (case_no,)))
            edit_person(db, resolve_actor(db, LOGIN), id_number, {"phone": "13900000055"})
        finally:
            db.close()
        app.screen.query_one("#edit-phone").value = "13900000066"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert _phone(hall, case_no) == "13900000055"
        assert any(LOGIN in n.message for n in app._notifications), [n.message for n in app._notifications]
