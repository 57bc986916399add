"""Header resolution: which column of the file is which field of the kind.

A clerk's sheet names its columns in its own words: the template's
``身份证号码(id_number)``, the Chinese header alone, the English field name,
a usual synonym, full-width or with a stray BOM.  Every unknown, doubled or
missing column is reported at once, before any row is read.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from console.errors import BadInput
from console.services.importing.columns import COLUMNS, IGNORED_HEADERS, template_headers
from console.services.importing.values import half_width
from console.text_policy import for_display

_BRACKETED = re.compile(r"^(.*?)\(([a-z0-9_]+)\)$")


def _fold_header(text: str) -> str:
    return half_width(str(text)).replace("\ufeff", "").strip().lstrip("*").strip().lower().replace(" ", "")


def header_resolver(kind: str) -> Callable[[str], str | None]:
    """header text -> field name; None for a column to ignore; KeyError for an unknown one.

    Accepts the template's ``身份证号码(id_number)``, the Chinese header alone,
    the English field name alone, and a few usual synonyms.
    """
    table: dict[str, str] = {}
    for col in COLUMNS[kind]:
        for text in (col.zh, *col.aliases):
            table.setdefault(_fold_header(text), col.name)
    for col in COLUMNS[kind]:  # field names win over synonyms
        table[_fold_header(col.name)] = col.name
        table[_fold_header(col.header)] = col.name
    ignored = {_fold_header(h) for h in IGNORED_HEADERS}

    def resolve(text: str) -> str | None:
        folded = _fold_header(text)
        if not folded or folded in ignored:
            return None
        found = table.get(folded)
        if found:
            return found
        m = _BRACKETED.match(folded)
        if m:
            found = table.get(m.group(2)) or table.get(m.group(1))
            if found:
                return found
        raise KeyError(text)

    return resolve


def map_header(kind: str, header: list[str]) -> dict[str, int]:
    """field -> column index; BadInput naming every unknown, doubled or missing column at once."""
    resolve = header_resolver(kind)
    fields: dict[str, int] = {}
    unknown: list[str] = []
    doubled: list[str] = []
    for i, text in enumerate(header):
        try:
            name = resolve(text)
        except KeyError:
            unknown.append(for_display(text)[:80])
            continue
        if name is None:
            continue
        if name in fields:
            doubled.append(for_display(text)[:80])
        fields.setdefault(name, i)
    missing = [c.header for c in COLUMNS[kind] if c.required and c.name not in fields]
    if not header:
        raise BadInput("importer.empty_file")
    if unknown or doubled or missing:
        raise BadInput(
            "importer.bad_header",
            unknown=", ".join(unknown) or "-",
            doubled=", ".join(doubled) or "-",
            missing=", ".join(missing) or "-",
            expected=", ".join(template_headers(kind)),
        )
    return fields
