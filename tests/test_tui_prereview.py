"""Archive pre-review screen: edit rows by keyboard, live facts, save, confirm, stale saves; snapshots."""
from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from console.i18n import t
from console.services import prereview
from console.services.identity import resolve_actor
from db import facts as facts_db
from db.case_numbers import case_id_by_no
from db.connection import open_database
from screens.prereview import PrereviewScreen
from screens.widgets.cell_edit import CellEditModal
from screens.widgets.confirm import ConfirmModal
from screens.widgets.facts_panel import ExplainModal, FactsPanel
from tests.tui_forms_app import TODAY, FormsApp, build_demo_db, context

pytestmark = pytest.mark.usefixtures("zh_console")


@pytest.fixture
def demo(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "demo.db"
    return path, build_demo_db(path)["case_no"]


def make_app(path: Path, case_no: str, login: str = "clerk1") -> FormsApp:
    return FormsApp(lambda: PrereviewScreen(context(path, login), case_no))


async def settle(app: FormsApp, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def stored(path: Path, case_no: str) -> dict | None:
    db = open_database(path)
    try:
        return facts_db.get(db, case_id_by_no(db, case_no))
    finally:
        db.close()


def fact_value(app: FormsApp, key: str) -> str:
    row = app.screen.query_one(FactsPanel).row(key)
    assert row is not None
    return row.value.plain


async def shorten_last_period(pilot) -> None:
    """Periods table, third row, from-month 2020-01 -> 2023-01 (36 months fewer: 174 of 180)."""
    await pilot.press("tab", "down", "down", "enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CellEditModal)
    await pilot.press("ctrl+u", *"2023-01", "enter")
    await pilot.pause()


async def test_edit_period_shows_shortfall_then_save_matches(demo) -> None:
    path, case_no = demo
    app = make_app(path, case_no)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "210/180" in fact_value(app, "total")
        await shorten_last_period(pilot)
        screen = app.screen
        assert isinstance(screen, PrereviewScreen)
        assert "174/180" in fact_value(app, "total")
        assert screen.has_unsaved()
        shown = str(screen.query_one("#pre-findings", Static).render())
        assert t("rules.elig.short_contribution", have=174, need=180, short=6) in shown
        await pilot.press("s")
        await settle(app, pilot)
        assert not screen.has_unsaved()
        live = screen.facts.as_dict()
        await pilot.press("escape")
        await pilot.pause()
    saved = stored(path, case_no)
    assert saved is not None and saved["confirmed_at"] is None
    for key in ("total_months", "statutory_month", "retire_month", "birth_date", "gaps", "deemed_spans", "benefit_start_month"):
        assert saved["data"][key] == live[key], key
    assert saved["data"]["total_months"] == 174
    assert app.results == [True]


async def test_bad_month_is_refused_in_the_editor(demo) -> None:
    path, case_no = demo
    app = make_app(path, case_no)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("tab", "enter")
        await pilot.press("ctrl+u", *"1990-13", "enter")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, CellEditModal)
        assert t("tui.prereview.bad_month", value="1990-13") in str(modal.query_one("#edit-error", Static).render())
        await pilot.press("ctrl+u", *"1997-01", "enter")  # after the to-month 1995-12
        await pilot.pause()
        assert isinstance(app.screen, CellEditModal)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PrereviewScreen) and not app.screen.has_unsaved()


async def test_add_toggle_delete_rows(demo) -> None:
    path, case_no = demo
    app = make_app(path, case_no)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PrereviewScreen)
        await pilot.press("a")  # a record row, cursor on it
        await pilot.pause()
        assert len(screen.records) == 3 and screen.query_one("#records", DataTable).row_count == 3
        await pilot.press("right", "right", "enter", *"1966-03-12", "enter")
        await pilot.pause()
        assert screen.records[2]["birth_date_recorded"] == "1966-03-12"
        await pilot.press("right", "enter")  # altered: toggles in place
        await pilot.pause()
        assert screen.records[2]["altered"] is True
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await pilot.pause()
        assert len(screen.records) == 2 and not screen.has_unsaved()


async def test_fact_explains_itself(demo) -> None:
    path, case_no = demo
    app = make_app(path, case_no)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.screen.query_one(FactsPanel).focus()
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, ExplainModal)
        body = str(app.screen.query_one("#explain-body", Static).render())
        assert "1966-03-02" in body and "第1份" in body
        assert "劳社部发" in str(app.screen.query_one("#explain-source", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PrereviewScreen)


async def test_confirm_clerk_refused_reviewer_confirms(demo) -> None:
    path, case_no = demo
    app = make_app(path, case_no)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        assert any(n.severity == "error" for n in app._notifications)
    assert stored(path, case_no)["confirmed_at"] is None
    app = make_app(path, case_no, login="rev1")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        assert t("tui.prereview.confirmed_by", who="rev1", when="")[:4] in str(app.screen.query_one("#pre-status", Static).render())
        # a change after confirmation asks for a reason first
        await shorten_last_period(pilot)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, CellEditModal)
        await pilot.press(*"档案补录", "enter")
        await settle(app, pilot)
    after = stored(path, case_no)
    assert after["confirmed_by"] is None and after["data"]["total_months"] == 174


