"""Cell values of import files turned into the forms the database stores.

Rosters reach the hall typed by hand in Excel or exported by the provincial
system, so one month turns up as ``1966-06``, ``１９６６－０６``, ``1966年6月``,
``1966.06``, ``196606`` or an Excel date cell.  Every parser here maps such a
raw value either to its canonical form (ISO text, a code) or to a
``FieldError`` that names the catalogue message; nothing else is raised.

The same few thousand month strings and codes repeat over a million rows, so
``Cached`` remembers every raw value it has seen: after the first pass over a
file, the second pass only does dictionary lookups.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from console.errors import BadInput
from console.i18n import catalogue
from console.text_policy import ascii_digits, check_text

T = TypeVar("T")

# full-width digits, letters and the punctuation people type with a Chinese IME
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH.update({0x3000: 0x20, 0x2014: 0x2D, 0x2212: 0x2D, 0x3002: 0x2E, 0x2010: 0x2D, 0x2013: 0x2D})


def half_width(text: str) -> str:
    """``１９６６－０６`` -> ``1966-06``: full-width ASCII variants folded to ASCII."""
    return text.translate(_FULL_WIDTH)


@dataclass(frozen=True, slots=True)
class FieldError:
    """Why one cell was refused: a catalogue key and its parameters."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    def params_dict(self) -> dict[str, Any]:
        return dict(self.params)


def error(code: str, **params: Any) -> FieldError:
    return FieldError(code, tuple(sorted(params.items())))


def refused(exc: BadInput) -> FieldError:
    """A text-policy refusal (``console.text_policy``) as the FieldError of one cell."""
    return FieldError(exc.key, tuple(sorted(exc.params.items())))


_DATE_MARKS = str.maketrans({"年": "-", "月": "-", "日": "-"})


def digits(text: str, field: str, *, date_marks: bool = False) -> str | FieldError:
    """``text`` with ASCII digits only (``console.text_policy.ascii_digits``: NFKC, other scripts refused).

    Full-width and superscript digits become ASCII; Arabic-Indic, Devanagari
    and every other script's digits are refused, so one person cannot be
    registered twice, once per digit script, and a stored date always parses.
    The punctuation a Chinese IME types (。—－) is folded first; with
    ``date_marks`` the characters 年, 月 and 日 may stay (1966年6月).
    """
    folded = half_width(text)
    probe = folded.translate(_DATE_MARKS) if date_marks else folded
    if probe.isascii() and probe.isprintable():
        # what ascii_digits would return, without its per-character loop (a million cells a night):
        # printable ASCII holds no forbidden character, NFKC leaves it (and 年月日) as it is
        return folded.strip()
    try:
        if date_marks:
            ascii_digits(folded.translate(_DATE_MARKS), field)  # judges every other character
            return unicodedata.normalize("NFKC", folded).strip()
        return ascii_digits(folded, field)
    except BadInput as exc:
        return refused(exc)


class Cached(Generic[T]):
    """A parser with memory: raw value -> parsed value or FieldError.

    Call ``get(raw)``; misses run the parser once.  The cache stops growing at
    ``limit`` entries (free-text columns would otherwise keep every value),
    after which misses are parsed every time.

    ``canonical`` stays True while every non-empty raw value parsed so far was
    already in its stored form (``text_of(parsed) == raw``): a file written by
    a machine usually is, and then the importer may hand its cells to SQLite
    as they are.
    """

    __slots__ = ("cache", "canonical", "limit", "parse", "text_of")

    def __init__(self, parse: Callable[[Any], T | FieldError], limit: int = 200_000,
                 text_of: Callable[[Any], Any] | None = None) -> None:
        self.parse = parse
        self.cache: dict[Any, T | FieldError] = {}
        self.limit = limit
        self.canonical = True
        self.text_of = text_of

    def get(self, raw: Any) -> T | FieldError:
        try:
            return self.cache[raw]
        except KeyError:
            pass
        except TypeError:  # unhashable (a JSON list): parse, do not cache
            self.canonical = False
            return self.parse(raw)
        value = self.parse(raw)
        if self.canonical and raw != "" and (value.__class__ is FieldError or (self.text_of(value) if self.text_of else value) != raw):
            self.canonical = False
        if len(self.cache) < self.limit:
            self.cache[raw] = value
        return value


def clean(raw: Any) -> str | None:
    """Any cell (str, number, date, None) as stripped text; empty means None."""
    if raw is None:
        return None
    if isinstance(raw, str):
        text = raw.strip()
        return text or None
    if isinstance(raw, bool):
        return "1" if raw else "0"
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        if raw.hour == raw.minute == raw.second == 0:
            return raw.date().isoformat()
        return raw.isoformat(timespec="seconds")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw).strip() or None


