"""Owed contribution periods come in with the nightly contributions import (column 是否欠费(arrears)).

The mark is what puts the arrears declaration on a case (console.rules.task_plan);
a later file without the column leaves it as it was, one with 否 clears it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from db.connection import open_database
from fixtures import generate as gen
from tests.test_import_cli import init_db, invoke


@pytest.fixture
def app(env: dict[str, str], cli_app: Any) -> Any:
    init_db(env)
    return cli_app


def _owed(env: dict[str, str], id_number: str) -> list[tuple[str, int]]:
    db = open_database(Path(env["RETIRE_DB"]))
    rows = db.execute("SELECT p.from_month, p.arrears FROM contribution_periods p JOIN persons x ON x.id = p.person_id"
                      " WHERE x.id_number = ? ORDER BY p.from_month", [id_number]).fetchall()
    db.close()
    return [(a, int(b)) for a, b in rows]


def test_an_imported_owed_period_is_marked_and_a_file_without_the_column_keeps_it(app: Any, env: dict[str, str]) -> None:
    who = gen.id_number(700)
    invoke(app, "import", "persons", "-", input=f"id_number,name\n{who},{gen.name(700)}\n")
    result = invoke(app, "import", "contributions", "-", input=(
        "身份证号码,起始年月,终止年月,缴费类型,是否欠费\n"
        f"{who},2019-01,2019-12,actual,否\n"
        f"{who},2020-01,2020-06,actual,是\n"))
    assert result.exit_code == 0, result.output
    assert _owed(env, who) == [("2019-01", 0), ("2020-01", 1)]
    result = invoke(app, "import", "contributions", "-", input=(
        f"id_number,from_month,to_month,kind,place\n{who},2020-01,2020-06,actual,固阳县\n"))
    assert result.exit_code == 0, result.output
    assert _owed(env, who) == [("2019-01", 0), ("2020-01", 1)]
    result = invoke(app, "import", "contributions", "-", input=(
        f"id_number,from_month,to_month,kind,arrears\n{who},2020-01,2020-06,actual,0\n"))
    assert result.exit_code == 0, result.output
    assert _owed(env, who) == [("2019-01", 0), ("2020-01", 0)]


def test_a_bad_arrears_cell_is_a_bad_row(app: Any, env: dict[str, str]) -> None:
    who = gen.id_number(701)
    invoke(app, "import", "persons", "-", input=f"id_number,name\n{who},{gen.name(701)}\n")
    result = invoke(app, "import", "contributions", "-", input=(
        f"id_number,from_month,to_month,kind,arrears\n{who},2020-01,2020-06,actual,maybe\n"))
    assert result.exit_code == 2, result.output
    assert _owed(env, who) == []
