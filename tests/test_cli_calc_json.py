"""``retire calc ... --json`` on bad input: a script still reads JSON on stdout (the exit status stays)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner


def calc(cli_app: Any, *args: str) -> Any:
    return CliRunner().invoke(cli_app, ["calc", *args])


@pytest.mark.parametrize(("number", "code"), [
    ("BAD", "rules.id.length"),
    ("150222196606151234", "rules.id.checksum"),
])
def test_a_bad_id_number_with_json_is_valid_false_with_a_reason(env: dict[str, str], cli_app: Any, number: str,
                                                                 code: str) -> None:
    result = calc(cli_app, "idcard", number, "--json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["number"] == number
    assert data["reason_code"] == code
    assert number in data["reason"] and "invalid" in data["reason"]
    assert "invalid" in result.stderr  # the line for a person stays on stderr


def test_the_reason_follows_the_language_and_the_code_does_not(env: dict[str, str], cli_app: Any) -> None:
    result = calc(cli_app, "--lang", "zh", "idcard", "BAD", "--json")
    data = json.loads(result.stdout)
    assert data["reason"] == "身份证号码 BAD 无效：身份证号码应为18位"
    assert data["reason_code"] == "rules.id.length"


def test_a_good_id_number_is_unchanged(env: dict[str, str], cli_app: Any) -> None:
    result = calc(cli_app, "idcard", "150222196606151233", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["valid"] is True


def test_without_json_stdout_stays_empty(env: dict[str, str], cli_app: Any) -> None:
    result = calc(cli_app, "idcard", "BAD")
    assert result.exit_code == 2 and result.stdout == ""


@pytest.mark.parametrize(("args", "code", "exit_code"), [
    (("retirement", "--birth", "19x", "--group", "male"), "cli.bad_month", 2),
    (("retirement", "--birth", "1966-06", "--group", "nobody"), "cli.bad_group", 2),
    (("retirement", "--birth", "1966-06", "--group", "male", "--retire-at", "2040-01"), "cli.refused", 1),
    (("pension", "--base", "x", "--index", "1", "--months", "180", "--balance", "1", "--age", "60y"), "cli.bad_number", 2),
    (("contributions", "{missing}"), "cli.bad_file", 2),
    (("contributions", "{reversed}"), "rules.periods.reversed", 2),
])
def test_every_calculator_answers_bad_input_in_json(env: dict[str, str], cli_app: Any, tmp_path: Path,
                                                    args: tuple[str, ...], code: str, exit_code: int) -> None:
    reversed_csv = tmp_path / "p.csv"
    reversed_csv.write_text("from,to,kind\n2020-01,2019-01,actual\n", encoding="utf-8")
    filled = [a.replace("{missing}", str(tmp_path / "none.csv")).replace("{reversed}", str(reversed_csv)) for a in args]
    result = calc(cli_app, *filled, "--json")
    assert result.exit_code == exit_code, result.output
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["reason"] and data["reason_code"] == code
