"""Time-limit clocks for a case and for each department task.

The hall promises each retirement case, and each department's part of it, an
answer within a number of WORKING days (DOMAIN.md 6.9).  Supervisors need to
see, per case and per task, how much time is left: yellow before the limit,
red past it.  While a case waits for the applicant's correction materials its
clock is paused, and it runs on when they arrive.

Policy is data: the limits below are hall parameters (status "default,
adjustable"), each with the text that justifies it; a hall may change them.
``TIME_LIMITS_VERSION`` is a hash of the defaults and the working-day
schedules, and the policy version a case stores hashes them too
(``console.rules.table_digest``), so a past evaluation can be replayed.

Counting conventions (all working days, see ``console.rules.workdays``):

* The start day is not counted: a 10-day limit accepted on day S is due on
  ``add_working_days(S, 10)``; a 0-day limit ("on the spot") is due on S.
* A pause ``(paused_from, resumed_on)`` removes the working days in
  ``(paused_from, resumed_on]`` from the count: the day the correction notice
  goes out still counts, and the day the materials arrive acts like a new
  start day (not counted), matching "within N days of receipt".
* Evaluation is "as of ``today``": pauses or completion dated after ``today``
  are not yet in effect, and a pause resumed after ``today`` is still open.
  So evaluating with a past date shows what staff saw on that day.
* A clock is overdue from the day after its due date.  The due day itself
  reports 0 days left (``due_soon``).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from console.rules.cn_schedule import SCHEDULES
from console.rules.explain import Reason
from console.rules.table_digest import digest
from console.rules.workdays import WorkCalendar

PARAMETER_STATUS = "default, adjustable"

_HALL = "Hall parameter (default, adjustable)"
_ONE_THING = (
    "国务院关于进一步优化政务服务提升行政效能推动“高效办成一件事”的指导意见"
    "（国发〔2024〕3号），“退休一件事”重点事项"
)

# item_code -> (working_days, source_text).  No statute fixes these numbers for
# the retirement "one thing"; they are the hall's service promise, set to
# sensible defaults and meant to be adjusted locally.
DEFAULT_LIMITS: dict[str, tuple[int, str]] = {
    "case": (20, f"{_HALL}: whole retirement case; service promise under {_ONE_THING}"),
    "acceptance": (0, f"{_HALL}: acceptance decided on the spot; missing materials "
                      "notified all at once (一次性告知), cf. 《中华人民共和国行政许可法》第三十二条"),
    "hrss.approval": (10, f"{_HALL}: HRSS retirement approval (退休审批)"),
    "hrss.benefit": (10, f"{_HALL}: HRSS benefit calculation and payment set-up (待遇核定)"),
    "hrss.card": (5, f"{_HALL}: social security card (社保卡) change of status"),
    "hrss.social_management": (5, f"{_HALL}: transfer to community social management (社会化管理)"),
    "medical.transfer": (5, f"{_HALL}: Medical Insurance Bureau, retiree medical insurance transfer"),
    "housing_fund.withdrawal": (5, f"{_HALL}: Housing Provident Fund Centre, retirement withdrawal (退休提取)"),
    "health.reward": (10, f"{_HALL}: Health Commission, family-planning retirement reward (计生奖励)"),
    "hrss.arrears": (10, f"{_HALL}: arrears back-payment declaration (社会保险费欠费补缴申报); "
                         "UNCONFIRMED: no published limit found"),
    "hrss.transfer": (45, "国办发〔2009〕66号 第八条: the new place reviews and sends its acceptance letter within 15 "
                          "working days, the old place transfers within 15, the new place completes within 15 of receipt"),
    "hrss.bank_account": (5, f"{_HALL}: benefit payment account maintenance (定期待遇发放账户维护); "
                             "UNCONFIRMED: no published limit found"),
    "hrss.labour_filing": (5, f"{_HALL}: labour employment filing of the ended contract (劳动用工备案); "
                              "UNCONFIRMED: no published limit for the bureau (劳社部发〔2006〕46号 gives the employer 30 days to file)"),
    "rating.followup": (15, "各地政务服务“好差评”实施办法: a bad rating (差评) is verified, called back and "
                            "remedied within 15 working days; cf. 国务院办公厅关于建立政务服务“好差评”制度提高政务服务水平的意见"
                            "（国办发〔2019〕51号） and GB/T 39734-2020"),
    "due_soon_days": (3, f"{_HALL}: yellow warning when this many working days or fewer are left"),
}

TIME_LIMITS_VERSION = f"time-limits/{digest((DEFAULT_LIMITS, SCHEDULES))}"
"""Derived from the tables above and the packaged working-day schedules: edit one and it changes."""

DUE_SOON_KEY = "due_soon_days"

# Clock states.
OK = "ok"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
PAUSED = "paused"
DONE = "done"
DONE_LATE = "done_late"
STATES = (OK, DUE_SOON, OVERDUE, PAUSED, DONE, DONE_LATE)


class UnknownItem(KeyError):
    """A time-limit item code not in the policy table."""


@dataclass(frozen=True)
class LimitPolicy:
    """One item's limit as the hall applies it, with its justification."""

    item: str
    working_days: int
    source: str
    status: str = PARAMETER_STATUS
    version: str = TIME_LIMITS_VERSION

    def reason(self) -> Reason:
        code = "workdays.limit_policy" if self.status == PARAMETER_STATUS else "workdays.limit_policy_adjusted"
        return Reason(code, {"item": self.item, "days": self.working_days}, self.source)


