"""Intake screen driven by the keyboard alone, and its snapshots."""
from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Static

from console.i18n import t
from db.connection import open_database
from screens.intake import IntakeScreen
from screens.widgets.confirm import ConfirmModal
from screens.widgets.notice_preview import ListConfirmModal, NoticePreview
from tests.tui_forms_app import KNOWN_ID, NEW_WOMAN_ID, FormsApp, build_demo_db, context

pytestmark = pytest.mark.usefixtures("zh_console")


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "demo.db"
    return path, build_demo_db(path)


def make_app(path: Path, login: str = "clerk1") -> FormsApp:
    return FormsApp(lambda: IntakeScreen(context(path, login)))


async def settle(app: FormsApp, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def text_of(app: FormsApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def case_row(path: Path, case_no: str) -> dict:
    db = open_database(path)
    try:
        row = db.execute("SELECT status, acceptance_notice_no FROM cases WHERE case_no = ?", [case_no]).fetchone()
        return {"status": row[0], "notice": row[1]}
    finally:
        db.close()


async def test_valid_id_fills_sex_and_birth(demo) -> None:
    path, _ = demo
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*NEW_WOMAN_ID)
        await settle(app, pilot)
        info = text_of(app, "#id-info")
        assert "女" in info and "1976-01-08" in info
        assert "新参保人" in info
        # a woman: the 50/55 group row shows, and the default follows the category
        assert app.screen.query_one("#female-row").display
        assert "原法定退休年龄50周岁" in text_of(app, "#group-note")


async def test_bad_checksum_shows_error_under_field(demo) -> None:
    path, _ = demo
    bad = NEW_WOMAN_ID[:17] + ("0" if NEW_WOMAN_ID[17] != "0" else "1")
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*bad)
        await settle(app, pilot)
        info = app.screen.query_one("#id-info", Static)
        assert t("rules.id.checksum") in str(info.render())
        assert info.has_class("-error")


async def test_known_person_fills_form_and_accept(demo) -> None:
    path, _ = demo
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*KNOWN_ID)
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, IntakeScreen)
        assert screen.query_one("#name", Input).value == "张建国"
        assert screen.query_one("#address", Input).value.startswith("固阳县")
        # tab down to the materials checklist and tick all three
        screen.query_one("#materials").focus()
        await pilot.pause()
        await pilot.press("space", "down", "space", "down", "space")
        await pilot.pause()
        assert screen.live.assessment is not None and screen.live.assessment.decision == "accept", screen.live.findings
        await pilot.press("f3")
        await settle(app, pilot)
        # a new case has no confirmed pre-review: acceptance is refused, saying why, and nothing is kept (issue 14, bug 12)
        assert isinstance(app.screen, IntakeScreen)
        assert any("审核人员确认" in str(n.message) for n in app._notifications)
    assert app.results == [] or not app.results[0]


async def test_missing_materials_correction_lists_everything(demo) -> None:
    path, _ = demo
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*KNOWN_ID)
        await settle(app, pilot)
        screen = app.screen
        # opt into the Health Commission item: one more material (one-child certificate)
        screen.query_one("#joint-health").focus()
        await pilot.press("space")
        await pilot.pause()
        expected = [f for f in screen.live.assessment.findings if f.severity in ("unmet", "missing")]
        assert len(expected) == 4  # archive, ID + hukou, card, one-child certificate
        await pilot.press("f3")  # accept is refused by the rules: a notification, nothing saved
        await settle(app, pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert any("暂不能受理" in str(n.message) for n in app._notifications)
        await pilot.press("f4")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ListConfirmModal)
        body = str(modal.query_one("#confirm-body", Static).render())
        for f in expected:
            assert t(f.code, **f.params) in body
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, NoticePreview)
        notice = str(app.screen.query_one("#notice-body", Static).render())
        assert f"共{len(expected)}项" in notice  # the notices service's table wraps the items
        await pilot.press("escape")
        await settle(app, pilot)
    case_no = app.results[0]
    assert case_row(path, case_no)["status"] == "awaiting_correction"


async def test_escape_with_unsaved_input_asks(demo) -> None:
    path, _ = demo
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("tab", *"李四")  # into the name field
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [None]


async def test_escape_on_empty_form_leaves_at_once(demo) -> None:
    path, _ = demo
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [None]