def cell_digits(raw: Any, field: str, *, date_marks: bool = False) -> str | FieldError:
    """A cell's text through ``digits``, or 'required' when it is empty: how every numeric parser starts."""
    text = clean(raw)
    if text is None:
        return error("importer.value.required")
    return digits(text, field, date_marks=date_marks)


# --- months and dates ------------------------------------------------------

_YM_SEP = r"\s*[-/.年]\s*"
_MONTH_PATTERNS = (
    re.compile(r"^(\d{4})" + _YM_SEP + r"(\d{1,2})\s*月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
)
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})" + _YM_SEP + r"(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_TIME_RE = re.compile(r"^(.+?)[T ](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?([+-]\d{2}:?\d{2}|Z)?$")


def _date_parts(text: str) -> tuple[int, int, int] | None:
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            return int(m.group(1)), int(m.group(2)), int(m.group(3))
    return None


def parse_month(raw: Any) -> tuple[int, str] | FieldError:
    """A month as (ordinal, 'YYYY-MM'); a full date is accepted and its day checked."""
    if isinstance(raw, (datetime, date)):
        return raw.year * 12 + raw.month - 1, f"{raw.year:04d}-{raw.month:02d}"
    text = cell_digits(raw, "month", date_marks=True)
    if isinstance(text, FieldError):
        return text
    year = month = 0
    for pattern in _MONTH_PATTERNS:
        m = pattern.match(text)
        if m:
            year, month = int(m.group(1)), int(m.group(2))
            break
    else:
        parts = _date_parts(text)
        if parts is None:
            return error("importer.value.bad_month")
        try:
            date(*parts)
        except ValueError:
            return error("importer.value.impossible_date")
        year, month = parts[0], parts[1]
    if not 1 <= month <= 12 or year < 1900:
        return error("importer.value.impossible_month")
    return year * 12 + month - 1, f"{year:04d}-{month:02d}"


def parse_date(raw: Any) -> str | FieldError:
    """A calendar date as 'YYYY-MM-DD' (1966年6月15日, 1966.06.15, 19660615, an Excel date)."""
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    text = cell_digits(raw, "date", date_marks=True)
    if isinstance(text, FieldError):
        return text
    parts = _date_parts(text)
    if parts is None:
        return error("importer.value.bad_date")
    try:
        day = date(*parts)
    except ValueError:
        return error("importer.value.impossible_date")
    if day.year < 1900:
        return error("importer.value.impossible_date")
    return day.isoformat()


def parse_timestamp(raw: Any) -> str | FieldError:
    """A date, or a date with time (kept as given, ISO): for when a case was received."""
    if isinstance(raw, datetime):
        if raw.hour == raw.minute == raw.second == 0 and raw.tzinfo is None:
            return raw.date().isoformat()
        return raw.isoformat(timespec="seconds")
    text = cell_digits(raw, "date", date_marks=True)
    if isinstance(text, FieldError):
        return text
    m = _TIME_RE.match(text)
    if not m:
        return parse_date(text)
    day = parse_date(m.group(1))
    if isinstance(day, FieldError):
        return day
    hour, minute, second = int(m.group(2)), int(m.group(3)), int(m.group(4) or 0)
    if hour > 23 or minute > 59 or second > 59:
        return error("importer.value.bad_date")
    zone = m.group(5) or ""
    if zone and zone != "Z" and ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    return f"{day}T{hour:02d}:{minute:02d}:{second:02d}{zone}"


# --- codes -------------------------------------------------------------------

def _fold(text: str) -> str:
    return half_width(text).strip().lower().replace(" ", "").replace("_", "").replace("-", "")


@dataclass
class Codes:
    """A closed set of codes with the words people write for them.

    ``labels`` are extra spellings (Chinese names, 1/2, 男/女); the catalogue
    section ``section`` adds its zh and en texts, so a template filled in with
    the words the console itself shows is understood.
    """

    codes: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)
    section: str | None = None

    def __post_init__(self) -> None:
        table: dict[str, str] = {}
        for code in self.codes:
            table[_fold(code)] = code
        if self.section:
            for lang in ("zh", "en"):
                texts = catalogue(lang)
                for code in self.codes:
                    text = texts.get(f"{self.section}.{code}")
                    if text:
                        table.setdefault(_fold(text), code)
        for word, code in self.labels.items():
            table[_fold(word)] = code
        self._table = table

    def parse(self, raw: Any) -> str | FieldError:
        text = clean(raw)
        if text is None:
            return error("importer.value.required")
        code = self._table.get(_fold(text))
        if code is None:
            return error("importer.value.bad_code", allowed=", ".join(self.codes))
        return code


