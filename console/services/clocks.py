"""Clocks of cases and tasks, read from stored rows (working days, paused while awaiting correction)."""
from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from console.rules.time_limits import Clock, ClockState, evaluate, limit_for, make_clock
from console.rules.workdays import WorkCalendar
from console.vocabulary import CLOSED_STATUSES
from db import calendar as calendar_db

if TYPE_CHECKING:  # annotations only: a read runs on plain sqlite3 (db/read_connection.py)
    from db.engine import Database

CASE_ITEM = "case"
DONE_CASE_STATUSES = CLOSED_STATUSES
"""A case whose clock has stopped: every closed status (console.vocabulary)."""


def calendar_for(db: Database) -> WorkCalendar:
    """The working-day calendar with the hall's overrides (one per override set:
    building a year's table costs milliseconds, a queue asks many times)."""
    return _calendar(tuple(sorted(calendar_db.overrides(db).items())))


@lru_cache(maxsize=8)
def _calendar(overrides: tuple[tuple[str, str], ...]) -> WorkCalendar:
    return WorkCalendar(dict(overrides))


def day_of(timestamp: str | None) -> date | None:
    return date.fromisoformat(timestamp[:10]) if timestamp else None


def pauses_of(case: dict[str, Any]) -> list[tuple[date, date | None]]:
    raw = case.get("pauses") or "[]"
    items = json.loads(raw) if isinstance(raw, str) else raw
    return [(date.fromisoformat(a), date.fromisoformat(b) if b else None) for a, b in items]


def case_clock(case: dict[str, Any], today: date, cal: WorkCalendar) -> ClockState | None:
    """The case's whole-case clock, from its receipt; None for a draft never received."""
    started = day_of(case.get("received_at"))
    if started is None:
        return None
    done = day_of(case.get("completed_at")) if case.get("status") in DONE_CASE_STATUSES else None
    if case.get("status") in ("refused", "withdrawn"):
        done = day_of(case.get("updated_at"))
    return evaluate(make_clock(CASE_ITEM, started, pauses=pauses_of(case), done_on=done), today, cal)


def task_clock(task: dict[str, Any], today: date, cal: WorkCalendar) -> ClockState | None:
    """A task's clock from the day it opened; None while it waits for the approval."""
    started = day_of(task.get("opened_at"))
    if started is None:
        return None
    done = day_of(task.get("done_at")) if task.get("status") == "done" else None
    try:
        clock = make_clock(task["item"], started, done_on=done)
    except KeyError:
        return None
    return evaluate(clock, today, cal)


def promise_clock(promise: dict[str, Any], today: date, cal: WorkCalendar) -> ClockState:
    """A promise's own clock: its working days from the day it was signed, stopped when it closes."""
    done = day_of(promise.get("closed_at")) if promise.get("status") != "open" else None
    clock = Clock(date.fromisoformat(promise["promised_on"]), int(promise["limit_days"]), done_on=done,
                  item="promise", source=str(promise.get("material") or ""))
    return evaluate(clock, today, cal)


def due_date(item: str, started: date, cal: WorkCalendar, pauses: list[tuple[date, date | None]] | None = None) -> str | None:
    """The due date to store (for queue filters): None while paused.

    Evaluated as of the last resumption, so that every closed pause (even one
    that began on the day of receipt) has moved the date on.
    """
    pauses = pauses or []
    if pauses and pauses[-1][1] is None:
        return None
    as_of = max([started] + [p[1] for p in pauses if p[1] is not None])
    state = evaluate(make_clock(item, started, pauses=pauses), as_of, cal)
    return state.due_date.isoformat() if state.due_date else None


def limit_days(item: str) -> int:
    return limit_for(item).working_days


def queue_clock(row: dict[str, Any], today: date, cal: WorkCalendar) -> tuple[int | None, str, str]:
    """(working days left, state, colour) of a queue row from its stored due date (cheap, per visible row)."""
    from console.rules.time_limits import limit_for

    if row.get("status") in DONE_CASE_STATUSES:
        return None, "done", ""
    if row.get("paused_since"):
        return None, "paused", ""
    if not row.get("due_date"):
        return None, "", ""
    due = date.fromisoformat(row["due_date"])
    if due < today:
        return min(-cal.working_days_between(due, today), -1), "overdue", "red"
    left = cal.working_days_between(today, due)
    if left <= limit_for("due_soon_days").working_days:
        return left, "due_soon", "yellow"
    return left, "ok", ""
