"""Which characters the text policy forbids, and text with them removed.

A leaf (imports nothing of ours), split from ``console.text_policy`` so that
``console.errors`` can sanitise the parameters of every error message
without importing the policy that raises those errors: the character sets
live here once, the policy (which refuses input with ``BadInput``) and the
error messages (which show stored or typed text) both read them.

Forbidden: C0/C1 control characters, bidi controls, zero-width characters
and lone surrogates (see ``console.text_policy`` for why each).
"""
from __future__ import annotations

import re

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
ZERO_WIDTH = "\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
FORBIDDEN_RE = re.compile(
    "[\u0000-\u001f\u007f-\u009f" + BIDI + ZERO_WIDTH + "\ud800-\udfff]"
)
FORBIDDEN_MULTILINE_RE = re.compile(
    "[\u0000-\u0009\u000b-\u001f\u007f-\u009f" + BIDI + ZERO_WIDTH + "\ud800-\udfff]"
)
"""As FORBIDDEN_RE, but a line feed is allowed (multi-line fields such as a reason)."""


def kind_of(char: str) -> str:
    """The catalogue word (``text.why.<kind>``) for why ``char`` is refused."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        return "surrogate"
    if char in BIDI:
        return "bidi"
    if char in ZERO_WIDTH:
        return "zero_width"
    return "control"


def first_forbidden(value: str, *, multiline: bool = False) -> tuple[int, str] | None:
    """(0-based position, character) of the first forbidden character, or None."""
    pattern = FORBIDDEN_MULTILINE_RE if multiline else FORBIDDEN_RE
    match = pattern.search(value)
    return None if match is None else (match.start(), match.group())


def is_clean(value: str, *, multiline: bool = False) -> bool:
    """True when ``value`` passes the character policy (no length check)."""
    return first_forbidden(value, multiline=multiline) is None


def for_display(value: object) -> str:
    """``value`` as text with every forbidden character removed, for showing stored rows."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return FORBIDDEN_RE.sub("", text)
