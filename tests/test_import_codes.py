"""The importer's code lists follow the vocabulary: every code, and every word the console shows for it."""
from __future__ import annotations

import json

import pytest

from console import vocabulary
from console.i18n import catalogue
from console.services.importing import codes
from console.services.importing.values import Codes, FieldError

ALIASES: list[tuple[Codes, vocabulary.Family]] = [
    (codes.SEX, vocabulary.SEX),
    (codes.STAFF_CATEGORY, vocabulary.STAFF_CATEGORY),
    (codes.FEMALE_GROUP, vocabulary.FEMALE_GROUP),
    (codes.PERIOD_KIND, vocabulary.PERIOD_KIND),
    (codes.CASE_KIND, vocabulary.CASE_KIND),
    (codes.CASE_STATUS, vocabulary.CASE_STATUS),
]


@pytest.mark.parametrize(("alias", "family"), ALIASES, ids=[f.name for _a, f in ALIASES])
def test_every_code_of_the_family_is_accepted_and_nothing_else(alias: Codes, family: vocabulary.Family) -> None:
    assert alias.codes == family.codes
    for code in family.codes:
        assert alias.parse(code) == code
        assert alias.parse(f" {code.upper()} ") == code  # a clerk's capitals and stray spaces
    assert isinstance(alias.parse("no-such-code"), FieldError)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("alias", "family"), ALIASES, ids=[f.name for _a, f in ALIASES])
def test_a_sheet_filled_in_with_the_consoles_own_words_is_understood(alias: Codes, family: vocabulary.Family,
                                                                     lang: str) -> None:
    texts = catalogue(lang)
    for code in family.codes:
        word = texts[family.key(code)]
        assert alias.parse(word) == code, (lang, code, word)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_joint_items_are_the_vocabularys_and_take_their_item_names(lang: str) -> None:
    texts = catalogue(lang)
    assert codes.JOINT_ITEM.codes == vocabulary.JOINT_ITEMS
    words = [texts[f"joint_items.{item}"] for item in vocabulary.JOINT_ITEMS]
    assert codes.parse_joint(words) == '["health", "housing_fund", "medical"]'  # a JSON Lines list
    assert codes.parse_joint(json.dumps(words, ensure_ascii=False)) == '["health", "housing_fund", "medical"]'
