"""Resident ID numbers (居民身份证号码, GB 11643) via python-stdnum.

The checksum and the birth date decide validity.  The first six digits (place
of first registration) are information only: stdnum's ``validate`` also
refuses numbers whose place code is missing from its table, which would turn
away real migrants, so this module checks length, digits, checksum and date
with stdnum's parts and looks the place up without failing on it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from console.rules.explain import Reason

SOURCE = "GB 11643-1999 公民身份号码"
_ASCII_ID = re.compile(r"^[0-9]{17}[0-9X]$")
EARLIEST_BIRTH_YEAR = 1800
"""GB 11643 writes the birth year in full and its own example is born 1880 (440524188001010014):
from 1800 a number is read; before it, or after today, the birth date is refused."""


@dataclass(frozen=True)
class IdCard:
    number: str
    valid: bool
    birth_date: date | None = None
    sex: str | None = None  # "M" or "F"
    place_code: str | None = None
    place: str | None = None
    error: str | None = None  # catalogue code when invalid
    reason: Reason | None = None


def birth_place(number: str) -> str | None:
    """The place of first registration named by the first six digits, if stdnum knows it.

    Information only, and slow (a table lookup of 20-100 us): callers that
    show it ask for it; validation never needs it.
    """
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError

    try:
        info = ric.get_birth_place(number)
    except (ValidationError, KeyError, ValueError):
        return None
    return "".join(info.get(k, "") for k in ("province", "prefecture", "county")) or None


def parse_id(text: str, today: date | None = None, with_place: bool = False) -> IdCard:
    """Check an ID number and read its birth date and sex (17th digit odd = male).

    ``with_place`` also looks up the place name (for display only).
    stdnum is imported here, not at module level: listing and showing cases
    (which mask numbers but never check them) stay free of its ~15 ms import.
    """
    from stdnum.cn import ric

    number = ric.compact(re.sub(r"[\s\-]", "", text or ""))
    if len(number) != 18:
        return IdCard(number, False, error="rules.id.length")
    if not _ASCII_ID.match(number):
        # str.isdigit() is true of "²" and Arabic-Indic digits, which stdnum's int() then
        # rejects with ValueError: only ASCII digits are digits here (callers at the
        # door NFKC-normalise first, so "²" typed by a clerk arrives as "2")
        return IdCard(number, False, error="rules.id.format")
    if number[17] != ric.calc_check_digit(number):
        return IdCard(number, False, error="rules.id.checksum")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return IdCard(number, False, error="rules.id.birth_date")
    if born.year < EARLIEST_BIRTH_YEAR or (today is not None and born > today):
        return IdCard(number, False, error="rules.id.birth_date")
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return IdCard(
        number=number,
        valid=True,
        birth_date=born,
        sex=sex,
        place_code=number[:6],
        place=birth_place(number) if with_place else None,
        reason=Reason("rules.id.read", {"birth": born.isoformat(), "sex": sex}, SOURCE),
    )


def mask_id(number: str) -> str:
    """150222********1234: the form used in exports and lists."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def make_id(place_code: str, born: date, sequence: int) -> str:
    """Build a valid number (for the demo generator and tests): 3-digit sequence, odd = male."""
    from stdnum.cn import ric

    body = f"{place_code}{born:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")