_TRUE = {"1", "y", "yes", "true", "t", "是", "有", "√", "✓"}
_FALSE = {"0", "n", "no", "false", "f", "否", "无", "×", "✗"}


def parse_bool(raw: Any) -> int | FieldError:
    """Yes/no cells as 1/0 (是/否, Y/N, 1/0, true/false)."""
    if isinstance(raw, bool):
        return int(raw)
    text = clean(raw)
    if text is None:
        return error("importer.value.required")
    folded = _fold(text)
    if folded in _TRUE:
        return 1
    if folded in _FALSE:
        return 0
    return error("importer.value.bad_bool")


_AMOUNT_RE = re.compile(r"^\d{1,12}(?:\.\d{1,2})?$")
_AMOUNT_CEILING = Decimal(10) ** 12
"""Amounts have at most 12 digits before the point (as ``_AMOUNT_RE`` says)."""


def parse_amount(raw: Any) -> str | FieldError:
    """A money amount (a contribution base) as text with two decimals: '3500.00'."""
    text = cell_digits(raw, "amount")
    if isinstance(text, FieldError):
        return text
    text = text.replace(",", "")
    if not _AMOUNT_RE.match(text):
        try:
            value = Decimal(text)
        except InvalidOperation:
            return error("importer.value.bad_amount")
        if not value.is_finite() or value < 0 or value >= _AMOUNT_CEILING:
            return error("importer.value.bad_amount")  # (1e30 would not even quantize: InvalidOperation)
        return f"{value.quantize(Decimal('0.01'))}"
    whole, _, cents = text.partition(".")
    return f"{int(whole)}.{cents.ljust(2, '0')}"


def parse_index(raw: Any) -> str | FieldError:
    """An average contribution wage index (0.6 to 3 by law; up to 4 decimals), as text: '1.0235'."""
    text = cell_digits(raw, "amount")
    if isinstance(text, FieldError):
        return text
    try:
        value = Decimal(text)
    except InvalidOperation:
        return error("importer.value.bad_index")
    exponent = value.as_tuple().exponent  # 'n', 'N' or 'F' (a str) for NaN and infinity
    if not isinstance(exponent, int) or value < 0 or value > 10 or exponent < -4:
        return error("importer.value.bad_index")
    return str(value)


TEXT_LIMIT = 500
"""Free text's length limit unless the caller gives the one of the parameters file (``ImportLimits``)."""


def parse_text(raw: Any, field: str = "text", limit: int = TEXT_LIMIT) -> str | FieldError:
    """Free text through ``console.text_policy.check_text``: stripped; control, bidi and zero-width
    characters and lone surrogates refused (they break every export and hide what a reader sees);
    at most ``limit`` characters."""
    text = clean(raw)
    if text is None:
        return error("importer.value.required")
    try:
        return check_text(text, field, max_length=limit)
    except BadInput as exc:
        return refused(exc)


def text_parser(field: str, limit: int = TEXT_LIMIT) -> Callable[[Any], str | FieldError]:
    """``parse_text`` for one kind of field and the import's length limit."""

    def parse(raw: Any) -> str | FieldError:
        return parse_text(raw, field, limit)

    return parse


_CARD_RE = re.compile(r"^\d{12,19}$")


def _matching(raw: Any, field: str, pattern: re.Pattern[str], code: str, drop: str = "") -> str | FieldError:
    """A cell of digits (``cell_digits``), ``drop`` removed, that must match ``pattern`` whole; else ``code``."""
    text = cell_digits(raw, field)
    if isinstance(text, FieldError):
        return text
    text = text.replace(drop, "") if drop else text
    return text if pattern.match(text) else error(code)


def parse_phone(raw: Any) -> str | FieldError:
    """The window's phone rule (console.services.door.phone_ok), so a file cannot store what a clerk could not type."""
    from console.services.door import compact_phone, phone_ok

    text = cell_digits(raw, "phone")
    if isinstance(text, FieldError):
        return text
    compact = compact_phone(text)
    return compact if phone_ok(compact) else error("importer.value.bad_phone")


def parse_person_name(raw: Any, limit: int = TEXT_LIMIT) -> str | FieldError:
    """A person's name: free text, and not Han and Latin letters mixed (the window's rule, door.name_mix_refused)."""
    from console.services.door import name_mix_refused

    text = parse_text(raw, "name", limit)
    if isinstance(text, FieldError):
        return text
    return error("importer.value.mixed_name") if name_mix_refused(text) else text


def parse_bank_card(raw: Any) -> str | FieldError:
    """Spaces between the groups of four are dropped (6222 0000 ...)."""
    return _matching(raw, "bank_card", _CARD_RE, "importer.value.bad_bank_card", drop=" ")
