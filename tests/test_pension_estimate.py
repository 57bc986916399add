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
