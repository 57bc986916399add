"""Statistics for supervisors: where the hall stands today and how fast it works."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlite_utils

from console.services.clocks import calendar_for
from console.services.identity import Actor, require_role
from console.services.role_matrix import CASE_READERS
from db import stats as stats_db

SAMPLE = 2000


@dataclass
class Dashboard:
    """Everything the statistics screen shows, computed in one unit of work."""

    today: date
    by_status: dict[str, int]
    total: int
    overdue_cases: int
    overdue_by_department: dict[str, int]
    open_by_department: dict[str, int]
    avg_working_days: float | None
    avg_sample: int
    this_month: tuple[int, int]  # (received, completed)
    last_month: tuple[int, int]
    by_month: list[tuple[str, int]] = field(default_factory=list)


def _month_start(day: date, back: int = 0) -> date:
    year, month = day.year, day.month - back
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1)


def dashboard(db: sqlite_utils.Database, actor: Actor, today: date | None = None) -> Dashboard:
    """Counts by status, overdue per department, average working days to completion, month on month."""
    require_role(actor, *CASE_READERS)  # every role but the auditor (docs/roles.md)
    today = today or date.today()
    iso = today.isoformat()
    by_status = stats_db.counts_by_status(db)
    this_start, last_start = _month_start(today), _month_start(today, 1)
    next_start = _month_start(date(today.year + (today.month == 12), today.month % 12 + 1, 1))
    this_month = (stats_db.received_between(db, this_start.isoformat(), next_start.isoformat()),
                  stats_db.completed_between(db, this_start.isoformat(), next_start.isoformat()))
    last_month = (stats_db.received_between(db, last_start.isoformat(), this_start.isoformat()),
                  stats_db.completed_between(db, last_start.isoformat(), this_start.isoformat()))
    cal = calendar_for(db)
    spans = []
    for row in stats_db.recent_completions(db, SAMPLE):
        try:
            start, end = date.fromisoformat(row["received"]), date.fromisoformat(row["completed"])
        except (TypeError, ValueError):
            continue
        spans.append(cal.working_days_between(start, end) if end >= start else 0)
    months = [_month_start(today, back) for back in range(5, -1, -1)]
    counts = stats_db.received_by_month(db, months[0].isoformat())
    return Dashboard(
        today=today,
        by_status=by_status,
        total=sum(by_status.values()),
        overdue_cases=stats_db.overdue_cases(db, iso),
        overdue_by_department=stats_db.overdue_tasks_by_department(db, iso),
        open_by_department=stats_db.open_tasks_by_department(db),
        avg_working_days=(sum(spans) / len(spans)) if spans else None,
        avg_sample=len(spans),
        this_month=this_month,
        last_month=last_month,
        by_month=[(m.strftime("%Y-%m"), counts.get(m.strftime("%Y-%m"), 0)) for m in months],
    )
