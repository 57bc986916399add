"""Message catalogues (zh default, en beside it).

User-facing text lives in TOML files under ``console/locales/<lang>/``; every
file of a language is merged into one flat table of dotted keys, so that each
module can own its own file without edit conflicts.  Rules return codes and
parameters; this module turns them into words at the edge (CLI, screens,
notices).
"""
from __future__ import annotations

import os
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
_LOCALES = Path(__file__).with_name("locales")
_current: str | None = None


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


def read_catalogue(locales: Path, lang: str) -> dict[str, str]:
    """Every message file of ``lang`` under ``locales``, merged (tests read a copy of the tree with it)."""
    out: dict[str, str] = {}
    for path in sorted((locales / lang).glob("*.toml")):
        with path.open("rb") as fh:
            _flatten("", tomllib.load(fh), out)
    return out


@cache
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, keyed by dotted name."""
    return read_catalogue(_LOCALES, lang)


def normalise_lang(lang: str | None) -> str:
    """Map user input ('zh', 'zh_CN.UTF-8', 'EN') to a known catalogue name."""
    if not lang:
        return DEFAULT_LANG
    short = lang.strip().lower()[:2]
    return short if short in LANGS else DEFAULT_LANG


def current_lang() -> str:
    """The language in force: set_lang() if called, else RETIRE_LANG, else zh."""
    return _current or normalise_lang(os.environ.get("RETIRE_LANG"))


def set_lang(lang: str | None) -> str:
    """Choose the language for this process; returns the normalised name."""
    global _current
    _current = normalise_lang(lang)
    return _current


PARAM_TERMS: dict[str, tuple[str, ...]] = {
    "group": ("terms.age_group",),
    "explicit": ("terms.age_group",),
    "sex": ("terms.sex",),
    "category": ("terms.staff_category",),
    "kind": ("terms.doc_kind", "terms.case_kind"),
    "work": ("terms.special_work",),
    "field": ("field",),
    "why": ("text.why",),
}
"""Explanation parameters that hold a code: shown as the word for it (female50 -> 女职工...)."""
AGE_PARAMS = ("age", "original")
_AGE_RE = re.compile(r"^(\d+)y(\d+)m$")


def _localise(params: dict[str, Any], lang: str) -> dict[str, Any]:
    """Codes and ages inside a message's parameters, in the reader's words."""
    table = catalogue(lang)
    out = dict(params)
    for name, value in params.items():
        if not isinstance(value, str):
            continue
        for prefix in PARAM_TERMS.get(name, ()):
            word = table.get(f"{prefix}.{value}")
            if word is not None:
                out[name] = word
                break
        if name in AGE_PARAMS:
            m = _AGE_RE.match(value)
            if m:
                years, months = m.groups()
                key = "terms.age_years" if months == "0" else "terms.age"
                out[name] = table.get(key, "{years}y{months}m").format(years=years, months=months)
    return out


def t(key: str, lang: str | None = None, /, **params: Any) -> str:
    """Translate ``key``; a missing key falls back to the other language, then to the key itself."""
    lang = lang or current_lang()
    text = catalogue(lang).get(key)
    if text is None:
        for other in LANGS:
            text = catalogue(other).get(key)
            if text is not None:
                break
    if text is None:
        return key
    try:
        return text.format(**_localise(params, lang)) if params else text
    except (KeyError, IndexError, ValueError):
        return text


def both(key: str, /, **params: Any) -> dict[str, str]:
    """The message in every language, for JSON output and stored notices."""
    return {lang: t(key, lang, **params) for lang in LANGS}
