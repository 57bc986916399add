"""The vocabulary, the database's CHECK lists and the catalogues say the same codes.

A code added to console.vocabulary without its migration would be refused by
the database the first time a clerk used it; a code without a word would show
up as ``terms.department.xyz`` on a screen.  Both fail here first.
"""
from __future__ import annotations

import pytest
import sqlite_utils

from console import vocabulary
from console.i18n import catalogue
from console.rules.task_plan import TASK_PLAN
from db.migration_gen import (
    CHECKED_COLUMNS,
    changes,
    check_lists,
    fresh_database,
    main,
    table_sql,
)


@pytest.fixture(scope="module")
def fresh() -> sqlite_utils.Database:
    return fresh_database()


@pytest.mark.parametrize(("table", "column"), sorted(CHECKED_COLUMNS))
def test_schema_check_list_equals_the_family(fresh: sqlite_utils.Database, table: str, column: str) -> None:
    family = CHECKED_COLUMNS[(table, column)]
    found = check_lists(table_sql(fresh, table))
    assert column in found, f"{table}.{column} has no CHECK (... IN (...)) in the migrated schema"
    assert set(found[column]) == set(family.codes), (
        f"{table}.{column} accepts {found[column]} but console.vocabulary.{family.name} is {family.codes}: "
        "run python -m db.migration_gen --write"
    )


def test_every_code_listing_check_is_compared(fresh: sqlite_utils.Database) -> None:
    """A new CHECK (col IN ('a', ...)) in a migration must name its family in CHECKED_COLUMNS."""
    tables = [r[0] for r in fresh.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    listed = {(t, c) for t in tables for c in check_lists(table_sql(fresh, t))}
    assert listed == set(CHECKED_COLUMNS)


def test_no_migration_is_due(fresh: sqlite_utils.Database, capsys: pytest.CaptureFixture[str]) -> None:
    assert changes(fresh) == []
    assert main(["--check"]) == 0
    assert "no migration needed" in capsys.readouterr().out


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("family", vocabulary.FAMILIES, ids=lambda f: f.name)
def test_every_code_has_a_word(lang: str, family: vocabulary.Family) -> None:
    words = catalogue(lang)
    missing = [c for c in family.codes if not words.get(family.key(c), "").strip()]
    assert not missing, f"{lang}: no word for {family.terms}.{missing}"
    if family.short_terms:
        short = [c for c in family.codes if not words.get(family.short_key(c), "").strip()]
        assert not short, f"{lang}: no short word for {family.short_terms}.{short}"


@pytest.mark.parametrize("family", vocabulary.FAMILIES, ids=lambda f: f.name)
def test_words_are_distinct(family: vocabulary.Family) -> None:
    """Two codes with one word could not be told apart in a filter or a list."""
    for lang in ("zh", "en"):
        words = [catalogue(lang)[family.key(c)] for c in family.codes]
        assert len(set(words)) == len(words), f"{lang} {family.name}: {words}"


def test_sets_name_only_known_codes() -> None:
    vocabulary.check_consistent()


def test_check_consistent_catches_a_stray_code(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vocabulary, "OPEN_STATUSES", ("draft", "in_review"))
    with pytest.raises(ValueError, match="in_review"):
        vocabulary.check_consistent()


def test_workflow_sets_partition_the_statuses() -> None:
    assert set(vocabulary.OPEN_STATUSES) | set(vocabulary.CLOSED_STATUSES) == set(vocabulary.CASE_STATUS.codes)
    assert not set(vocabulary.OPEN_STATUSES) & set(vocabulary.CLOSED_STATUSES)
    assert set(vocabulary.TASK_ATTENTION_ORDER) == set(vocabulary.TASK_STATUS.codes)


def test_every_department_has_tasks_and_a_role() -> None:
    """A department without a task-plan row never gets work; without a role nobody can do it."""
    planned = {spec.department for spec in TASK_PLAN}
    assert planned == set(vocabulary.DEPARTMENT.codes)
    assert set(vocabulary.ROLE_DEPARTMENT.values()) == set(vocabulary.DEPARTMENT.codes)
    joint = {spec.joint_item for spec in TASK_PLAN if spec.joint_item}
    assert joint == set(vocabulary.JOINT_ITEMS)


def test_sql_list_quotes() -> None:
    assert vocabulary.sql_list(("a", "o'b")) == "'a', 'o''b'"
    listed = vocabulary.sql_list(("a", "o'b"))
    assert check_lists("x TEXT CHECK (x IN (" + listed + "))") == {"x": ("a", "o'b")}
