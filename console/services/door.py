"""The text policy at the service door: every free-text and number input of a use-case.

The CLI, the TUI and scripts calling the services all come through here, so a
name with a terminal escape is refused whoever typed it, and an ID number in
full-width or superscript digits is stored as ASCII (one person, one number).
Built on console.text_policy (characters and digit scripts); this module adds
the formats and the length limits, which are the importer's
(console/services/importing/values.py: free text 500 characters), so a value
the importer would refuse is refused at the window too.
"""
from __future__ import annotations

import re
import unicodedata

from console.errors import BadInput
from console.rules.months import BadMonth, Month
from console.text_policy import ascii_digits, check_text

FREE_TEXT_LIMIT = 500
"""The importer's limit for free text (importing.values.parse_text)."""
CODE_LIMIT = 64
"""Waybills, credit codes, bank cards, ID numbers: short codes."""

_MOBILE_RE = re.compile(r"^(?:\+?86-?)?1[3-9][0-9]{9}$")
_LANDLINE_RE = re.compile(r"^0[0-9]{2,3}-?[0-9]{7,8}(?:-[0-9]{1,6})?$")


def text(value: object, field: str, *, required: bool = False, limit: int = FREE_TEXT_LIMIT, multiline: bool = False) -> str | None:
    """Free text checked against the policy; None when empty and not required."""
    checked = check_text(value, field, max_length=limit, required=required, multiline=multiline)
    return checked or None


def required_text(value: object, field: str, *, limit: int = FREE_TEXT_LIMIT) -> str:
    return check_text(value, field, max_length=limit, required=True)


def digits(value: object, field: str, *, limit: int = CODE_LIMIT) -> str | None:
    """An ID number, date, month or code: NFKC to ASCII digits, other scripts refused; None when empty."""
    if value is None:
        return None
    out = ascii_digits(value, field)
    if len(out) > limit:
        raise BadInput("text.too_long", field=field, length=len(out), limit=limit)
    return out or None


def month(value: object) -> Month | None:
    """A year-month as typed (2026-07, full-width digits too); None when empty; not a month: BadInput."""
    text = digits(value, "month")
    if not text:
        return None
    try:
        return Month.parse(text)
    except BadMonth:
        raise BadInput("services.bad_month", value=text) from None


def id_number(value: object) -> str:
    """An ID number as ASCII (``²`` becomes 2, full-width digits become ASCII); spaces and dashes dropped."""
    out = digits(value, "id_number") or ""
    return re.sub(r"[\s\-]", "", out).upper()


def phone(value: object) -> str | None:
    """A phone: an 11-digit mobile (optionally +86) or a landline such as 0472-1234567; None when empty."""
    out = digits(value, "phone", limit=32)
    if out is None:
        return None
    compact = compact_phone(out)
    if not phone_ok(compact):
        raise BadInput("door.bad_phone", value=out)
    return compact


def compact_phone(text: str) -> str:
    """A phone as stored: spaces and brackets dropped (``(0472) 8121234`` -> ``04728121234``)."""
    return re.sub(r"[\s()]", "", text)


def phone_ok(compact: str) -> bool:
    """The one phone rule (window, CLI, importer): a mainland mobile, 11 digits 1[3-9]..., optionally +86,
    or a landline with its area code (0472-8121234, 04728121234)."""
    return bool(_MOBILE_RE.match(compact) or _LANDLINE_RE.match(compact))


MIDDLE_DOTS = "·•・‧"
"""The separators of a transliterated name (阿依古丽·买买提): such a name may mix scripts."""


def person_name(value: object) -> str:
    """A person's name: required, the text policy, and not Han and Latin letters mixed by accident (王fang).

    A name only in Latin letters (a foreigner's) and a name with the middle dot
    (a minority's or a transliterated one) pass; a rare character (生僻字) is
    typed with the input method's rare-character mode, not in pinyin.
    """
    name = required_text(value, "name")
    if name_mix_refused(name):
        raise BadInput("door.mixed_name_refused", name=name)
    return name


def name_mix_refused(name: str) -> bool:
    """True when ``name`` mixes Han and Latin letters without a middle dot (the importer asks the same)."""
    return mixes_han_and_latin(name) and not any(dot in name for dot in MIDDLE_DOTS)


def mixes_han_and_latin(name: str) -> bool:
    """True for a name written partly in Han characters and partly in Latin letters (王fang).

    Refused by ``person_name`` unless the name has a middle dot (issue 14: a slip
    of the input method must be seen before a notice is printed with it).
    """
    han = latin = False
    for char in name:
        if "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or "\U00020000" <= char <= "\U0003134f":
            han = True
        elif char.isascii() and char.isalpha():
            latin = True
        elif unicodedata.category(char).startswith("L") and unicodedata.normalize("NFKC", char).isascii():
            latin = True  # full-width Latin letters
    return han and latin


def bank_card(value: object) -> str | None:
    """A bank card as the window takes it: 12 to 19 digits (spaces and dashes between groups dropped) whose
    Luhn check digit is right, so a slip of one digit is caught before the pension account is wrong; None when empty.

    Intake and the edit after registration both come through here, so a card refused at the window is
    refused on an edit too."""
    from stdnum import luhn

    card = digits(value, "bank_card")
    if card is None:
        return None
    card = card.replace(" ", "").replace("-", "")
    if not card.isdigit() or not 12 <= len(card) <= 19:
        raise BadInput("door.bad_bank_card", value=card)
    if not luhn.is_valid(card):
        raise BadInput("door.bad_bank_card_luhn", value=card)
    return card
