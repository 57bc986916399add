"""The pension formula as data (issue 15): each shipped province row against the notices it came from.

Vectors are transcribed benefit notices in the public repository
liubigfatty/pension-calculator (``cases/<province>/<n>.json``); each test names
its file.  Totals are the three parts the console computes (Sichuan's monthly
增发 supplement is not modelled and is left out of its total).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from console import i18n
from console.cli import app
from console.cli_support import OPTIONS
from console.rules.months import Month, parse_age
from console.rules.pension import FORMULA_RULES, divisor_months, estimate_pension
from console.settings import load_parameters


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(i18n, "_current", None)
    monkeypatch.setattr(OPTIONS, "lang", None)
    monkeypatch.delenv("RETIRE_LANG", raising=False)
    monkeypatch.delenv("RETIRE_PARAMETERS", raising=False)
    load_parameters.cache_clear()
    yield
    load_parameters.cache_clear()


def formula(code: str) -> Any:
    return load_parameters().pension_formula(code)


def parts(est: Any) -> tuple[str, str, str, str]:
    return str(est.basic), str(est.account), str(est.transitional), str(est.total)


# ------------------------------------------------------------------ the shipped rows and their vectors


def test_inner_mongolia_is_the_halls_formula_with_its_source() -> None:
    params = load_parameters()
    f = params.pension_formula()
    assert f.code == "neimenggu"
    assert f.status == "reported"
    assert "cases/neimenggu/2.json" in f.source and "核定表" in f.source
    assert (f.basic_years, f.transitional_index, f.transitional_coefficient) == ("exact", "at_least_one", D("0.012"))


def test_inner_mongolia_official_notice_2025_09() -> None:
    # cases/neimenggu/2.json: 8179 x (1+0.6111)/2 x 493/12 x 1%; 93577.2 / 139; 8179 x 1 x 136/12 x 1.2%
    est = estimate_pension(D("8179"), D("0.6111"), 493, D("93577.2"), parse_age("60y0m"), 136,
                           formula("neimenggu"), Month.of(2025, 9))
    assert parts(est) == ("2706.81", "673.22", "1112.34", "4492.37")
    assert est.divisor_months == D("139")


def test_inner_mongolia_sibling_case_2025_06() -> None:
    # cases/neimenggu/1.json: base 8105 (the 2024 figure, 2025's unpublished then), 41 years, 162 deemed months
    est = estimate_pension(D("8105"), D("0.9708"), 492, D("135800"), parse_age("60y0m"), 162,
                           formula("neimenggu"), Month.of(2025, 6))
    assert parts(est) == ("3274.53", "976.98", "1313.01", "5564.52")


def test_sichuan_notice_2025_01_mean_base_and_hundredth_years() -> None:
    # cases/sichuan/2.json: (C + C x I)/2 x 8.08 years (97 months before 1996-01) x 1.3%; 446 months = 37.17 years
    est = estimate_pension(D("8321"), D("0.964"), 446, D("149649.55"), parse_age("55y0m"), 97,
                           formula("sichuan"), Month.of(2025, 1))
    assert parts(est)[:3] == ("3037.24", "880.29", "858.31")


def test_sichuan_notice_2024_04_whole_year_divisor() -> None:
    # cases/sichuan/1.json: woman 50y1m retiring 2024-04, divisor 195 (not 194.6), 208 months = 17.33 years
    est = estimate_pension(D("8079"), D("0.84"), 208, D("91147.87"), parse_age("50y1m"), 0,
                           formula("sichuan"), Month.of(2024, 4))
    assert est.divisor_months == D("195")
    assert parts(est)[:3] == ("1288.08", "467.42", "0.00")


def test_anhui_case_2024_06_years_up_to_a_tenth() -> None:
    # cases/anhui/1.json: 26y8m -> 26.7, deemed 14y2m -> 14.2, person's index, 1.3%
    est = estimate_pension(D("7688"), D("1.5692"), 320, D("49861.54"), parse_age("60y0m"), 170,
                           formula("anhui"), Month.of(2024, 6))
    assert parts(est) == ("2636.89", "358.72", "2227.02", "5222.63")


def test_the_index_rule_decides_the_transitional_index() -> None:
    # index 1.5 > 1: Inner Mongolia's floor of 1 keeps it, Anhui uses it too; only "one" would not
    im = estimate_pension(D("8000"), D("1.5"), 240, D("0"), 720, 120, formula("neimenggu"))
    assert im.transitional == D("1440.00")  # 8000 x 1.5 x 10 x 1.2%
    low = estimate_pension(D("8000"), D("0.5"), 240, D("0"), 720, 120, formula("neimenggu"))
    assert low.transitional == D("960.00")  # 8000 x 1 x 10 x 1.2%


@pytest.mark.parametrize("code", ["neimenggu", "sichuan", "anhui"])
def test_every_shipped_row_has_name_status_source_and_known_rules(code: str) -> None:
    f = formula(code)
    assert f.name and f.source and f.status in ("reported", "confirmed", "unconfirmed", "default")
    assert "liubigfatty/pension-calculator" in f.source
    for rule in ("basic_years", "transitional_base", "transitional_index", "transitional_years", "transitional_months"):
        assert getattr(f, rule) in FORMULA_RULES[rule]


def test_the_explanation_names_the_formula_row_and_its_source() -> None:
    f = formula("neimenggu")
    est = estimate_pension(D("8179"), D("0.6111"), 493, D("93577.2"), 720, 136, f, Month.of(2025, 9))
    first = est.reasons[0]
    assert first.code == "rules.pension.formula"
    assert first.params["formula"] == "pension_formula_neimenggu"
    assert first.source == f.source
    transitional = next(r for r in est.reasons if r.code.startswith("rules.pension.transitional"))
    assert transitional.params["index"] == D("1")
    assert transitional.source == f.source


def test_the_2025_base_ships_with_the_year_it_applies_to() -> None:
    params = load_parameters()
    assert params.pension_base(2025) == D("8179.00")
    assert params.pension_base(2026) is None  # a hall adds later years
    assert "2025" in params.get("pension_base").source or "2025" in params.get("pension_base").note


# ------------------------------------------------------------------ divisor months by date


@pytest.mark.parametrize(
    ("age", "month", "expected"),
    [
        ("50y1m", Month.of(2024, 4), "195"),
        ("50y6m", Month.of(2024, 10), "195"),
        ("45y2m", Month.of(2024, 12), "216"),
        ("50y1m", Month.of(2025, 1), "194.6"),
        ("50y1m", Month.of(2025, 3), "194.6"),
        ("50y1m", None, "194.6"),
    ],
)
def test_divisor_is_whole_year_before_2025_and_to_the_month_after(age: str, month: Month | None, expected: str) -> None:
    d = divisor_months(parse_age(age), month)
    assert d.months == D(expected)
    if month is not None and month < Month.of(2025, 1):
        assert d.reason.code == "rules.divisor.whole_year_before"


# ------------------------------------------------------------------ the calculator


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


DONE_WHEN = ["calc", "pension", "--base", "8179", "--index", "0.6111", "--months", "493", "--balance", "93577.2",
             "--age", "60y0m", "--transition-months", "136", "--retire-month", "2025-09", "--json"]


def test_calc_pension_reproduces_the_inner_mongolia_notice() -> None:
    result = invoke(*DONE_WHEN)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    data = json.loads(result.stdout)
    assert (data["basic"], data["account"], data["transitional"]) == ("2706.81", "673.22", "1112.34")
    assert data["pension_formula"] == "pension_formula_neimenggu"
    assert data["pension_formula_status"] == "reported"
    assert "cases/neimenggu/2.json" in data["pension_formula_source"]
    assert data["retire_month"] == "2025-09"
    assert any("内蒙古" in line for line in data["explanation"])


@pytest.mark.parametrize(("month", "divisor"), [("2024-04", "195"), ("2025-03", "194.6")])
def test_calc_pension_divisor_follows_the_retirement_month(month: str, divisor: str) -> None:
    result = invoke("calc", "pension", "--base", "8000", "--index", "1", "--months", "300", "--balance", "19500",
                    "--age", "50y1m", "--retire-month", month, "--json")
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert json.loads(result.stdout)["divisor_months"] == divisor


def test_calc_pension_without_a_month_uses_the_current_law() -> None:
    result = invoke("calc", "pension", "--base", "0", "--index", "0", "--months", "0", "--balance", "0", "--age", "50y1m", "--json")
    data = json.loads(result.stdout)
    assert data["divisor_months"] == "194.6"
    assert data["retire_month"] is None


def test_calc_pension_bad_month_is_exit_2() -> None:
    result = invoke("calc", "pension", "--base", "0", "--index", "0", "--months", "0", "--balance", "0", "--age", "60y",
                    "--retire-month", "2025-13")
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr


def test_a_hall_in_sichuan_edits_a_file_not_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hall = tmp_path / "hall.toml"
    hall.write_text('[pension_formula]\nvalue = "sichuan"\nstatus = "confirmed"\nsource = "hall"\n', encoding="utf-8")
    monkeypatch.setenv("RETIRE_PARAMETERS", str(hall))
    load_parameters.cache_clear()
    result = invoke("calc", "pension", "--base", "8321", "--index", "0.964", "--months", "446", "--balance", "149649.55",
                    "--age", "55y0m", "--transition-months", "97", "--retire-month", "2025-01", "--json")
    data = json.loads(result.stdout)
    assert (data["basic"], data["account"], data["transitional"]) == ("3037.24", "880.29", "858.31")
    assert data["pension_formula"] == "pension_formula_sichuan"


def test_a_formula_row_with_an_unknown_rule_is_refused_with_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hall = tmp_path / "hall.toml"
    hall.write_text(
        '[pension_formula]\nvalue = "x"\nstatus = "default"\n'
        '[pension_formula_x]\nstatus = "unconfirmed"\nsource = "hall"\n'
        '[pension_formula_x.value]\nname = "X"\nbasic_years = "sometimes"\n', encoding="utf-8")
    monkeypatch.setenv("RETIRE_PARAMETERS", str(hall))
    load_parameters.cache_clear()
    result = invoke("calc", "pension", "--base", "1", "--index", "1", "--months", "1", "--balance", "1", "--age", "60y")
    assert result.exit_code == 2
    assert "basic_years" in result.stderr and "sometimes" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_an_unconfirmed_formula_row_is_named_on_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hall = tmp_path / "hall.toml"
    hall.write_text('[pension_formula_neimenggu]\nstatus = "unconfirmed"\nsource = "hall"\nnote = "待核"\n'
                    '[pension_formula_neimenggu.value]\nname = "内蒙古"\nbasic_years = "exact"\ntransitional_base = "base"\n'
                    'transitional_index = "at_least_one"\ntransitional_coefficient = "0.012"\ntransitional_years = "exact"\n'
                    'transitional_months = "deemed"\n', encoding="utf-8")
    monkeypatch.setenv("RETIRE_PARAMETERS", str(hall))
    load_parameters.cache_clear()
    result = invoke("calc", "pension", "--base", "8000", "--index", "1", "--months", "240", "--balance", "0",
                    "--age", "60y", "--transition-months", "120", "--json")
    assert json.loads(result.stdout)["unconfirmed_parameters"] == ["pension_formula_neimenggu"]
    assert "pension_formula_neimenggu" in result.stderr
