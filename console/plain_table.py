"""The CLI's plain text table, laid out for a terminal where a Han character is two columns wide.

The layout is tabulate's ``simple`` format with ``disable_numparse=True``
(the format the CLI has always printed): a header row, a rule of dashes,
then the rows; every column left-aligned, at least two wider than its
header, columns two spaces apart, cells stripped of surrounding spaces and
split at line breaks, no spaces at the end of a line.  It lives here, in thirty lines of the standard
library, because importing tabulate (with wcwidth and importlib.metadata)
cost a lookup more than a third of its whole run.  tests/test_cli_lookup.py
holds the layout to tabulate's on wide, narrow, empty and multi-line cells.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

GAP = "  "
HEADER_PADDING = 2
"""tabulate's MIN_PADDING: a column is at least this much wider than its header."""
ZERO_WIDTH_CATEGORIES = ("Mn", "Me", "Cf")
CONJOINING_JAMO = ((0x1160, 0x11FF), (0xD7B0, 0xD7FF))
"""Hangul vowels and final consonants: drawn inside the syllable their leading consonant starts (0 columns)."""


def text_width(text: str) -> int:
    """Terminal columns of ``text``: wide and full-width characters 2, combining and format characters 0."""
    if text.isascii():
        return len(text)
    width = 0
    for char in text:
        if unicodedata.category(char) in ZERO_WIDTH_CATEGORIES or _conjoining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _conjoining(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in CONJOINING_JAMO)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - text_width(text))


def render(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> str:
    """The table of ``rows`` (cells shown with ``str``; None as empty) under ``headers``."""
    cells = [["" if cell is None else str(cell).strip() for cell in row] for row in rows]
    widths = [text_width(h) + HEADER_PADDING for h in headers]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], *(text_width(line) for line in cell.split("\n")))
    lines = [GAP.join(_pad(h, w) for h, w in zip(headers, widths, strict=False)), GAP.join("-" * w for w in widths)]
    for row in cells:
        parts = [cell.split("\n") for cell in row]
        for k in range(max((len(p) for p in parts), default=1)):
            lines.append(GAP.join(_pad(p[k] if k < len(p) else "", w) for p, w in zip(parts, widths, strict=False)))
    return "\n".join(line.rstrip() for line in lines)