async def test_stale_save_keeps_edits_and_names_who(demo) -> None:
    path, case_no = demo
    app = make_app(path, case_no)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await shorten_last_period(pilot)
        db = open_database(path)  # someone else saves meanwhile
        try:
            prereview.record(db, resolve_actor(db, "rev1"), case_no, periods=[], today=TODAY)
        finally:
            db.close()
        await pilot.press("s")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert any("rev1" in str(n.message) for n in app._notifications)
        await pilot.press("n")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PrereviewScreen) and screen.has_unsaved()
        assert screen.periods[2]["from_month"] == "2023-01"
        await pilot.press("s")  # now knowing rev1's version, the save goes through
        await settle(app, pilot)
        assert not screen.has_unsaved()
    assert stored(path, case_no)["data"]["total_months"] == 174


async def test_escape_with_unsaved_rows_asks(demo) -> None:
    path, case_no = demo
    app = make_app(path, case_no)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await shorten_last_period(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [False]
    assert stored(path, case_no) is None


def _snap_app(tmp_path: Path) -> FormsApp:
    path = tmp_path / "snap.db"
    case_no = build_demo_db(path)["case_no"]
    return make_app(path, case_no)


async def _loaded(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause(0.1)


async def _shortened(pilot) -> None:
    await _loaded(pilot)
    await shorten_last_period(pilot)
    await pilot.pause(0.1)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_snapshot_prereview(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    assert snap_compare(_snap_app(tmp_path), terminal_size=size, run_before=_loaded)


def test_snapshot_prereview_short(snap_compare, tmp_path: Path) -> None:
    assert snap_compare(_snap_app(tmp_path), terminal_size=(80, 24), run_before=_shortened)


async def test_a_case_that_cannot_be_loaded_says_why(demo) -> None:
    """The load runs through the screen base: the refusal is one line in the status and a notification, nothing else."""
    path, _ = demo
    app = make_app(path, "GY-2099-999999")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PrereviewScreen) and screen.state is None
        status = str(screen.query_one("#pre-status", Static).render())
        assert "GY-2099-999999" in status
        errors = [str(n.message) for n in app._notifications if n.severity == "error"]
        assert errors == [status]
        await pilot.press("s", "c", "a")  # nothing to save, confirm or add to
        await pilot.pause()
        assert isinstance(app.screen, PrereviewScreen) and not screen.has_unsaved()
        await pilot.press("escape")
        await pilot.pause()
    assert app.results == [False]


async def test_stale_save_after_a_confirmation_offers_reload_only(demo) -> None:
    """Bug 11: a reviewer confirmed while the clerk edited.  The dialog names the reviewer and the time as
    people read it (local, 年月日 时:分, no ISO stamp) and offers to reload, never to overwrite the confirmation."""
    import re

    path, case_no = demo
    db = open_database(path)
    try:
        prereview.record(db, resolve_actor(db, "clerk1"), case_no, periods=None, today=TODAY)
    finally:
        db.close()
    app = make_app(path, case_no)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await shorten_last_period(pilot)
        db = open_database(path)  # the reviewer confirms the stored result meanwhile
        try:
            prereview.confirm(db, resolve_actor(db, "rev1"), case_no)
        finally:
            db.close()
        await pilot.press("s")
        await settle(app, pilot)
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        assert "rev1" in modal.question and "确认" in modal.question
        assert t("tui.prereview.overwrite") not in modal.question
        assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d", modal.question)
        assert not re.search(r"\d{4}-\d\d-\d\dT", modal.question)
        shown = [str(n.message) for n in app._notifications]
        assert shown and not any(re.search(r"\d{4}-\d\d-\d\dT", m) for m in shown)
        await pilot.press("y")  # reload: the confirmed result is shown, the edits are dropped
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, PrereviewScreen) and not screen.has_unsaved()
    after = stored(path, case_no)
    assert after["confirmed_by"] == "rev1" and after["confirmed_at"]  # the confirmation stands


async def test_overlapping_periods_show_a_finding_naming_the_overlap(demo) -> None:
    """Bug 17: periods overlapping by 36 months no longer read "条件齐备，无缺项": a finding names the
    overlap and the months counted once."""
    path, case_no = demo
    app = make_app(path, case_no)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("tab", "down", "down", "enter")
        await pilot.pause()
        await pilot.press("ctrl+u", *"1998-01", "enter")
        await pilot.pause()
        text = str(app.screen.query_one("#pre-findings", Static).render())
        assert "1998-01 至 2000-12" in text and "36个月" in text and "只计一次" in text
        assert t("tui.findings.none") not in text


async def test_place_cell_hints_the_form_and_names_a_code(demo) -> None:
    """Bug 17: the place column says which forms it takes and what a code means (150222 = 固阳县, this county)."""
    path, case_no = demo
    app = make_app(path, case_no)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("tab", "right", "right", "right", "enter")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, CellEditModal)
        assert "150222" in str(modal.query_one("Input").placeholder)
        await pilot.press("ctrl+u", *"150222", "enter")
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
        assert any("固阳县" in m and "本县" in m for m in shown), shown
