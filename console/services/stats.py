"""Statistics for supervisors: where the hall stands today and how fast it works."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from console.services.clocks import calendar_for
from console.services.identity import Actor, require_role
from console.services.role_matrix import CASE_READERS
from db import ratings as ratings_db
from db import stats as stats_db

if TYPE_CHECKING:
    from db.engine import Database

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
    ratings: RatingFigures | None = None


@dataclass
class RatingGroup:
    """Ratings of one month or one department: how many, how many satisfied (4-5), bad (1-2), bad still open."""

    ratings: int
    satisfied: int
    bad: int
    bad_open: int

    @property
    def rate(self) -> float | None:
        """The satisfaction rate (levels 4-5 over all ratings), None with no rating."""
        return self.satisfied / self.ratings if self.ratings else None


@dataclass
class RatingFigures:
    """The 好差评 figures: the satisfaction rate, bad ratings open and closed, by month and by department."""

    total: RatingGroup
    bad_closed: int
    by_month: list[tuple[str, RatingGroup]]
    by_department: dict[str, RatingGroup]

    def as_dict(self) -> dict[str, object]:
        def group(g: RatingGroup) -> dict[str, object]:
            return {"ratings": g.ratings, "satisfied": g.satisfied, "bad": g.bad, "bad_open": g.bad_open,
                    "satisfaction_rate": None if g.rate is None else round(g.rate, 4)}

        return {**group(self.total), "bad_closed": self.bad_closed,
                "by_month": [{"month": m, **group(g)} for m, g in self.by_month],
                "by_department": {d: group(g) for d, g in self.by_department.items()}}


def rating_figures(db: Database, since_month: str) -> RatingFigures:
    """Ratings as the dashboard and ``retire stats --json`` show them (months from ``since_month`` on)."""
    total, satisfied = ratings_db.totals(db)
    counts = ratings_db.followup_counts(db)
    closed = counts.get("closed", 0)
    bad = sum(counts.values())
    return RatingFigures(
        total=RatingGroup(total, satisfied, bad, bad - closed),
        bad_closed=closed,
        by_month=[(m, RatingGroup(n, g, b, o)) for m, n, g, b, o in ratings_db.by_month(db, since_month)],
        by_department={d: RatingGroup(*v) for d, v in sorted(ratings_db.by_department(db).items())},
    )


def _month_start(day: date, back: int = 0) -> date:
    year, month = day.year, day.month - back
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, 1)


def dashboard(db: Database, actor: Actor, today: date | None = None) -> Dashboard:
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
        ratings=rating_figures(db, months[0].isoformat()),
    )
