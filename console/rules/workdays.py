"""Working days in mainland China: the unit every service time limit counts in.

Limits at the hall ("within 10 working days") count China's working days, not
calendar days: statutory holidays are off, and the State Council moves some
weekend days into working days (调休 make-up days).  Each year's schedule is
published by the General Office of the State Council in the late autumn of the
year before, so a computer calendar always runs out a year or so ahead.

Sources, in order of precedence, decided per day:

1. The hall's override table (``holiday`` / ``workday`` rows kept in the
   database by the services layer and passed in here).  It always wins: it is
   how the hall loads a new year's notice before a library release ships it,
   and how it records a local closure.
2. The ``holidays`` package (China), PRIMARY library.  Why it and not
   ``chinese_calendar``: (a) both agree on every day of 2025-2026 and on every
   day of 2004-2026 but one; in that one (2005-12-31, a Saturday made a working
   day by the 2006 notice) ``holidays`` is right, because it files make-up days
   under the notice that created them, even when they fall in the year before;
   (b) every year's data cites its State Council notice; (c) it is released
   monthly and never raises for a year it lacks, so it is the library that
   learns next year's schedule first.  Its official data is the per-year
   substitution table (``ChinaStaticHolidays.special_public_holidays``); for
   any other year it still lists lunar-computed statutory days with Western
   "observed" shifts and no make-up working days -- an estimate, not the
   notice, so such a year counts as UNKNOWN here.  (Checking "is there a
   Spring Festival in its list?" would NOT detect that: it lists one for every
   year.)
3. ``chinese_calendar`` (``is_workday``) for a year it covers (2004-2026 in
   1.11) that ``holidays`` does not know officially.  It raises
   ``NotImplementedError`` outside its range; that is caught here.  Where both
   libraries know a year, :meth:`WorkCalendar.library_disagreements` lists the
   days they disagree on, for a diagnostics command.
4. A year no source knows (no official schedule in either library and no
   override row in that year) is NOT guessed silently: it is counted with
   weekends only (Mon-Fri working), and every calculation that touches it is
   flagged provisional with a ``workdays.provisional_year`` reason naming the
   year.  Weekends-only is the conservative guess: ignoring the unknown
   holidays makes due dates come EARLIER, never later, than the real ones
   (apart from the rare make-up Saturday), so a warning is never late.

Caveat of rule 4: ANY override row in a year marks that year as loaded by the
hall, so the hall should enter the whole notice for a new year at once.

Speed: a queue of 100,000 cases evaluates clocks constantly, so each year is
turned once into a sorted tuple of working-day ordinals; ``add`` and
``between`` are then bisects (O(log n) per year touched).
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from console.rules.cn_schedule import SCHEDULES
from console.rules.explain import Reason
from console.rules.months import parse_date

HOLIDAY = "holiday"
WORKDAY = "workday"
OVERRIDE_KINDS = (HOLIDAY, WORKDAY)

SOURCE_OVERRIDE = "hall override table"
SOURCE_HOLIDAYS = "holidays package (China), State Council holiday notices"
SOURCE_CHINESE_CALENDAR = "chinese-calendar package, State Council holiday notices"
SOURCE_WEEKENDS_ONLY = "no official schedule loaded: weekends-only assumption"

# Reason codes (texts in console/locales/*/workdays.toml).
CODE_PROVISIONAL_YEAR = "workdays.provisional_year"


class BadOverride(ValueError):
    """An override row that is neither 'holiday' nor 'workday', or not a date."""


# ---------------------------------------------------------------------------
# Library adapters: each answers "is this year official?" and "which days of
# this year are working days?".  Kept tiny so a library upgrade is one place.
# ---------------------------------------------------------------------------


def _holidays_official_years() -> frozenset[int]:
    """Years for which the installed ``holidays`` encodes a State Council notice.

    The China class keeps each notice's substitutions (bridge days and make-up
    working days) in ``ChinaStaticHolidays.special_public_holidays``; a year
    absent from it is only estimated.  If a future release renames that table,
    fall back to a public-API heuristic: a notice has always created at least
    one make-up working day, an estimate never does.
    """
    try:
        from holidays.countries.china import China
    except ImportError:  # pragma: no cover - dependency declared in pyproject
        return frozenset()
    try:
        from holidays.countries.china import ChinaStaticHolidays

        return frozenset(int(y) for y in ChinaStaticHolidays.special_public_holidays)
    except (ImportError, AttributeError):  # pragma: no cover - library changed
        cn = China(years=range(2001, date.today().year + 3))
        return frozenset(d.year for d in cn.weekend_workdays)


def _holidays_working_days(year: int) -> set[int]:
    """Ordinals of the working days of ``year`` per ``holidays`` (public category).

    The neighbouring years are populated too, because a notice may put a
    make-up working day into the previous year (2005-12-31, from the 2006
    notice).
    """
    from holidays.countries.china import China

    cn = China(years=(year - 1, year, year + 1))
    off = {d for d in cn if d.year == year}
    extra = {d for d in cn.weekend_workdays if d.year == year}
    out: set[int] = set()
    for d in _days_of(year):
        if d in extra or (d.weekday() < 5 and d not in off):
            out.add(d.toordinal())
    return out


def _chinese_calendar_years() -> frozenset[int]:
    """Years the installed ``chinese_calendar`` has data for (it raises elsewhere)."""
    try:
        import chinese_calendar as cc
    except ImportError:  # pragma: no cover - optional library
        return frozenset()
    known = list(cc.holidays) + list(cc.workdays)
    if not known:  # pragma: no cover
        return frozenset()
    first, last = min(known).year, max(known).year
    return frozenset(range(first, last + 1))


def _chinese_calendar_working_days(year: int) -> set[int]:
    """Ordinals of the working days of ``year`` per ``chinese_calendar``."""
    import chinese_calendar as cc

    return {d.toordinal() for d in _days_of(year) if cc.is_workday(d)}


def _schedule_working_days(year: int) -> set[int]:
    """Working days of ``year`` from the packaged schedules (cn_schedule.py, generated from
    ``holidays``): the common case, without importing the library (~70 ms)."""
    off, makeup = SCHEDULES[year]
    days = _weekday_working_days(year) - {date.fromisoformat(d).toordinal() for d in off}
    return days | {date.fromisoformat(d).toordinal() for d in makeup}


def _weekday_working_days(year: int) -> set[int]:
    return {d.toordinal() for d in _days_of(year) if d.weekday() < 5}


def _days_of(year: int) -> Iterable[date]:
    day = date(year, 1, 1)
    one = timedelta(days=1)
    while day.year == year:
        yield day
        day += one


# Library coverage does not change while the process runs; compute it once.
_LIB_CACHE: dict[str, frozenset[int]] = {}


def _lib_years(name: str) -> frozenset[int]:
    if name not in _LIB_CACHE:
        _LIB_CACHE[name] = (
            _holidays_official_years() if name == "holidays" else _chinese_calendar_years()
        )
    return _LIB_CACHE[name]


# ---------------------------------------------------------------------------
# The calendar
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Year:
    """One year, precomputed: its working days as sorted ordinals."""

    year: int
    days: tuple[int, ...]
    known: bool
    source: str


@dataclass(frozen=True, slots=True)
class DayFact:
    """Whether one day is a working day, and why (for "why?" at the counter)."""

    day: date
    working: bool
    provisional: bool
    reason: Reason


class WorkCalendar:
    """Working days of mainland China with the hall's overrides on top.

    ``overrides`` maps a date (or ISO ``YYYY-MM-DD`` text) to ``'holiday'`` or
    ``'workday'``; it wins over both libraries (see the module docstring for
    the order of sources and the handling of unknown years).
    """

    def __init__(self, overrides: Mapping[date | str, str] | None = None) -> None:
        self._overrides: dict[date, str] = {}
        for key, kind in (overrides or {}).items():
            day = key if isinstance(key, date) else _parse_override_date(key)
            norm = str(kind).strip().lower()
            if norm not in OVERRIDE_KINDS:
                raise BadOverride(f"override for {day.isoformat()} must be 'holiday' or 'workday', not {kind!r}")
            self._overrides[day] = norm
        self._override_years = frozenset(d.year for d in self._overrides)
        self._years: dict[int, _Year] = {}

    # -- what is known ------------------------------------------------------

    @property
    def overrides(self) -> Mapping[date, str]:
        """The override table in force (normalised), read-only by convention."""
        return dict(self._overrides)

    @property
    def known_years(self) -> frozenset[int]:
        """Years with an official schedule: from either library or the override table."""
        return frozenset(SCHEDULES) | _lib_years("holidays") | _lib_years("chinese_calendar") | self._override_years

    def schedule_known(self, year: int) -> bool:
        """True when ``year``'s official schedule is loaded (else counts are provisional)."""
        return (
            year in SCHEDULES
            or year in self._override_years
            or year in _lib_years("holidays")
            or year in _lib_years("chinese_calendar")
        )

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        if year in SCHEDULES:
            base, source, known = _schedule_working_days(year), SOURCE_HOLIDAYS, True
        elif year in _lib_years("holidays"):
            base, source, known = _holidays_working_days(year), SOURCE_HOLIDAYS, True
        elif year in _lib_years("chinese_calendar"):
            base, source, known = _chinese_calendar_working_days(year), SOURCE_CHINESE_CALENDAR, True
        else:
            base, source, known = _weekday_working_days(year), SOURCE_WEEKENDS_ONLY, False
        if year in self._override_years:
            known = True
            for day, kind in self._overrides.items():
                if day.year != year:
                    continue
                if kind == HOLIDAY:
                    base.discard(day.toordinal())
                else:
                    base.add(day.toordinal())
        built = _Year(year, tuple(sorted(base)), known, source)
        self._years[year] = built
        return built

    # -- single days -----------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day (override, else library, else Mon-Fri)."""
        days = self._year(day.year).days
        o = day.toordinal()
        i = bisect_right(days, o)
        return i > 0 and days[i - 1] == o

    def explain_day(self, day: date) -> DayFact:
        """``is_working_day`` with its reason: which source decided and how."""
        y = self._year(day.year)
        working = self.is_working_day(day)
        weekend = day.weekday() >= 5
        params: dict[str, Any] = {"date": day.isoformat()}
        if day in self._overrides:
            code = "workdays.override_workday" if working else "workdays.override_holiday"
            source = SOURCE_OVERRIDE
        elif not y.known:
            code, source = CODE_PROVISIONAL_YEAR, SOURCE_WEEKENDS_ONLY
            params["year"] = day.year
        else:
            source = y.source
            if working:
                code = "workdays.makeup_workday" if weekend else "workdays.weekday"
            else:
                code = "workdays.weekend" if weekend else "workdays.statutory_holiday"
        return DayFact(day, working, not y.known, Reason(code, params, source))

    # -- spans -------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> tuple[date, bool]:
        """The date that is ``n`` working days after ``start``, and whether it is provisional.

        ``start`` itself is not counted (the day of acceptance or of receipt),
        so "within 5 working days" of a Friday application is the 5th working
        day after that Friday, and ``n == 0`` ("on the spot") is ``start``
        itself.  The result is always a working day when ``n > 0``.  The flag
        is True when any year from ``start`` to the result has no official
        schedule (see :meth:`provisional_reasons` for the years).
        ``n`` must be >= 0: a limit never runs backwards.
        """
        if n < 0:
            raise ValueError(f"n must be >= 0 working days, not {n}")
        if n == 0:
            return start, False
        year = start.year
        y = self._year(year)
        idx = bisect_right(y.days, start.toordinal()) + n - 1
        # Only the years of the days counted (after ``start``) matter.
        provisional = not y.known and (start.month, start.day) != (12, 31)
        while idx >= len(y.days):
            idx -= len(y.days)
            year += 1
            y = self._year(year)
            provisional = provisional or not y.known
        return date.fromordinal(y.days[idx]), provisional

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``; negative if ``end < start``.

        This is the exact inverse of :meth:`add_working_days`:
        ``working_days_between(s, add_working_days(s, n)[0]) == n``.
        """
        if end < start:
            return -self.working_days_between(end, start)
        s, e = start.toordinal(), end.toordinal()
        if start.year == end.year:
            days = self._year(start.year).days
            return bisect_right(days, e) - bisect_right(days, s)
        first = self._year(start.year).days
        total = len(first) - bisect_right(first, s)
        for year in range(start.year + 1, end.year):
            total += len(self._year(year).days)
        return total + bisect_right(self._year(end.year).days, e)

    def unknown_years_in(self, start: date, end: date) -> list[int]:
        """Years without an official schedule among the days after ``start`` up to ``end``."""
        lo, hi = (start, end) if start <= end else (end, start)
        if lo == hi:
            return []
        first = (lo + timedelta(days=1)).year
        return [y for y in range(first, hi.year + 1) if not self._year(y).known]

    def is_provisional_span(self, start: date, end: date) -> bool:
        """Whether a count over (start, end] rests on a weekends-only guess."""
        return bool(self.unknown_years_in(start, end))

    def provisional_reasons(self, start: date, end: date) -> list[Reason]:
        """One ``workdays.provisional_year`` reason per unknown year in (start, end]."""
        return [provisional_reason(y) for y in self.unknown_years_in(start, end)]

    # -- diagnostics ---------------------------------------------------------

    def library_disagreements(self, year: int) -> list[date]:
        """Days of ``year`` on which the two libraries disagree (overrides ignored).

        Empty when either library lacks official data for the year.  Meant for
        a diagnostics command, so the hall can add an override if needed.
        """
        if year not in _lib_years("holidays") or year not in _lib_years("chinese_calendar"):
            return []
        a = _holidays_working_days(year)
        b = _chinese_calendar_working_days(year)
        return sorted(date.fromordinal(o) for o in a ^ b)


def provisional_reason(year: int) -> Reason:
    """The reason attached to any count that runs into a year with no official schedule."""
    return Reason(CODE_PROVISIONAL_YEAR, {"year": year}, SOURCE_WEEKENDS_ONLY)


def _parse_override_date(text: Any) -> date:
    try:
        return parse_date(str(text))
    except ValueError as exc:
        raise BadOverride(str(exc)) from None
