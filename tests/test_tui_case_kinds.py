"""Issue 15 at the window: the retirement type's own fields, its rule's status, manual review and the extended month."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from console.rules.idcard import make_id
from db.connection import open_database
from screens.intake import IntakeScreen
from screens.widgets.facts_panel import FactsPanel
from screens.widgets.findings import FindingsList
from tests.tui_forms_app import NEW_WOMAN_ID, FormsApp, build_demo_db, context

pytestmark = pytest.mark.usefixtures("zh_console")

SPECIAL_MAN = make_id("150222", date(1970, 7, 10), 51)
"""A man born 1970-07: a special-work retirement at 55 plus 2 months (one per 4 from 1970-01)."""
ILL_MAN = make_id("150222", date(1975, 3, 4), 53)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.db"
    build_demo_db(path)
    return path


async def settle(app: FormsApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def facts(app: FormsApp) -> dict[str, str]:
    """The live facts as the clerk reads them, by row."""
    return {r.key: r.value.plain for r in app.screen.query_one("#live-facts", FactsPanel).rows}


def shown(app: FormsApp, row: str) -> bool:
    return not app.screen.query_one(f"#{row}-row").has_class("-hidden")


def stored_details(path: Path, name: str) -> dict[str, object]:
    db = open_database(path)
    try:
        row = db.execute("SELECT c.kind_details FROM cases c JOIN persons p ON p.id = c.person_id WHERE p.name = ?", [name]).fetchone()
        return dict(json.loads(row[0]))
    finally:
        db.close()


async def _choose_kind(app: FormsApp, pilot, kind: str) -> None:  # type: ignore[no-untyped-def]
    app.screen.query_one("#kind", Select).value = kind
    await settle(app, pilot)


async def test_an_illness_case_says_manual_review_in_words_and_keeps_its_appraisal(demo: Path) -> None:
    app = FormsApp(lambda: IntakeScreen(context(demo)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*ILL_MAN, "tab", *"孙病")
        await settle(app, pilot)
        assert not shown(app, "appraisal_ref")  # a normal case asks none of the kind's fields
        await _choose_kind(app, pilot, "illness")
        verdict = str(app.screen.query_one("#verdict", Static).render())
        assert "本类型退休规则未经确认，转人工审核" in verdict
        assert facts(app)["kind"] == "未经确认，转人工审核"
        assert shown(app, "appraisal_ref") and not shown(app, "special_years") and not shown(app, "determination_ref")
        app.screen.query_one("#appraisal_ref", Input).focus()
        await pilot.press(*"JD2026-017", "f2")
        await settle(app, pilot)
    assert app.results and app.results[0]
    assert stored_details(demo, "孙病") == {"appraisal_ref": "JD2026-017"}


async def test_special_work_with_ten_years_retires_at_55_and_2_months(demo: Path) -> None:
    app = FormsApp(lambda: IntakeScreen(context(demo)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*SPECIAL_MAN, "tab", *"李井")
        await settle(app, pilot)
        assert facts(app)["statutory_age"] == "61岁5个月"  # the normal age until the kind is chosen
        await _choose_kind(app, pilot, "special_work")
        assert shown(app, "special_work") and shown(app, "special_years")
        app.screen.query_one("#special_work", Select).value = "underground"
        app.screen.query_one("#special_years", Input).focus()
        await pilot.press("1", "0")
        await settle(app, pilot)
        rows = facts(app)
        assert rows["statutory_age"] == "55岁2个月"
        assert rows["kind"] == "公布口径，待本地确认"
        assert rows["retire_month"].startswith("2025-09")
        await pilot.press("f2")
        await settle(app, pilot)
    assert stored_details(demo, "李井") == {"special_work": "underground", "special_work_months": 120}


async def test_years_that_cannot_be_read_are_named_and_nothing_is_saved(demo: Path) -> None:
    app = FormsApp(lambda: IntakeScreen(context(demo)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*SPECIAL_MAN, "tab", *"李井")
        await settle(app, pilot)
        await _choose_kind(app, pilot, "special_work")
        app.screen.query_one("#special_years", Input).focus()
        await pilot.press(*"61")
        await settle(app, pilot)
        note = app.screen.query_one("#kind-note", Static)
        assert not note.has_class("-hidden") and "61" in str(note.render())
        await pilot.press("f2")
        await settle(app, pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert app.screen.focused is app.screen.query_one("#special_years", Input)
    assert not app.results


async def test_a_woman_short_of_the_minimum_sees_the_extended_month(demo: Path) -> None:
    app = FormsApp(lambda: IntakeScreen(context(demo)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*NEW_WOMAN_ID)
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, IntakeScreen) and screen.live.facts is not None
        extension = screen.live.facts.extension
        assert extension is not None
        rows = facts(app)
        assert rows["extension"] == f"差{extension.short_months}月，{extension.met_month}满足"
        assert str(extension.met_month) > "2026-08"  # later than her statutory month
        assert rows["one_off"] == "待查参保时间"


# ------------------------------------------------------------------ the pre-review corrects a draft's details


def _special_draft(path: Path) -> str:
    """A draft special-work case with 9 years of high-altitude work (10 needed)."""
    from console.services import intake
    from console.services.identity import resolve_actor
    from tests.tui_forms_app import TODAY

    db = open_database(path)
    try:
        case = intake.open_case(db, resolve_actor(db, "clerk1"),
                                intake.Applicant(SPECIAL_MAN, "李井", phone="13904721235", address="固阳县金山镇1号"),
                                "special_work", today=TODAY, details={"special_work": "high_altitude", "special_years": "9"})
        return str(case["case_no"])
    finally:
        db.close()


async def test_the_reviewer_corrects_the_years_and_the_facts_follow(demo: Path) -> None:
    from screens.prereview import PrereviewScreen
    from screens.widgets.choice import ChoiceModal
    from screens.widgets.prompt import TextPrompt

    case_no = _special_draft(demo)
    app = FormsApp(lambda: PrereviewScreen(context(demo), case_no))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        panel = app.screen.query_one("#pre-facts", FactsPanel)
        assert panel.row("statutory_age").value.plain == "55岁2个月"
        kind = panel.row("kind")
        assert kind is not None and "特殊工种累计9年，不足10年" in kind.explanation
        assert "rules.kind.special_years_short" in [f.code for f in app.screen.query_one("#pre-findings", FindingsList).findings]
        await pilot.press("k")
        await settle(app, pilot)
        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("enter")  # high-altitude work stays chosen
        await settle(app, pilot)
        assert isinstance(app.screen, TextPrompt)
        assert app.screen.query_one(Input).value == "9"
        await pilot.press("ctrl+u", *"11", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PrereviewScreen)
        assert any("已保存" in str(n.message) for n in app._notifications)
        kind_after = app.screen.query_one("#pre-facts", FactsPanel).row("kind")
        assert kind_after is not None and "不足" not in kind_after.explanation
        assert "rules.kind.special_years_short" not in [f.code for f in app.screen.query_one("#pre-findings", FindingsList).findings]
    assert stored_details(demo, "李井") == {"special_work": "high_altitude", "special_work_months": 132}
