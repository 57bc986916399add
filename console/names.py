"""Derived forms of people's names, shared by every writer of the persons table.

A neutral leaf: intake, the importer and the demo all store ``name_initials``
and must compute it the same way, or a search by initials would miss the
rows one of them wrote.  Nothing here touches the database or the services,
so any layer may import it.
"""
from __future__ import annotations


def initials(name: str) -> str:
    """Pinyin initials of a Chinese name, for search (张三 -> zs).

    pypinyin loads its phrase dictionary on import (~170 ms): imported here,
    not at module level, so that lookups which never register a person do
    not pay for it.
    """
    from pypinyin import Style, lazy_pinyin

    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")).lower()
