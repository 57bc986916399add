"""即将退休 screen (F6): the list agrees with the service; pre-review, told, reminder and export by keyboard; snapshots."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from console.rules.idcard import make_id
from screens.upcoming import PAGE_SIZE, UpcomingScreen, flag_tags
from tests.tui_helpers import LOGIN, TODAY, make_app, query_one_value, settle

SIZE = (80, 24)
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
NEWCOMER = make_id("150222", date(1965, 12, 10), 5)
"""A man born 1965-12 (statutory month 2026-03, inside the default window), registered but with no case."""


def _service_rows(db_path: Path, months: int = 6, first: str | None = None, flags: tuple[str, ...] = ()) -> list[dict]:
    from console.services.identity import resolve_actor
    from console.services.store import open_store
    from console.services.upcoming import list_upcoming

    db = open_store(db_path)
    try:
        return list_upcoming(db, resolve_actor(db, LOGIN), months, first, list(flags), today=TODAY)
    finally:
        db.close()


def _register_newcomer(db_path: Path) -> None:
    from console.services.identity import resolve_actor
    from console.services.intake import Applicant, register_applicant
    from console.services.store import open_store

    db = open_store(db_path)
    try:
        register_applicant(db, resolve_actor(db, LOGIN), Applicant(id_number=NEWCOMER, name="新来人", phone="13904720000"))
    finally:
        db.close()


async def _open(app, pilot) -> UpcomingScreen:  # type: ignore[no-untyped-def]
    await settle(app, pilot)
    await pilot.press("f6")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, UpcomingScreen)
    return screen


def _shown_flags(screen: UpcomingScreen) -> dict[str, str]:
    table = screen.query_one("#people")
    col = [c.key.value for c in table.ordered_columns].index("flags")
    return {str(key.value): table.get_row_at(i)[col].plain for i, key in enumerate(table.rows)}


async def test_list_and_flags_agree_with_the_service(hall: Path) -> None:
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        expected = _service_rows(hall)
        assert expected, "the demo hall has nobody in the default window"
        assert [r["id_number"] for r in screen.rows] == [r["id_number"] for r in expected]
        shown = _shown_flags(screen)
        for r in expected:
            assert shown[r["id_number"]] == flag_tags(r).plain
            if "short" in r["flags"]:
                assert f"缺{r['short_months']}月" in shown[r["id_number"]]
        assert "2026-03 至 2026-08" in str(screen.query_one("#up-bar").render())

        await pilot.press("f")  # flag filter: 缺月
        await settle(app, pilot)
        assert screen.query_state.flag == "short"
        assert [r["id_number"] for r in screen.rows] == [r["id_number"] for r in _service_rows(hall, flags=("short",))]
        assert all("short" in r["flags"] for r in screen.rows)

        await pilot.press("f", "f", "f", "f", "f", "f")  # round the cycle back to 全部
        await settle(app, pilot)
        assert screen.query_state.flag is None

        await pilot.press("right_square_bracket", "minus")  # window 2026-04, five months
        await settle(app, pilot)
        q = screen.query_state
        assert (q.first, q.months, q.last) == ("2026-04", 5, "2026-08")
        assert len(screen.rows) == len(_service_rows(hall, 5, "2026-04"))
        await pilot.press("0")
        await settle(app, pilot)
        assert (screen.query_state.first, screen.query_state.months) == ("2026-03", 6)


async def test_pages_hold_one_page_only(hall: Path) -> None:
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        many = [{**screen.rows[0], "id_number": f"X{i:05d}"} for i in range(PAGE_SIZE * 2 + 5)]
        screen.rows = many
        screen.page = 0
        screen._fill(0)
        table = screen.query_one("#people")
        assert table.row_count == PAGE_SIZE
        await pilot.press("end")
        await pilot.pause()
        assert screen.page == 2 and table.row_count == 5
        assert "3/3" in str(screen.query_one("#up-page").render())
        await pilot.press("pageup")
        await pilot.pause()
        assert screen.page == 1 and table.row_count == PAGE_SIZE


async def test_start_prereview_opens_the_screen(hall: Path) -> None:
    from screens.prereview import PrereviewScreen

    _register_newcomer(hall)
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        row = next(i for i, r in enumerate(screen.rows) if r["id_number"] == NEWCOMER)
        assert "no_prereview" in screen.rows[row]["flags"]
        screen.query_one("#people").move_cursor(row=row)
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, PrereviewScreen)
        case_no = app.screen.case_no
        assert query_one_value(hall, "SELECT c.status FROM cases c JOIN persons p ON p.id = c.person_id WHERE p.id_number = ?",
                               (NEWCOMER,)) == "draft"
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen
        assert next(r for r in screen.rows if r["id_number"] == NEWCOMER)["case_no"] == case_no
        # a second p on someone with an open case goes to that case's pre-review
        screen.query_one("#people").move_cursor(row=next(i for i, r in enumerate(screen.rows) if r["id_number"] == NEWCOMER))
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, PrereviewScreen) and app.screen.case_no == case_no


async def test_told_writes_a_contact_and_reminder_shows_text(hall: Path) -> None:
    from screens.upcoming import TellModal
    from screens.widgets.notice_preview import NoticePreview

    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        person = screen.rows[0]
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, TellModal)
        await pilot.press("enter", "down", "enter")  # open the channel list, pick 短信
        await pilot.pause()
        assert app.screen.query_one("#channel", Select).value == "sms"
        await pilot.press("tab", *"本人接听", "enter")
        await settle(app, pilot)
        assert app.screen is screen
        row = query_one_value(
            hall, "SELECT k.channel || '|' || k.note || '|' || k.at FROM contacts k JOIN persons p ON p.id = k.person_id WHERE p.id_number = ?",
            (person["id_number"],))
        assert row == f"sms|本人接听|{TODAY.isoformat()}"
        assert query_one_value(hall, "SELECT count(*) FROM audit WHERE action = 'person.contacted'") == 1
        assert screen.rows[0]["last_contact"] == TODAY.isoformat()

        await pilot.press("r")
        await settle(app, pilot)
        assert isinstance(app.screen, NoticePreview)
        assert person["name"] in app.screen.text and person["statutory_month"] in app.screen.text
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_export_writes_a_workbook(hall: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from openpyxl import load_workbook

    from screens.widgets.confirm import ConfirmModal
    from screens.widgets.prompt import TextPrompt

    monkeypatch.setenv("HOME", str(tmp_path))
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        default = tmp_path / "退休一件事文书" / "即将退休-2026-03.xlsx"  # the hall's documents folder
        assert app.screen.query_one(Input).value == str(default)
        await pilot.press("enter")
        await settle(app, pilot)
        assert default.exists()
        sheet = load_workbook(default).active
        lines = list(sheet.iter_rows(values_only=True))
        assert len(lines) == len(screen.rows) + 1
        assert {line[2] for line in lines[1:]} == {r["id_number"] for r in screen.rows}

        await pilot.press("e", "enter")  # the same file again: asks before overwriting
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(app, pilot)
        csv = tmp_path / "list.csv"
        await pilot.press("e", "ctrl+u", *"~/list.csv", "enter")
        await settle(app, pilot)
        assert csv.read_text(encoding="utf-8-sig").count("\n") == len(screen.rows) + 1


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_upcoming(hall: Path, snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    _register_newcomer(hall)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot.app, pilot)
        await pilot.press("f6")
        await settle(pilot.app, pilot)
        await pilot.pause(0.2)

    assert snap_compare(make_app(hall), terminal_size=size, run_before=run_before)


async def test_reminder_letter_as_docx_in_the_documents_folder(hall: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Action 7: w writes the reminder letter as DOCX; the dialog shows the hall's documents folder and takes another path."""
    import docx

    from screens.widgets.prompt import TextPrompt

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("SUDO_USER", raising=False)
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        person = screen.rows[0]
        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        default = Path(app.screen.query_one(Input).value)
        assert default.parent == tmp_path / "退休一件事文书" and not default.parent.exists()
        await pilot.press("enter")
        await settle(app, pilot)
        assert default.exists() and app.screen is screen
        text = "\n".join(p.text for p in docx.Document(str(default)).paragraphs)
        assert "退休提醒告知书" in text and person["name"] in text
        await pilot.press("w")
        await pilot.pause()
        app.screen.query_one(Input).value = str(tmp_path / "别处.docx")
        await pilot.press("enter")
        await settle(app, pilot)
        assert (tmp_path / "别处.docx").exists()
