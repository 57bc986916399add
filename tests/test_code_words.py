"""Every code has its words wherever its siblings have theirs.

A code list's own words live in ``terms.toml`` (tests/test_vocabulary.py), but
some codes are also named in screen- or domain-specific tables: a task item
in ``[items]``, ``[tui.item_short]`` and the time-limit names of
``workdays.toml`` (``item_<item>``), a joint item in ``[joint_items]`` and the
intake's ``[tui.intake.joint]`` checkboxes.  A new department whose item lacks
one of those shows a raw key (``tui.intake.joint.civil_affairs``) to the clerk;
``missing_sibling_words`` finds it: any catalogue table holding words for most
codes of a list must hold a word for every one, in both languages.
``tests/test_add_department.py`` runs the same check on its copy of the tree.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from console import vocabulary
from console.i18n import LANGS, read_catalogue
from console.rules import materials, table_digest, task_plan

LOCALES = Path(__file__).resolve().parents[1] / "console" / "locales"


def load_catalogue(locales: Path, lang: str) -> dict[str, str]:
    """One language's catalogue, read from ``locales`` (the product's or a copy's)."""
    return read_catalogue(locales, lang)


def code_lists(families: Iterable[vocabulary.Family], items: Iterable[str], joint: Iterable[str]) -> dict[str, tuple[str, ...]]:
    lists = {f.name: f.codes for f in families}
    lists["task_item"] = tuple(items)
    lists["joint_item"] = tuple(joint)
    return lists


def missing_sibling_words(catalogue: Mapping[str, str], lists: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Keys a table lacks: for every (table, key prefix) naming most (three or more, not all) codes of a list, the others.

    A table that names every code of another list is that list's (``[joint_items]`` holds
    the departments but the lead one; ``[terms.role]`` names roles that share department codes).
    """
    missing: list[str] = []
    for name, codes in lists.items():
        if len(codes) < 2:
            continue
        holders: dict[tuple[str, str], set[str]] = {}
        for key in catalogue:
            for code in codes:
                if not key.endswith(code):
                    continue
                head = key[: -len(code)]
                if head.endswith("."):
                    table, prefix = head[:-1], ""
                else:
                    table, _, prefix = head.rpartition(".")
                if table:
                    holders.setdefault((table, prefix), set()).add(code)
        for (table, prefix), have in holders.items():
            if len(have) < 3 or len(have) * 2 <= len(codes) or len(have) == len(codes):
                continue
            names = _names_in(catalogue, table, prefix)
            if any(other != name and other_codes and set(other_codes) <= names for other, other_codes in lists.items()):
                continue  # the table is another list's (the joint items are departments but the lead one)
            missing += [f"{table}.{prefix}{code}  ({name})" for code in codes if code not in have]
    return sorted(set(missing))


def _names_in(catalogue: Mapping[str, str], table: str, prefix: str) -> set[str]:
    start = f"{table}.{prefix}"
    return {key[len(start):] for key in catalogue if key.startswith(start)}


def product_lists() -> dict[str, tuple[str, ...]]:
    return code_lists(vocabulary.FAMILIES, [s.item for s in task_plan.TASK_PLAN], vocabulary.JOINT_ITEMS)


def test_every_code_has_its_words_beside_its_siblings_in_both_languages() -> None:
    for lang in LANGS:
        assert missing_sibling_words(load_catalogue(LOCALES, lang), product_lists()) == [], lang


def test_a_joint_item_without_its_intake_checkbox_words_is_found() -> None:
    """The check can fail: a new joint item with its terms but not its intake label is named."""
    catalogue = load_catalogue(LOCALES, "zh")
    lists = code_lists(vocabulary.FAMILIES, [s.item for s in task_plan.TASK_PLAN], (*vocabulary.JOINT_ITEMS, "civil_affairs"))
    found = missing_sibling_words(catalogue, lists)
    assert "tui.intake.joint.civil_affairs  (joint_item)" in found
    assert "joint_items.civil_affairs  (joint_item)" in found


def test_a_task_item_without_its_time_limit_name_is_found() -> None:
    catalogue = load_catalogue(LOCALES, "en")
    items = [s.item for s in task_plan.TASK_PLAN] + ["civil_affairs.registration"]
    found = missing_sibling_words(catalogue, code_lists((), items, ()))
    assert "workdays.item_civil_affairs.registration  (task_item)" in found
    assert "items.civil_affairs.registration  (task_item)" in found


def test_code_lists_the_rules_reexport_are_not_policy_tables() -> None:
    """A new role or case kind alone does not change the policy version; its materials and task rows do."""
    tables = table_digest.module_tables(materials)
    assert "CASE_KINDS" not in tables and "JOINT_ITEMS" not in tables
    assert "MATERIALS" in tables
    assert "TASK_PLAN" in table_digest.module_tables(task_plan)