async def test_service_refusal_is_a_notification(demo) -> None:
    """A reviewer may not open cases: the refusal shows as text, never a traceback."""
    path, _ = demo
    app = make_app(path, login="rev1")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*NEW_WOMAN_ID, "tab", *"赵兰")
        await settle(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert any(n.severity == "error" for n in app._notifications)


def _snap_app(tmp_path: Path) -> FormsApp:
    path = tmp_path / "snap.db"
    build_demo_db(path)
    return make_app(path)


async def _fill_known(pilot) -> None:
    pilot.app.screen.query_one("#id_number", Input).value = KNOWN_ID  # typing is covered by the pilot tests
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.1)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_intake_known_person(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(_snap_app(tmp_path), terminal_size=size, run_before=_fill_known)


def test_snapshot_intake_empty(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(_snap_app(tmp_path), terminal_size=(80, 24))


async def test_console_opens_intake_and_knows_its_unsaved_input(demo) -> None:
    """Ctrl+N in the console opens the form on the console's own session; quitting with typed input asks first."""
    from screens.app import RetireApp
    from screens.queue import QueueScreen

    path, _ = demo
    app = RetireApp(context(path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+n")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, IntakeScreen) and screen.ctx is app.ctx
        assert app.unsaved_screens() == []
        await pilot.press("tab", *"李四")
        assert app.unsaved_screens() == [t("tui.app.intake")]
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert app.screen.question == t("tui.app.quit_unsaved", screens=t("tui.app.intake"))
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, QueueScreen)
        assert app.is_running


async def test_accept_on_a_promise_when_only_the_certificate_is_missing(demo) -> None:
    """Issue 16: the window offers 容缺受理 (F6) only when the missing paper may be promised; confirm, then the letter."""
    path, _ = demo
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*KNOWN_ID)
        await settle(app, pilot)
        screen = app.screen
        screen.query_one("#joint-health").focus()
        await pilot.press("space")
        await pilot.pause()
        await pilot.press("f6")  # the archive, the ID card and the card are missing too: not on offer
        await settle(app, pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert any(t("tui.intake.promise_not_offered") in str(n.message) for n in app._notifications)
        screen.query_one("#materials").focus()
        await pilot.pause()
        await pilot.press("space", "down", "space", "down", "space")
        await pilot.pause()
        assert "F6" in text_of(app, "#verdict")
        await pilot.press("f6")
        await pilot.pause()
        assert isinstance(app.screen, ListConfirmModal)
        assert "独生子女" in str(app.screen.query_one("#confirm-body", Static).render())
        await pilot.press("escape")  # said no: nothing saved
        await settle(app, pilot)
        assert isinstance(app.screen, IntakeScreen)
        await pilot.press("f6")
        await pilot.pause()
        app.screen.query_one("#yes").press()
        await settle(app, pilot)
        # accepting on a promise is accepting too: it waits for the reviewer's confirmation of the pre-review (bug 12)
        assert isinstance(app.screen, IntakeScreen)
        assert any("审核人员确认" in str(n.message) for n in app._notifications)
    db = open_database(path)
    try:
        assert db.execute("SELECT count(*) FROM promises").fetchone()[0] == 0
    finally:
        db.close()


async def test_lookup_refused_ends_the_wait_and_names_roles_in_words(demo) -> None:
    """Bug 7: a login with only the admin role may not read persons; the form must not wait forever,
    and the refusal names the roles as a clerk says them (综柜), never the codes (clerk)."""
    from tests.tui_forms_app import _staff

    path, _ = demo
    db = open_database(path)
    try:
        _staff(db, "adm1", "赵管", "admin")
    finally:
        db.close()
    app = make_app(path, login="adm1")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*KNOWN_ID)
        await settle(app, pilot)
        info = text_of(app, "#id-info")
        assert t("tui.intake.looking_up") not in info
        assert "无权" in info and "人社审核" in info
        assert "hrss_reviewer" not in info and "clerk," not in info
        shown = [str(n.message) for n in app._notifications]
        assert shown and all("hrss_reviewer" not in m for m in shown)


async def test_a_retired_person_is_named_at_once_and_not_opened_again(demo) -> None:
    """Bug 8: the person of a delivered case is retired; intake says so under the ID (case number and
    status), and saving is refused by the rules with the same words, nothing opened."""
    from tests.tui_forms_app import CASE_ID

    path, info = demo
    db = open_database(path)
    try:
        db.execute("UPDATE cases SET status = 'delivered' WHERE case_no = ?", [info["case_no"]])
        db.conn.commit()
    finally:
        db.close()
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*CASE_ID)
        await settle(app, pilot)
        shown = text_of(app, "#id-info")
        assert info["case_no"] in shown and "已办结退休" in shown and "已送达" in shown
        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert any("已办结退休" in str(n.message) and info["case_no"] in str(n.message) for n in app._notifications)
    db = open_database(path)
    try:
        assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 1
    finally:
        db.close()


async def test_correction_before_prereview_says_to_be_checked_never_unmet(demo) -> None:
    """Bug 13: a new applicant has no periods and no archive records yet.  F4 lists the papers to bring,
    and the contribution minimum and the archive as "待预审核实", never as unmet (0 months, no early record):
    on screen, in the confirmation and in the issued notice."""
    from datetime import date

    from console.rules.idcard import make_id

    path, _ = demo
    new_man = make_id("150222", date(1966, 5, 3), 17)
    short = "不足最低缴费年限"
    no_early = t("rules.archive.early_birth_record")
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*new_man, "tab", *"周明")
        await settle(app, pilot)
        panel = text_of(app, "#findings")
        assert "待预审核实" in panel and short not in panel and no_early not in panel
        await pilot.press("f4")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ListConfirmModal)
        body = str(modal.query_one("#confirm-body", Static).render())
        assert t("intake.to_check.contribution") in body and short not in body and no_early not in body
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, NoticePreview)
        notice = str(app.screen.query_one("#notice-body", Static).render())
        assert "待预审核实" in notice and short not in notice and no_early not in notice
        await pilot.press("escape")
        await settle(app, pilot)


