"""The policy version comes from the tables: edit one and the version changes, by itself.

Decisions and stored facts carry it so they can be replayed, and the
upcoming list recomputes rows of another version (tests/test_upcoming.py);
a hand-bumped string kept its old value when a table changed.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from console.rules import policy
from console.rules.months import Month
from console.rules.parameters import LocalParameters, policy_version
from console.rules.retirement_facts import PersonFacts, compute_facts
from console.rules.table_digest import canonical, module_tables, national_version, rules_modules, tables_digest
from console.services import case_queries
from console.settings import load_parameters
from db.hall_database import HallDatabase
from tests.workflow_helpers import accepted_case, ready_case

ROOT = Path(__file__).resolve().parents[1]
PRINT_VERSION = "from console.rules.table_digest import national_version; print(national_version())"


@pytest.fixture
def fresh_version() -> Iterator[None]:
    """Tests that edit a table in place must leave no version of theirs cached."""
    national_version.cache_clear()
    yield
    national_version.cache_clear()


def _version_in(tree: Path, seed: str = "0", code: str = PRINT_VERSION) -> str:
    """The national version (or what ``code`` prints) in a fresh process, from the console package under ``tree``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHASHSEED")}
    env.update(PYTHONPATH=str(tree), PYTHONHASHSEED=seed, PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _copy_console(to: Path) -> Path:
    shutil.copytree(ROOT / "console", to / "console", ignore=shutil.ignore_patterns("__pycache__"))
    return to


def test_the_version_reads_as_the_law_in_force_and_a_digest() -> None:
    version = national_version()
    label, digest = version.rsplit(".", 1)
    assert label == "CN-2025-01-01" and len(digest) == 10 and int(digest, 16) >= 0


def test_same_tables_same_version_in_every_process(tmp_path: Path) -> None:
    """Set order and hash seeds must not leak into it: the same program gives the same stamp tomorrow."""
    here = national_version()
    assert _version_in(ROOT, seed="1") == _version_in(ROOT, seed="2") == here
    assert _version_in(_copy_console(tmp_path)) == here  # a byte-identical copy elsewhere: the same


def test_one_changed_table_entry_in_a_copy_changes_the_version(tmp_path: Path) -> None:
    tree = _copy_console(tmp_path)
    source = tree / "console" / "rules" / "policy.py"
    text = source.read_text(encoding="utf-8")
    assert "60: 139," in text
    source.write_text(text.replace("60: 139,", "60: 140,"), encoding="utf-8")  # one divisor month
    changed = _version_in(tree)
    assert changed != national_version() and changed.startswith("CN-2025-01-01.")


def test_a_changed_time_limit_changes_both_versions(tmp_path: Path) -> None:
    """The hall's promise of 20 working days is a table too: a case decided under 21 says so."""
    both = PRINT_VERSION + "; from console.rules.time_limits import TIME_LIMITS_VERSION; print(TIME_LIMITS_VERSION)"
    before = _version_in(ROOT, code=both).split()
    tree = _copy_console(tmp_path)
    source = tree / "console" / "rules" / "time_limits.py"
    text = source.read_text(encoding="utf-8")
    assert '"case": (20,' in text
    source.write_text(text.replace('"case": (20,', '"case": (21,'), encoding="utf-8")
    after = _version_in(tree, code=both).split()
    assert before[0] == national_version() and after[0] != before[0]
    assert before[1].startswith("time-limits/") and after[1] != before[1]


def test_a_table_in_a_new_rules_module_counts_too(tmp_path: Path) -> None:
    """Tables are found by walking the package: a new module cannot be left out by forgetting a list."""
    tree = _copy_console(tmp_path)
    (tree / "console" / "rules" / "survivor_benefit.py").write_text('"""A new table."""\nMONTHS_OF_FUNERAL_GRANT = 20\n', encoding="utf-8")
    assert _version_in(tree) != national_version()


def test_an_edit_in_place_changes_the_version_of_new_facts(fresh_version: None) -> None:
    params = load_parameters()
    before = policy_version(params)
    man = PersonFacts(sex="M", id_birth=date(1966, 6, 15), staff_category="worker")
    assert compute_facts(man, params).policy_version == before
    band = policy.AGE_BANDS["male"]
    policy.AGE_BANDS["male"] = replace(band, cap_months=band.cap_months + 1)
    try:
        national_version.cache_clear()
        after = policy_version(params)
        assert after != before
        assert after.split("+")[1] == before.split("+")[1]  # the local half is the parameters' own
        assert compute_facts(man, params).policy_version == after
    finally:
        policy.AGE_BANDS["male"] = band
    national_version.cache_clear()
    assert policy_version(params) == before  # the same tables again: the same version


def test_a_local_parameter_changes_only_the_local_half() -> None:
    base = {"county_places": {"value": ["150222"], "status": "confirmed"}}
    a = policy_version(LocalParameters.from_mapping(base))
    b = policy_version(LocalParameters.from_mapping({"county_places": {"value": ["150222", "110101"], "status": "confirmed"}}))
    assert a.split("+")[0] == b.split("+")[0] == national_version() and a != b


def test_what_counts_as_a_table() -> None:
    module = types.ModuleType("console.rules.example")
    tables = vars(module)
    tables.update(LIMIT=3, STEPS={"b": (1, 2), "a": frozenset({"x", "y"})}, START=Month.of(2025, 1))
    first = tables_digest([module])
    tables.update(helper=lambda: 1, _cache={}, os=os)  # code, a private value, an imported module: not tables
    assert tables_digest([module]) == first and sorted(module_tables(module)) == ["LIMIT", "START", "STEPS"]
    tables["STEPS"] = {"a": frozenset({"y", "x"}), "b": (1, 2)}  # the same data written in another order
    assert tables_digest([module]) == first
    tables["LIMIT"] = 4
    assert tables_digest([module]) != first


def test_a_value_without_a_canonical_form_is_refused_not_skipped() -> None:
    class Opaque:
        pass

    module = types.ModuleType("console.rules.example")
    vars(module).update(RATE=Decimal("0.012"), THING=Opaque())
    with pytest.raises(TypeError, match="Opaque"):
        tables_digest([module])
    assert canonical(Decimal("0.012")) != canonical(Decimal("0.0120")) != canonical(0.012)


def test_every_rules_module_has_a_canonical_form() -> None:
    modules = rules_modules()
    names = {m.__name__.rsplit(".", 1)[1] for m in modules}
    assert {"policy", "cn_schedule", "pension", "materials", "task_plan", "time_limits"} <= names
    tables = {m.__name__.rsplit(".", 1)[1]: module_tables(m) for m in modules}
    assert {"AGE_BANDS", "DIVISOR_MONTHS", "MIN_CONTRIBUTION"} <= set(tables["policy"])
    assert "SCHEDULES" in tables["cn_schedule"] and "DEFAULT_LIMITS" in tables["time_limits"]


def test_the_version_is_shown_with_the_case_and_its_facts(db: HallDatabase, staff: Callable[..., Any], fresh_version: None) -> None:
    """`retire case show` names the version a case was decided with; a later table edit leaves it alone."""
    clerk = staff("carol", "clerk", "hrss_reviewer")
    decided, _ = accepted_case(db, clerk)
    shown = case_queries.show(db, clerk, decided)
    version = policy_version(load_parameters())
    assert shown["policy_version"] == shown["prereview"]["policy_version"] == version
    assert shown["prereview"]["facts"]["policy_version"] == version

    row = policy.DIVISOR_MONTHS[60]
    policy.DIVISOR_MONTHS[60] = row + 1
    try:
        national_version.cache_clear()
        later = ready_case(db, clerk, seq=13)
        new = case_queries.show(db, clerk, later)["prereview"]["policy_version"]
    finally:
        policy.DIVISOR_MONTHS[60] = row
    assert new != version and new.split("+")[0] != version.split("+")[0]
    assert case_queries.show(db, clerk, decided)["policy_version"] == version  # replayable: the old stamp stays
