"""Calendar months as plain values: the unit of retirement law.

Retirement ages, contribution periods and benefit starts are all counted in
whole calendar months, so a month is an ordinal (year * 12 + month - 1) with
ISO text form ``YYYY-MM``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import overload

# re.ASCII: a digit is 0-9 only (other scripts are refused at the door; here they are simply not dates)
_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$", re.ASCII)
_DATE_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$", re.ASCII)


class BadMonth(ValueError):
    """Text that is not a valid YYYY-MM month or YYYY-MM-DD date."""


@dataclass(frozen=True, order=True, slots=True)
class Month:
    """One calendar month; ordered and subtractable."""

    ordinal: int

    @classmethod
    def of(cls, year: int, month: int) -> Month:
        if not 1 <= month <= 12:
            raise BadMonth(f"month {month} out of 1..12")
        if not 1 <= year <= 9999:
            raise BadMonth(f"year {year} out of range")
        return cls(year * 12 + month - 1)

    @classmethod
    def parse(cls, text: str) -> Month:
        """Parse ``YYYY-MM`` (a ``YYYY-MM-DD`` date is accepted and its day checked)."""
        if len(text) == 7 and text.isascii() and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
            return cls.of(int(text[:4]), int(text[5:]))  # the stored form: skip the regex
        m = _MONTH_RE.match(text or "")
        if m:
            return cls.of(int(m.group(1)), int(m.group(2)))
        return cls.from_date(parse_date(text))

    @classmethod
    def from_date(cls, day: date) -> Month:
        return cls.of(day.year, day.month)

    @property
    def year(self) -> int:
        return self.ordinal // 12

    @property
    def month(self) -> int:
        return self.ordinal % 12 + 1

    def __add__(self, months: int) -> Month:
        return Month(self.ordinal + months)

    @overload
    def __sub__(self, other: Month) -> int: ...
    @overload
    def __sub__(self, other: int) -> Month: ...
    def __sub__(self, other: Month | int) -> int | Month:
        """A month minus a month is a count of months; minus a count, an earlier month."""
        if isinstance(other, Month):
            return self.ordinal - other.ordinal
        return Month(self.ordinal - other)

    def minus(self, months: int) -> Month:
        """Typed alternative to ``month - n``."""
        return Month(self.ordinal - months)

    def months_since(self, other: Month) -> int:
        """Typed alternative to ``month - other``."""
        return self.ordinal - other.ordinal

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def __repr__(self) -> str:
        return f"Month({self})"


def parse_date(text: str) -> date:
    """Parse ``YYYY-MM-DD``; impossible dates (2023-02-30) are refused."""
    m = _DATE_RE.match(text or "")
    if not m:
        raise BadMonth(f"not a date (YYYY-MM-DD): {text!r}")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError as exc:
        raise BadMonth(f"impossible date {text!r}: {exc}") from None


def format_age(months: int) -> str:
    """Age in months as ``60y5m`` (the form the CLI and JSON use)."""
    return f"{months // 12}y{months % 12}m"


_AGE_RE = re.compile(r"^\s*(\d{1,3})\s*(?:y|岁|周岁)\s*(?:(\d{1,2})\s*(?:m|个月|月)?)?\s*$", re.I | re.ASCII)


def parse_age(text: str) -> int:
    """Parse ``60y5m``, ``60y``, ``60`` or ``60岁5个月`` into months."""
    text = (text or "").strip()
    if len(text) > 16:  # no age is that long; int() of 5,000 digits raises ValueError
        raise BadMonth(f"not an age like 60y5m: {text[:20]!r}...")
    if text.isascii() and text.isdigit():
        return int(text) * 12
    m = _AGE_RE.match(text)
    if not m:
        raise BadMonth(f"not an age like 60y5m: {text!r}")
    months = int(m.group(2) or 0)
    if months > 11:
        raise BadMonth(f"months part must be 0..11: {text!r}")
    return int(m.group(1)) * 12 + months