async def test_a_bad_phone_or_mixed_name_is_named_and_focused_before_saving(demo) -> None:
    """Bug 9: F2 with a 10-digit phone names the phone field (with the expected forms) and keeps the form."""
    path, _ = demo
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*NEW_WOMAN_ID, "tab", *"赵兰", "tab", *"1390472123")
        await settle(app, pilot)
        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert app.screen.focused is app.screen.query_one("#phone", Input)
        assert any("0472-1234567" in str(n.message) for n in app._notifications)
        name = app.screen.query_one("#name", Input)
        name.value = "赵lan"
        app.screen.query_one("#phone", Input).value = "13904721234"
        await pilot.press("f2")
        await settle(app, pilot)
        assert app.screen.focused is name
        assert any("·" in str(n.message) for n in app._notifications)


async def test_bank_card_is_typed_at_intake_luhn_checked_and_saved_on_the_person(demo) -> None:
    """Action 1: intake has the bank card the one form shows; a mistyped digit (Luhn) is refused under
    its field, a right one is saved on the person."""
    from stdnum import luhn

    path, _ = demo
    body = "621226060212345678"
    good = body + luhn.calc_check_digit(body)
    bad = body + str((int(luhn.calc_check_digit(body)) + 1) % 10)
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*NEW_WOMAN_ID, "tab", *"赵兰")
        await settle(app, pilot)
        card = app.screen.query_one("#bank_card", Input)
        card.value = bad
        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, IntakeScreen) and app.screen.focused is card
        assert any("校验位" in str(n.message) for n in app._notifications)
        card.value = good
        await pilot.press("f2")
        await settle(app, pilot)
    assert app.results and app.results[0]
    db = open_database(path)
    try:
        stored = db.execute("SELECT p.bank_card FROM persons p JOIN cases c ON c.person_id = p.id WHERE c.case_no = ?",
                            [app.results[0]]).fetchone()[0]
    finally:
        db.close()
    assert stored == good


async def test_a_statutory_month_long_past_is_warned(demo) -> None:
    """Bug 17: a woman whose statutory month passed six years ago gets a warning to check the record."""
    from datetime import date

    from console.rules.idcard import make_id

    path, _ = demo
    late_woman = make_id("150222", date(1966, 2, 10), 26)  # a worker: 50 in 2016, far before 2026-10
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*late_woman)
        await settle(app, pilot)
        panel = text_of(app, "#findings")
        assert "已过去" in panel and "核对出生日期" in panel
