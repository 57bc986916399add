"""Notices screen (case detail, n): list, preview (Enter), DOCX (w), forms on demand, refusals shown; snapshots."""
from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from console.i18n import t
from console.vocabulary import CASE_STATUS
from screens.notices import NoticesScreen
from screens.widgets.confirm import ConfirmModal
from screens.widgets.notice_preview import NoticePreview
from screens.widgets.prompt import TextPrompt
from tests.tui_helpers import make_app, query_one_value, settle

SIZE = (80, 24)
SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
ACCEPTED = (
    "SELECT c.case_no FROM cases c JOIN facts f ON f.case_id = c.id"
    " WHERE c.status = 'accepted' AND f.confirmed_at IS NOT NULL ORDER BY c.id LIMIT 1"
)


async def _notices(app, pilot, case_no: str) -> NoticesScreen:  # type: ignore[no-untyped-def]
    await settle(app, pilot)
    app.open_case(case_no)
    await settle(app, pilot)
    await pilot.press("n")
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, NoticesScreen)
    return screen


def _notice_number(hall: Path, case_no: str, kind: str) -> object:
    """The number of the case's notice of ``kind`` as stored, or None when none was issued."""
    return query_one_value(hall, "SELECT n.number FROM notices n JOIN cases c ON c.id = n.case_id WHERE c.case_no = ? AND n.kind = ?",
                           (case_no, kind))


def _row_of(screen: NoticesScreen, kind: str) -> int:
    return next(i for i, r in enumerate(screen.rows) if r.kind == kind)


async def test_preview_and_docx_of_the_acceptance_notice(hall: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import docx

    monkeypatch.setenv("HOME", str(tmp_path))
    case_no = str(query_one_value(hall, ACCEPTED))
    number = str(_notice_number(hall, case_no, "acceptance"))
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _notices(app, pilot, case_no)
        kinds = [r.kind for r in screen.rows]
        assert kinds[0] == "acceptance" and {"joint_form", "approval_form"} <= set(kinds)
        assert all(screen.allowed.values())  # accepted and confirmed: both forms can be issued
        screen.query_one(DataTable).move_cursor(row=_row_of(screen, "acceptance"))
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, NoticePreview)
        assert number in app.screen.text and app.screen.number == number
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("w")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        target = tmp_path / "退休一件事文书" / f"{case_no}-acceptance.docx"  # the hall's documents folder, made on first save
        assert app.screen.query_one(Input).value == str(target)
        await pilot.press("enter")
        await settle(app, pilot)
        assert target.exists()
        text = "\n".join(p.text for p in docx.Document(str(target)).paragraphs)
        assert number in text
        assert any(str(target) in n.message for n in app._notifications)

        await pilot.press("w", "enter")  # again: asks before overwriting
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen


def _counts(hall: Path) -> tuple[object, ...]:
    """Notices, their number counters and audit rows: a preview adds to none of them."""
    return (query_one_value(hall, "SELECT count(*) FROM notices"),
            query_one_value(hall, "SELECT group_concat(last, ',') FROM (SELECT * FROM notice_counters ORDER BY 1, 2)"),
            query_one_value(hall, "SELECT count(*) FROM audit"))


async def test_form_not_issued_previews_unnumbered_and_issues_only_after_asking(hall: Path) -> None:
    """Action 7: Enter shows the form as it would be, marked （预览，未编号）, writing nothing; i issues after a yes."""
    case_no = str(query_one_value(hall, ACCEPTED))
    before = _counts(hall)
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _notices(app, pilot, case_no)
        screen.query_one(DataTable).move_cursor(row=_row_of(screen, "joint_form"))
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, NoticePreview)
        assert app.screen.number == "（预览，未编号）" and "（预览，未编号）" in app.screen.text
        await pilot.press("escape")
        await settle(app, pilot)
        assert _counts(hall) == before and _notice_number(hall, case_no, "joint_form") is None
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(app, pilot)
        assert _notice_number(hall, case_no, "joint_form") is None
        await pilot.press("i", "y")
        await settle(app, pilot)
        number = _notice_number(hall, case_no, "joint_form")
        assert number and app.screen is screen
        issued = [r for r in screen.rows if r.kind == "joint_form"]
        assert len(issued) == 1 and issued[0].number == number


async def test_draft_previews_its_acceptance_and_its_form_issue_shows_the_service_refusal(hall: Path) -> None:
    case_no = str(query_one_value(hall, "SELECT case_no FROM cases WHERE status = 'draft' ORDER BY id LIMIT 1"))
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _notices(app, pilot, case_no)
        assert screen.allowed == {"joint_form": False, "approval_form": False}
        before = _counts(hall)
        screen.query_one(DataTable).move_cursor(row=_row_of(screen, "acceptance"))
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, NoticePreview) and "（预览，未编号）" in app.screen.text
        await pilot.press("escape")
        await settle(app, pilot)
        assert _counts(hall) == before
        screen.query_one(DataTable).move_cursor(row=_row_of(screen, "approval_form"))
        await pilot.press("i", "y")
        await settle(app, pilot)
        assert app.screen is screen
        expected = t("notices.case_not_accepted", case_no=case_no, status=t(CASE_STATUS.key("draft")))
        assert any(expected == n.message for n in app._notifications), [n.message for n in app._notifications]
        assert _notice_number(hall, case_no, "approval_form") is None


@pytest.mark.parametrize("size", SIZES)
def test_snapshot_notices(hall: Path, snap_compare, size) -> None:  # type: ignore[no-untyped-def]
    case_no = str(query_one_value(hall, "SELECT case_no FROM cases WHERE status = 'delivered' ORDER BY id LIMIT 1"))

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _notices(pilot.app, pilot, case_no)
        await pilot.pause(0.2)

    assert snap_compare(make_app(hall), terminal_size=size, run_before=run_before)
