"""English text is English: no Chinese punctuation or Han characters in the en catalogue (issue 14, bug 15).

A clerk reading the English console saw `、` and `（` inside English sentences.
The only Han characters an English value may hold are data a clerk types in
Chinese (a county name, a month written 1966年6月, a yes/no the importer reads
back) or the Chinese name of a document the hall issues; each such value is
listed here with why.
"""
from __future__ import annotations

import re
from pathlib import Path

from console.i18n import read_catalogue

LOCALES = Path(__file__).resolve().parent.parent / "console" / "locales"
CHINESE = re.compile(r"[、，。（）：；「」〔〕“”‘’！？\u3400-\u4dbf\u4e00-\u9fff]")

DELIBERATE = {
    # examples of what a clerk may type: the importer and the pre-review read these back
    "importer.value.bad_month": "1966年6月 is an accepted way to write a month",
    "importer.value.bad_date": "1966年6月15日 is an accepted way to write a date",
    "importer.value.bad_bool": "是/否 are the accepted words in a Chinese file",
    "importer.value.mixed_name": "王fang is the example of the mistake",
    "door.mixed_name_refused": "the example of a name mixing scripts",
    "importer.hint.sex": "男/女 are the accepted words",
    "importer.hint.staff_category": "工人/干部/灵活就业 are the accepted words",
    "importer.hint.archive_lost": "是/否 are the accepted words",
    "importer.hint.doc_date": "1982年9月1日 is an accepted way to write a date",
    "importer.hint.from_month": "1985年7月 is an accepted way to write a month",
    "importer.hint.kind": "实际缴费/视同缴费 are the accepted words",
    "importer.hint.ratings_level": "非常不满意 .. 非常满意 are the accepted words",
    "importer.rejects.line_header": "the rejects file is read by both languages' clerks: bilingual header",
    "importer.rejects.reason_header": "the rejects file is read by both languages' clerks: bilingual header",
    "tui.prereview.place_hint": "固阳县 is the county name a clerk types",
    "tui.prereview.place_unknown_code": "固阳县 is the county name a clerk types",
    "tui.facts.pension_source": "国发〔2005〕38号 is the document's own number",
}


def test_english_values_have_no_chinese_punctuation_or_han() -> None:
    english = read_catalogue(LOCALES, "en")
    found = {key: value for key, value in english.items() if CHINESE.search(value) and key not in DELIBERATE}
    assert found == {}


def test_every_exception_is_still_needed() -> None:
    """An exception whose value became plain English is taken off the list (the list cannot rot)."""
    english = read_catalogue(LOCALES, "en")
    stale = [key for key in DELIBERATE if not CHINESE.search(english.get(key, ""))]
    assert stale == []
