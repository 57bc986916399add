"""The zh and en catalogues say the same things, and every key the code asks for exists.

``t()`` never fails: a key missing in one language silently falls back to the
other (a Chinese line in the English CLI), a key missing in both prints the
key itself, and a message whose ``{param}`` the caller did not pass is shown
unformatted.  Each of those is a defect a user sees and no other test
catches, so this module checks the catalogues against each other and against
the code that uses them, by reading the source (the AST), not by running it.
"""
from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from console import errors, vocabulary
from console.i18n import LANGS, catalogue

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("console", "screens", "fixtures")
"""Product code whose literal message keys must exist (tests may use made-up keys on purpose)."""


def _error_classes() -> set[str]:
    """Every RetireError class: their first argument is a message key, shown like t()'s."""
    names: set[str] = set()
    stack: list[type[errors.RetireError]] = [errors.RetireError]
    while stack:
        cls = stack.pop()
        names.add(cls.__name__)
        stack.extend(cls.__subclasses__())
    return names


SPEAKERS = {"t", "both"} | _error_classes()
"""Callables whose first argument is a catalogue key and whose keywords are its parameters."""


def fields(text: str) -> set[str]:
    """The names of the ``{params}`` a message formats (``{n:,}`` and ``{p.x}`` count as ``n``, ``p``)."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@dataclass(frozen=True)
class Use:
    """One call site that names a message: a whole key, or the constant start of a computed one."""

    where: str
    key: str
    prefix: bool
    params: frozenset[str] | None
    """The keyword names passed, or None when ``**params`` makes them unknowable."""


def _uses_in(path: Path, root: Path = ROOT) -> Iterator[Use]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
        if name not in SPEAKERS:
            continue
        first = node.args[0]
        where = f"{path.relative_to(root)}:{node.lineno}"
        keywords = {k.arg for k in node.keywords}
        params = None if None in keywords else frozenset(k for k in keywords if k is not None)
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield Use(where, first.value, False, params)
        elif isinstance(first, ast.JoinedStr) and first.values and isinstance(first.values[0], ast.Constant):
            yield Use(where, str(first.values[0].value), True, None)
        elif (
            isinstance(first, ast.BinOp) and isinstance(first.op, ast.Add)
            and isinstance(first.left, ast.Constant) and isinstance(first.left.value, str)
        ):
            yield Use(where, first.left.value, True, None)


@pytest.fixture(scope="module")
def uses() -> list[Use]:
    found = [use for root in SCANNED for path in sorted((ROOT / root).rglob("*.py")) for use in _uses_in(path)]
    # the scanner itself must see the code: hundreds of literal keys, computed ones, errors' keys
    assert sum(not u.prefix for u in found) > 300 and any(u.prefix for u in found)
    return found


@pytest.fixture(scope="module")
def zh() -> dict[str, str]:
    return catalogue("zh")


@pytest.fixture(scope="module")
def en() -> dict[str, str]:
    return catalogue("en")


def test_both_languages_have_the_same_keys(zh: dict[str, str], en: dict[str, str]) -> None:
    assert LANGS == ("zh", "en")
    assert sorted(set(zh) - set(en)) == [], "in zh only: the English reader gets Chinese"
    assert sorted(set(en) - set(zh)) == [], "in en only: the Chinese reader gets English"


def test_no_message_is_empty_or_malformed(zh: dict[str, str], en: dict[str, str]) -> None:
    for lang, table in (("zh", zh), ("en", en)):
        assert [k for k, text in table.items() if not text.strip()] == [], f"empty {lang} messages"
        broken = []
        for key, text in table.items():
            try:
                fields(text)
            except ValueError as exc:  # a lone { or }: t() would show the raw text
                broken.append((key, str(exc)))
        assert broken == [], f"{lang} messages that cannot be formatted"


def test_both_languages_format_the_same_params(zh: dict[str, str], en: dict[str, str], uses: list[Use]) -> None:
    """A {param} in one language only is a word the other reader never sees, or a caller that forgot it.

    Date and month formats may pick different parts per language (2026年5月 /
    May 2026) only when every caller passes all of them.
    """
    callers: dict[str, list[Use]] = {}
    for use in uses:
        if not use.prefix:
            callers.setdefault(use.key, []).append(use)
    differ = []
    for key in sorted(set(zh) & set(en)):
        a, b = fields(zh[key]), fields(en[key])
        if a == b:
            continue
        sites = callers.get(key, [])
        if not sites or any(s.params is None or not (a | b) <= s.params for s in sites):
            differ.append((key, sorted(a), sorted(b)))
    assert differ == []


def test_every_literal_key_in_the_code_exists(zh: dict[str, str], uses: list[Use]) -> None:
    missing = [(u.where, u.key) for u in uses if not u.prefix and u.key not in zh]
    assert missing == [], "t()/errors name keys the catalogues lack: the user would read the key"


def test_every_computed_key_prefix_names_some_key(zh: dict[str, str], uses: list[Use]) -> None:
    keys = sorted(zh)
    missing = [(u.where, u.key) for u in uses if u.prefix and not any(k.startswith(u.key) for k in keys)]
    assert missing == []


def test_every_call_passes_the_params_its_message_formats(zh: dict[str, str], en: dict[str, str], uses: list[Use]) -> None:
    """t() shows a message unformatted ({who} saved first) when a param is missing: no caller may forget one."""
    short = []
    for use in uses:
        if use.prefix or use.params is None or use.key not in zh:
            continue
        need = fields(zh[use.key]) | fields(en.get(use.key, ""))
        if not need <= use.params:
            short.append((use.where, use.key, sorted(need - use.params)))
    assert short == []


def _families() -> list[vocabulary.Family]:
    found = {id(f): f for f in vocabulary.FAMILIES}
    found.update({id(v): v for v in vars(vocabulary).values() if isinstance(v, vocabulary.Family)})
    return list(found.values())


@pytest.mark.parametrize("family", _families(), ids=lambda f: f.name)
def test_every_code_has_a_word_in_both_languages(family: vocabulary.Family, zh: dict[str, str], en: dict[str, str]) -> None:
    assert family.codes, "a family without codes"
    for table in (zh, en):
        missing = [key for code in family.codes for key in {family.key(code), family.short_key(code)} if not table.get(key)]
        assert missing == []


def test_the_parity_check_sees_a_missing_word(tmp_path: Path) -> None:
    """The scanner is not vacuous: a call naming an absent key, or forgetting a param, is found."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        'from console.i18n import t\n'
        't("no.such.key.anywhere")\n'
        't(f"terms.case_status.{code}")\n'
        'raise errors.StaleVersion("some.error.key", who=who)\n',
        encoding="utf-8",
    )
    found = list(_uses_in(bad, tmp_path))
    assert [(u.key, u.prefix) for u in found] == [
        ("no.such.key.anywhere", False), ("terms.case_status.", True), ("some.error.key", False),
    ]
    assert found[0].params == frozenset() and found[2].params == frozenset({"who"})
    assert fields("{who} saved at {when:%H:%M}, {n:,} rows, {p.name}") == {"who", "when", "n", "p"}
