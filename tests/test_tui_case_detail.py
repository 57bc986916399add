"""Case detail and delivery at 80x24 (issue 14): what a clerk types is on screen; steps refused say why."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.tui_helpers import make_app, query_one_value, settle

SIZE = (80, 24)


def screen_lines(app: Any) -> list[str]:
    """The text of every terminal line as the compositor would draw it (styles aside)."""
    update = app.screen._compositor.render_full_update()
    return ["".join(segment.text for strip in line for segment in strip) for line in update.strips]


def _case(hall: Path, status: str) -> str:
    return str(query_one_value(hall, "SELECT case_no FROM cases WHERE status = ? ORDER BY id LIMIT 1", (status,)))


async def test_delivery_inputs_show_what_is_typed_at_80x24(hall: Path) -> None:
    """Bug 2: the focused one-line input drew only its top border; the waybill appeared after ctrl+s."""
    case_no = _case(hall, "completed")
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_delivery(case_no)
        await settle(app, pilot)
        await pilot.press(*"9876543210")
        await pilot.pause()
        assert any("9876543210" in line for line in screen_lines(app)), "\n".join(screen_lines(app))
        await pilot.press("shift+tab", "end", "backspace", "backspace", "backspace", *"SF")  # the courier field
        await pilot.pause()
        assert any("SF" in line and "EMS" not in line for line in screen_lines(app)), "\n".join(screen_lines(app))


def _audited_actions() -> set[str]:
    """Every audit action the services, db and demo write (``audit.append(db, who, "case.open", ...)``)."""
    import re

    root = Path(__file__).resolve().parent.parent
    found: set[str] = set()
    for folder in ("console", "db", "fixtures"):
        for path in (root / folder).rglob("*.py"):
            found |= set(re.findall(r'audit\.append\([^"]*?"([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    return {a for a in found if not a.startswith(("staff.", "db."))}  # hall-wide, never on a case's timeline


def test_every_case_audit_action_has_words_in_both_languages() -> None:
    """Item 6: the case timeline shows actions as words, never a raw code like ``case.open``."""
    from console.i18n import t

    actions = _audited_actions()
    assert {"case.open", "task.take_over", "rating.add"} <= actions
    for lang in ("zh", "en"):
        raw = sorted(a for a in actions if t(f"tui.action.{a}", lang) == f"tui.action.{a}"
                     and t(f"terms.audit_action.{a}", lang) == f"terms.audit_action.{a}")  # action_words' two sources
        assert raw == [], (lang, raw)


async def test_accept_key_waits_for_the_reviewer_and_the_detail_says_why(hall: Path) -> None:
    """Bug 12: a draft whose pre-review is not confirmed offers no acceptance; the screen says what it waits for."""
    case_no = str(query_one_value(
        hall, "SELECT c.case_no FROM cases c JOIN facts f ON f.case_id = c.id"
              " WHERE c.status = 'draft' AND f.confirmed_at IS NULL ORDER BY c.id LIMIT 1"))
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_case(case_no)
        await settle(app, pilot)
        screen = app.screen
        assert screen.check_action("accept", ()) is None  # shown greyed, not offered
        text = "\n".join(screen_lines(app))
        assert "须先由人社审核人员确认档案初审" in text, text
        await pilot.press("a")
        await settle(app, pilot)
        assert app.screen is screen
        assert query_one_value(hall, "SELECT status FROM cases WHERE case_no = ?", (case_no,)) == "draft"


async def test_refuse_from_case_detail_asks_a_reason_confirms_and_issues_the_notice(hall: Path) -> None:
    """Action 2: 不予受理 from the case detail: reason, confirmation (no: nothing changes), then the refusal notice."""
    case_no = _case(hall, "draft")
    app = make_app(hall)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_case(case_no)
        await settle(app, pilot)
        screen = app.screen
        await pilot.press("x")
        await pilot.pause()
        assert type(app.screen).__name__ == "TextPrompt"
        await pilot.press(*"重复申请", "enter")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmModal" and "重复申请" in app.screen.question
        await pilot.press("escape")  # no: nothing changes
        await settle(app, pilot)
        assert query_one_value(hall, "SELECT status FROM cases WHERE case_no = ?", (case_no,)) == "draft"
        await pilot.press("x", *"重复申请", "enter")
        await pilot.pause()
        await pilot.press("y")
        await settle(app, pilot)
        assert app.screen is screen and screen.case["status"] == "refused"
        assert [n["kind"] for n in screen.case["notices"]][-1] == "refusal"
        assert screen.check_action("refuse", ()) is False  # a refused case is not refused twice
