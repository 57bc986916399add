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

Pure: no I/O, no database; errors are ``console.errors.BadInput``.
"""
from __future__ import annotations

import re
import unicodedata

from console.errors import BadInput

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_ZERO_WIDTH = "\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
_FORBIDDEN_RE = re.compile(
    "[\u0000-\u001f\u007f-\u009f" + _BIDI + _ZERO_WIDTH + "\ud800-\udfff]"
)
_FORBIDDEN_MULTILINE_RE = re.compile(
    "[\u0000-\u0009\u000b-\u001f\u007f-\u009f" + _BIDI + _ZERO_WIDTH + "\ud800-\udfff]"
)
_DISPLAY_RE = _FORBIDDEN_RE

DEFAULT_MAX_LENGTH = 200
"""Free text longer than this is refused unless the caller gives its own limit."""


def _kind_of(char: str) -> str:
    """The catalogue word for why ``char`` is refused."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return "surrogate"
    if char in _BIDI:
        return "bidi"
    if char in _ZERO_WIDTH:
        return "zero_width"
    return "control"


def first_forbidden(value: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """(0-based position, character) of the first forbidden character, or None."""
    pattern = _FORBIDDEN_MULTILINE_RE if multiline else _FORBIDDEN_RE
    match = pattern.search(value)
    return None if match is None else (match.start(), match.group())


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


def is_clean(value: str, *, multiline: bool = False) -> bool:
    """True when ``value`` passes the character policy (no length check)."""
    return first_forbidden(value, multiline=multiline) is None


def for_display(value: object) -> str:
    """``value`` as text with every forbidden character removed, for showing stored rows."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return _DISPLAY_RE.sub("", text)
