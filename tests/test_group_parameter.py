"""Women insured as flexible workers: which group rule applied, and from where (issue 15, item 6)."""
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
from console.rules.months import Month
from console.rules.retirement_facts import PersonFacts, compute_facts
from console.settings import load_parameters


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(i18n, "_current", None)
    monkeypatch.setattr(OPTIONS, "lang", None)
    monkeypatch.delenv("RETIRE_PARAMETERS", raising=False)
    load_parameters.cache_clear()
    yield
    load_parameters.cache_clear()


def calc_group(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["calc", "group", *args, "--json"])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_a_flexible_woman_follows_the_halls_parameter_and_says_so() -> None:
    data = calc_group("--sex", "F", "--category", "flexible")
    assert data["group"] == "female50"
    assert data["group_parameter"] == "flexible_worker_female_group"
    assert "固阳县" in data["group_parameter_source"]


def test_a_hall_that_uses_55_gets_55_with_its_own_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hall = tmp_path / "hall.toml"
    hall.write_text('[flexible_worker_female_group]\nvalue = "female55"\nstatus = "unconfirmed"\nsource = "某省口径"\nnote = "待核"\n',
                    encoding="utf-8")
    monkeypatch.setenv("RETIRE_PARAMETERS", str(hall))
    load_parameters.cache_clear()
    result = CliRunner().invoke(app, ["calc", "group", "--sex", "F", "--category", "flexible", "--json"])
    data = json.loads(result.stdout)
    assert (data["group"], data["group_parameter_source"]) == ("female55", "某省口径")
    assert data["unconfirmed_parameters"] == ["flexible_worker_female_group"]
    assert "flexible_worker_female_group" in result.stderr


@pytest.mark.parametrize(("args", "group"), [(("--sex", "M"), "male"), (("--sex", "F", "--category", "cadre"), "female55"),
                                             (("--sex", "F", "--category", "flexible", "--female-group", "female55"), "female55")])
def test_no_parameter_is_named_where_none_decided(args: tuple[str, ...], group: str) -> None:
    data = calc_group(*args)
    assert data["group"] == group
    assert data["group_parameter"] is None


def test_bad_sex_is_exit_2() -> None:
    result = CliRunner().invoke(app, ["calc", "group", "--sex", "X"])
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr


def test_the_stored_facts_name_the_parameter_and_its_source() -> None:
    person = PersonFacts(sex="F", id_birth=date(1976, 5, 1), staff_category="flexible")
    facts = compute_facts(person, load_parameters(), chosen_month=Month.of(2026, 9)).as_dict()
    assert facts["group"] == "female50"
    assert facts["group_parameter"]["name"] == "flexible_worker_female_group"
    assert "固阳县" in facts["group_parameter"]["source"]
    worker = compute_facts(PersonFacts(sex="F", id_birth=date(1976, 5, 1)), load_parameters()).as_dict()
    assert worker["group_parameter"] is None
