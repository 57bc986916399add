"""One text policy for every door: CLI arguments, TUI inputs and imported files.

Free text (names, addresses, phones, task results, reasons) may not carry
characters that act on a terminal or hide what a reader sees: C0/C1 control
characters (an ESC starts a terminal escape that can wipe the screen or set
the window title), bidi controls (they reorder what is displayed, so a name
reads differently from what is stored), zero-width characters (two names
that look the same but are not) and lone surrogates (not text at all).
Such input is refused with one clear message (BadInput, exit 2): a clerk
retypes it, a script fixes its file.

Numbers people type (ID numbers, dates, months, phones) are NFKC-normalised
first, so full-width ``２０２６`` and the superscript ``²`` become ASCII
digits; any digit of another script (Arabic-Indic, Devanagari...) is refused
rather than stored, because stored as is it breaks every later date parse
and lets one person be registered twice.

``for_display`` is the other half: rows stored before this policy existed
(or put in by SQL) are shown with those characters removed, in CLI tables
and in the TUI alike.

Pure: no I/O, no database; errors are ``console.errors.BadInput``.  The
character sets themselves are in ``console.text_chars`` (a leaf that
``console.errors`` may import).
"""
from __future__ import annotations

import unicodedata

from console.errors import BadInput
from console.text_chars import first_forbidden, for_display, is_clean
from console.text_chars import kind_of as _kind_of

__all__ = ["DEFAULT_MAX_LENGTH", "ascii_digits", "check_text", "first_forbidden", "for_display", "is_clean"]
"""``first_forbidden``, ``is_clean`` and ``for_display`` live in the leaf console.text_chars (errors.py
needs them without this module); they stay importable from here, the policy's one front door."""

DEFAULT_MAX_LENGTH = 200
"""Free text longer than this is refused unless the caller gives its own limit."""


def check_text(
    value: object,
    field: str,
    *,
    max_length: int | None = DEFAULT_MAX_LENGTH,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """``value`` stripped and checked against the policy; BadInput otherwise.

    ``field`` is a code from the ``field`` catalogue table (name, address,
    phone, result, reason...), so the message names the field in the
    reader's language.  ``multiline`` lets newlines through (long remarks).
    """
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadInput("text.not_text", field=field, type=type(value).__name__)
    found = first_forbidden(value, multiline=multiline)
    if found is not None:
        position, char = found
        raise BadInput(
            "text.forbidden_char",
            field=field,
            char=f"U+{ord(char):04X}",
            why=_kind_of(char),
            position=position + 1,
        )
    text = value.strip()
    if required and not text:
        raise BadInput("text.required", field=field)
    if max_length is not None and len(text) > max_length:
        raise BadInput("text.too_long", field=field, length=len(text), limit=max_length)
    return text


def ascii_digits(value: object, field: str) -> str:
    """``value`` NFKC-normalised, stripped, with every digit ASCII; BadInput otherwise.

    Used for ID numbers, dates, months and phones before they are parsed,
    validated or stored.  Only the digits are judged here; the caller still
    checks the format (length, dashes, check digit).
    """
    text = check_text(value, field, max_length=None)
    text = unicodedata.normalize("NFKC", text).strip()
    for position, char in enumerate(text):
        if char.isdigit() and not ("0" <= char <= "9"):
            raise BadInput(
                "text.foreign_digit",
                field=field,
                char=f"U+{ord(char):04X}",
                position=position + 1,
            )
        if ord(char) > 0x7E:
            raise BadInput(
                "text.not_ascii",
                field=field,
                char=f"U+{ord(char):04X}",
                position=position + 1,
            )
    found = first_forbidden(text)
    if found is not None:  # NFKC cannot add controls, but be certain
        raise BadInput("text.forbidden_char", field=field, char=f"U+{ord(found[1]):04X}",
                       why=_kind_of(found[1]), position=found[0] + 1)
    return text
