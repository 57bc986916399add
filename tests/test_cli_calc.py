"""``retire calc``: the rules engine from the shell (exit codes, JSON keys, messages)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from console import i18n
from console.cli import app
from console.cli_support import OPTIONS
from console.rules.idcard import make_id


@pytest.fixture(autouse=True)
def _fresh_globals(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """--lang sets a process-wide language: reset it so tests do not leak into each other."""
    monkeypatch.setattr(i18n, "_current", None)
    monkeypatch.setattr(OPTIONS, "lang", None)
    monkeypatch.setattr(OPTIONS, "db", None)
    monkeypatch.delenv("RETIRE_LANG", raising=False)
    monkeypatch.delenv("RETIRE_PARAMETERS", raising=False)
    yield


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def as_json(result: Any) -> dict[str, Any]:
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout)


def no_traceback(result: Any) -> None:
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr
    # an uncaught exception in a command shows as result.exception that is not SystemExit
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


# ------------------------------------------------------------------ calc retirement


def test_retirement_json() -> None:
    data = as_json(invoke("calc", "retirement", "--birth", "1966-06", "--group", "male", "--json"))
    assert data["statutory_age_months"] == 725
    assert data["statutory_age"] == "60y5m"
    assert data["statutory_month"] == "2026-11"
    assert data["benefit_start_month"] == "2026-12"
    assert data["earliest_month"] == "2026-06"  # age 60
    assert data["latest_month"] == "2029-11"  # statutory + 36
    assert data["min_contribution_months"] == 180
    assert data["delay_months"] == 5
    assert "benefit_start_rule" in data["unconfirmed_parameters"]


@pytest.mark.parametrize(
    ("birth", "group", "age", "month"),
    [
        ("1965-01", "male", 721, "2025-02"),
        ("1976-01", "female50", 607, "2026-08"),
        ("1971-04", "female55", 664, "2026-08"),
        ("1976-12", "male", 756, "2039-12"),
        ("1966-06-15", "male", 725, "2026-11"),  # a full date is accepted
    ],
)
def test_retirement_examples(birth: str, group: str, age: int, month: str) -> None:
    data = as_json(invoke("calc", "retirement", "--birth", birth, "--group", group, "--json"))
    assert (data["statutory_age_months"], data["statutory_month"]) == (age, month)


def test_unconfirmed_parameter_named_on_stderr_not_stdout() -> None:
    result = invoke("calc", "retirement", "--birth", "1966-06", "--group", "male", "--json")
    assert "benefit_start_rule" in result.stderr
    json.loads(result.stdout)  # stdout stays pure JSON


def test_retire_at_inside_window() -> None:
    early = as_json(invoke("calc", "retirement", "--birth", "1966-06", "--group", "male", "--retire-at", "2026-06", "--json"))
    assert early["retire_kind"] == "early"
    assert early["chosen_month"] == "2026-06"
    assert early["benefit_start_month"] == "2026-07"
    late = as_json(invoke("calc", "retirement", "--birth", "1970-01", "--group", "male", "--retire-at", "2034-05", "--json"))
    assert late["retire_kind"] == "deferred"
    assert late["min_contribution_months"] == 192  # 2031's, the statutory year


@pytest.mark.parametrize("retire_at", ["2026-05", "2029-12", "2020-01", "2040-01"])
def test_retire_at_outside_window_refused(retire_at: str) -> None:
    result = invoke("calc", "retirement", "--birth", "1966-06", "--group", "male", "--retire-at", retire_at)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    no_traceback(result)


@pytest.mark.parametrize("birth", ["1966-13", "1966/06", "abc", "", "1966-06-31", "66-06", "1966-00"])
def test_malformed_birth_exit_2(birth: str) -> None:
    result = invoke("calc", "retirement", "--birth", birth, "--group", "male")
    assert result.exit_code == 2
    no_traceback(result)
    assert result.stderr.strip()


def test_malformed_retire_at_exit_2() -> None:
    result = invoke("calc", "retirement", "--birth", "1966-06", "--group", "male", "--retire-at", "2026/11")
    assert result.exit_code == 2
    no_traceback(result)


@pytest.mark.parametrize("group", ["female", "men", "MALE", "female60", ""])
def test_unknown_group_exit_2(group: str) -> None:
    result = invoke("calc", "retirement", "--birth", "1966-06", "--group", group)
    assert result.exit_code == 2
    no_traceback(result)


def test_female50_born_1981_window() -> None:
    data = as_json(invoke("calc", "retirement", "--birth", "1981-01", "--group", "female50", "--json"))
    assert data["statutory_month"] == "2034-02"  # 53y1m
    assert data["earliest_month"] == "2031-02"  # not 2031-01 (age 50)
    refused = invoke("calc", "retirement", "--birth", "1981-01", "--group", "female50", "--retire-at", "2031-01")
    assert refused.exit_code == 1


def test_english_messages() -> None:
    result = invoke("--lang", "en", "calc", "retirement", "--birth", "1966-06", "--group", "male")
    assert result.exit_code == 0
    assert "Flexible retirement" in result.stdout
    bad = invoke("--lang", "en", "calc", "retirement", "--birth", "abc", "--group", "male")
    assert bad.exit_code == 2
    assert "Bad month or date" in bad.stderr
    refused = invoke("--lang", "en", "calc", "retirement", "--birth", "1966-06", "--group", "male", "--retire-at", "2030-01")
    assert refused.exit_code == 1
    assert "2029-11" in refused.stderr and "after the latest" in refused.stderr


def test_chinese_is_the_default() -> None:
    result = invoke("calc", "retirement", "--birth", "abc", "--group", "male")
    assert "格式" in result.stderr


# ------------------------------------------------------------------ calc pension


def test_pension_json_money_strings() -> None:
    # C=8000, I=1, 25 years: 8000 * 2 / 2 * 25 * 1% = 2000.00; 55600 / 139 = 400.00
    data = as_json(
        invoke("calc", "pension", "--base", "8000", "--index", "1", "--months", "300", "--balance", "55600", "--age", "60y", "--json")
    )
    assert data["basic"] == "2000.00"
    assert data["account"] == "400.00"
    assert data["transitional"] == "0.00"
    assert data["total"] == "2400.00"
    assert data["unconfirmed_parameters"] == []


def test_pension_interpolated_age_and_half_up() -> None:
    # 60y1m: divisor 138.4; 13840.692 / 138.4 = 100.005 -> 100.01
    data = as_json(
        invoke("calc", "pension", "--base", "0", "--index", "0", "--months", "0", "--balance", "13840.692", "--age", "60y1m", "--json")
    )
    assert data["divisor_months"] == "138.4"
    assert data["account"] == "100.01"


def test_pension_transitional_names_its_formula() -> None:
    # Inner Mongolia's row (shipped, reported from a notice): 8000 * 1 * 10 * 0.012 = 960.00
    result = invoke(
        "calc", "pension", "--base", "8000", "--index", "1", "--months", "240", "--balance", "0",
        "--age", "60y", "--transition-months", "120", "--json",
    )
    data = as_json(result)
    assert data["transitional"] == "960.00"
    assert data["pension_formula"] == "pension_formula_neimenggu"
    assert data["unconfirmed_parameters"] == []


@pytest.mark.parametrize(
    "option",
    [("--base", "abc"), ("--base", "-1"), ("--index", "NaN"), ("--balance", "1,2,x"), ("--age", "sixty"), ("--age", "60y13m")],
)
def test_pension_bad_input_exit_2(option: tuple[str, str]) -> None:
    args = {"--base": "8000", "--index": "1", "--balance": "1000", "--age": "60y"}
    args[option[0]] = option[1]
    flat = [x for kv in args.items() for x in kv]
    result = invoke("calc", "pension", "--months", "180", *flat)
    assert result.exit_code == 2
    no_traceback(result)


# An absurd amount is one line and exit 2, never a Decimal traceback.
@pytest.mark.parametrize(
    "option",
    [("--base", "1e30"), ("--balance", "1e40"), ("--months", "1000000000000000000000000000"), ("--transition-months", "99999999999999999999999999")],
)
def test_pension_huge_amount_is_bad_input_not_a_traceback(option: tuple[str, str]) -> None:
    args = {"--base": "8000", "--index": "1", "--balance": "1000", "--age": "60y", "--months": "180"}
    args[option[0]] = option[1]
    flat = [x for kv in args.items() for x in kv]
    result = invoke("calc", "pension", *flat)
    no_traceback(result)
    assert result.exit_code == 2


# ------------------------------------------------------------------ calc contributions


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_contributions_with_header_and_place(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "periods.csv",
        "from,to,kind,place\n"
        "1990-01,1995-12,deemed,\n"
        "1996-01,2010-12,actual,150222\n"
        "2010-07,2010-12,actual,150222\n"
        "2012-01,2014-12,actual,110101\n",
    )
    result = invoke("calc", "contributions", str(path), "--json")
    data = as_json(result)
    # union: 72 deemed + 180 actual (1996..2010) + 36 actual outside = 288
    assert data["total_months"] == 288
    assert data["deemed_months"] == 72
    assert data["actual_months"] == 216
    assert data["county_months"] == 252
    assert data["gaps"] == [{"from": "2011-01", "to": "2011-12", "months": 12}]
    assert data["overlaps"] == [{"from": "2010-07", "to": "2010-12", "months": 6}]
    assert data["unconfirmed_parameters"] == ["personal_contribution_start"]
    assert "personal_contribution_start" in result.stderr


def test_contributions_without_header(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "2000-01,2009-12,actual\n2012-01,2016-12,actual\n")
    data = as_json(invoke("calc", "contributions", str(path), "--json"))
    assert data["total_months"] == 180
    assert data["county_months"] == 180  # no place column: the county's own record
    assert data["gaps"] == [{"from": "2010-01", "to": "2011-12", "months": 24}]
    assert data["unconfirmed_parameters"] == []


def test_contributions_gb18030_file_with_chinese_place(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("from,to,kind,place\n2000-01,2009-12,actual,固阳县\n2010-01,2014-12,Actual,北京市\n".encode("gb18030"))
    data = as_json(invoke("calc", "contributions", str(path), "--json"))
    assert data["total_months"] == 180
    assert data["county_months"] == 120


def test_contributions_table_output(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "2000-01,2009-12,actual\n2012-01,2016-12,actual\n")
    result = invoke("--lang", "en", "calc", "contributions", str(path))
    assert result.exit_code == 0
    assert "2010-01..2011-12 (24)" in result.stdout


def test_contributions_deemed_past_start_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "p.csv", "1990-01,1996-06,deemed\n1996-07,2010-12,actual\n")
    result = invoke("calc", "contributions", str(path), "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["valid"] is False  # the refusal as data (tests/test_cli_calc_json.py)
    no_traceback(result)


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        b"\x00\x01\x02\x03\xff\xfe\xfd",
        b"just some words, not periods\n",
        b"2000-01,2009-13,actual\n",
        b"2000-01,2009-12\n",
        b"2000-01,2009-12,actual,150222,extra\n",
        b"",
    ],
)
def test_contributions_bad_file_exit_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    result = invoke("calc", "contributions", str(path))
    assert result.exit_code == 2, (result.stdout, result.stderr, result.exception)
    no_traceback(result)


def test_contributions_missing_file_exit_2(tmp_path: Path) -> None:
    result = invoke("calc", "contributions", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    no_traceback(result)
    directory = invoke("calc", "contributions", str(tmp_path))
    assert directory.exit_code == 2
    no_traceback(directory)


# ------------------------------------------------------------------ calc idcard


def test_idcard_valid() -> None:
    number = make_id("150222", date(1966, 6, 15), 11)
    data = as_json(invoke("calc", "idcard", number, "--json"))
    assert data["birth_date"] == "1966-06-15"
    assert data["sex"] == "M"
    assert data["valid"] is True


def test_idcard_unknown_place_valid() -> None:
    number = make_id("999999", date(1976, 1, 9), 24)
    data = as_json(invoke("calc", "idcard", number, "--json"))
    assert (data["birth_date"], data["sex"]) == ("1976-01-09", "F")


@pytest.mark.parametrize("number", ["150222196606150012", "1502221966061500", "abc", "150222196602300019"])
def test_idcard_invalid_exit_2(number: str) -> None:
    result = invoke("--lang", "en", "calc", "idcard", number)
    assert result.exit_code == 2
    assert "invalid" in result.stderr
    no_traceback(result)