def limit_for(item: str, adjustments: Mapping[str, int] | None = None) -> LimitPolicy:
    """The limit for ``item``: the hall's adjustment if any, else the default.

    An adjusted value keeps the default's source text, marked as adjusted, so
    the explanation still says what the parameter means.
    """
    if item not in DEFAULT_LIMITS:
        raise UnknownItem(item)
    days, source = DEFAULT_LIMITS[item]
    if adjustments and item in adjustments:
        new = int(adjustments[item])
        if new < 0:
            raise ValueError(f"time limit for {item} must be >= 0, not {new}")
        if new != days:
            return LimitPolicy(item, new, f"{source}; adjusted by the hall (default {days})", "adjusted")
    return LimitPolicy(item, days, source)


@dataclass(frozen=True)
class Clock:
    """A running limit: when it started, how long it is, its pauses, when it ended.

    ``pauses`` holds ``(paused_from, resumed_on)`` pairs; ``resumed_on`` is
    ``None`` while the case still waits for the applicant.  ``item`` and
    ``source`` only feed the explanation.
    """

    started: date
    limit_days: int
    pauses: Sequence[tuple[date, date | None]] = ()
    done_on: date | None = None
    item: str = ""
    source: str = ""


def make_clock(item: str, started: date, *, pauses: Iterable[tuple[date, date | None]] = (),
               done_on: date | None = None, adjustments: Mapping[str, int] | None = None) -> Clock:
    """A clock for a policy item (``'case'``, ``'hrss.approval'``, ...)."""
    policy = limit_for(item, adjustments)
    return Clock(started, policy.working_days, tuple(pauses), done_on, item, policy.source)


@dataclass(frozen=True)
class ClockState:
    """Where a clock stands on a given day, and why.

    ``due_date`` is None only while the clock is paused (it depends on when
    the materials arrive); ``working_days_left`` is then the frozen balance.
    ``working_days_left`` is negative when overdue (at least -1, so every late
    clock sorts below every live one), and for a finished clock it is the
    margin it finished with.  ``paused_days`` counts working days paused so far.
    """

    due_date: date | None
    working_days_left: int
    state: str
    provisional: bool = False
    paused_days: int = 0
    reasons: list[Reason] = field(default_factory=list)

    @property
    def colour(self) -> str:
        """The warning colour the screens use: '' (none), 'yellow' or 'red'."""
        if self.state in (OVERDUE, DONE_LATE):
            return "red"
        if self.state == DUE_SOON:
            return "yellow"
        return ""


def _normalise_pauses(clock: Clock, as_of: date) -> list[tuple[date, date | None]]:
    """Pauses in effect as of ``as_of``: sorted, clipped to the start, merged.

    Bad data (a resume before its pause, two open pauses) is refused rather
    than guessed at, since it would silently move a due date.
    """
    out: list[tuple[date, date | None]] = []
    open_seen = False
    for raw_from, raw_to in sorted(clock.pauses, key=lambda p: p[0]):
        if raw_to is not None and raw_to < raw_from:
            raise ValueError(f"pause resumes {raw_to} before it starts {raw_from}")
        if raw_to is None:
            if open_seen:
                raise ValueError("a clock can have only one open pause")
            open_seen = True
        if raw_from > as_of:
            continue  # not yet in effect
        resumed = raw_to if raw_to is not None and raw_to <= as_of else None
        start = max(raw_from, clock.started)
        if resumed is not None and resumed <= start:
            continue  # entirely before the clock started
        if out:
            prev_from, prev_to = out[-1]
            if prev_to is None:
                continue  # inside a pause still open as of ``as_of``: absorbed
            if start <= prev_to:  # overlapping or touching: merge
                end = None if resumed is None else max(prev_to, resumed)
                out[-1] = (prev_from, end)
                continue
        out.append((start, resumed))
    return out


