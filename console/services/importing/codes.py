"""The code lists an import file may spell in words, and the words it may use.

Every list's codes come from ``console.vocabulary`` (document kinds from the
birth-date rules, which own them), and the words from the family's catalogue
table (``terms.<family>``, zh and en), so a sheet filled in with the words the
console shows is understood; the aliases below add the spellings clerks type
that the console never shows (1/2, 工人, 视同).  A new code in the vocabulary
is accepted here with no change.
"""
from __future__ import annotations

import json
import re
from typing import Any

from console import vocabulary
from console.rules.birth_date import DOC_KINDS
from console.services.importing.values import Codes, FieldError, clean, error

SEX = Codes(vocabulary.SEX.codes, {"男": "M", "女": "F", "male": "M", "female": "F", "1": "M", "2": "F"}, vocabulary.SEX.terms)
STAFF_CATEGORY = Codes(vocabulary.STAFF_CATEGORY.codes, {"工人": "worker", "干部": "cadre", "灵活就业": "flexible",
                                                         "灵活就业人员": "flexible", "个体": "flexible"}, vocabulary.STAFF_CATEGORY.terms)
FEMALE_GROUP = Codes(vocabulary.FEMALE_GROUP.codes, {"50": "female50", "55": "female55", "女工人": "female50",
                                                "女干部": "female55"}, vocabulary.FEMALE_GROUP.terms)
PERIOD_KIND = Codes(vocabulary.PERIOD_KIND.codes, {"实际缴费": "actual", "实缴": "actual", "缴费": "actual",
                                                   "视同缴费": "deemed", "视同": "deemed"}, vocabulary.PERIOD_KIND.terms)
DOC_KIND = Codes(DOC_KINDS, {}, "importer.doc_kind")
DOC_KIND_NUMBER = {kind: i + 1 for i, kind in enumerate(DOC_KINDS)}
"""A document kind as a number, for the archive row's packed key."""
assert len(DOC_KIND_NUMBER) < 256  # eight bits of the archive key
CASE_KIND = Codes(vocabulary.CASE_KIND.codes, {}, vocabulary.CASE_KIND.terms)
CASE_STATUS = Codes(vocabulary.CASE_STATUS.codes, {}, vocabulary.CASE_STATUS.terms)
JOINT_ITEM = Codes(vocabulary.JOINT_ITEMS, {"医保": "medical", "公积金": "housing_fund", "卫健": "health",
                                            "独生子女": "health"}, "joint_items")
"""Named by the items' own words (``joint_items.*``: 退休人员住房公积金提取), not the departments'."""
_LIST_SPLIT = re.compile(r"[,;，；、/|\s]+")


def parse_joint(raw: Any) -> str | FieldError:
    """A list of joint items (医保、公积金, a JSON list, or a JSON Lines list) -> its codes as a sorted JSON list."""
    text = clean(raw)
    if text is None:
        return "[]"
    if isinstance(raw, list):
        parts = [str(p) for p in raw]
    else:
        if text.startswith("["):
            try:
                parts = [str(p) for p in json.loads(text)]
            except (ValueError, TypeError):
                return error("importer.value.bad_list")
        else:
            parts = [p for p in _LIST_SPLIT.split(text) if p]
    out = set()
    for part in parts:
        code = JOINT_ITEM.parse(part)
        if isinstance(code, FieldError):
            return code
        out.add(code)
    return json.dumps(sorted(out))
