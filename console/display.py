"""Stored text made safe to show and to hand to a spreadsheet.

Two dangers come out of the store, whatever the intake policy now refuses:

- **Terminal escapes.**  A name put in by SQL (or stored before the text
  policy existed) may hold ``ESC ] 0 ; pwned BEL`` or ``ESC [ 2 J``; printed
  as is, it sets the terminal's title or wipes the screen.  ``clean`` removes
  every character the text policy forbids (``console.text_policy.for_display``)
  but keeps line breaks, so a multi-line remark or a notice stays readable.
  CLI tables (``print_table`` / ``print_fields``) and the TUI (table cells,
  panels, previews, every service result a screen receives) show stored text
  only through it.  JSON output keeps the stored text: ``json.dumps`` escapes
  every control character (``\\u001b``), with ``ensure_ascii=False`` too.

- **Spreadsheet formulas.**  A cell that begins with ``=``, ``+``, ``-``,
  ``@``, TAB or CR is taken by Excel / LibreOffice as a formula
  (``=HYPERLINK(...)`` phones home, ``+cmd|...`` runs a program).  ``csv_cell``
  gives such a *text* value a leading ``'`` (shown as text, the quote hidden);
  an XLSX export writes every text value as a string cell (never a formula,
  so no quote is needed).  Numbers are not text: a negative amount stored as
  a number (``-120.5``) stays a number in both formats; the same characters
  stored as text (``'-5'``) are quoted in CSV.  ``--raw`` turns this off.

Pure: no I/O, no Textual.
"""
from __future__ import annotations

import re
from typing import Any

from console.text_policy import for_display

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell beginning with one of these is read as a formula by spreadsheets."""

QUOTE = "'"


def clean(value: object) -> str:
    """``value`` as text for a terminal: forbidden characters removed, line breaks kept."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():  # C-fast: every forbidden character is Cc, Cf or Cs, none of them printable
        return text
    if "\n" not in text:
        return for_display(text)
    return "\n".join(for_display(line) for line in text.split("\n"))


def clean_tree(value: Any) -> Any:
    """Every string inside dicts, lists and tuples cleaned (keys and other objects as they are).

    What needs no change is returned as the same object, so a page of clean
    rows costs one pass of ``str.isprintable``.
    """
    if isinstance(value, str):
        return value if value.isprintable() else clean(value)
    if isinstance(value, dict):
        changed: dict[Any, Any] | None = None
        for key, item in value.items():
            new = clean_tree(item)
            if new is not item:
                if changed is None:
                    changed = dict(value)
                changed[key] = new
        return value if changed is None else changed
    if isinstance(value, list) or (isinstance(value, tuple) and not hasattr(value, "_fields")):
        items = [clean_tree(item) for item in value]
        if all(new is old for new, old in zip(items, value, strict=False)):
            return value
        return items if isinstance(value, list) else tuple(items)
    return value


_JSON_RAW_RE = re.compile(
    "[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u180e\u200b-\u200d\u2060-\u2064\ufeff\ud800-\udfff]"
)


def json_safe(text: str) -> str:
    """JSON text with every character the text policy forbids written as a ``\\uXXXX`` escape.

    ``json.dumps(..., ensure_ascii=False)`` escapes C0 controls (ESC becomes
    ``\\u001b``) but leaves DEL, the C1 controls (U+009B is a CSI to many
    terminals), bidi and zero-width characters raw, and a lone surrogate
    cannot even be encoded.  Those can only occur inside JSON strings, where
    the escape means the same character: a reader gets the stored text back
    exactly, a terminal is never driven by it.
    """
    return _JSON_RAW_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def is_formula_like(value: object) -> bool:
    """True for a text value a spreadsheet would evaluate."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: object) -> object:
    """A CSV cell that no spreadsheet evaluates: text gets a leading ``'`` when it looks like a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


def sheet_text(value: object) -> object:
    """A text value for a spreadsheet export: cleaned, then kept from being read as a formula."""
    if isinstance(value, str):
        return csv_cell(clean(value))
    return value