def evaluate(clock: Clock, today: date, calendar: WorkCalendar,
             due_soon_days: int | None = None) -> ClockState:
    """The state of ``clock`` as of ``today``, counting on ``calendar``.

    The due date is ``limit_days`` working days after the start, pushed back
    by the working days spent paused before the limit ran out (a pause that
    begins after the due date does not rescue a late clock).  A clock paused
    right now reports ``paused`` and its balance stays frozen.
    """
    if clock.limit_days < 0:
        raise ValueError(f"limit_days must be >= 0, not {clock.limit_days}")
    threshold = DEFAULT_LIMITS[DUE_SOON_KEY][0] if due_soon_days is None else due_soon_days
    done_on = clock.done_on if clock.done_on is not None and clock.done_on <= today else None
    as_of = done_on or today
    pauses = _normalise_pauses(clock, as_of)

    reasons: list[Reason] = []
    remaining = clock.limit_days
    cursor = clock.started
    paused_days = 0
    due: date | None = None
    paused_since: date | None = None
    for p_from, p_to in pauses:
        used = calendar.working_days_between(cursor, p_from)
        if used >= remaining:
            break  # the limit ran out before this pause began
        remaining -= used
        if p_to is None:
            paused_since = p_from
            paused_days += calendar.working_days_between(p_from, as_of)
            break
        paused_days += calendar.working_days_between(p_from, p_to)
        cursor = p_to
    if paused_since is None:
        due, _ = calendar.add_working_days(cursor, remaining)

    source = clock.source or "time limit of the clock"
    params_base = {"started": clock.started.isoformat(), "limit": clock.limit_days}
    if clock.item:
        params_base["item"] = clock.item
    if paused_days:
        reasons.append(Reason("workdays.clock_paused_days", {"days": paused_days}, source))

    if paused_since is not None:
        # Frozen: ``remaining`` working days are left whenever the clock resumes.
        reasons.insert(0, Reason("workdays.clock_limit_paused", params_base, source))
        reasons.append(Reason("workdays.clock_paused", {"since": paused_since.isoformat(),
                                                          "left": remaining}, source))
        state = DONE if done_on is not None else PAUSED
        if done_on is not None:
            reasons.append(Reason("workdays.clock_done", {"on": done_on.isoformat(),
                                                           "left": remaining}, source))
        span_end = as_of
        left = remaining
    else:
        assert due is not None
        reasons.insert(0, Reason("workdays.clock_limit", {**params_base, "due": due.isoformat()}, source))
        left = _days_left(calendar, as_of, due)
        if done_on is not None:
            state = DONE if done_on <= due else DONE_LATE
            reasons.append(Reason(f"workdays.clock_{state}", {"on": done_on.isoformat(),
                                                               "due": due.isoformat(), "left": left}, source))
        elif today > due:
            state = OVERDUE
            reasons.append(Reason("workdays.clock_overdue", {"due": due.isoformat(), "days": -left}, source))
        elif left <= threshold:
            state = DUE_SOON
            reasons.append(Reason("workdays.clock_due_soon", {"due": due.isoformat(), "left": left,
                                                               "threshold": threshold},
                                  DEFAULT_LIMITS[DUE_SOON_KEY][1]))
        else:
            state = OK
        span_end = max(as_of, due)

    provisional_reasons = calendar.provisional_reasons(min(clock.started, span_end), span_end)
    reasons.extend(provisional_reasons)
    return ClockState(due, left, state, bool(provisional_reasons), paused_days, reasons)


def _days_left(calendar: WorkCalendar, as_of: date, due: date) -> int:
    """Working days from ``as_of`` to ``due``; at least one day late once past due."""
    if as_of <= due:
        return calendar.working_days_between(as_of, due)
    return min(-1, -calendar.working_days_between(due, as_of))
