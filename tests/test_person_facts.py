"""One builder of person facts: the stored facts and the screens' live panels read the same rows the same way.

The screens used to build their own ``PersonFacts`` and left out the imported
average contribution index and account balance, so with the hall's pension
base set the stored facts carried a 5137.42 estimate while the pre-review
panel said both inputs were missing.
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from typer.testing import CliRunner

from console.errors import BadInput
from console.i18n import t
from console.services import intake, person_records, prereview_edits
from console.services.identity import Actor
from console.services.person_facts import build_person_facts, person_facts
from db import persons as persons_db
from db.connection import open_database
from screens.context import AppContext
from screens.intake import FormData, live_assessment
from screens.prereview import PrereviewScreen, live_facts
from screens.widgets.facts_panel import FactRow, FactsPanel, build_fact_rows
from tests.tui_forms_app import FormsApp
from tests.workflow_helpers import TODAY, id_number, record_prereview

ESTIMATE = "5137.42"
"""C=8000, I=1.0, 502 months, balance 100000 at 60y5m (see tests/test_pension_estimate.py)."""


pytestmark = pytest.mark.usefixtures("zh_console")


@pytest.fixture
def figures_case(db: sqlite_utils.Database, db_path: Path, staff: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 cli_app: Any, base_2025: None) -> tuple[Actor, str]:
    """A recorded pre-review of a man whose index and balance came in through ``retire import persons``."""
    clerk: Actor = staff("alice", "clerk", "hrss_reviewer", "admin")
    monkeypatch.setenv("RETIRE_LOGIN", "alice")
    monkeypatch.setenv("RETIRE_DB", str(db_path))
    case_no = intake.open_case(db, clerk, intake.Applicant(id_number(), "张三", address="固阳县金山镇1号", phone="13800000000"),
                               "normal", ["medical"], ["id_card_hukou", "personal_archive", "ssc_card"], today=TODAY)["case_no"]
    record_prereview(db, clerk, case_no)
    roster = tmp_path / "roster.csv"
    roster.write_text("身份证号码,姓名,平均缴费指数,个人账户储存额\n" f"{id_number()},张三,1.0,\"100,000.00\"\n", encoding="utf-8-sig")
    result = CliRunner().invoke(cli_app, ["import", "persons", str(roster)])
    assert result.exit_code == 0, result.output
    return clerk, str(case_no)


def shown(rows: list[FactRow]) -> list[tuple[str, str, str]]:
    """What a clerk reads of each fact: its line and its explanation."""
    return [(r.key, r.value.plain, r.explanation) for r in rows]


def stored_rows(db: sqlite_utils.Database, case_no: str) -> list[FactRow]:
    """The facts panel over the facts the services compute and store for the case."""
    pf, facts, result = intake.assessment_for(db, intake.load_case(db, case_no), TODAY)
    return build_fact_rows(facts, pf, result)


def test_live_prereview_facts_agree_with_the_stored_ones(db: sqlite_utils.Database, figures_case: tuple[Actor, str]) -> None:
    clerk, case_no = figures_case
    stored = record_prereview(db, clerk, case_no).facts
    assert stored["pension"]["total"] == ESTIMATE
    state = prereview_edits.prereview_state(db, clerk, case_no)
    pf, facts, result = live_facts(state, state["archive_records"], state["periods"], TODAY)
    assert (pf.average_index, pf.account_balance) == (Decimal("1.0"), Decimal("100000.00"))
    assert facts.as_dict() == stored
    live = shown(build_fact_rows(facts, pf, result))
    assert live == shown(stored_rows(db, case_no))
    pension = dict((key, value) for key, value, _ in live)["pension"]
    assert ESTIMATE in pension and t("tui.facts.pension_none") not in pension


def test_live_intake_facts_carry_the_imported_figures(db: sqlite_utils.Database, figures_case: tuple[Actor, str]) -> None:
    clerk, case_no = figures_case
    known = person_records.person_by_id_number(db, clerk, id_number())
    assert known is not None
    live = live_assessment(FormData(id_number=id_number(), name="张三"), known, TODAY)
    assert live.facts is not None and live.facts.pension is not None
    _, stored, _ = intake.assessment_for(db, intake.load_case(db, case_no), TODAY)
    assert stored.pension is not None and str(stored.pension.total) == ESTIMATE
    assert live.facts.pension == stored.pension
    assert not live.facts.pension_missing


def test_the_builder_reads_rows_as_the_store_gives_them(db: sqlite_utils.Database, figures_case: tuple[Actor, str]) -> None:
    """Plain rows in: the same PersonFacts whether the rows come from the store or from a screen's copy of them."""
    _, case_no = figures_case
    person = persons_db.get(db, intake.load_case(db, case_no)["person_id"])
    assert person is not None
    pid = int(person["id"])
    records = [dict(r) for r in persons_db.archive_records(db, pid)]
    periods = [dict(p) for p in persons_db.periods(db, pid)]
    assert build_person_facts(dict(person), records, periods) == person_facts(db, person)
    assert build_person_facts(dict(person), [], []).periods == ()


def test_an_unreadable_figure_is_one_line_not_a_traceback() -> None:
    row = {"id": 7, "id_number": "150222196606150011", "sex": "M", "birth_date_id": "1966-06-15", "average_index": "一点零"}
    with pytest.raises(BadInput) as caught:
        build_person_facts(row, [], [])
    assert "150222196606150011" in caught.value.text()


async def test_prereview_screen_shows_the_estimate(db_path: Path, figures_case: tuple[Actor, str]) -> None:
    _, case_no = figures_case
    app = FormsApp(lambda: PrereviewScreen(AppContext(db_path=db_path, login="alice", lang="zh", today_override=TODAY), case_no))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        panel = app.screen.query_one(FactsPanel)
        row = panel.row("pension")
        assert row is not None
        assert ESTIMATE in row.value.plain
        assert row.value.plain != t("tui.facts.pension_none")
        assert t("tui.facts.pension_input.average_index") not in row.explanation
        db = open_database(db_path)
        try:
            assert shown(panel.rows) == shown(stored_rows(db, case_no))
        finally:
            db.close()
