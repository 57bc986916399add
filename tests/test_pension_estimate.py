"""The pension estimate of the pre-review: computed from imported figures and the hall's base, or named as missing."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import sqlite_utils
from typer.testing import CliRunner

from console.services import notices
from console.services.identity import Actor
from console.settings import load_parameters
from tests.workflow_helpers import id_number, open_case, record_prereview


def _import_figures(db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli_app) -> None:  # type: ignore[no-untyped-def]
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "身份证号码,姓名,平均缴费指数,个人账户储存额\n" f"{id_number()},张三,1.0,\"100,000.00\"\n", encoding="utf-8-sig"
    )
    monkeypatch.setenv("RETIRE_DB", str(db_path))
    result = CliRunner().invoke(cli_app, ["import", "persons", str(roster)])
    assert result.exit_code == 0, result.output


def test_estimate_from_imported_index_and_balance(db: sqlite_utils.Database, db_path: Path, staff, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                  monkeypatch: pytest.MonkeyPatch, cli_app, base_2025) -> None:
    clerk: Actor = staff("alice", "clerk", "hrss_reviewer", "admin")
    monkeypatch.setenv("RETIRE_LOGIN", "alice")
    case_no = open_case(db, clerk)
    _import_figures(db_path, tmp_path, monkeypatch, cli_app)
    facts = record_prereview(db, clerk, case_no).facts
    pension = facts["pension"]
    # C=8000, I=1.0: basic = 8000 x (1+1)/2 x 502/12 x 1% = 3346.67 (132 deemed + 370 actual months)
    # account = 100000 / 136.1 (60y5m) = 734.75; transitional = 8000 x 1.0 x 11 x 0.012 = 1056.00
    assert (pension["basic"], pension["account"], pension["transitional"], pension["total"]) == (
        "3346.67", "734.75", "1056.00", "5137.42")
    assert facts["pension_missing"] == []
    assert "pension_base" in facts["unconfirmed_parameters"]


def test_without_the_base_the_estimate_names_what_is_missing(db: sqlite_utils.Database, staff) -> None:  # type: ignore[no-untyped-def]
    load_parameters.cache_clear()
    clerk: Actor = staff("alice", "clerk", "hrss_reviewer")
    case_no = open_case(db, clerk)
    facts = record_prereview(db, clerk, case_no).facts
    assert facts["pension"] is None
    assert facts["pension_missing"] == ["pension_base", "average_index", "account_balance"]


def test_the_approval_form_prints_the_estimate(db: sqlite_utils.Database, db_path: Path, staff, tmp_path: Path,  # type: ignore[no-untyped-def]
                                               monkeypatch: pytest.MonkeyPatch, cli_app, base_2025) -> None:
    from console.services import intake, prereview

    clerk: Actor = staff("alice", "clerk", "hrss_reviewer", "admin")
    monkeypatch.setenv("RETIRE_LOGIN", "alice")
    case_no = open_case(db, clerk)
    _import_figures(db_path, tmp_path, monkeypatch, cli_app)
    record_prereview(db, clerk, case_no)
    prereview.confirm(db, clerk, case_no)
    from tests.workflow_helpers import TODAY
    intake.accept_case(db, clerk, case_no, today=TODAY)
    text = notices.render_text(db, clerk, case_no, "approval_form", lang="zh")
    assert "5137.42" in text.replace(",", "")
    assert Decimal("5137.42") > 0


def test_the_prereview_estimate_agrees_with_the_inner_mongolia_notice() -> None:
    """cases/neimenggu/2.json (liubigfatty/pension-calculator): born 1965-09, deemed 1984-09..1995-12 (136 months),
    paid 1996-01..2025-09 (357), retiring 2025-09 at 60y0m; the shipped 2025 base 8179 and Inner Mongolia's formula."""
    from datetime import date

    from console.rules.intervals import Period
    from console.rules.months import Month
    from console.rules.retirement_facts import PersonFacts, compute_facts

    load_parameters.cache_clear()
    person = PersonFacts(
        sex="M", id_birth=date(1965, 9, 26),
        periods=(Period(Month.of(1984, 9), Month.of(1995, 12), "deemed"), Period(Month.of(1996, 1), Month.of(2025, 9), "actual")),
        average_index=Decimal("0.6111"), account_balance=Decimal("93577.2"),
    )
    facts = compute_facts(person, load_parameters(), chosen_month=Month.of(2025, 9)).as_dict()
    pension = facts["pension"]
    assert (pension["basic"], pension["account"], pension["transitional"], pension["total"]) == (
        "2706.81", "673.22", "1112.34", "4492.37")
    assert pension["formula"] == "pension_formula_neimenggu"
    assert "pension_base" not in facts["unconfirmed_parameters"]  # the shipped 2025 base is reported, not unconfirmed


def test_the_prereview_divisor_uses_the_cases_retirement_month() -> None:
    """A woman of 50y1m retiring in 2024-04 gets the whole-year 195 (cases/sichuan/1.json), as the calculator does."""
    from datetime import date

    from console.rules.intervals import Period
    from console.rules.months import Month
    from console.rules.retirement_facts import PersonFacts, compute_facts

    person = PersonFacts(sex="F", id_birth=date(1974, 3, 5), staff_category="worker", female_group="female50",
                         periods=(Period(Month.of(2007, 1), Month.of(2024, 4), "actual"),))
    facts = compute_facts(person, load_parameters(), chosen_month=Month.of(2024, 4)).as_dict()
    assert facts["divisor_months"] == "195"
